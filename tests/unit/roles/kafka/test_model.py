"""The kafka role's declaration: durability rules, topology, and its generated cluster id."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from pydantic import ValidationError

from orchestrator.inventory import Inventory
from orchestrator.models.base import GenerateSpec
from orchestrator.roles import ROLES
from orchestrator.roles.kafka.model import KafkaVars
from orchestrator.secrets.kv import generate_value

SPEC = ROLES["kafka"]


def _error(values: dict[str, Any]) -> tuple[str, str]:
    with pytest.raises(ValidationError) as caught:
        KafkaVars.model_validate(values)
    err = caught.value.errors()[0]
    return str((err.get("ctx") or {}).get("key", err["loc"][0] if err["loc"] else "")), err["msg"]


def test_defaults_are_durable_and_secure() -> None:
    model = KafkaVars()
    assert (model.kafka_default_replication_factor, model.kafka_min_insync_replicas) == (3, 2)
    assert model.kafka_admin_password.generate is not None
    assert model.kafka_cluster_id.generate is not None and model.kafka_cluster_id.generate.charset == "kafka_uuid"


@pytest.mark.parametrize(
    "values",
    [
        {"kafka_min_insync_replicas": 1},
        {"kafka_default_replication_factor": 2, "kafka_min_insync_replicas": 1},
        {"kafka_topics": [{"name": "orders", "replication_factor": 1}]},
    ],
    ids=["min ISR 1", "RF 2", "topic RF 1"],
)
def test_lower_durability_needs_a_stated_reason(values: dict[str, Any]) -> None:
    key, message = _error(values)
    assert key == "kafka_durability_exception"
    assert "set kafka_durability_exception saying why not" in message
    KafkaVars.model_validate({**values, "kafka_durability_exception": "single-AZ test bed, data is disposable"})


def test_min_isr_must_stay_below_the_replication_factor() -> None:
    assert _error({"kafka_min_insync_replicas": 3})[0] == "kafka_min_insync_replicas"


@pytest.mark.parametrize(
    ("values", "key", "fragment"),
    [
        ({"kafka_topics": [{"name": "a"}, {"name": "a"}]}, "kafka_topics", "topic 'a' is listed twice"),
        (
            {"kafka_topics": [{"name": "a", "configs": {"unclean.leader.election.enable": "true"}}]},
            "kafka_topics",
            "unclean.leader.election.enable is not settable",
        ),
        ({"kafka_users": [{"name": "admin", "topic_prefixes": ["x"]}]}, "kafka_users", "'admin' is reserved"),
        ({"kafka_internal_port": 9093}, "kafka_client_port", "ports must differ"),
    ],
)
def test_bad_input_names_the_key(values: dict[str, Any], key: str, fragment: str) -> None:
    got_key, message = _error(values)
    assert (got_key, fragment in message) == (key, True), message


def _inventory(brokers: int, controllers: int) -> Inventory:
    hosts = [f"data-{i}" for i in range(1, max(brokers, controllers) + 1)]
    groups = {"kafka": hosts[:brokers], "kafka_controllers": hosts[:controllers]}

    class _Inv:
        def group_hosts(self, group: str) -> list[str]:
            return groups.get(group, [])

    return _Inv()  # type: ignore[return-value]


def test_topology_needs_an_odd_quorum_and_enough_brokers() -> None:
    assert SPEC.topology is not None
    assert SPEC.topology(_inventory(3, 3), {}) == []
    assert SPEC.topology(_inventory(3, 2), {}) == [
        ("groups.kafka_controllers", "The KRaft controller quorum needs an odd number of hosts, at least 3 (has 2)")
    ]
    assert SPEC.topology(_inventory(2, 3), {}) == [
        ("kafka_default_replication_factor", "replication factor 3 needs 3 brokers in group 'kafka' (has 2)")
    ]


def test_a_generated_cluster_id_is_a_kafka_uuid() -> None:
    ids = {generate_value(GenerateSpec(charset="kafka_uuid")) for _ in range(50)}
    assert len(ids) == 50
    for value in ids:
        assert len(value) == 22
        assert len(base64.urlsafe_b64decode(value + "==")) == 16
        assert base64.urlsafe_b64encode(base64.urlsafe_b64decode(value + "==")).decode().rstrip("=") == value
