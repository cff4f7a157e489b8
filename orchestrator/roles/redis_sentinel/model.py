"""Variables of the `redis_sentinel` role: Redis 7 with Sentinel failover."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, model_validator

from orchestrator.models.base import (
    GenerateSpec,
    Port,
    Secret,
    SecretSpec,
    StrictModel,
    cross_field_error,
    generated_secret,
)
from orchestrator.models.limits import ServiceLimits, limits


class RedisUser(StrictModel):
    """An ACL user for one consuming service, with the least command set it needs."""

    name: str = Field(..., pattern=r"^[a-z][a-z0-9_-]{0,62}$", description="ACL user name.")
    keys: str = Field("~*", pattern=r"^[~%].*$", description="Key pattern, e.g. '~sessions:*'.")
    commands: str = Field("+@read +@write -@dangerous", min_length=1, description="ACL command rules.")
    password: Secret = generated_secret()


class RedisSentinelVars(StrictModel):
    redis_sentinel_master_name: str = Field(
        "platform", pattern=r"^[A-Za-z0-9_.-]+$", description="Name Sentinel monitors the master under."
    )
    redis_sentinel_initial_master: str | None = Field(
        None, description="Host that is master on first install; later Sentinel decides."
    )
    redis_sentinel_port: Port = Field(6379, description="Redis port.")
    redis_sentinel_sentinel_port: Port = Field(26379, description="Sentinel port.")
    redis_sentinel_quorum: int = Field(2, ge=1, description="Sentinels that must agree a master is down.")
    redis_sentinel_down_after_ms: int = Field(
        1000,
        ge=100,
        le=600000,
        description="down-after-milliseconds (bench/redis_failover.md: writable again 1.6 s after a kill "
        "at 1000, 30.5 s at Redis's 30000).",
    )
    redis_sentinel_failover_timeout_ms: int = Field(10000, ge=1000, description="failover-timeout.")
    redis_sentinel_min_replicas_to_write: int = Field(1, ge=0, description="min-replicas-to-write.")
    redis_sentinel_min_replicas_max_lag: int = Field(2, ge=1, le=60, description="min-replicas-max-lag, s.")
    redis_sentinel_repl_diskless_sync_delay_s: int = Field(
        0,
        ge=0,
        le=60,
        description="repl-diskless-sync-delay, s. Redis's 5 delays writes after a failover when the other "
        "replica needs a full resync (min-replicas-to-write).",
    )
    redis_sentinel_maxmemory: str = Field("256mb", pattern=r"^[0-9]+(kb|mb|gb)$", description="maxmemory.")
    redis_sentinel_maxmemory_policy: Literal[
        "noeviction", "allkeys-lru", "volatile-lru", "allkeys-lfu", "volatile-lfu"
    ] = Field("noeviction", description="maxmemory-policy.")
    redis_sentinel_appendonly: bool = Field(True, description="AOF persistence.")
    redis_sentinel_appendfsync: Literal["always", "everysec", "no"] = Field("everysec", description="AOF fsync.")
    redis_sentinel_save: str = Field(
        "300 1",
        pattern=r"^([0-9]+ [0-9]+)?$",
        description="RDB snapshot rule 'SECONDS CHANGES' ('' disables). One rule only: Redis 7.0 reloads just "
        "the last of the lines CONFIG REWRITE writes.",
    )
    redis_sentinel_tls_enabled: bool = Field(
        True,
        description="TLS only, replication and Sentinel links included; certificates from pki. Not off when "
        "protected; a running cluster is not switched.",
    )
    redis_sentinel_server_limits: ServiceLimits = Field(
        default_factory=lambda: limits(None, tasks_max=256, nofile=10032),
        description="systemd resource limits of redis-server; memory_max null: twice maxmemory plus 64 MiB "
        "(room for a fork while it writes a snapshot).",
    )
    redis_sentinel_sentinel_limits: ServiceLimits = Field(
        default_factory=lambda: limits("128M", tasks_max=64, nofile=10032),
        description="systemd resource limits of redis-sentinel.",
    )
    redis_sentinel_users: list[RedisUser] = Field(default_factory=list, description="Per-service ACL users.")
    redis_sentinel_admin_password: Secret = generated_secret()
    redis_sentinel_replication_password: Secret = generated_secret()
    redis_sentinel_sentinel_password: Secret = generated_secret()
    redis_sentinel_monitoring_password: Secret = Field(
        default_factory=lambda: SecretSpec(generate=GenerateSpec()),
        description="Password of the ACL user 'monitoring', which may only read INFO, the slow log and the "
        "latency events (no CONFIG GET: it would show masterauth). The monitoring role's Redis exporter "
        "reads it from the same Vault key.",
    )

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> RedisSentinelVars:
        if not self.redis_sentinel_tls_enabled and (info.context or {}).get("protected"):
            raise cross_field_error(
                "redis_sentinel_tls_enabled",
                "a protected environment keeps TLS on (passwords and data would cross the network in clear)",
            )
        names = [u.name for u in self.redis_sentinel_users]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise cross_field_error("redis_sentinel_users", f"duplicate user name {dupes[0]!r}")
        reserved = {"default", "admin", "replication", "sentinel", "monitoring"} & set(names)
        if reserved:
            raise cross_field_error("redis_sentinel_users", f"user name {sorted(reserved)[0]!r} is reserved")
        return self
