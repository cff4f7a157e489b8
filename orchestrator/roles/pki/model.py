"""Variables of the `pki` role: the toolkit's internal CA, or one the operator brings."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from orchestrator.models.base import StrictModel


class PkiVars(StrictModel):
    pki_ca_mode: Literal["internal", "provided"] = Field(
        "internal", description="internal: the toolkit creates the CA; provided: the operator's CA files are used."
    )
    pki_ca_dir: str = Field(
        "/etc/harden-ca", pattern=r"^/[^\s]+$", description="Directory on the CA host holding ca.crt and ca.key."
    )
    pki_ca_common_name: str = Field("harden internal CA", min_length=1, description="Subject CN of the CA.")
    pki_ca_valid_days: int = Field(3650, ge=365, le=7300, description="Lifetime of a CA the toolkit creates.")
    pki_cert_valid_days: int = Field(397, ge=7, le=825, description="Lifetime of the certificates it issues.")
    pki_cert_renew_days: int = Field(30, ge=1, le=365, description="Re-issue when fewer days than this remain.")


class IssueEntryPoint(StrictModel):
    """Entry point `issue`: a certificate for this host, signed by the CA host.

    Its private key is created on this host and never leaves it."""

    pki_issue_name: str = Field(..., pattern=r"^[a-z0-9._-]+$", description="File name of the key and certificate.")
    pki_issue_dir: str = Field(..., pattern=r"^/", description="Directory that holds them.")
    pki_issue_group: str = Field(..., min_length=1, description="Group that may read the key.")
    pki_issue_sans: list[str] = Field(..., min_length=1, description="Subject alternative names: DNS:x or IP:y.")
    pki_issue_common_name: str | None = Field(
        None,
        min_length=1,
        description="Subject common name; the host's inventory name when unset. A service that maps "
        "certificate subjects to principals (Kafka) names them here.",
    )
