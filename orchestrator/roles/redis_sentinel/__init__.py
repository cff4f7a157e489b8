"""Role `redis_sentinel`: Redis with Sentinel failover; the Sentinels may run on hosts of their own."""

from collections.abc import Mapping
from typing import Any

from orchestrator.inventory import Inventory
from orchestrator.roles.redis_sentinel.model import RedisSentinelVars
from orchestrator.roles.spec import CLIENTS, PEERS, TLS, Port, RoleSpec, TopologyIssue, odd_at_least_three


def _topology(inv: Inventory, values: Mapping[str, Any]) -> list[TopologyIssue]:
    issues = odd_at_least_three(inv, "redis_sentinels", "Sentinel")
    sentinels = len(inv.group_hosts("redis_sentinels"))
    quorum = values.get("redis_sentinel_quorum", 2)
    if sentinels and quorum > sentinels:
        issues.append(("redis_sentinel_quorum", f"quorum {quorum} is larger than the {sentinels} sentinels"))
    if isinstance(quorum, int) and sentinels and quorum <= sentinels // 2:
        issues.append(("redis_sentinel_quorum", f"quorum {quorum} is not a majority of {sentinels} sentinels"))
    data = inv.group_hosts("redis")
    if len(data) < 3:
        issues.append(("groups.redis", f"needs a master and at least 2 replicas (has {len(data)} hosts)"))
    master = values.get("redis_sentinel_initial_master")
    if master is not None and master not in data:
        issues.append(("redis_sentinel_initial_master", f"{master!r} is not a host of group 'redis'"))
    replicas = max(len(data) - 1, 0)
    min_write = values.get("redis_sentinel_min_replicas_to_write", 1)
    if isinstance(min_write, int) and min_write > replicas:
        issues.append(("redis_sentinel_min_replicas_to_write", f"{min_write} is more than the {replicas} replicas"))
    return issues


SPEC = RoleSpec(
    name="redis_sentinel",
    check_code="REDIS",
    summary="Redis 7 with Sentinel failover, TLS only, ACL auth and write safety, idempotent across failovers",
    model=RedisSentinelVars,
    groups=("redis", "redis_sentinels"),
    requires=("baseline", "pki", "vault"),
    service="redis",
    topology=_topology,
    cluster=True,
    units=("redis-server.service", "redis-sentinel.service"),
    ports=(
        Port("redis_sentinel_port", (PEERS, CLIENTS), groups=("redis",), tls=TLS, anonymous="redis"),
        Port("redis_sentinel_sentinel_port", (PEERS, CLIENTS), groups=("redis_sentinels",), tls=TLS, anonymous="redis"),
    ),
    managed_paths=("/etc/redis/harden-*", "/etc/systemd/system/redis-*.service.d/harden*.conf"),
    cli_name="redis",
    play_name="Redis with Sentinel",
)
