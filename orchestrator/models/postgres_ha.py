"""Variables of the `postgres_ha` role: PostgreSQL 15 + Patroni + etcd with automatic failover."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from orchestrator.models.base import Port, Secret, StrictModel, cross_field_error, generated_secret


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
        7,
        ge=5,
        le=300,
        description="Patroni leader key TTL, seconds; 7 keeps failover under 10 s (bench/postgres_failover.md).",
    )
    postgres_ha_loop_wait: int = Field(1, ge=1, le=60, description="Patroni loop interval, seconds.")
    postgres_ha_retry_timeout: int = Field(3, ge=1, le=120, description="DCS and PostgreSQL retry timeout.")
    postgres_ha_maximum_lag_on_failover: int = Field(
        1048576, ge=0, description="Bytes a replica may lag and still be promoted."
    )
    postgres_ha_synchronous_mode: bool | None = Field(
        None, description="Synchronous replication; null means on for protected environments."
    )
    postgres_ha_synchronous_mode_strict: bool = Field(
        False, description="Refuse writes when no synchronous standby is available."
    )
    postgres_ha_watchdog: Literal["off", "automatic", "required"] = Field(
        "automatic", description="Patroni watchdog mode (used where /dev/watchdog exists)."
    )
    postgres_ha_max_connections: int = Field(200, ge=10, le=10000, description="max_connections.")
    postgres_ha_shared_buffers: str = Field("128MB", pattern=r"^[0-9]+(kB|MB|GB)$", description="shared_buffers.")
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
    def _timings_fit_ttl(self) -> PostgresHaVars:
        if self.postgres_ha_loop_wait + 2 * self.postgres_ha_retry_timeout > self.postgres_ha_ttl:
            raise cross_field_error(
                "postgres_ha_ttl",
                f"loop_wait + 2*retry_timeout must be <= ttl "
                f"({self.postgres_ha_loop_wait} + 2*{self.postgres_ha_retry_timeout} > {self.postgres_ha_ttl})",
            )
        if self.postgres_ha_synchronous_mode_strict and self.postgres_ha_synchronous_mode is False:
            raise cross_field_error(
                "postgres_ha_synchronous_mode_strict", "requires postgres_ha_synchronous_mode to be on"
            )
        return self
