"""Role monitoring in the lab: Prometheus on ops-1 scrapes node_exporter on every host over mutual
TLS, Patroni's metrics, and the blackbox's probes of OpenBao and every TLS port; its alerts reach
the lab's webhook recorder (role lab_acme), and three faults raise theirs and resolve."""

from __future__ import annotations

import json
import time

import pytest

from bench.lab_env import LAB
from orchestrator.lab.config import LabConfig
from orchestrator.validation import Environment, validate_environment
from tests.faults import monitoring_faults as mf
from tests.faults import vault_faults as vf
from tests.faults.pg_faults import current_leader, settle
from tests.faults.redis_faults import access, master_host, wait_replicas
from tests.integration.conftest import apply_roles, assert_units_have_limits, harden, lab_ssh

# the alert rules' `for` (30 s) + the lab's scrape and evaluation intervals (5 s) + group_wait (5 s),
# with room for a busy machine
FIRE_BOUND = 120.0


@pytest.fixture(scope="module")
def mon_env(lab: LabConfig) -> Environment:
    applied = apply_roles("lab_acme", only_missing=True)  # the webhook recorder
    assert applied.returncode == 0, applied.stdout + applied.stderr
    applied = apply_roles("monitoring")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    return validate_environment(LAB)


def _status(timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        shown = harden("monitoring", "status", "--env", LAB, "--format", "json")
        report = json.loads(shown.stdout)
        if shown.returncode == 0 or time.monotonic() > deadline:
            return report
        time.sleep(3)


def test_second_apply_changes_nothing(mon_env: Environment) -> None:
    plan = harden("plan", "--env", LAB, "--role", "monitoring", "--format", "json")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert json.loads(plan.stdout)["changes"] == 0


def test_every_unit_has_its_resource_limits(lab: LabConfig, mon_env: Environment) -> None:
    assert_units_have_limits(lab, mon_env, "monitoring")


def test_every_target_is_up_and_the_watchdog_reaches_the_receiver(lab: LabConfig, mon_env: Environment) -> None:
    report = _status()
    assert report["verdict"] == "healthy", report
    watchdog = mf.wait_for(lab, 0, "firing", "Watchdog", FIRE_BOUND)
    assert watchdog.labels["severity"] == "none", watchdog
    # every host's node_exporter, each Patroni member, each OpenBao node
    jobs = json.loads(lab_ssh(lab, "ops-1", "curl -s http://127.0.0.1:9090/api/v1/targets"))["data"]["activeTargets"]
    scraped = {(t["labels"]["job"], t["labels"]["instance"]) for t in jobs if t["health"] == "up"}
    hosts = {h.name for h in lab.hosts}
    assert {("node", h) for h in hosts} <= scraped, scraped
    assert {("patroni", h) for h in ("data-1", "data-2", "data-3")} <= scraped, scraped
    assert {("vault", h) for h in ("data-1", "data-2", "data-3")} <= scraped, scraped


def test_node_exporter_serves_only_a_client_certificate_from_a_monitoring_host(lab: LabConfig) -> None:
    target = f"https://{lab.host('data-1').address}:9100/metrics"
    # from the monitoring host, without a client certificate: the handshake fails
    bare = lab_ssh(
        lab, "ops-1", f"curl -s -o /dev/null --cacert /etc/prometheus/tls/ca.crt {target}; echo $?", check=False
    )
    assert bare.strip() in {"35", "56"}, bare  # SSL connect error, or the peer closed the connection
    # with Prometheus' certificate: served
    tls = "/etc/prometheus/tls"
    ok = lab_ssh(
        lab,
        "ops-1",
        f"curl -s -o /dev/null -w '%{{http_code}}' --cacert {tls}/ca.crt --cert {tls}/prometheus.crt "
        f"--key {tls}/prometheus.key {target}",
    )
    assert ok == "200", ok
    # from a host outside group monitoring, even with a certificate of the CA: the firewall drops it
    edge = lab_ssh(lab, "edge-1", f"curl -s -o /dev/null --max-time 3 -k {target}; echo $?", check=False)
    assert edge.strip() == "28", edge  # timed out: dropped


@pytest.mark.fault
def test_three_faults_each_reach_the_receiver_and_resolve(lab: LabConfig, mon_env: Environment) -> None:
    """A stopped PostgreSQL replica, a sealed OpenBao node and a stopped Redis replica, at once: each
    raises its alert at the webhook recorder, and a resolved notification follows recovery."""
    assert _status()["verdict"] == "healthy"
    env = mon_env
    pg_replica = next(h for h in ("data-1", "data-2", "data-3") if h != current_leader(env))
    sealed = next(h for h in ("data-1", "data-2", "data-3") if h != vf.active_node(env))
    ra = access(env)
    master = master_host(lab, ra)
    redis_replica = next(h for h in ("data-1", "data-2", "data-3") if h != master)
    expected = {
        "PostgresReplicaNotStreaming": {},
        "VaultSealed": {"instance": sealed},
        "RedisServerMissing": {},
    }
    t0 = time.time()
    lab_ssh(lab, pg_replica, "systemctl stop patroni")
    vf.ssh(env, sealed, "systemctl restart openbao")  # comes back sealed
    lab_ssh(lab, redis_replica, "systemctl stop redis-server")
    try:
        fired = {name: mf.wait_for(lab, t0, "firing", name, FIRE_BOUND, **labels) for name, labels in expected.items()}
    finally:
        t1 = time.time()
        lab_ssh(lab, pg_replica, "systemctl start patroni")
        vf.recover(env, sealed)
        lab_ssh(lab, redis_replica, "systemctl start redis-server")
    resolved = {name: mf.wait_for(lab, t1, "resolved", name, FIRE_BOUND, **labels) for name, labels in expected.items()}
    delays = {name: round(note.received - t0, 1) for name, note in fired.items()}
    print(f"fault to notification (s): {delays}")
    print(f"recovery to resolved (s): { {n: round(r.received - t1, 1) for n, r in resolved.items()} }")
    assert all(d < FIRE_BOUND for d in delays.values()), delays
    settle(env)
    wait_replicas(lab, ra, master, 2)
