"""When `harden pg` considers the cluster settled, and what switchover refuses before any call."""

from __future__ import annotations

import pytest

from orchestrator.pg_ops import Member, leader, settled


def member(name: str, role: str, state: str = "running", lag: int | str | None = 0) -> Member:
    return Member(name, role, state, f"10.0.0.{name[-1]}", 3, None if role == "leader" else lag)


HEALTHY = [member("db1", "leader"), member("db2", "sync_standby"), member("db3", "replica")]


def test_healthy_cluster_is_settled() -> None:
    assert settled(HEALTHY, synchronous=True)
    assert leader(HEALTHY) == HEALTHY[0]


@pytest.mark.parametrize(
    "members",
    [
        [member("db1", "replica"), member("db2", "replica")],  # no leader
        [member("db1", "leader", state="starting"), member("db2", "sync_standby")],
        [member("db1", "leader"), member("db2", "sync_standby"), member("db3", "replica", lag="unknown")],
        [member("db1", "leader"), member("db2", "sync_standby"), member("db3", "replica", state="stopped")],
    ],
    ids=["no leader", "leader starting", "lag unknown", "replica stopped"],
)
def test_unsettled_clusters(members: list[Member]) -> None:
    assert not settled(members, synchronous=False)


def test_synchronous_mode_needs_a_synchronous_standby() -> None:
    async_only = [member("db1", "leader"), member("db2", "replica"), member("db3", "replica")]
    assert settled(async_only, synchronous=False)
    assert not settled(async_only, synchronous=True)
