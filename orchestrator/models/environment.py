"""Settings of an environment as a whole: `inventories/<env>/harden.yml`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from orchestrator.models.base import StrictModel

RoleName = Literal["baseline", "pki", "vault", "postgres_ha", "redis_sentinel"]


class EnvironmentSettings(StrictModel):
    description: str = Field("", description="What this environment is, shown in reports.")
    protected: bool = Field(False, description="Production-like: apply asks for confirmation; safer defaults.")
    roles: list[RoleName] = Field(..., min_length=1, description="Roles this environment runs, in order.")
    forks: int = Field(20, ge=1, le=200, description="Hosts Ansible works on in parallel.")
    history_max: int = Field(10, ge=1, le=1000, description="Revisions kept per role (like helm --history-max).")
    revisions_backend: Literal["sqlite", "vault"] = Field(
        "sqlite", description="Where revisions live: .harden/revisions.db, or Vault KV shared by CI and operators."
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
