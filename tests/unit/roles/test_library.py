"""Unit tests of the roles' own Ansible modules (roles/*/library, module_utils): the pure parts."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from orchestrator.paths import ROLES_DIR
from tests.unit.loading import load_file

RESP = load_file(ROLES_DIR / "redis_sentinel" / "module_utils" / "harden_resp.py", "ansible.module_utils.harden_resp")
REDIS_CMD = load_file(ROLES_DIR / "redis_sentinel" / "library" / "redis_cmd.py", "harden_test_redis_cmd")
PATRONI_CONFIG = load_file(ROLES_DIR / "postgres_ha" / "library" / "patroni_config.py", "harden_test_patroni_config")
VAULT_CONFIG = load_file(ROLES_DIR / "vault" / "library" / "vault_config.py", "harden_test_vault_config")


# --- postgres_ha: patroni_config merges only the given keys into the DCS configuration ---


def test_patroni_merge_keeps_what_is_not_given_and_replaces_what_is() -> None:
    current = {"ttl": 30, "postgresql": {"parameters": {"max_connections": 100, "wal_level": "replica"}}}
    wanted = {"ttl": 20, "postgresql": {"parameters": {"max_connections": 200}}}
    assert PATRONI_CONFIG.merged(current, wanted) == {
        "ttl": 20,
        "postgresql": {"parameters": {"max_connections": 200, "wal_level": "replica"}},
    }
    assert current["ttl"] == 30  # the input is not modified


def test_patroni_merge_of_what_is_there_is_no_change() -> None:
    current = {"synchronous_mode": True, "postgresql": {"parameters": {"wal_level": "replica"}}}
    assert PATRONI_CONFIG.merged(current, {"synchronous_mode": True}) == current


# --- redis_sentinel: the RESP2 parser and redis-cli style rendering ---


def _resp_with_reply(raw: bytes) -> Any:
    ours, theirs = socket.socketpair()
    client = RESP.Resp.__new__(RESP.Resp)
    client.sock, client.buf = ours, b""
    theirs.sendall(raw)
    return client, theirs


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (b"+OK\r\n", "OK"),
        (b":42\r\n", 42),
        (b"$5\r\nhello\r\n", "hello"),
        (b"$-1\r\n", None),
        (b"*2\r\n$1\r\na\r\n*2\r\n:1\r\n$0\r\n\r\n", ["a", [1, ""]]),
        (b"*-1\r\n", None),
    ],
)
def test_resp_parses_every_reply_kind(raw: bytes, value: Any) -> None:
    client, peer = _resp_with_reply(raw)
    assert client.call("PING") == value
    sent = peer.recv(100)
    assert sent == b"*1\r\n$4\r\nPING\r\n"


def test_resp_error_reply_raises_with_its_message() -> None:
    client, _peer = _resp_with_reply(b"-NOPERM this user has no permissions\r\n")
    with pytest.raises(RuntimeError, match="NOPERM this user"):
        client.call("CONFIG", "GET", "maxmemory")


def test_resp_reads_a_bulk_string_split_across_packets() -> None:
    client, peer = _resp_with_reply(b"$11\r\nhello")
    peer.sendall(b" world\r\n")
    assert client.call("GET", "k") == "hello world"


def test_redis_cmd_renders_like_redis_cli() -> None:
    assert REDIS_CMD.render(None) == [""]
    assert REDIS_CMD.render(["a", ["b", 3]]) == ["a", "b", "3"]
    assert REDIS_CMD.render("line1\r\nline2") == ["line1", "line2"]


def _issue(tmp: Path, name: str, ca: tuple[Any, Any] | None, ip: str) -> tuple[Any, Any]:
    """A key and certificate for `ip` (self-signed CA when ca is None), written as tmp/name.{crt,key}."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    issuer_cert, issuer_key = ca if ca else (None, key)
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_cert.subject if issuer_cert else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca is None, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]), critical=False
        )
    cert = builder.sign(issuer_key, hashes.SHA256())
    (tmp / f"{name}.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp / f"{name}.key").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert, key


def _tls_pong_server(tmp: Path, name: str) -> int:
    """A one-connection TLS server on 127.0.0.1 answering +PONG; returns its port."""
    import ssl
    import threading

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp / f"{name}.crt", tmp / f"{name}.key")
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        with listener:
            conn, _ = listener.accept()
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(100)
                    tls.sendall(b"+PONG\r\n")
            except (OSError, ssl.SSLError):
                pass  # the client refused our certificate

    threading.Thread(target=serve, daemon=True).start()
    return int(listener.getsockname()[1])


def test_resp_over_tls_verifies_the_ca_and_the_address(tmp_path: Path) -> None:
    ca = _issue(tmp_path, "ca", None, "")
    _issue(tmp_path, "right", ca, "127.0.0.1")
    _issue(tmp_path, "elsewhere", ca, "10.77.0.99")
    other_ca = _issue(tmp_path, "other-ca", None, "")
    _issue(tmp_path, "stranger", other_ca, "127.0.0.1")
    files = RESP.tls_files(str(tmp_path))
    assert set(files) == {"tls_ca", "tls_cert", "tls_key"} and RESP.tls_files("") == {}
    ca_file = str(tmp_path / "ca.crt")
    assert RESP.Resp(_tls_pong_server(tmp_path, "right"), tls_ca=ca_file).call("PING") == "PONG"
    for name in ("elsewhere", "stranger"):  # a certificate for another address, one from another CA
        port = _tls_pong_server(tmp_path, name)
        with pytest.raises(OSError, match="CERTIFICATE_VERIFY_FAILED"):
            RESP.Resp(port, tls_ca=ca_file)


# --- vault: vault_config converges mounts, auth methods, policies and AppRoles, nothing more ---


class _Module:
    def __init__(self, params: dict[str, Any], check_mode: bool = False) -> None:
        self.params, self.check_mode = params, check_mode

    def fail_json(self, **kwargs: Any) -> None:
        raise AssertionError(kwargs)


class _Api:
    def __init__(self, state: dict[str, tuple[int, dict[str, Any]]]) -> None:
        self.state, self.writes = state, []

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
        if method == "GET":
            return self.state.get(path, (404, {}))
        self.writes.append((method, path))
        return 204, {}


PARAMS = {
    "kv_mounts": ["secret"],
    "auth_methods": ["approle"],
    "policies": {"redis": 'path "secret/data/redis" { capabilities = ["read"] }'},
    "approles": {"redis": {"token_policies": ["redis"], "token_ttl": 3600}},
}


def test_vault_config_on_an_empty_vault_creates_everything() -> None:
    api = _Api({"sys/mounts": (200, {"data": {}}), "sys/auth": (200, {"data": {}})})
    changes, _before, _after = VAULT_CONFIG.converge(_Module(PARAMS), api)
    assert changes == [
        "mount kv-v2 at secret/",
        "enable auth method approle",
        "write policy redis",
        "write approle redis",
    ]
    assert [w[1] for w in api.writes] == [
        "sys/mounts/secret",
        "sys/auth/approle",
        "sys/policies/acl/redis",
        "auth/approle/role/redis",
    ]


def test_vault_config_is_idempotent_and_check_mode_writes_nothing() -> None:
    converged = _Api(
        {
            "sys/mounts": (200, {"data": {"secret/": {"type": "kv", "options": {"version": "2"}}}}),
            "sys/auth": (200, {"data": {"approle/": {}}}),
            "sys/policies/acl/redis": (200, {"data": {"policy": PARAMS["policies"]["redis"] + "\n"}}),
            "auth/approle/role/redis": (200, {"data": {"token_policies": ["redis"], "token_ttl": 3600}}),
        }
    )
    assert VAULT_CONFIG.converge(_Module(PARAMS), converged)[0] == []
    changed = _Api({**converged.state, "auth/approle/role/redis": (200, {"data": {"token_ttl": 7200}})})
    changes, before, after = VAULT_CONFIG.converge(_Module(PARAMS, check_mode=True), changed)
    assert changes == ["write approle redis"] and changed.writes == []
    assert '"token_ttl": 7200' in before["approle redis"] and '"token_ttl": 3600' in after["approle redis"]
