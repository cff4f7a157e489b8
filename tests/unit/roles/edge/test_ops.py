"""harden edge status: the verdict from what each edge host serves (real certificates, made here)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from orchestrator.roles.edge import ops
from orchestrator.roles.edge.model import EdgeVars

NOW = datetime.datetime(2026, 12, 5, 12, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)


def _cert(subject: str, names: list[str], before: datetime.datetime, after: datetime.datetime) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Pebble Intermediate CA 1")]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(before)
        .not_valid_after(after)
    )
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), False)
    return builder.sign(key, hashes.SHA256()).public_bytes(Encoding.DER)


def _describe(der: bytes) -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    exec(compile(ops.EDGE_TLS.read_text(), str(ops.EDGE_TLS), "exec"), namespace)
    return dict(namespace["describe"](der))


MODEL = EdgeVars.model_validate(
    {
        "edge_acme_email": "ops@example.org",
        "edge_routes": [
            {"name": "app", "hosts": ["a.example.org", "b.example.org"], "backends": ["http://10.0.0.5:80"]}
        ],
    }
)


def _seen(a: bytes, b: bytes | None, ping: Any = 200) -> dict[str, Any]:
    names = {"a.example.org": _describe(a)}
    names["b.example.org"] = _describe(b) if b else {"error": "TLSV1_UNRECOGNIZED_NAME"}
    return {"ping": ping, "names": names}


def test_valid_certificates_are_healthy_and_rows_show_issuer_and_days_left() -> None:
    good = _cert("a.example.org", ["a.example.org", "b.example.org"], NOW - 10 * DAY, NOW + 80 * DAY)
    rows, reasons, up = ops.assess("edge-1", MODEL, _seen(good, good), NOW)
    assert (reasons, up) == ([], True)
    assert rows[0] == ("edge-1", "app", "a.example.org", "Pebble Intermediate CA 1", rows[0][4], "80.0")


@pytest.mark.parametrize(
    ("second", "reason"),
    [
        (None, "edge-1: b.example.org: no TLS handshake (TLSV1_UNRECOGNIZED_NAME)"),
        (
            ("TRAEFIK DEFAULT CERT", ["x"], -1, 365),
            "edge-1: b.example.org: Traefik's self-signed default certificate (no ACME certificate yet)",
        ),
        (("a", ["a.example.org"], -10, 80), "edge-1: b.example.org: a certificate for a.example.org"),
        (("b", ["b.example.org"], -90, -1), "edge-1: b.example.org: a certificate that expired at"),
        (
            ("b", ["b.example.org"], -80, 10),
            "edge-1: b.example.org: 10.0 days left, past the renewal point (read journalctl -u traefik)",
        ),
    ],
    ids=["no handshake", "default certificate", "other name", "expired", "renewal overdue"],
)
def test_a_name_without_a_good_certificate_is_a_reason(
    second: tuple[str, list[str], int, int] | None, reason: str
) -> None:
    good = _cert("a", ["a.example.org"], NOW - 10 * DAY, NOW + 80 * DAY)
    other = _cert(second[0], second[1], NOW + second[2] * DAY, NOW + second[3] * DAY) if second else None
    rows, reasons, up = ops.assess("edge-1", MODEL, _seen(good, other), NOW)
    assert up and len(rows) == 2
    assert len(reasons) == 1 and reasons[0].startswith(reason), reasons


def test_a_host_without_ping_does_not_serve() -> None:
    good = _cert("a", ["a.example.org", "b.example.org"], NOW - DAY, NOW + 89 * DAY)
    _, reasons, up = ops.assess("edge-1", MODEL, _seen(good, good, ping="connection refused"), NOW)
    assert not up and reasons == ["edge-1: Traefik does not answer its ping (connection refused)"]
