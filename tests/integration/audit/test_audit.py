"""`harden audit` of the Redis and Vault roles, etcd's authentication and a certificate near its
end: a fault fails the check it should, with its cause, and the history keeps each audit. Runs in
the first shard, after the role modules (see tests/integration/conftest.py). Every check passing:
test_applied_roles.py, in both shards. The audit on never-configured hosts is in
tests/integration/roles/baseline/ (before any apply)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from bench.lab_env import LAB, LAB_NAME
from orchestrator.lab.config import LabConfig
from orchestrator.secrets.stored import read_stored_secret
from orchestrator.validation import Environment, validate_environment
from tests.faults import redis_faults as rf
from tests.faults import vault_faults as vf
from tests.faults.lab_ssh import ssh
from tests.integration.conftest import apply_roles, harden, lab_ssh

ROLES = ("baseline", "pki", "vault", "redis_sentinel")  # the audit's scope: Redis and what it requires


@pytest.fixture(scope="module")
def env(lab: LabConfig) -> Environment:
    applied = apply_roles(*ROLES, only_missing=True)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    return validate_environment(LAB)


def _audit(*args: str, roles: tuple[str, ...] = ROLES) -> tuple[int, dict[str, Any]]:
    scope = [a for r in roles for a in ("--role", r)]
    done = harden("audit", "--env", LAB, *scope, "--format", "json", *args)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    return done.returncode, json.loads(done.stdout)


def _failed(report: dict[str, Any]) -> dict[str, Any]:
    return {c["id"]: c for c in report["checks"] if not c["passed"]}


def test_a_stopped_redis_replica_fails_the_redis_check_with_its_cause(env: Environment, lab: LabConfig) -> None:
    ra = rf.access(env)
    master = rf.master_host(lab, ra)
    replica = next(h for h in ("data-1", "data-2", "data-3") if h != master)
    lab_ssh(lab, replica, "systemctl stop redis-server")
    try:
        code, report = _audit_until_failed("HR-REDIS-01")
    finally:
        lab_ssh(lab, replica, "systemctl start redis-server")
        rf.wait_replicas(lab, ra, master, 2)
    failed = _failed(report)
    # only the cause: the replica is down, and its TLS port answers no handshake
    assert set(failed) == {"HR-REDIS-01", "HR-REDIS-03"}, failed
    assert code == 1 and report["score"] < 100
    assert "1 of 2 replicas online" in failed["HR-REDIS-01"]["evidence"][0]["value"]
    assert f"harden apply --env {LAB_NAME} --role redis_sentinel" in failed["HR-REDIS-01"]["fix"]
    refused = [e for e in failed["HR-REDIS-03"]["evidence"] if "no handshake" in e["value"]]
    assert refused and all(e["source"].startswith(f"{replica} ") for e in refused), failed["HR-REDIS-03"]


def _audit_until_failed(check: str, timeout: float = 30, roles: tuple[str, ...] = ROLES) -> tuple[int, dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        code, report = _audit("--min-score", "100", roles=roles)
        if check in _failed(report) or time.monotonic() > deadline:
            return code, report
        time.sleep(1)


def test_a_sealed_vault_node_fails_the_vault_check_naming_it(env: Environment, lab: LabConfig) -> None:
    """A standby restarted comes back sealed (no auto-unseal): HR-VAULT-01 names it. A sealed node
    still serves TLS, and still refuses anonymous requests (503), so no other check fails."""
    sealed = next(h for h in ("data-1", "data-2", "data-3") if h != vf.active_node(env))
    vf.ssh(env, sealed, "systemctl restart openbao")
    try:
        code, report = _audit_until_failed("HR-VAULT-01")
    finally:
        vf.recover(env, sealed)  # harden vault unseal
    failed = _failed(report)
    assert set(failed) == {"HR-VAULT-01"}, failed
    assert code == 1 and report["score"] < 100
    assert f"{sealed}: sealed" in failed["HR-VAULT-01"]["evidence"][0]["value"], failed["HR-VAULT-01"]


ETCD = "ETCDCTL_API=3 ETCDCTL_ENDPOINTS=https://127.0.0.1:2379 ETCDCTL_CACERT=/etc/etcd/tls/ca.crt etcdctl"


def test_etcd_with_its_authentication_off_fails_the_anonymous_access_check(env: Environment, lab: LabConfig) -> None:
    """etcd's authentication switched off by hand (the cluster keeps running): HR-PG-05 names each
    member's client port that now answers a read without credentials; switched on again, it passes."""
    applied = apply_roles("postgres_ha", only_missing=True)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    pg = validate_environment(LAB)
    model = pg.role_vars["postgres_ha"]["data-1"]
    root = read_stored_secret(pg, "postgres_ha", model, "postgres_ha_etcd_root_password")
    assert root
    ssh(lab, "data-1", f"read -r P; ETCDCTL_USER=root ETCDCTL_PASSWORD=$P {ETCD} auth disable", stdin=root)
    try:
        code, report = _audit_until_failed("HR-PG-05", roles=("postgres_ha",))
    finally:
        ssh(lab, "data-1", f"{ETCD} auth enable")
    failed = _failed(report)
    assert code == 1 and "HR-PG-05" in failed, failed
    answered = [e["source"] for e in failed["HR-PG-05"]["evidence"] if e["value"].startswith("NOT refused")]
    assert answered and all("etcd_client" in source for source in answered), failed["HR-PG-05"]
    code, report = _audit(roles=("postgres_ha",))
    assert "HR-PG-05" not in _failed(report), _failed(report)


def test_a_certificate_near_its_end_fails_the_tls_check_naming_the_endpoint(env: Environment, lab: LabConfig) -> None:
    """The lab's webhook recorder (role lab_acme, ops-1) serves a certificate of the internal CA
    that ends in 2 days: HR-ACME-03 fails with that endpoint and its days left; with the role's own
    certificate back, it passes."""
    applied = apply_roles("lab_acme", only_missing=True)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    tls = "/etc/harden-webhook/tls"
    short = (
        f"set -e; cd {tls}; cp -p webhook.crt /root/webhook.crt.orig; "
        "san=$(openssl x509 -in webhook.crt -noout -ext subjectAltName | tail -n 1 "
        "| sed 's/IP Address:/IP:/g; s/ //g'); "
        "openssl req -new -key webhook.key -subj /CN=ops-1 -out /tmp/short.csr; "
        'printf "subjectAltName=%s\n" "$san" > /tmp/short.ext; '
        "openssl x509 -req -in /tmp/short.csr -CA /etc/harden-ca/ca.crt -CAkey /etc/harden-ca/ca.key "
        "-set_serial 0x$(openssl rand -hex 8) -days 2 -extfile /tmp/short.ext -out webhook.crt; "
        "systemctl restart harden-webhook-recorder"
    )
    lab_ssh(lab, "ops-1", short)
    try:
        code, report = _audit_until_failed("HR-ACME-03", roles=("lab_acme",))
    finally:
        restore = f"cp -p /root/webhook.crt.orig {tls}/webhook.crt && systemctl restart harden-webhook-recorder"
        lab_ssh(lab, "ops-1", restore)
    failed = _failed(report)
    assert code == 1 and "HR-ACME-03" in failed, failed
    near = [e for e in failed["HR-ACME-03"]["evidence"] if "days left (want 14)" in e["value"]]
    assert near and all(e["source"].startswith("ops-1 ") for e in near), failed["HR-ACME-03"]
    assert "1 days left" in near[0]["value"] or "0 days left" in near[0]["value"], near
    code, report = _audit(roles=("lab_acme",))
    assert "HR-ACME-03" not in _failed(report), _failed(report)


def test_history_shows_each_audit_with_its_score(env: Environment) -> None:
    code, report = _audit()  # the replica is back
    assert code == 0 and report["score"] == 100.0, _failed(report)
    shown = harden("audit", "--env", LAB, "--history", "--format", "json", check=True)
    records = [r for r in json.loads(shown.stdout) if r["roles"] == list(ROLES)]
    assert any(r["failed"] == ["HR-REDIS-01", "HR-REDIS-03"] and r["score"] < 100 for r in records), records
    assert records[-1]["score"] == 100.0 and records[-1]["failed"] == [], records
