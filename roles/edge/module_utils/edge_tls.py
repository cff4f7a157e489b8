"""What an edge host serves for a name: shared by the module edge_certificates and `harden edge status`
(which runs this file on the host with python3). Pure standard library plus python3-cryptography."""

from __future__ import annotations

import datetime
import socket
import ssl

DEFAULT_CERT = "TRAEFIK DEFAULT CERT"


def served(address: str, port: int, name: str) -> bytes:
    """The DER certificate served for SNI ``name`` (not verified: which certificate, not whose)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection((address, port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname=name) as tls:
            der = tls.getpeercert(binary_form=True)
    if der is None:
        raise ssl.SSLError("no certificate served")
    return der


def describe(der: bytes) -> dict:
    """Names, issuer and validity of a certificate."""
    from cryptography import x509
    from cryptography.x509.oid import ExtensionOID, NameOID

    cert = x509.load_der_x509_certificate(der)
    try:
        names = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
        dns = list(names.get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        dns = []

    def cn(name: x509.Name) -> str:
        found = name.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(found[0].value) if found else name.rfc4514_string()

    def utc(value: datetime.datetime) -> datetime.datetime:
        return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)

    after = utc(getattr(cert, "not_valid_after_utc", None) or cert.not_valid_after)
    before = utc(getattr(cert, "not_valid_before_utc", None) or cert.not_valid_before)
    return {
        "subject": cn(cert.subject),
        "issuer": cn(cert.issuer),
        "names": dns,
        "not_before": before.isoformat(),
        "not_after": after.isoformat(),
        "serial": format(cert.serial_number, "x"),
    }


def problem(info: dict, name: str, now: datetime.datetime) -> str | None:
    """Why the certificate is not a valid ACME certificate for ``name`` (None: it is)."""
    if info["subject"] == DEFAULT_CERT:
        return "Traefik's self-signed default certificate (no ACME certificate yet)"
    if name not in info["names"]:
        return f"a certificate for {', '.join(info['names']) or 'no name'}"
    if datetime.datetime.fromisoformat(info["not_after"]) <= now:
        return f"a certificate that expired at {info['not_after']}"
    return None


def days_left(info: dict, now: datetime.datetime) -> float:
    return (datetime.datetime.fromisoformat(info["not_after"]) - now).total_seconds() / 86400


def renewal_overdue(info: dict, now: datetime.datetime) -> bool:
    """Traefik renews when a third of the lifetime is left; below a sixth, renewal has failed for a while."""
    lifetime = datetime.datetime.fromisoformat(info["not_after"]) - datetime.datetime.fromisoformat(info["not_before"])
    return datetime.datetime.fromisoformat(info["not_after"]) - now < lifetime / 6
