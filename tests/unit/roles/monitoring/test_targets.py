"""What Prometheus scrapes, the rules it loads and the ports it needs opened, derived from the
bundled lab's environment (orchestrator/roles/monitoring/targets.py)."""

from __future__ import annotations

import base64

import pytest

from orchestrator.roles.baseline.firewall import firewall_rules
from orchestrator.roles.monitoring.targets import SETTING, monitoring_host_vars, openings, rules_path, scrape_jobs
from orchestrator.secrets.resolver import default_ref
from orchestrator.validation import Environment, validate_environment

OPS = "10.77.0.21"
DATA = ("data-1", "data-2", "data-3")


@pytest.fixture(scope="module")
def env() -> Environment:
    return validate_environment("lab")


def _jobs(env: Environment) -> dict[str, list[dict]]:
    return {job["job"]: job["targets"] for job in scrape_jobs(env)}


def test_node_exporter_is_scraped_on_every_host_over_mutual_tls(env: Environment) -> None:
    jobs = {job["job"]: job for job in scrape_jobs(env)}
    assert jobs["node"]["kind"] == "mtls"
    assert {t["labels"]["instance"] for t in jobs["node"]["targets"]} == set(env.inventory.hosts)
    assert "10.77.0.11:9100" in {t["address"] for t in jobs["node"]["targets"]}


def test_patroni_and_openbao_are_scraped_on_each_member(env: Environment) -> None:
    jobs = _jobs(env)
    assert {t["address"] for t in jobs["patroni"]} == {f"10.77.0.1{i}:8008" for i in (1, 2, 3)}
    health = {t["labels"]["instance"]: t["address"] for t in jobs["vault"]}
    assert set(health) == set(DATA)
    assert health["data-1"].startswith("https://10.77.0.11:8200/v1/sys/health?"), health
    assert {t["labels"]["instance"] for t in jobs["vault_leader"]} == set(DATA)


def test_each_redis_server_is_read_by_the_exporter_with_the_roles_monitoring_password(env: Environment) -> None:
    jobs = {job["job"]: job for job in scrape_jobs(env)}
    assert jobs["redis"]["kind"] == "redis"
    servers = {t["labels"]["instance"]: t["address"] for t in jobs["redis"]["targets"]}
    assert servers == {h: f"rediss://10.77.0.1{i}:6379" for i, h in enumerate(DATA, 1)}
    assert ("data-1", 6379) in {(o.host, o.port) for o in openings(env)}
    # the monitoring role reads the very key role redis_sentinel gives its ACL user 'monitoring'
    mine = env.role_vars["monitoring"]["ops-1"].monitoring_redis_password.vault  # type: ignore[attr-defined]
    assert mine == str(default_ref("redis_sentinel", "redis_sentinel_monitoring_password"))


def test_every_tls_port_of_every_role_is_probed_but_loopback_and_monitorings_own(env: Environment) -> None:
    probed = {(t["labels"]["role"], t["labels"]["port"], t["labels"]["instance"]) for t in _jobs(env)["tls"]}
    assert ("redis_sentinel", "redis_sentinel", "data-2") in probed
    assert ("redis_sentinel", "sentinel", "ops-1") in probed
    assert ("kafka", "controller", "data-3") in probed
    assert ("lab_acme", "webhook", "ops-1") in probed
    assert not any(role == "monitoring" for role, _, _ in probed)
    # PostgreSQL's STARTTLS port is Patroni's to report, not a TLS probe's
    assert not any(port == "postgres_ha" for _, port, _ in probed), probed


def test_only_the_monitoring_hosts_are_let_in(env: Environment) -> None:
    opened = openings(env)
    assert opened and all(o.sources == (OPS,) for o in opened)
    assert ("data-1", 8008) in {(o.host, o.port) for o in opened}
    rules = firewall_rules(env)["data-1"]
    node = next(r for r in rules if r["role"] == "monitoring" and r["port"] == 9100)
    assert node["v4"] == [OPS] and not node["any"], node
    patroni = [r for r in rules if r["name"] == "monitoring-patroni"]
    assert patroni and patroni[0]["v4"] == [OPS], patroni


def test_the_monitoring_host_gets_every_enabled_roles_rules(env: Environment) -> None:
    given = monitoring_host_vars(env)
    assert set(given) == {"ops-1"}
    rules = given["ops-1"]["_monitoring_rule_files"]
    assert {"monitoring", "postgres_ha", "redis_sentinel", "vault"} <= set(rules), sorted(rules)
    for role, encoded in rules.items():
        text = rules_path(role).read_text()
        assert SETTING.search(text) or base64.b64decode(encoded) == text.encode(), role
    # a threshold from the inventory: the lab's min-replicas-to-write
    redis = base64.b64decode(rules["redis_sentinel"]).decode()
    wanted = env.role_vars["redis_sentinel"]["data-1"].redis_sentinel_min_replicas_to_write  # type: ignore[attr-defined]
    assert f"< {wanted}\n" in redis and not SETTING.search(redis), redis
