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
