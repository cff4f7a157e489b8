"""Role edge in the lab: Traefik on edge-1 gets real certificates from Pebble (role lab_acme) by
HTTP-01, TLS-ALPN-01 and DNS-01 (RFC 2136 to BIND), serves only TLS 1.2/1.3 with the Mozilla
intermediate suites, redirects plain HTTP, keeps its dashboard behind auth, and never orders a
certificate again on a restart or a re-apply."""

from __future__ import annotations

import json
import shlex
import subprocess
import time
from pathlib import Path

import pytest

from bench.lab_env import LAB, copy_lab_with
from orchestrator.audit import tls_profile
from orchestrator.lab.config import LabConfig
from orchestrator.secrets.resolver import role_secrets_path
from orchestrator.secrets.vault_session import admin_client
from orchestrator.validation import Environment, validate_environment
from tests.faults.edge_faults import (
    ACME_STORE,
    ALL_ROUTES,
    APP,
    APP_ADDRESS,
    BACKEND,
    EDGE,
    EDGE_ADDRESS,
    ROUTES,
    served_serials,
)
from tests.integration.conftest import apply_roles, assert_units_have_limits, harden, harden_bin, lab_ssh

PEBBLE_ROOT = "/run/edge-test-pebble-root.pem"
# A small TLS scanner, run on the app host: each protocol version and TLS 1.2 suite offered alone.
# Mozilla "intermediate" TLS 1.2 suites that an ECDSA certificate can use
INTERMEDIATE_ECDSA = {"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305"}


@pytest.fixture(scope="module")
def edge_env(lab: LabConfig) -> Environment:
    lab_ssh(lab, APP, BACKEND)
    applied = apply_roles("lab_acme", "edge")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    # Pebble makes a new root at each start: the clients trust the one it runs with
    lab_ssh(
        lab,
        APP,
        f"curl -sSf --cacert /etc/pebble/tls/ca.crt https://127.0.0.1:15000/roots/0 -o {PEBBLE_ROOT}",
    )
    return validate_environment(LAB)


def _curl(lab: LabConfig, name: str, *args: str, port: int = 443, scheme: str = "https") -> str:
    argv = ["curl", "-sS", "--max-time", "10", "--resolve", f"{name}:{port}:{EDGE_ADDRESS}", *args]
    return lab_ssh(lab, APP, " ".join(shlex.quote(a) for a in [*argv, f"{scheme}://{name}:{port}/"]))


def _orders(lab: LabConfig) -> int:
    return int(lab_ssh(lab, APP, "journalctl -u pebble --no-pager -o cat | grep -c 'POST /order-plz' || true"))


def test_second_apply_changes_nothing(edge_env: Environment) -> None:
    plan = harden("plan", "--env", LAB, "--role", "lab_acme", "--role", "edge", "--format", "json")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert json.loads(plan.stdout)["changes"] == 0


def test_every_unit_has_its_resource_limits(lab: LabConfig, edge_env: Environment) -> None:
    assert_units_have_limits(lab, edge_env, "edge")
    assert_units_have_limits(lab, edge_env, "lab_acme")


def test_each_challenge_gets_a_certificate_the_acme_root_verifies(lab: LabConfig, edge_env: Environment) -> None:
    acme = json.loads(lab_ssh(lab, EDGE, f"cat {ACME_STORE}"))
    by_resolver = {r: [c["domain"]["main"] for c in (v.get("Certificates") or [])] for r, v in acme.items()}
    expected: dict[str, list[str]] = {}
    for name, (challenge, _) in ALL_ROUTES.items():
        expected.setdefault(challenge, []).append(name)
    assert {r: sorted(n) for r, n in by_resolver.items()} == {r: sorted(n) for r, n in expected.items()}, by_resolver
    for name, (_, port) in ROUTES.items():
        # verified against Pebble's root, by name: the served chain is the ACME CA's
        out = _curl(lab, name, "--cacert", PEBBLE_ROOT, "-D", "-")
        head, _, body = out.replace("\r\n", "\n").partition("\n\n")
        # app.harden.test balances over 8081 and 8083
        assert body.strip() in {f"backend {port}", "backend 8083" if port == 8081 else ""}, out
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in head.splitlines()[1:])}
        assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains", headers
        assert headers["x-content-type-options"] == "nosniff", headers
        assert headers["x-frame-options"] == "DENY", headers
        assert headers["referrer-policy"] == "strict-origin-when-cross-origin", headers
    # the lab's internal CA did not sign them: the ACME chain is what a client checks
    refused = lab_ssh(
        lab,
        APP,
        f"curl -s --resolve app.harden.test:443:{EDGE_ADDRESS} "
        "--cacert /etc/pebble/tls/ca.crt https://app.harden.test/ >/dev/null; echo $?",
        check=False,
    )
    assert refused.strip() == "60", refused


def test_plain_http_only_redirects_permanently(lab: LabConfig, edge_env: Environment) -> None:
    out = _curl(lab, "app.harden.test", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", port=80, scheme="http")
    assert out == "301 https://app.harden.test/", out
    # a POST keeps its method: 308
    out = _curl(lab, "app.harden.test", "-X", "POST", "-o", "/dev/null", "-w", "%{http_code}", port=80, scheme="http")
    assert out == "308", out


def test_tls_scan_accepts_tls12_and_13_with_intermediate_suites_only(lab: LabConfig, edge_env: Environment) -> None:
    # the probe harden audit's HR-EDGE-06 runs (on the edge host), here from the app host
    scan = json.loads(
        lab_ssh(lab, APP, tls_profile.command(tls_profile.Target(APP, EDGE_ADDRESS, 443, "app.harden.test")))
    )
    print(json.dumps(scan, indent=1))
    versions = scan["versions"]
    assert versions["TLSv1_2"].startswith("ok TLSv1.2"), versions
    assert versions["TLSv1_3"].startswith("ok TLSv1.3"), versions
    for old in ("TLSv1", "TLSv1_1"):  # the server's alert, not the client's own policy
        assert versions[old] == "refused TLSV1_ALERT_PROTOCOL_VERSION", versions
    accepted = {s for s, result in scan["suites"].items() if result.startswith("ok")}
    assert accepted == INTERMEDIATE_ECDSA, scan["suites"]
    refused = {s: r for s, r in scan["suites"].items() if not r.startswith(("ok", "unavailable"))}
    assert len(refused) >= 5, scan["suites"]  # CBC, SHA-1 and static-RSA suites were really offered
    assert set(refused.values()) == {"refused SSLV3_ALERT_HANDSHAKE_FAILURE"}, refused
    # sniStrict: a name the edge has no certificate for gets no handshake (no default certificate)
    assert scan["unknown_name"].startswith("refused"), scan


def test_sslyze_finds_the_mozilla_intermediate_profile(lab: LabConfig, edge_env: Environment, tmp_path: Path) -> None:
    # sslyze (PyPI) runs on the controller inside the app host's network namespace, trusting Pebble's root
    root = tmp_path / "pebble-root.pem"
    root.write_text(lab_ssh(lab, APP, f"cat {PEBBLE_ROOT}"))
    targets = [f"{name}:443{{{EDGE_ADDRESS}}}" for name in ROUTES]
    argv = [
        harden_bin("sslyze"),
        "--quiet",
        "--json_out",
        str(tmp_path / "scan.json"),
        "--certinfo_ca_file",
        str(root),
        "--mozilla_config=intermediate",
        *targets,
    ]
    netns = ["ip", "netns", "exec", lab.netns(lab.host(APP))]
    done = subprocess.run([*netns, *argv], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr  # sslyze exits 1 on a non-compliant server
    results = json.loads((tmp_path / "scan.json").read_text())["server_scan_results"]
    assert sorted(r["server_location"]["hostname"] for r in results) == sorted(ROUTES)
    for result in results:
        scans = result["scan_result"]
        assert scans["tls_1_3_cipher_suites"]["result"]["accepted_cipher_suites"], result["server_location"]
        accepted = scans["tls_1_2_cipher_suites"]["result"]["accepted_cipher_suites"]
        tls12 = {suite["cipher_suite"]["openssl_name"] for suite in accepted}
        assert tls12 == INTERMEDIATE_ECDSA, tls12
        for old in ("ssl_2_0", "ssl_3_0", "tls_1_0", "tls_1_1"):
            assert not scans[f"{old}_cipher_suites"]["result"]["accepted_cipher_suites"], old


def test_dashboard_needs_auth_and_stays_off_the_public_side(lab: LabConfig, edge_env: Environment) -> None:
    with admin_client(edge_env) as admin:
        assert admin is not None
        data = admin.secrets.kv.v2.read_secret_version(
            path=role_secrets_path("edge"), mount_point="secret", raise_on_deleted_version=True
        )["data"]["data"]
    password = str(data["dashboard_users_ops_password"])
    assert len(password) >= 16
    base = "curl -s -o /dev/null -w '%{http_code}' --cacert /etc/traefik/tls/ca.crt --resolve edge-1:8443:127.0.0.1"
    url = "https://edge-1:8443/dashboard/"
    assert lab_ssh(lab, EDGE, f"{base} {url}") == "401"
    # the password reaches curl on stdin (a config file read from -), never on its command line
    authed = lab_ssh(lab, EDGE, f"{base} -K - {url} <<'EOF'\nuser = \"ops:{password}\"\nEOF")
    assert authed == "200", authed
    # the internal entry point listens on loopback only; no insecure API port
    listening = lab_ssh(lab, EDGE, "ss -Hltnp | grep '\"traefik\"' | awk '{print $4}'").split()
    assert sorted(listening) == ["*:443", "*:80", "127.0.0.1:8082", "127.0.0.1:8443"], listening


def test_restart_and_reapply_order_no_certificate(lab: LabConfig, edge_env: Environment) -> None:
    orders, serials = _orders(lab), served_serials(lab)
    assert orders >= len(ROUTES) and all(s.startswith("serial=") for s in serials.values()), (orders, serials)
    lab_ssh(lab, EDGE, "systemctl restart traefik")
    deadline = time.monotonic() + 30
    while lab_ssh(lab, EDGE, "curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8082/ping", check=False) != "200":
        assert time.monotonic() < deadline
        time.sleep(0.5)
    applied = harden("apply", "--env", LAB, "--role", "edge")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert served_serials(lab) == serials
    assert _orders(lab) == orders
    assert lab_ssh(lab, EDGE, f"stat -c '%a %U' {ACME_STORE}").strip() == "600 traefik"


def test_a_changed_header_applies_live_and_rolls_back(lab: LabConfig, edge_env: Environment, tmp_path: Path) -> None:
    started = lab_ssh(lab, EDGE, "systemctl show -p ActiveEnterTimestampMonotonic --value traefik").strip()
    changed = copy_lab_with(tmp_path, "edge", "edge_hsts_max_age: 86400")
    harden("apply", "--env", str(changed), "--role", "edge", check=True)

    def hsts() -> str:
        head = _curl(lab, "app.harden.test", "--cacert", PEBBLE_ROOT, "-o", "/dev/null", "-D", "-")
        return next(line for line in head.splitlines() if line.lower().startswith("strict-transport"))

    deadline = time.monotonic() + 15  # the file provider reloads the dynamic configuration by itself
    while "max-age=86400" not in hsts():
        assert time.monotonic() < deadline, hsts()
        time.sleep(0.5)
    harden("rollback", "--env", str(changed), "--role", "edge", "--yes", check=True)
    deadline = time.monotonic() + 15
    while "max-age=31536000" not in hsts():
        assert time.monotonic() < deadline, hsts()
        time.sleep(0.5)
    # a dynamic setting: no restart either way
    assert lab_ssh(lab, EDGE, "systemctl show -p ActiveEnterTimestampMonotonic --value traefik").strip() == started
    plan = harden("plan", "--env", LAB, "--role", "edge", "--format", "json")
    assert plan.returncode == 0 and json.loads(plan.stdout)["changes"] == 0, plan.stdout


def test_status_lists_each_router_and_its_certificate(edge_env: Environment) -> None:
    done = harden("edge", "status", "--env", LAB, "--format", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    status = json.loads(done.stdout)
    assert status["verdict"] == "healthy", status["reasons"]
    rows = {row["name"]: row for row in status["rows"]}
    assert sorted(rows) == sorted(ALL_ROUTES)
    for row in rows.values():
        assert row["issuer"].startswith("Pebble Intermediate CA") and 80 < float(row["days left"]) <= 90, row


def _server_up(lab: LabConfig) -> dict[str, str]:
    """traefik_service_server_up of the app-http backends, from the metrics on the internal entry point."""
    metrics = lab_ssh(
        lab,
        EDGE,
        "curl -s --cacert /etc/traefik/tls/ca.crt --resolve edge-1:8443:127.0.0.1 https://edge-1:8443/metrics",
    )
    lines = [line for line in metrics.splitlines() if line.startswith("traefik_service_server_up{")]
    return {line.split('url="')[1].split('"')[0]: line.rsplit(" ", 1)[1] for line in lines if "app-http@file" in line}


def _bodies(lab: LabConfig, count: int = 12) -> set[str]:
    return {_curl(lab, "app.harden.test", "--cacert", PEBBLE_ROOT).strip() for _ in range(count)}


def test_a_stopped_backend_leaves_rotation_and_comes_back(lab: LabConfig, edge_env: Environment) -> None:
    both = {f"http://{APP_ADDRESS}:8081": "1", f"http://{APP_ADDRESS}:8083": "1"}
    assert _server_up(lab) == both
    assert _bodies(lab) == {"backend 8081", "backend 8083"}
    lab_ssh(lab, APP, "systemctl stop edge-backend-8083")
    try:
        deadline = time.monotonic() + 20  # health checks every 2 s in the lab
        while _server_up(lab).get(f"http://{APP_ADDRESS}:8083") != "0":
            assert time.monotonic() < deadline, _server_up(lab)
            time.sleep(1)
        assert _bodies(lab) == {"backend 8081"}  # every request answered, by the one left
    finally:
        lab_ssh(lab, APP, BACKEND)
    deadline = time.monotonic() + 20
    while _server_up(lab) != both:
        assert time.monotonic() < deadline, _server_up(lab)
        time.sleep(1)
    assert _bodies(lab) == {"backend 8081", "backend 8083"}


def _wait_served(lab: LabConfig, unlike: dict[str, str] | None = None, timeout: float = 180) -> dict[str, str]:
    """The serials served for every route, once each name has one (and, with unlike, a new one)."""
    deadline = time.monotonic() + timeout
    while True:
        serials = served_serials(lab)
        fresh = all(s.startswith("serial=") and (unlike is None or s != unlike[n]) for n, s in serials.items())
        if fresh:
            return serials
        assert time.monotonic() < deadline, (serials, unlike)
        time.sleep(2)


def _restart_with_empty_store(lab: LabConfig, env: str | Path) -> None:
    """Pebble forgets its accounts when it restarts: the edge starts over with an empty acme.json."""
    lab_ssh(lab, EDGE, f"systemctl stop traefik && truncate -s 0 {ACME_STORE}")
    harden("apply", "--env", str(env), "--role", "edge", check=True)
    lab_ssh(lab, EDGE, "systemctl is-active --quiet traefik || systemctl start traefik")
    lab_ssh(lab, APP, f"curl -sSf --cacert /etc/pebble/tls/ca.crt https://127.0.0.1:15000/roots/0 -o {PEBBLE_ROOT}")


# Runs last: it restarts Pebble (a new root and no accounts) and puts the lab back as it found it.
def test_a_certificate_near_its_end_is_renewed_by_itself(lab: LabConfig, edge_env: Environment, tmp_path: Path) -> None:
    # Pebble issues certificates for 20.5 minutes; Traefik, told they last an hour, renews in the
    # last 20 minutes and checks every minute: each certificate is due 30 s after its issue, and
    # renewed at Traefik's first check
    short = copy_lab_with(tmp_path, "acme_ca", "lab_acme_cert_validity_s: 1230")
    (short / "group_vars" / "edge.yml").write_text(
        (short / "group_vars" / "edge.yml").read_text() + "edge_acme_certificates_duration_h: 1\n"
    )
    try:
        harden("apply", "--env", str(short), "--role", "lab_acme", check=True)
        _restart_with_empty_store(lab, short)
        issued = _wait_served(lab)
        orders = _orders(lab)
        started = time.monotonic()
        renewed = _wait_served(lab, unlike=issued, timeout=300)
        print(f"renewed all {len(renewed)} certificates {time.monotonic() - started:.0f} s after the first issue")
        assert _orders(lab) >= orders + len(ROUTES)
        # no restart: Traefik renewed by itself and serves the new chain, which Pebble's root verifies
        assert lab_ssh(lab, EDGE, "systemctl show -p NRestarts --value traefik").strip() == "0"
        for name in ROUTES:
            _curl(lab, name, "--cacert", PEBBLE_ROOT, "-o", "/dev/null")
        acme = json.loads(lab_ssh(lab, EDGE, f"cat {ACME_STORE}"))
        assert sum(len(v.get("Certificates") or []) for v in acme.values()) == len(ALL_ROUTES), acme
    finally:
        harden("apply", "--env", LAB, "--role", "lab_acme", check=True)
        _restart_with_empty_store(lab, LAB)
        _wait_served(lab)
    plan = harden("plan", "--env", LAB, "--role", "lab_acme", "--role", "edge", "--format", "json")
    assert plan.returncode == 0 and json.loads(plan.stdout)["changes"] == 0, plan.stdout
