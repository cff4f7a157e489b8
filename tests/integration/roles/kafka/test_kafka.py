"""Role kafka in the lab: converge, idempotence, status, no PLAINTEXT anywhere, least privilege."""

from __future__ import annotations

import json
import shlex
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import yaml

from bench.lab_env import LAB, copy_lab_with
from orchestrator.lab.config import LabConfig
from orchestrator.roles.kafka.ops import tools as kf_tools
from orchestrator.validation import Environment, validate_environment
from tests.faults import kafka_faults as kf
from tests.integration.conftest import apply_roles, assert_units_have_limits, harden, lab_ssh

DATA = ("data-1", "data-2", "data-3")
# every listener the role declares: clients (SASL_SSL), brokers (SSL), controllers (SSL)
PORTS = {9093, 9094, 9095}
FAULT_TOPIC = "orders.faults"  # one partition: the fault tests know its leader


@pytest.fixture(scope="module")
def kafka_env(lab: LabConfig) -> Environment:
    applied = apply_roles("kafka")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    return validate_environment(LAB)


@pytest.fixture(scope="module")
def users(kafka_env: Environment) -> kf.KafkaUsers:
    found = kf.users(kafka_env)
    assert {"admin", "orders", "payments"} <= set(found.passwords), sorted(found.passwords)
    return found


def test_second_apply_changes_nothing(kafka_env: Environment) -> None:
    plan = harden("plan", "--env", LAB, "--role", "kafka", "--format", "json")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert json.loads(plan.stdout)["changes"] == 0


def test_every_unit_has_its_resource_limits(lab: LabConfig, kafka_env: Environment) -> None:
    assert_units_have_limits(lab, kafka_env, "kafka")


def test_status_shows_the_quorum_and_durable_topics(kafka_env: Environment) -> None:
    done = harden("kafka", "status", "--env", LAB, "--format", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    status = json.loads(done.stdout)
    assert status["verdict"] == "healthy", status["reasons"]
    assert sorted(row["host"] for row in status["rows"]) == list(DATA)
    assert sorted(row["quorum"] for row in status["rows"]) == ["Follower", "Follower", "Leader"]
    topics = status["detail"]["topics"]
    assert set(topics) == {"orders.events", "payments.events", FAULT_TOPIC}
    for topic in topics.values():
        assert (topic["replication_factor"], topic["min_insync_replicas"], topic["under_replicated"]) == (3, 2, 0)


def test_no_plaintext_on_any_port_the_jvm_listens_on(lab: LabConfig, kafka_env: Environment) -> None:
    for host in DATA:
        listening = lab_ssh(lab, host, "ss -Hltnp | grep '\"java\"' | awk '{print $4}'").split()
        ports = {int(item.rsplit(":", 1)[1]) for item in listening}
        assert ports == PORTS, (host, listening)
        address = kf.address(lab, host)
        args = " ".join(shlex.quote(a) for a in (address, ",".join(map(str, sorted(ports))), kf.CA))
        seen = json.loads(lab_ssh(lab, host, f"python3 -c {shlex.quote(kf.PROBE)} {args}"))
        assert all(not answer.startswith("kafka") for answer in seen["plaintext"].values()), (host, seen)
        # the probe does recognise Kafka: over TLS, the client listener answers it (before SASL)
        assert seen["tls"][str(kf.CLIENT_PORT)] == "kafka", (host, seen)
        # the broker and controller listeners want a client certificate from the CA
        assert all(seen["tls"][str(p)] != "kafka" for p in PORTS - {kf.CLIENT_PORT}), (host, seen)


def test_principals_reach_only_their_own_topics(lab: LabConfig, users: kf.KafkaUsers) -> None:
    orders = kf.client_properties("orders", users.passwords["orders"])
    marker = f"order-{uuid.uuid4().hex[:8]}"
    sent = kf.produce(lab, "data-2", orders, "orders.events", [marker])
    assert sent.returncode == 0, sent.stderr
    got = kf.consume(lab, "data-2", orders, "orders.events", f"orders.test-{marker}", count=1)
    assert marker in got.stdout, got.stdout + got.stderr

    other = kf.consume(lab, "data-2", orders, "payments.events", f"orders.test-{marker}-b", count=1, timeout_ms=10000)
    assert "TopicAuthorizationException" in other.stderr or "Not authorized" in other.stderr, other.stderr
    foreign_write = kf.produce(lab, "data-2", orders, "payments.events", ["nope"])
    denied = foreign_write.stderr
    assert "Not authorized" in denied or "TopicAuthorization" in denied, denied

    wrong = kf.client_properties("orders", users.passwords["payments"])
    refused = kf.consume(lab, "data-2", wrong, "orders.events", f"orders.test-{marker}-c", count=1, timeout_ms=10000)
    assert "Authentication failed" in refused.stderr or "SaslAuthenticationException" in refused.stderr, refused.stderr


def _started(lab: LabConfig) -> dict[str, str]:
    return {h: lab_ssh(lab, h, "systemctl show kafka -p ExecMainStartTimestampMonotonic").strip() for h in DATA}


def test_a_topic_at_rf_1_is_raised_to_rf_3_with_its_data(lab: LabConfig, users: kf.KafkaUsers, tmp_path: Path) -> None:
    """Today's platform has topics with replication factor 1: apply raises them, and keeps their data."""
    made = kf.admin(
        lab, "data-1", users, kf.TOPICS, "--create --topic orders.legacy --partitions 2 --replication-factor 1"
    )
    assert made.returncode == 0, made.stderr
    orders = kf.client_properties("orders", users.passwords["orders"])
    lines = [f"legacy-{i}" for i in range(200)]
    sent = kf.produce(lab, "data-1", orders, "orders.legacy", lines)
    assert sent.returncode == 0, sent.stderr

    migrated = copy_lab_with(tmp_path, "kafka", "")
    group_vars = migrated / "group_vars" / "kafka.yml"
    values = yaml.safe_load(group_vars.read_text())
    values["kafka_topics"].append({"name": "orders.legacy", "partitions": 2})
    group_vars.write_text(yaml.safe_dump(values))
    plan = harden("plan", "--env", str(migrated), "--role", "kafka")
    assert plan.returncode == 2 and "orders.legacy: replication_factor 3" in plan.stdout, plan.stdout + plan.stderr
    harden("apply", "--env", str(migrated), "--role", "kafka", check=True)

    described = kf.admin(lab, "data-1", users, kf.TOPICS, "--describe --topic orders.legacy")
    topic = kf_tools().parse_topics(described.stdout)["orders.legacy"]
    assert topic["replication_factor"] == 3, described.stdout
    assert all(len(isr) == 3 for isr in topic["isr"].values()), described.stdout
    back = kf.consume(lab, "data-3", orders, "orders.legacy", "orders.migration-check", count=len(lines))
    assert sorted(back.stdout.split()) == sorted(lines), back.stderr[-2000:]
    again = harden("plan", "--env", str(migrated), "--role", "kafka", "--format", "json")
    assert again.returncode == 0 and json.loads(again.stdout)["changes"] == 0, again.stdout


@pytest.mark.fault
def test_a_broker_setting_rolls_out_one_node_at_a_time_under_load_and_rolls_back(
    lab: LabConfig, users: kf.KafkaUsers, tmp_path: Path
) -> None:
    """(d) a rolling restart from a config change, under the app host's producer; then the rollback."""
    before = _started(lab)
    changed = copy_lab_with(tmp_path, "kafka", "kafka_log_retention_hours: 72")
    rolled: list[subprocess.CompletedProcess[str]] = []

    def roll() -> None:
        rolled.append(harden("apply", "--env", str(changed), "--role", "kafka"))

    run = kf.run_case(lab, users, "d", FAULT_TOPIC, fault=roll)
    applied = rolled[0]
    assert applied.returncode == 0, applied.stdout + applied.stderr
    _assert_nothing_lost(run)
    restarts = [line for line in applied.stdout.splitlines() if "KAFKA-ROLL-10" in line]
    assert {kf.broker_config(lab, "data-1", users, n, "log.retention.hours") for n in (1, 2, 3)} == {"72"}
    after = _started(lab)
    assert all(after[h] != before[h] for h in DATA), (before, after, restarts)

    harden("rollback", "--env", str(changed), "--role", "kafka", "--yes", check=True)
    assert {kf.broker_config(lab, "data-1", users, n, "log.retention.hours") for n in (1, 2, 3)} == {"168"}
    plan = harden("plan", "--env", LAB, "--role", "kafka", "--format", "json")
    assert plan.returncode == 0 and json.loads(plan.stdout)["changes"] == 0, plan.stdout
    status = harden("kafka", "status", "--env", LAB, "--format", "json")
    assert status.returncode == 0, status.stdout


def _wait_healthy(timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while True:
        status = harden("kafka", "status", "--env", LAB, "--format", "json")
        if status.returncode == 0:
            return
        assert time.monotonic() < deadline, status.stdout
        time.sleep(5)


def _assert_nothing_lost(run: kf.FaultRun) -> None:
    print(run.line())
    assert run.acked > 1000, run.line()
    assert run.lost == 0, run.line()
    assert run.duplicates == 0, run.line()  # idempotence: no message written twice


@pytest.mark.fault
def test_a_killed_partition_leader_loses_no_acknowledged_message(lab: LabConfig, users: kf.KafkaUsers) -> None:
    """(a) kill -9 of the leader of the producer's partition, under an idempotent acks=all producer
    on the app host; systemd starts the broker again."""
    _assert_nothing_lost(kf.run_case(lab, users, "a", FAULT_TOPIC))
    _wait_healthy()


@pytest.mark.fault
def test_an_isolated_partition_leader_loses_no_acknowledged_message(lab: LabConfig, users: kf.KafkaUsers) -> None:
    """(b) the partition leader cut off from the other brokers by nft in its namespace (the app host
    still reaches it), then healed: it must not acknowledge alone, and it rejoins."""
    _assert_nothing_lost(kf.run_case(lab, users, "b", FAULT_TOPIC, seconds=30))
    _wait_healthy()


@pytest.mark.fault
def test_a_killed_active_controller_loses_no_acknowledged_message(lab: LabConfig, users: kf.KafkaUsers) -> None:
    """(c) kill -9 of the KRaft quorum leader: another voter takes over, the producer goes on."""
    _assert_nothing_lost(kf.run_case(lab, users, "c", FAULT_TOPIC))
    _wait_healthy()
