"""Variables of the `vault` role: OpenBao/Vault raft cluster with TLS, audit and AppRoles."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from orchestrator.models.base import Port, StrictModel, cross_field_error


class VaultVars(StrictModel):
    vault_flavor: Literal["openbao", "hashicorp"] = Field("openbao", description="Server implementation.")
    vault_artifact: str | None = Field(
        None, description="Local path of the server binary on the controller (air-gapped install)."
    )
    vault_api_port: Port = Field(8200, description="API and TLS listener port.")
    vault_cluster_port: Port = Field(8201, description="Raft cluster port.")
    vault_performance_multiplier: int = Field(
        1, ge=1, le=10, description="Raft timing multiplier (measured: 1 elects in 2.2 s, default 9 s)."
    )
    vault_key_shares: int = Field(5, ge=1, le=10, description="Unseal key shares created at init.")
    vault_key_threshold: int = Field(3, ge=1, le=10, description="Shares needed to unseal.")
    vault_pgp_keys: list[str] = Field(
        default_factory=list, description="Operator PGP public keys (paths) to encrypt unseal keys to."
    )
    vault_tls_min_version: Literal["tls12", "tls13"] = Field("tls12", description="Listener minimum TLS.")
    vault_services: list[str] = Field(
        default_factory=lambda: ["postgres", "redis"],
        description="Consuming services; each gets a policy and an AppRole reading only its own path.",
    )

    @model_validator(mode="after")
    def _threshold_fits(self) -> VaultVars:
        if self.vault_key_threshold > self.vault_key_shares:
            raise cross_field_error(
                "vault_key_threshold",
                f"must be <= vault_key_shares ({self.vault_key_threshold} > {self.vault_key_shares})",
            )
        if self.vault_pgp_keys and len(self.vault_pgp_keys) != self.vault_key_shares:
            raise cross_field_error("vault_pgp_keys", "needs exactly one PGP key per key share")
        return self
