"""The host firewall's rules, derived from the role specs and the environment (no hand-kept list)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from bench.lab_env import copy_lab_with
from orchestrator.models.base import Port as PortType
from orchestrator.roles import ROLES
from orchestrator.roles.baseline.firewall import RULES_VAR, firewall_host_vars, firewall_rules
from orchestrator.validation import validate_environment


def _rules(rules: dict[str, list[dict[str, Any]]], host: str, role: str, name: str) -> list[dict[str, Any]]:
    return [r for r in rules[host] if r["role"] == role and r["name"] == name]


@pytest.fixture(scope="module")
def lab_rules() -> dict[str, list[dict[str, Any]]]:
    return firewall_rules(validate_environment("lab"))


def test_a_cluster_port_is_open_to_its_peers_and_the_clients_only(lab_rules: dict[str, list[dict[str, Any]]]) -> None:
    (pg,) = _rules(lab_rules, "data-1", "postgres_ha", "postgres_ha")
    assert pg["port"] == 5432 and pg["v4"] == ["10.77.0.12", "10.77.0.13", "10.77.0.21"] and not pg["any"]
    (raft,) = _rules(lab_rules, "data-1", "vault", "cluster")
    assert raft["v4"] == ["10.77.0.12", "10.77.0.13"]  # peers only: ops-1 is a client, not a raft member
    (ssh,) = _rules(lab_rules, "data-2", "baseline", "ssh")
    assert ssh["v4"] == ["10.77.0.21"]  # the ops hosts


def test_each_port_opens_only_where_its_group_listens(lab_rules: dict[str, list[dict[str, Any]]]) -> None:
    assert _rules(lab_rules, "ops-1", "redis_sentinel", "sentinel") and not _rules(
        lab_rules, "ops-1", "redis_sentinel", "redis_sentinel"
    )
    assert not _rules(lab_rules, "data-3", "redis_sentinel", "sentinel")  # data-3 runs no Sentinel
    assert [r["port"] for r in lab_rules["edge-1"] if r["any"]] == [80, 443]  # the only public ports
    assert not [r for r in lab_rules["edge-1"] if r["port"] == 8082]  # ping: loopback only
    opened = {(h, r["port"]) for h, rules in lab_rules.items() for r in rules}
    assert not [(h, p) for h, p in opened if p == 9999]


def test_a_container_port_opens_to_the_host_s_own_bridges_only(lab_rules: dict[str, list[dict[str, Any]]]) -> None:
    """app_services' DNS (aardvark-dns): from Podman's bridges on the app host, from no address."""
    dns = _rules(lab_rules, "ops-1", "app_services", "dns")
    assert sorted(r["proto"] for r in dns) == ["tcp", "udp"]
    assert all(r["iifname"] == "podman*" and not r["any"] and not r["v4"] and not r["v6"] for r in dns)
    assert not _rules(lab_rules, "data-1", "app_services", "dns")  # not an app host


def test_the_edge_opens_its_backends_on_the_hosts_that_serve_them(lab_rules: dict[str, list[dict[str, Any]]]) -> None:
    backends = {r["port"]: r["v4"] for r in lab_rules["ops-1"] if r["role"] == "edge"}
    # 8080: the app services' gateway (route platform), published by a container
    assert backends == {8080: ["10.77.0.31"], 8081: ["10.77.0.31"], 8082: ["10.77.0.31"], 8083: ["10.77.0.31"]}


def test_a_role_the_environment_does_not_run_opens_nothing(tmp_path: Path) -> None:
    env_dir = copy_lab_with(tmp_path, "all", "")
    settings = env_dir / "harden.yml"
    text = settings.read_text()
    assert "  - kafka\n" in text
    settings.write_text(text.replace("  - kafka\n", ""))
    (env_dir / "group_vars" / "kafka.yml").unlink()
    rules = firewall_rules(validate_environment(str(env_dir)))
    assert not [r for rules_ in rules.values() for r in rules_ if r["role"] == "kafka"]
    assert [r for r in rules["data-1"] if r["role"] == "postgres_ha"]


def test_host_names_are_left_for_the_host_to_resolve() -> None:
    rules = firewall_rules(validate_environment("production"))
    ssh = next(r for r in rules["data-1.production.platform.internal"] if r["name"] == "ssh")
    assert ssh["names"] == ["ops-1.production.platform.internal"] and ssh["v4"] == []


def test_baseline_gets_the_rules_as_a_derived_variable() -> None:
    env = validate_environment("lab")
    derived = firewall_host_vars(env)
    assert set(derived) == set(env.inventory.hosts)
    assert all(derived[h][RULES_VAR] for h in derived)


class _Reference(BaseModel):
    port: PortType


def _port_fields(model: type[BaseModel]) -> set[str]:
    """The model's variables typed Port (an int with Port's bounds)."""
    reference = _Reference.model_fields["port"]
    return {
        name
        for name, field in model.model_fields.items()
        if field.annotation is int and field.metadata == reference.metadata
    }


@pytest.mark.parametrize("spec", list(ROLES.values()), ids=lambda s: s.name)
def test_every_port_a_role_configures_is_declared_in_its_spec(spec: Any) -> None:
    """A role that listens on a port the firewall does not know would be unreachable: each Port
    variable of its model is in its spec's ports (opened) or connects_to (a port elsewhere)."""
    fields = _port_fields(spec.model)
    declared = {p.var for p in spec.ports} | set(spec.connects_to)
    assert fields <= declared, sorted(fields - declared)
    assert {p.var for p in spec.ports if not p.number} <= set(spec.model.model_fields)


def test_the_port_fields_are_found() -> None:
    assert "kafka_client_port" in _port_fields(ROLES["kafka"].model)  # the check above reads something
