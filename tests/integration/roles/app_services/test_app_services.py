"""Role app_services in the lab: the stand-in project (inventories/lab/compose/platform.yml) under
Podman on ops-1. Converge, a zero-change re-run, the policy's limits in each container's live
cgroup, a service over its memory killed and restarted alone, a secret from Vault in the service
(encrypted on the host, changed in Vault and rolled out to that service alone, in no log), and a
limit's rollout and rollback. (Check mode on fresh hosts: tests/integration/lab/test_fresh_plan.py.)"""

from __future__ import annotations

import json
import secrets
import shutil
import time
from pathlib import Path

import pytest

from bench.lab_env import LAB, LAB_DIR, LAB_NAME
from orchestrator.lab.config import LabConfig
from orchestrator.paths import REPO_STATE_DIR
from orchestrator.secrets.kv import KvRef, KvStore
from orchestrator.secrets.vault_session import admin_client
from orchestrator.validation import validate_environment
from tests.faults.edge_faults import APP_ROUTES, EDGE_ADDRESS
from tests.integration.conftest import apply_roles, harden, lab_ssh

HOST = "ops-1"
MIB = 1024 * 1024
# inventories/lab/compose-policy.yml: the defaults, and billing's own limits
LIMITS = {"gateway": (32 * MIB, 64), "orders": (32 * MIB, 64), "billing": (48 * MIB, 64)}
WAIT = "/usr/local/sbin/harden-app-wait-healthy"


@pytest.fixture(scope="module")
def applied(lab: LabConfig) -> LabConfig:
    done = apply_roles("app_services")
    assert done.returncode == 0, done.stdout + done.stderr
    return lab


def _started(lab: LabConfig, service: str) -> str:
    return lab_ssh(lab, HOST, f"podman container inspect -f '{{{{.State.StartedAt}}}}' platform-{service}").strip()


def _restarts(lab: LabConfig, service: str) -> int:
    return int(lab_ssh(lab, HOST, f"systemctl show -p NRestarts --value harden-app-platform-{service}").strip())


def test_second_apply_changes_nothing(applied: LabConfig) -> None:
    again = harden("plan", "--env", LAB, "--role", "app_services", "--format", "json")
    assert again.returncode == 0, again.stdout + again.stderr
    assert json.loads(again.stdout)["changes"] == 0


def test_each_service_is_healthy_with_the_policy_limits_in_its_cgroup(applied: LabConfig) -> None:
    lab = applied
    for service, (memory, pids) in LIMITS.items():
        container = f"platform-{service}"
        assert lab_ssh(lab, HOST, f"systemctl is-active harden-app-{container}").strip() == "active"
        lab_ssh(lab, HOST, f"podman healthcheck run {container}")
        live = lab_ssh(
            lab,
            HOST,
            f"podman exec {container} cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max",
        ).split()
        assert live == [str(memory), str(pids)], (service, live)
        assert lab_ssh(lab, HOST, f"podman exec {container} id -u").strip() == "10001"
        # read-only root, no capabilities
        assert "Read-only" in lab_ssh(lab, HOST, f"podman exec {container} touch /x 2>&1 || true")
        assert lab_ssh(lab, HOST, f"podman exec {container} cat /proc/1/status | grep CapEff").split()[-1] == (
            "0000000000000000"
        )
    # `harden apps status` reads the same from the live host (the audit's HR-APPS-01)
    status = json.loads(harden("apps", "status", "--env", LAB, "--format", "json", check=True).stdout)
    assert status["verdict"] == "healthy", status["reasons"]
    assert {r["service"]: r["memory (live / file)"] for r in status["rows"]} == {
        s: f"{memory // MIB}M / {memory // MIB}M" for s, (memory, _) in LIMITS.items()
    }
    # only the routed gateway publishes, on the host's address: the edge host reaches it
    address = lab.host(HOST).address
    assert lab_ssh(lab, "edge-1", f"curl -fsS -m 5 http://{address}:8080/health/live").strip() == "ok"
    # and to nobody else: a published port is DNAT'd past the input chain, and baseline's firewall
    # filters it in its forward chain by the same sources (data-1 reached it before that)
    assert lab_ssh(lab, "data-1", f"curl -sS -m 3 http://{address}:8080/health/live 2>&1 || true").startswith("curl:")
    published = lab_ssh(lab, HOST, "podman ps --format '{{.Names}} {{.Ports}}'")
    assert [line.split()[0] for line in published.splitlines() if "->" in line] == ["platform-gateway"], published
    # the services find each other by name: aardvark-dns on their bridge, through baseline's firewall
    # (asked directly: BusyBox's nslookup also asks the fallback resolvers Podman lists, unreachable)
    network = json.loads(lab_ssh(lab, HOST, "podman network inspect harden-platform"))[0]
    server = network["subnets"][0]["gateway"]
    container = json.loads(lab_ssh(lab, HOST, "podman container inspect platform-gateway"))[0]
    expected = container["NetworkSettings"]["Networks"]["harden-platform"]["IPAddress"]
    ask = f"for i in 1 2 3; do podman exec platform-orders nslookup gateway {server} 2>&1 && break; sleep 2; done"
    answer = lab_ssh(lab, HOST, f"{ask} || true")  # aardvark-dns reloads as containers (re)start
    assert "Name:" in answer and answer.rsplit("Address:", 1)[-1].split()[0] == expected, answer


def test_the_edge_routes_the_gateway_over_tls(applied: LabConfig) -> None:
    """The lab's edge route `platform` (inventories/lab/group_vars/edge.yml) reaches the one
    service that publishes (the others publish nothing: the test above)."""
    lab = applied
    assert apply_roles("lab_acme", "edge", only_missing=True).returncode == 0
    ((name, (_, port)),) = APP_ROUTES.items()
    root = "/run/app-test-pebble-root.pem"  # Pebble makes a new root at each start
    lab_ssh(lab, HOST, f"curl -sSf --cacert /etc/pebble/tls/ca.crt https://127.0.0.1:15000/roots/0 -o {root}")
    ask = f"curl -sS -m 5 --cacert {root} --resolve {name}:443:{EDGE_ADDRESS} https://{name}/health/ready"
    deadline = time.monotonic() + 90  # the certificate is ordered when the route first appears
    while (answer := lab_ssh(lab, HOST, f"{ask} 2>&1 || true").strip()) != "ok":
        assert time.monotonic() < deadline, answer
        time.sleep(2)
    address = lab.host(HOST).address
    assert port == 8080 and f"http://{address}:{port}" in _edge_backends(lab)


def _edge_backends(lab: LabConfig) -> str:
    return lab_ssh(lab, "edge-1", "cat /etc/traefik/dynamic/*.yml")


def test_a_service_over_its_memory_is_killed_and_restarted_alone(applied: LabConfig) -> None:
    lab = applied
    others = {s: _started(lab, s) for s in ("gateway", "billing")}
    before = _restarts(lab, "orders")
    cursor = lab_ssh(lab, HOST, "journalctl -n 0 --show-cursor -q | tail -1").strip().removeprefix("-- cursor: ")
    lab_ssh(lab, HOST, "podman exec platform-orders touch /tmp/hog")  # the stand-in allocates until stopped
    deadline = time.monotonic() + 60
    while _restarts(lab, "orders") == before:
        assert time.monotonic() < deadline, "orders was not restarted within 60 s"
        time.sleep(1)
    lab_ssh(lab, HOST, f"{WAIT} platform-orders 60")
    died = lab_ssh(lab, HOST, f"journalctl --after-cursor='{cursor}' -u harden-app-platform-orders --no-pager")
    assert "status=137" in died, died  # SIGKILL: the kernel's OOM killer, at the cgroup's limit
    assert {s: _started(lab, s) for s in others} == others  # the others kept running


# inventories/lab/compose/platform.yml.vault.json: billing's one secret, generated on the first apply
TOKEN_REF = KvRef.parse("vault:secret/data/billing#api_token")
CREDENTIAL = "/var/lib/harden-apps/credentials/platform/billing.env.cred"


def _vault_token(value: str | None = None) -> str:
    """billing's token as Vault holds it (after writing ``value`` there)."""
    with admin_client(validate_environment(LAB)) as admin:
        assert admin is not None
        store = KvStore(admin)
        if value is not None:
            store.put(TOKEN_REF, value)
        found = store.read(TOKEN_REF)
    assert found
    return found


def _leaks(lab: LabConfig, secret: str, outputs: list[str]) -> list[str]:
    """Where ``secret`` shows in plaintext: harden's output and run artifacts (job_events
    included), and on the host its configuration, harden's state, its journal and /var/log."""
    found = [f"output {i}" for i, text in enumerate(outputs) if secret in text]
    scanned = [p for p in REPO_STATE_DIR.rglob("*") if p.is_file() and p.stat().st_size < 50_000_000]
    assert len(scanned) > 10
    found += [str(p) for p in scanned if secret.encode() in p.read_bytes()]
    grep = f"grep -rlF -- '{secret}' /etc /var/lib/harden-apps /var/log /root 2>/dev/null || true"
    found += lab_ssh(lab, HOST, grep).split()
    if secret in lab_ssh(lab, HOST, "journalctl --no-pager -o cat"):
        found.append("journal")
    return found


def test_a_service_reads_its_secret_from_vault_kept_encrypted_and_a_change_rolls_out_to_it_alone(
    applied: LabConfig,
) -> None:
    lab = applied
    token = _vault_token()
    assert len(token) == 32
    printenv = "podman exec platform-{} sh -c 'echo $BILLING_API_TOKEN'"
    assert lab_ssh(lab, HOST, printenv.format("billing")).strip() == token
    assert lab_ssh(lab, HOST, printenv.format("orders")).strip() == ""  # only the service that reads it
    # on disk only encrypted, root's alone; decrypted only into the unit's own ramfs while it starts
    assert lab_ssh(lab, HOST, f"stat -c '%a %U' {CREDENTIAL} $(dirname {CREDENTIAL})").split() == [
        "600", "root", "700", "root"
    ]  # fmt: skip
    unit = lab_ssh(lab, HOST, "systemctl cat harden-app-platform-billing")
    assert f"LoadCredentialEncrypted=billing.env:{CREDENTIAL}" in unit and "--env-file %d/billing.env" in unit
    assert _leaks(lab, token, []) == []

    others = {s: _started(lab, s) for s in ("gateway", "orders")}
    rotated = _vault_token(secrets.token_hex(16))
    assert rotated != token
    plan = harden("plan", "--env", LAB, "--role", "app_services", "--format", "json")
    assert plan.returncode == 2 and json.loads(plan.stdout)["changes"] >= 1, plan.stdout + plan.stderr
    applied_again = harden("apply", "--env", LAB, "--role", "app_services", check=True)
    assert lab_ssh(lab, HOST, printenv.format("billing")).strip() == rotated
    assert {s: _started(lab, s) for s in others} == others  # only billing restarted
    again = harden("plan", "--env", LAB, "--role", "app_services", "--format", "json")
    assert json.loads(again.stdout)["changes"] == 0, again.stdout
    outputs = [plan.stdout, plan.stderr, applied_again.stdout, applied_again.stderr, again.stdout]
    assert _leaks(lab, rotated, outputs) == []


def _changed_copy(tmp_path: Path) -> Path:
    env_dir = tmp_path / LAB_NAME
    shutil.copytree(LAB_DIR, env_dir)
    compose = env_dir / "compose" / "platform.yml"
    text = compose.read_text()
    billing = text.index("  billing:")
    assert "memory: 48m" in text[billing:]
    compose.write_text(text[:billing] + text[billing:].replace("memory: 48m", "memory: 64m", 1))
    return env_dir


def test_a_limit_change_shows_in_the_plan_rolls_out_alone_and_rolls_back(applied: LabConfig, tmp_path: Path) -> None:
    lab = applied
    changed = _changed_copy(tmp_path)
    plan = harden("plan", "--env", str(changed), "--role", "app_services", "--format", "json")
    assert plan.returncode == 2, plan.stdout + plan.stderr
    diffs = json.dumps(json.loads(plan.stdout))
    assert "memory: 64m" in diffs and "--memory 64m" in diffs  # the compose file's diff, and the unit's
    others = {s: _started(lab, s) for s in ("gateway", "orders")}
    harden("apply", "--env", str(changed), "--role", "app_services", check=True)
    limit = "podman exec platform-billing cat /sys/fs/cgroup/memory/memory.limit_in_bytes"
    assert lab_ssh(lab, HOST, limit).strip() == str(64 * MIB)
    assert {s: _started(lab, s) for s in others} == others  # only billing restarted

    harden("rollback", "--env", str(changed), "--role", "app_services", "--yes", check=True)
    assert lab_ssh(lab, HOST, limit).strip() == str(48 * MIB)
    again = harden("plan", "--env", LAB, "--role", "app_services", "--format", "json")
    assert again.returncode == 0 and json.loads(again.stdout)["changes"] == 0, again.stdout
