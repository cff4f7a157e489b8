"""HR-<code>-05: the ports that declare an anonymous probe, and the judging of what they answered."""

from __future__ import annotations

import contextlib
import datetime
import json
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from orchestrator.audit import anonymous as a
from orchestrator.audit import providers as p
from orchestrator.audit.providers import Endpoint
from orchestrator.roles import ROLES
from orchestrator.roles.spec import TLS, Port, parse_anonymous
from orchestrator.tunnel import marked_sections
from orchestrator.validation import validate_environment


def test_every_service_role_gets_an_anonymous_check_with_its_probed_ports() -> None:
    env = validate_environment("lab")
    found = {c.id for prov in p.providers(env) for c in prov.checks}
    for name in ("vault", "postgres_ha", "redis_sentinel", "kafka", "search", "edge"):
        assert f"HR-{p.code(ROLES[name])}-05" in found, name
    pg = [e for e in a.targets(env, ROLES["postgres_ha"]) if e.host == "data-1"]
    assert [e.label for e in pg] == [
        "data-1 postgres_ha_port 10.77.0.11:5432",
        "data-1 postgres_ha_etcd_client_port 10.77.0.11:2379",
    ]
    edge = a.targets(env, ROLES["edge"])
    assert [e.label for e in edge] == ["edge-1 edge_internal_port 127.0.0.1:8443"]
    assert '"probe": "http GET /dashboard/"' in a.script(ROLES["edge"], edge)
    script = a.script(ROLES["postgres_ha"], pg)
    assert '"probe": "postgres"' in script and "/v3/kv/range" in script
    assert script.startswith("python3 -c ") and "10.77.0.11" in script and a.MARK in script


def test_a_probe_of_an_unknown_kind_or_an_http_probe_without_a_path_is_a_spec_error() -> None:
    assert parse_anonymous("http GET /v1/sys/policy") == ("http", ["GET", "/v1/sys/policy"])
    assert parse_anonymous('http POST /v3/kv/range {"key":"AA=="}')[1][2] == '{"key":"AA=="}'
    with pytest.raises(ValueError, match="unknown anonymous probe"):
        Port("x_port", ("peers",), anonymous="telnet")
    with pytest.raises(ValueError, match="names its method and path"):
        Port("x_port", ("peers",), anonymous="http GET")


def _line(refused: bool | None, saw: str) -> str:
    return json.dumps({"refused": refused, "saw": saw})


def test_the_check_passes_only_when_every_port_refused() -> None:
    check = p.anonymous_check(ROLES["redis_sentinel"])
    labels = ["data-1 redis_sentinel_port 10.77.0.11:6379", "data-1 redis_sentinel_sentinel_port 10.77.0.11:26379"]
    refused = {labels[0]: _line(True, "-NOAUTH Authentication required."), labels[1]: _line(True, "HTTP 401")}
    good = a.judge(check, refused, labels)
    assert good.passed and good.evidence[0].value == "refused: -NOAUTH Authentication required."
    opened = {**refused, labels[1]: _line(False, "PING answered PONG")}
    bad = a.judge(check, opened, labels)
    assert not bad.passed and "NOT refused: PING answered PONG" in [e.value for e in bad.evidence]
    unread = a.judge(check, {labels[0]: refused[labels[0]]}, labels)  # a host that did not answer
    assert not unread.passed and "unread: not probed (the host did not answer)" in [e.value for e in unread.evidence]
    # a stopped service answers no one: its health and TLS checks fail, not this one
    stopped = a.judge(check, {**refused, labels[0]: _line(None, "not reachable: ConnectionRefusedError")}, labels)
    assert stopped.passed and stopped.evidence[0].value == "refused: not reachable: ConnectionRefusedError"
    assert a.judge(check, {}, []).passed  # no port to probe: nothing to refuse
    down = {label: _line(None, "not reachable: ConnectionRefusedError") for label in labels}
    never = a.judge(check, down, labels)  # never applied, or every node stopped
    assert not never.passed and "the service does not run" in never.evidence[-1].value


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[Callable[[bytes], int]]:
    """A local TLS server on loopback that answers each connection with fixed bytes; its port."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "probe.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    servers: list[socket.socket] = []

    def serve(answer: bytes) -> int:
        listener = socket.create_server(("127.0.0.1", 0))
        servers.append(listener)

        def loop() -> None:
            with contextlib.suppress(OSError):
                while True:
                    raw, _ = listener.accept()
                    with contextlib.suppress(OSError, ssl.SSLError), context.wrap_socket(raw, server_side=True) as conn:
                        conn.recv(4096)
                        conn.sendall(answer)

        threading.Thread(target=loop, daemon=True).start()
        return int(listener.getsockname()[1])

    yield serve
    for listener in servers:
        listener.close()


def test_the_probe_tells_a_service_that_answers_from_one_that_refuses(tls_server: Callable[[bytes], int]) -> None:
    """The probe script itself, as it runs on a host, against loopback servers that answer as an
    open and as a closed service would."""
    served = {
        ("http GET /", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"): False,
        ("http GET /", b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n"): True,
        ("redis", b"+PONG\r\n"): False,
        ("redis", b"-NOAUTH Authentication required.\r\n"): True,
        ("kafka", b"\x00\x00\x00\x08\x00\x00\x00\x07\x00\x00\x00\x00"): False,  # correlation id 7
        ("kafka", b""): True,  # closed without an answer
    }
    spec: Any = SimpleNamespace(
        ports=[Port(str(i), ("peers",), anonymous=probe) for i, (probe, _) in enumerate(served)]
    )
    targets = [Endpoint("h", str(i), "127.0.0.1", tls_server(answer), TLS) for i, (_, answer) in enumerate(served)]
    done = subprocess.run(["sh", "-c", a.script(spec, targets)], capture_output=True, text=True, timeout=60, check=True)
    shown = marked_sections(done.stdout, a.MARK)
    seen = {t.label: json.loads(shown[t.label])["refused"] for t in targets}
    assert list(seen.values()) == list(served.values()), done.stdout
