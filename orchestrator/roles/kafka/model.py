"""Variables of the `kafka` role: a KRaft cluster that loses no acknowledged message."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from orchestrator.models.base import GenerateSpec, Port, Secret, SecretSpec, StrictModel, cross_field_error
from orchestrator.models.base import generated_secret as _generated
from orchestrator.models.limits import ServiceLimits, limits
from orchestrator.paths import ARTIFACTS_DIR
from orchestrator.roles.spec import Component

KAFKA = Component("kafka", "4.4.0", "Maven Central org.apache.kafka:kafka_2.13 and its dependencies")

Operation = Literal["read", "write"]
TOPIC_NAME = r"^[A-Za-z0-9._-]{1,249}$"
# Settings a topic's `configs` may not carry: they belong to the role's durability rules.
TOPIC_CONFIGS_REFUSED = ("unclean.leader.election.enable",)


class KafkaTopic(StrictModel):
    """A topic, converged by apply: created, its configs altered, partitions and RF raised; never deleted
    unless ``state: absent``."""

    name: str = Field(..., pattern=TOPIC_NAME, description="Topic name.")
    partitions: int = Field(3, ge=1, le=10000, description="Partitions (can grow, never shrink).")
    replication_factor: int = Field(3, ge=1, le=7, description="Replicas of each partition.")
    configs: dict[str, str] = Field(default_factory=dict, description="Topic configs, e.g. retention.ms.")
    state: Literal["present", "absent"] = Field("present", description="absent deletes the topic and its data.")


class KafkaUser(StrictModel):
    """One SCRAM-SHA-512 principal per consuming service, with prefixed ACLs only."""

    name: str = Field(..., pattern=r"^[a-z][a-z0-9_-]{0,62}$", description="Principal (User:<name>).")
    topic_prefixes: list[str] = Field(
        ..., min_length=1, description="Topics it may use: every topic whose name starts with one of these."
    )
    group_prefix: str | None = Field(None, description="Consumer groups it may use (default: its name).")
    operations: list[Operation] = Field(
        default_factory=lambda: list[Operation](["read", "write"]),
        min_length=1,
        description="read: consume; write: produce.",
    )
    password: Secret = _generated()


def _cluster_id() -> SecretSpec:
    return SecretSpec(generate=GenerateSpec(charset="kafka_uuid", confidential=False))


class KafkaVars(StrictModel):
    kafka_artifact: str = Field(
        f"{ARTIFACTS_DIR}/kafka-{KAFKA.version}/kafka_2.13-{KAFKA.version}.tgz",
        pattern=r"^/[^\s]+\.t(ar\.)?gz$",
        description="Controller path of a Kafka tarball with libs/ (`harden lab artifacts`, or Apache's own).",
    )
    kafka_client_port: Port = Field(9093, description="SASL_SSL (SCRAM-SHA-512) listener for clients.")
    kafka_internal_port: Port = Field(9094, description="SSL listener between brokers (client certificates).")
    kafka_controller_port: Port = Field(9095, description="SSL listener of the KRaft controllers.")
    kafka_heap: str = Field("384m", pattern=r"^[0-9]+[mg]$", description="JVM heap (-Xms and -Xmx).")
    kafka_default_replication_factor: int = Field(3, ge=1, le=7, description="default.replication.factor.")
    kafka_min_insync_replicas: int = Field(2, ge=1, le=7, description="min.insync.replicas, broker-wide.")
    kafka_durability_exception: str | None = Field(
        None,
        min_length=10,
        description="Why this environment runs with a replication factor below 3 or min ISR below 2 (required then).",
    )
    kafka_num_partitions: int = Field(3, ge=1, le=1000, description="num.partitions of topics created by apply.")
    kafka_log_retention_hours: int = Field(168, ge=1, le=87600, description="log.retention.hours.")
    kafka_replica_lag_time_max_ms: int = Field(
        10000, ge=1000, le=120000, description="replica.lag.time.max.ms: a follower this far behind leaves the ISR."
    )
    kafka_broker_session_timeout_ms: int = Field(
        6000, ge=1000, le=60000, description="broker.session.timeout.ms: a silent broker is fenced after it."
    )
    kafka_broker_heartbeat_interval_ms: int = Field(1000, ge=100, le=10000, description="broker.heartbeat.interval.ms.")
    kafka_quorum_election_timeout_ms: int = Field(
        1000, ge=200, le=60000, description="controller.quorum.election.timeout.ms."
    )
    kafka_quorum_fetch_timeout_ms: int = Field(
        2000, ge=400, le=60000, description="controller.quorum.fetch.timeout.ms."
    )
    kafka_reassignment_throttle_bytes: int = Field(
        10485760, ge=1048576, description="Replication throttle while apply raises a topic's RF (bytes/s)."
    )
    kafka_restart_timeout_s: int = Field(
        180, ge=30, le=3600, description="How long a rolling restart waits for a broker to be caught up again."
    )
    kafka_topics: list[KafkaTopic] = Field(default_factory=list, description="Topics as code.")
    kafka_users: list[KafkaUser] = Field(default_factory=list, description="One SCRAM principal per service.")
    kafka_server_limits: ServiceLimits = Field(
        default_factory=lambda: limits("1G", tasks_max=1024, nofile=16384),
        description="systemd resource limits of kafka.service (heap plus direct buffers and metaspace).",
    )
    kafka_admin_password: Secret = _generated()
    kafka_keystore_password: Secret = _generated()
    kafka_cluster_id: Secret = Field(
        default_factory=_cluster_id,
        description="KRaft cluster id, generated once into Vault; storage is formatted with it only when empty.",
    )

    @model_validator(mode="after")
    def _durable(self) -> KafkaVars:
        lowered = [
            f"{where} replication factor {rf}"
            for where, rf in [("default", self.kafka_default_replication_factor)]
            + [(f"topic {t.name!r}", t.replication_factor) for t in self.kafka_topics if t.state == "present"]
            if rf < 3
        ]
        if self.kafka_min_insync_replicas < 2:
            lowered.append(f"min.insync.replicas {self.kafka_min_insync_replicas}")
        if lowered and not self.kafka_durability_exception:
            raise cross_field_error(
                "kafka_durability_exception",
                f"{lowered[0]} can lose acknowledged messages when one broker dies: use replication factor 3 "
                "and min ISR 2, or set kafka_durability_exception saying why not",
            )
        if self.kafka_min_insync_replicas >= self.kafka_default_replication_factor:
            raise cross_field_error(
                "kafka_min_insync_replicas",
                f"min ISR {self.kafka_min_insync_replicas} must be below the replication factor "
                f"{self.kafka_default_replication_factor}, or one stopped broker stops every producer",
            )
        names = [t.name for t in self.kafka_topics]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise cross_field_error("kafka_topics", f"topic {dupes[0]!r} is listed twice")
        for topic in self.kafka_topics:
            refused = sorted(set(topic.configs) & set(TOPIC_CONFIGS_REFUSED))
            if refused:
                raise cross_field_error("kafka_topics", f"topic {topic.name!r}: {refused[0]} is not settable")
        users = [u.name for u in self.kafka_users]
        dupes = sorted({n for n in users if users.count(n) > 1})
        if dupes:
            raise cross_field_error("kafka_users", f"user {dupes[0]!r} is listed twice")
        if "admin" in users:
            raise cross_field_error("kafka_users", "user name 'admin' is reserved (the super user)")
        ports = [self.kafka_client_port, self.kafka_internal_port, self.kafka_controller_port]
        if len(set(ports)) != len(ports):
            raise cross_field_error("kafka_client_port", "the client, internal and controller ports must differ")
        return self
