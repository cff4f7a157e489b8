"""Variables of the `lab_acme` role: Pebble (the ACME CA) and BIND 9 (the zone it resolves), lab only."""

from __future__ import annotations

from pydantic import Field

from orchestrator.models.base import Hostname, Port, Secret, StrictModel, generated_secret
from orchestrator.models.limits import ServiceLimits, limits


class LabAcmeRecord(StrictModel):
    """An A record of the lab's zone (the edge's public names)."""

    name: Hostname = Field(..., description="Name inside the zone, e.g. app (app.<zone>).")
    address: str = Field(..., pattern=r"^[0-9.]+$", description="IPv4 address.")


class LabAcmeVars(StrictModel):
    lab_acme_zone: Hostname = Field("harden.test", description="The zone BIND serves and takes RFC 2136 updates for.")
    lab_acme_records: list[LabAcmeRecord] = Field(default_factory=list, description="A records of the zone.")
    lab_acme_port: Port = Field(14000, description="Port of Pebble's ACME directory (HTTPS, internal CA).")
    lab_acme_http_challenge_port: Port = Field(80, description="Port Pebble connects to for HTTP-01.")
    lab_acme_tls_challenge_port: Port = Field(443, description="Port Pebble connects to for TLS-ALPN-01.")
    lab_acme_cert_validity_s: int = Field(
        7776000, ge=300, le=7776000, description="Lifetime of the certificates Pebble issues (seconds)."
    )
    lab_acme_tsig_key: str = Field("harden-acme", pattern=r"^[a-z0-9.-]+$", description="TSIG key name.")
    lab_acme_tsig_secret: Secret = generated_secret()
    lab_acme_webhook_port: Port = Field(
        9099, description="Port of the webhook recorder (HTTPS, internal CA) that stands in for a chat service."
    )
    lab_acme_pebble_limits: ServiceLimits = Field(
        default_factory=lambda: limits("256M"), description="systemd resource limits of pebble.service."
    )
    lab_acme_named_limits: ServiceLimits = Field(
        default_factory=lambda: limits("256M"), description="systemd resource limits of named.service."
    )
    lab_acme_webhook_limits: ServiceLimits = Field(
        default_factory=lambda: limits("64M"), description="systemd resource limits of harden-webhook-recorder.service."
    )
