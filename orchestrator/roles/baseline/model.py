"""Variables of the `baseline` role: the host hardening every node gets first."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from orchestrator.models.base import Size, StrictModel


class BaselineVars(StrictModel):
    baseline_packages: list[str] = Field(
        default_factory=lambda: ["ca-certificates", "python3-cryptography", "acl", "procps"],
        description="Debian packages every host needs (the toolkit's modules rely on them).",
    )
    baseline_journald_enabled: bool = Field(True, description="Manage journald storage and retention.")
    baseline_journald_max_use: Size = Field(
        "500M", description="journald SystemMaxUse: disk the journal may take before rotating."
    )
    baseline_journald_max_retention: str = Field(
        "1month", pattern=r"^[0-9]+(s|min|h|day|week|month|year)$", description="journald MaxRetentionSec."
    )
    baseline_sshd_enabled: bool = Field(True, description="Install the sshd hardening drop-in.")
    baseline_sshd_permit_root_login: Literal["no", "prohibit-password"] = Field(
        "prohibit-password",
        description="sshd PermitRootLogin; passwords are never accepted.",
    )
    baseline_sshd_max_auth_tries: int = Field(3, ge=1, le=10, description="sshd MaxAuthTries.")
    baseline_sshd_client_alive_interval: int = Field(
        300, ge=0, le=3600, description="sshd ClientAliveInterval in seconds (0 disables)."
    )
