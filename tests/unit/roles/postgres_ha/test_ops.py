"""When `harden pg status` calls the cluster healthy or degraded, and why."""

from __future__ import annotations

import pytest

from orchestrator.roles.postgres_ha.ops import Member, leader, problems

NAMES = ["db1", "db2", "db3"]


def member(name: str, role: str, state: str = "streaming", lag: int | str | None = 0, timeline: int = 3) -> Member:
    if role == "leader":
        state, lag = "running", None
    return Member(name, role, state, f"10.0.0.{name[-1]}", timeline, lag)


HEALTHY = [member("db1", "leader"), member("db2", "sync_standby"), member("db3", "replica")]


def check(members: list[Member], synchronous: bool = True, **kw: bool) -> dict[str, list[str]]:
    return problems(members, expected=NAMES, synchronous=synchronous, max_lag=1048576, **kw)


def test_healthy_cluster_has_no_problem() -> None:
    assert check(HEALTHY) == {"db1": [], "db2": [], "db3": []}
    assert leader(HEALTHY) == HEALTHY[0]


@pytest.mark.parametrize(
    ("members", "who", "why"),
    [
        ([member("db1", "replica"), member("db2", "replica"), member("db3", "replica")], "db1", "no leader"),
        ([*HEALTHY[:2], member("db3", "replica", state="running")], "db3", "not streaming (running)"),
        ([*HEALTHY[:2], member("db3", "replica", timeline=4)], "db3", "timeline 4, leader is on 3"),
        ([*HEALTHY[:2], member("db3", "replica", lag="unknown")], "db3", "lag unknown"),
        ([*HEALTHY[:2], member("db3", "replica", lag=800_000_000)], "db3", "above the failover limit"),
        (HEALTHY[:2], "db3", "not in the cluster"),
        ([member("db1", "leader"), member("db2", "replica"), member("db3", "replica")], "db1", "no synchronous"),
    ],
    ids=["no leader", "not streaming", "timeline", "lag unknown", "lag too high", "missing", "no sync standby"],
)
def test_degraded_clusters_name_the_member_and_the_reason(members: list[Member], who: str, why: str) -> None:
    found = check(members)
    assert any(why in reason for reason in found[who]), found


def test_asynchronous_mode_needs_no_synchronous_standby() -> None:
    async_only = [member("db1", "leader"), member("db2", "replica"), member("db3", "replica")]
    assert not any(check(async_only, synchronous=False).values())


def test_patroni_3_running_state_is_accepted_only_when_asked() -> None:
    legacy = [member("db1", "leader"), member("db2", "sync_standby", state="running"), member("db3", "replica")]
    assert check(legacy)["db2"]
    assert not any(check(legacy, streaming_state=False).values())
