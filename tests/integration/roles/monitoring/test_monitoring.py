"""Role monitoring in the lab: Prometheus on ops-1 scrapes node_exporter on every host over mutual
TLS, Patroni's metrics, and the blackbox's probes of OpenBao and every TLS port; its alerts reach
the lab's webhook recorder (role lab_acme), and three faults raise theirs and resolve."""

from __future__ import annotations

import json
import shlex
import time
from pathlib import Path

import pytest

from bench.lab_env import LAB, copy_lab_with
from orchestrator.lab.config import LabConfig
from orchestrator.validation import Environment, validate_environment
from tests.faults import monitoring_faults as mf
from tests.faults import redis_faults as rf
from tests.integration.conftest import apply_roles, assert_units_have_limits, harden, lab_ssh

FIRE_BOUND = mf.FIRE_BOUND


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
    assert {("redis", h) for h in ("data-1", "data-2", "data-3")} <= scraped, scraped
    # the Redis exporter logs in as the ACL user monitoring: one master, two replicas connected
    query = 'redis_connected_slaves and on(instance) redis_instance_info{role="master"}'
    found = lab_ssh(
        lab, "ops-1", f"curl -s -G http://127.0.0.1:9090/api/v1/query --data-urlencode {shlex.quote('query=' + query)}"
    )
    masters = json.loads(found)["data"]["result"]
    assert [r["value"][1] for r in masters] == ["2"], masters
    # and it asks nothing the user may not run: Redis' ACL log, where intruders show, stays empty
    ra = rf.access(mon_env)
    master = masters[0]["metric"]["instance"]
    assert rf.redis_cli(lab, master, ra.admin_password, "ACL LOG").strip() == "", master
    # every host reports its limited units' memory against their MemoryMax (harden-unit-metrics)
    query = "curl -s 'http://127.0.0.1:9090/api/v1/query?query=harden_unit_memory_max_bytes'"
    limited = json.loads(lab_ssh(lab, "ops-1", query))["data"]["result"]
    units = {(r["metric"]["instance"], r["metric"]["unit"]) for r in limited}
    assert {(h, "prometheus-node-exporter.service") for h in hosts} <= units, units
    assert ("data-1", "etcd.service") in units, units


def test_node_exporter_serves_only_a_client_certificate_from_a_monitoring_host(lab: LabConfig) -> None:
    target = f"https://{lab.host('data-1').address}:9100/metrics"
    # from the monitoring host, without a client certificate: the handshake fails
    bare = lab_ssh(
        lab, "ops-1", f"curl -s -o /dev/null --cacert /etc/prometheus/tls/ca.crt {target}; echo $?", check=False
    )
    assert bare.strip() in {"35", "55", "56"}, bare  # the server ends the TLS session: no certificate
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


def _alertmanager_config(lab: LabConfig) -> str:
    status = json.loads(lab_ssh(lab, "ops-1", "curl -s http://127.0.0.1:9093/api/v2/status"))
    return str(status["config"]["original"])


def test_a_changed_setting_applies_live_and_rolls_back(lab: LabConfig, mon_env: Environment, tmp_path: Path) -> None:
    """A reload, not a restart: Alertmanager keeps its notification state either way."""
    started = lab_ssh(lab, "ops-1", "systemctl show -p MainPID --value prometheus-alertmanager").strip()
    assert "repeat_interval: 4h" in _alertmanager_config(lab)
    changed = copy_lab_with(tmp_path, "monitoring", "monitoring_repeat_interval_h: 2")
    harden("apply", "--env", str(changed), "--role", "monitoring", check=True)
    assert "repeat_interval: 2h" in _alertmanager_config(lab)
    harden("rollback", "--env", str(changed), "--role", "monitoring", "--yes", check=True)
    assert "repeat_interval: 4h" in _alertmanager_config(lab)
    assert lab_ssh(lab, "ops-1", "systemctl show -p MainPID --value prometheus-alertmanager").strip() == started
    plan = harden("plan", "--env", LAB, "--role", "monitoring", "--format", "json")
    assert plan.returncode == 0 and json.loads(plan.stdout)["changes"] == 0, plan.stdout


@pytest.mark.fault
def test_three_faults_each_reach_the_receiver_and_resolve(lab: LabConfig, mon_env: Environment) -> None:
    """A stopped PostgreSQL replica, a sealed OpenBao node and a stopped Redis replica, at once
    (tests/faults/monitoring_faults.py; bench/monitoring.py repeats it): each raises its alert at
    the webhook recorder, and a resolved notification follows recovery."""
    assert _status()["verdict"] == "healthy"
    delays = mf.three_faults(lab, mon_env)
    print(f"fault to notification (s): {delays.fired}; recovery to resolved (s): {delays.resolved}")
    assert (
        set(delays.fired)
        == set(delays.resolved)
        == {"PostgresReplicaNotStreaming", "VaultSealed", "RedisServerMissing"}
    )
    assert _status()["verdict"] == "healthy"
