"""Variables of the `postgres_ha` role: PostgreSQL 15 + Patroni + etcd with automatic failover."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, model_validator

from orchestrator.models.base import Port, Secret, StrictModel, cross_field_error, generated_secret
from orchestrator.models.limits import ServiceLimits, limits
from orchestrator.paths import ARTIFACTS_DIR
from orchestrator.roles.spec import Component

# Patroni 4.x: 3.0.2 (Debian 12) loses acknowledged writes after a leader stall (issue 11, roles/postgres_ha/README.md).
PATRONI = Component("patroni", "4.1.5", "PyPI wheelhouse: patroni[etcd3,psycopg2-binary]")


class HbaRule(StrictModel):
    """One pg_hba line; `trust` and `password` are never allowed."""

    type: Literal["host", "hostssl"] = Field("hostssl", description="Connection type.")
    database: str = Field(..., min_length=1, description="Database name, or all / replication.")
    user: str = Field(..., min_length=1, description="Role name, or all.")
    address: str = Field(..., pattern=r"^[0-9a-fA-F:.]+/[0-9]{1,3}$", description="CIDR the client comes from.")
    method: Literal["scram-sha-256", "cert"] = Field("scram-sha-256", description="Authentication method.")


class PostgresHaVars(StrictModel):
    postgres_ha_cluster_name: str = Field(
        "main", pattern=r"^[a-z][a-z0-9_-]{0,30}$", description="Patroni scope, shared by all members."
    )
    postgres_ha_port: Port = Field(5432, description="PostgreSQL port.")
    postgres_ha_restapi_port: Port = Field(8008, description="Patroni REST API port.")
    postgres_ha_etcd_client_port: Port = Field(2379, description="etcd client port (TLS and auth).")
    postgres_ha_etcd_peer_port: Port = Field(2380, description="etcd peer port (TLS).")
    postgres_ha_ttl: int = Field(
        20,
        ge=20,
        le=300,
        description="Patroni leader key TTL, seconds; 20 is Patroni 4's minimum.",
    )
    postgres_ha_loop_wait: int = Field(1, ge=1, le=60, description="Patroni loop interval, seconds.")
    postgres_ha_retry_timeout: int = Field(3, ge=1, le=120, description="DCS and PostgreSQL retry timeout.")
    postgres_ha_maximum_lag_on_failover: int = Field(
        1048576, ge=0, description="Bytes a replica may lag and still be promoted."
    )
    postgres_ha_synchronous_mode: bool = Field(
        True,
        description="Acknowledge a commit once a second member has it: no acknowledged write lost on failover.",
    )
    postgres_ha_synchronous_mode_strict: bool | None = Field(
        None,
        description="No synchronous standby left: block writes (true) or let the leader ack alone; null: protected.",
    )
    postgres_ha_watchdog: Literal["off", "automatic", "required"] = Field(
        "required",
        description="Patroni watchdog (softdog) resets a stalled leader; protected environments need required.",
    )
    postgres_ha_watchdog_exception: str | None = Field(
        None, min_length=10, description="Why this environment runs without a required watchdog."
    )
    postgres_ha_patroni_source: Literal["wheelhouse", "debian"] = Field(
        "wheelhouse",
        description="wheelhouse (Patroni 4.x) or debian (3.0.2, loses writes after a stall; not when protected).",
    )
    postgres_ha_patroni_wheelhouse: str = Field(
        f"{ARTIFACTS_DIR}/patroni-{PATRONI.version}",
        pattern=r"^/",
        description="Controller directory of the Patroni wheelhouse (`harden lab artifacts`).",
    )
    postgres_ha_max_connections: int = Field(200, ge=10, le=10000, description="max_connections.")
    postgres_ha_shared_buffers: str = Field("128MB", pattern=r"^[0-9]+(kB|MB|GB)$", description="shared_buffers.")
    postgres_ha_patroni_limits: ServiceLimits = Field(
        default_factory=lambda: limits(None, tasks_max=1024, nofile=65536),
        description="systemd limits of patroni.service (with PostgreSQL); memory_max null: none (an OOM kill "
        "is a failover); tasks_max >= max_connections + 64.",
    )
    postgres_ha_etcd_limits: ServiceLimits = Field(
        default_factory=lambda: limits("1G", tasks_max=512, nofile=65536),
        description="systemd resource limits of etcd.service.",
    )
    postgres_ha_haproxy_limits: ServiceLimits = Field(
        default_factory=lambda: limits("256M", tasks_max=256, nofile=65536),
        description="systemd resource limits of haproxy.service (when postgres_ha_haproxy_enabled).",
    )
    postgres_ha_hba_rules: list[HbaRule] = Field(
        default_factory=list, description="Client pg_hba rules added after the cluster's own rules."
    )
    postgres_ha_superuser_password: Secret = generated_secret()
    postgres_ha_replication_password: Secret = generated_secret()
    postgres_ha_rewind_password: Secret = generated_secret()
    postgres_ha_restapi_password: Secret = generated_secret()
    postgres_ha_etcd_root_password: Secret = generated_secret()
    postgres_ha_etcd_password: Secret = generated_secret()
    postgres_ha_haproxy_enabled: bool = Field(
        False, description="Run HAProxy on each member, routing by Patroni's REST checks."
    )
    postgres_ha_haproxy_primary_port: Port = Field(5000, description="HAProxy port that reaches the leader.")
    postgres_ha_haproxy_replica_port: Port = Field(5001, description="HAProxy port that reaches replicas.")

    @model_validator(mode="after")
    def _timings_fit_ttl(self, info: ValidationInfo) -> PostgresHaVars:
        if self.postgres_ha_patroni_limits.tasks_max < self.postgres_ha_max_connections + 64:
            raise cross_field_error(
                "postgres_ha_patroni_limits",
                f"tasks_max {self.postgres_ha_patroni_limits.tasks_max} leaves no room for max_connections "
                f"{self.postgres_ha_max_connections} backends: it must be at least max_connections + 64",
            )
        if self.postgres_ha_loop_wait + 2 * self.postgres_ha_retry_timeout > self.postgres_ha_ttl:
            raise cross_field_error(
                "postgres_ha_ttl",
                f"loop_wait + 2*retry_timeout must be <= ttl "
                f"({self.postgres_ha_loop_wait} + 2*{self.postgres_ha_retry_timeout} > {self.postgres_ha_ttl})",
            )
        if self.postgres_ha_synchronous_mode_strict and not self.postgres_ha_synchronous_mode:
            raise cross_field_error(
                "postgres_ha_synchronous_mode_strict", "requires postgres_ha_synchronous_mode to be on"
            )
        protected = bool((info.context or {}).get("protected"))
        if protected and self.postgres_ha_patroni_source == "debian":
            raise cross_field_error(
                "postgres_ha_patroni_source",
                "Debian 12's Patroni 3.0.2 can lose acknowledged writes after a leader stall; "
                "use wheelhouse on a protected environment",
            )
        if protected and self.postgres_ha_watchdog != "required" and not self.postgres_ha_watchdog_exception:
            raise cross_field_error(
                "postgres_ha_watchdog",
                "a protected environment needs watchdog required (softdog), or postgres_ha_watchdog_exception "
                "saying why not",
            )
        return self
