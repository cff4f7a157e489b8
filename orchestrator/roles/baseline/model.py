"""Variables of the `baseline` role: the host hardening every node gets first."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from orchestrator.models.base import Size, StrictModel

# an OpenSSH algorithm name: letters, digits, dashes, dots and one @domain
SshAlgorithm = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9.-]*(@[a-z0-9.-]+)?$")]


HostKeyType = Literal["ed25519", "rsa"]


def _ed25519_only() -> list[HostKeyType]:
    return ["ed25519"]


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
    # A modern profile: ssh-audit 2.5.0 (Debian 12) reports no fail and no warn against it
    # (tests/integration/roles/baseline/). Every value must be one OpenSSH 9.2 knows: `sshd -t` checks.
    baseline_sshd_kex_algorithms: list[SshAlgorithm] = Field(
        default_factory=lambda: [
            "curve25519-sha256",
            "curve25519-sha256@libssh.org",
            "diffie-hellman-group16-sha512",
            "diffie-hellman-group18-sha512",
            "diffie-hellman-group-exchange-sha256",
        ],
        min_length=1,
        description=(
            "sshd KexAlgorithms, in order of preference (no NIST curves, no SHA-1; ssh-audit 2.5.0 calls "
            "sntrup761x25519 experimental)."
        ),
    )
    baseline_sshd_ciphers: list[SshAlgorithm] = Field(
        default_factory=lambda: [
            "chacha20-poly1305@openssh.com",
            "aes256-gcm@openssh.com",
            "aes128-gcm@openssh.com",
            "aes256-ctr",
            "aes192-ctr",
            "aes128-ctr",
        ],
        min_length=1,
        description="sshd Ciphers, in order of preference (no CBC).",
    )
    baseline_sshd_macs: list[SshAlgorithm] = Field(
        default_factory=lambda: [
            "hmac-sha2-512-etm@openssh.com",
            "hmac-sha2-256-etm@openssh.com",
            "umac-128-etm@openssh.com",
        ],
        min_length=1,
        description="sshd MACs: encrypt-then-MAC only, no SHA-1 and no 64-bit tags.",
    )
    baseline_sshd_host_key_types: list[HostKeyType] = Field(
        default_factory=_ed25519_only,
        min_length=1,
        description=(
            "Host keys sshd offers (HostKey); never ECDSA (a NIST curve). RSA is offered with rsa-sha2 only, "
            "and needs 3072 bits or more (preflight checks)."
        ),
    )
    baseline_sshd_moduli_min_bits: int = Field(
        3072,
        ge=2048,
        le=8192,
        description="Diffie-Hellman group exchange: moduli shorter than this are removed from /etc/ssh/moduli.",
    )
    baseline_login_banner: str = Field(
        "Authorized access only. Activity on this system is monitored and logged.",
        min_length=1,
        description="The legal notice sshd shows before login (Banner /etc/issue.net), also in /etc/issue.",
    )
