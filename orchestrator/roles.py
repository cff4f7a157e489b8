"""The roles harden knows: their variable model, the group they run on, and topology rules."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from orchestrator.inventory import Inventory
from orchestrator.models.base import StrictModel
from orchestrator.models.baseline import BaselineVars
from orchestrator.models.pki import PkiVars
from orchestrator.models.postgres_ha import PostgresHaVars
from orchestrator.models.redis_sentinel import RedisSentinelVars
from orchestrator.models.vault import VaultVars
from orchestrator.paths import PLAYBOOKS_DIR, ROLES_DIR

TopologyIssue = tuple[str, str]  # (variable or group key, message)
TopologyCheck = Callable[[Inventory, Mapping[str, Any]], list[TopologyIssue]]


@dataclass(frozen=True)
class RoleSpec:
    name: str
    model: type[StrictModel]
    group: str
    summary: str
    topology: TopologyCheck | None = None
    # Bumped when the role changes the format of data it keeps; older revisions cannot be restored.
    data_format: int = 1
    # Ansible host pattern of the role's playbook, when it is more than its group.
    host_pattern: str = ""

    def hosts(self, inv: Inventory) -> list[str]:
        pattern = self.host_pattern or self.group
        return sorted({h for group in pattern.split(":") for h in inv.group_hosts(group)})

    @property
    def prefix(self) -> str:
        return f"{self.name}_"

    @property
    def playbook(self) -> str:
        return str(PLAYBOOKS_DIR / f"{self.name}.yml")

    @property
    def exists(self) -> bool:
        return (ROLES_DIR / self.name / "tasks" / "main.yml").is_file()


def _odd_at_least_three(inv: Inventory, group: str, what: str) -> list[TopologyIssue]:
    count = len(inv.group_hosts(group))
    if count < 3 or count % 2 == 0:
        return [(f"groups.{group}", f"{what} needs an odd number of hosts, at least 3 (has {count})")]
    return []


def _single_ca(inv: Inventory, values: Mapping[str, Any]) -> list[TopologyIssue]:
    count = len(inv.group_hosts("ca"))
    return [] if count == 1 else [("groups.ca", f"needs exactly one CA host (has {count})")]


def _redis_topology(inv: Inventory, values: Mapping[str, Any]) -> list[TopologyIssue]:
    issues = _odd_at_least_three(inv, "redis_sentinels", "Sentinel")
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


def _postgres_topology(inv: Inventory, values: Mapping[str, Any]) -> list[TopologyIssue]:
    issues = _odd_at_least_three(inv, "etcd", "etcd")
    if len(inv.group_hosts("postgres")) < 2:
        issues.append(("groups.postgres", "needs at least 2 hosts for failover"))
    return issues


def _vault_topology(inv: Inventory, values: Mapping[str, Any]) -> list[TopologyIssue]:
    return _odd_at_least_three(inv, "vault", "Vault raft")


ROLES: dict[str, RoleSpec] = {
    spec.name: spec
    for spec in (
        RoleSpec("baseline", BaselineVars, "all", "host baseline: packages, journald, sshd"),
        RoleSpec("pki", PkiVars, "ca", "internal CA that issues every service certificate", _single_ca),
        RoleSpec("vault", VaultVars, "vault", "OpenBao/Vault raft cluster, TLS, audit, AppRoles", _vault_topology),
        RoleSpec(
            "postgres_ha",
            PostgresHaVars,
            "postgres",
            "PostgreSQL + Patroni + etcd failover",
            _postgres_topology,
            host_pattern="postgres:etcd",
        ),
        RoleSpec("redis_sentinel", RedisSentinelVars, "redis", "Redis with Sentinel failover", _redis_topology),
    )
}

ROLE_PREFIXES = tuple(spec.prefix for spec in ROLES.values())


def role_for_variable(name: str) -> RoleSpec | None:
    # longest prefix wins, so that e.g. "redis_sentinel_" is not taken for a shorter role prefix
    matches = [s for s in ROLES.values() if name.startswith(s.prefix)]
    return max(matches, key=lambda s: len(s.prefix)) if matches else None
