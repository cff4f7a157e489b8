"""Settings of an environment as a whole: `inventories/<env>/harden.yml`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator

from orchestrator.models.base import StrictModel


def _known_role(name: str) -> str:
    from orchestrator.roles import ROLES  # the roles found by discovery (imported late: they import models)

    if name not in ROLES:
        raise ValueError(f"unknown role {name!r} (known: {', '.join(ROLES)})")
    return name


class EnvironmentSettings(StrictModel):
    description: str = Field("", description="What this environment is, shown in reports.")
    protected: bool = Field(False, description="Production-like: apply asks for confirmation; safer defaults.")
    roles: list[Annotated[str, AfterValidator(_known_role)]] = Field(
        ..., min_length=1, description="Roles this environment runs (applied in dependency order)."
    )
    forks: int = Field(20, ge=1, le=200, description="Hosts Ansible works on in parallel.")
    history_max: int = Field(10, ge=1, le=1000, description="Revisions kept per role (like helm --history-max).")
    revisions_backend: Literal["sqlite", "vault"] = Field(
        "sqlite", description="Where revisions live: .harden/revisions.db, or Vault KV shared by CI and operators."
    )
    ansible_strategy: Literal["linear", "mitogen"] = Field(
        "linear",
        description=(
            "Ansible's execution strategy: linear (Ansible's own), or mitogen (Mitogen's mitogen_linear: the same "
            "task order, over one persistent interpreter per host; bench/ansible_strategy.md measures both)."
        ),
    )
    secrets_max_age_days: int = Field(
        90,
        ge=1,
        le=3650,
        description="A secret whose value is older fails harden audit (HR-SEC-03); harden secrets status shows ages.",
    )
    failover_drill_max_age_days: int = Field(
        30,
        ge=1,
        le=3650,
        description=(
            "harden audit fails a role's failover check (HR-<code>-04) when its last drill (harden pg switchover) "
            "is older, or took 30 s or more."
        ),
    )
    vault_tunnel: bool = Field(
        False, description="Reach Vault's API through an SSH tunnel to a vault host (no direct route)."
    )

    @field_validator("roles")
    @classmethod
    def _unique(cls, roles: list[str]) -> list[str]:
        dupes = sorted({r for r in roles if roles.count(r) > 1})
        if dupes:
            raise ValueError(f"role {dupes[0]!r} is listed twice")
        return roles
