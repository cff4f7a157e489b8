"""Role `kafka`: a KRaft cluster (no ZooKeeper) with RF 3, min ISR 2, SASL_SSL and TLS everywhere."""

from collections.abc import Mapping
from typing import Any

from orchestrator.inventory import Inventory
from orchestrator.roles.kafka.model import KAFKA, KafkaVars
from orchestrator.roles.spec import CLIENTS, PEERS, TLS, Port, RoleSpec, TopologyIssue, odd_at_least_three


def _topology(inv: Inventory, values: Mapping[str, Any]) -> list[TopologyIssue]:
    issues = odd_at_least_three(inv, "kafka_controllers", "The KRaft controller quorum")
    brokers = len(inv.group_hosts("kafka"))
    wanted = [("kafka_default_replication_factor", values.get("kafka_default_replication_factor", 3))]
    wanted += [
        ("kafka_topics", t.get("replication_factor", 3))
        for t in values.get("kafka_topics", [])
        if isinstance(t, Mapping) and t.get("state", "present") == "present"
    ]
    for key, rf in wanted:
        if isinstance(rf, int) and rf > brokers:
            issues.append((key, f"replication factor {rf} needs {rf} brokers in group 'kafka' (has {brokers})"))
            break
    return issues


SPEC = RoleSpec(
    name="kafka",
    summary="Kafka 4 in KRaft mode: RF 3, min ISR 2, SASL_SSL and mutual TLS, ACLs, topics as code, rolling restarts",
    model=KafkaVars,
    groups=("kafka", "kafka_controllers"),
    requires=("baseline", "pki", "vault"),
    service="kafka",
    topology=_topology,
    cluster=True,
    units=("kafka.service",),
    ports=(
        Port("kafka_client_port", (PEERS, CLIENTS), groups=("kafka",), tls=TLS, anonymous="kafka"),
        Port("kafka_internal_port", (PEERS,), groups=("kafka",), tls=TLS, anonymous="kafka"),
        Port("kafka_controller_port", (PEERS,), groups=("kafka_controllers",), tls=TLS, anonymous="kafka"),
    ),
    managed_paths=("/etc/kafka/*.properties", "/etc/systemd/system/kafka.service*"),
    components=(KAFKA,),
    play_name="Kafka (KRaft)",
)
