"""How `harden vault status` judges a cluster, and what a command says when no node can serve."""

from __future__ import annotations

import pytest

from orchestrator.roles.vault.ops import DEGRADED, DOWN, EXIT_CODES, HEALTHY, NodeStatus, health
from orchestrator.secrets.vault_session import VaultUnavailable

LEADER = "https://10.0.0.1:8200"


def node(host: str, mode: str, leader: str = LEADER, sealed: bool = False, error: str = "") -> NodeStatus:
    return NodeStatus(host, None if error else True, None if error else sealed, "0/3", "2.7.2", error, mode, leader)


def test_one_active_node_followed_by_every_standby_is_healthy() -> None:
    rows = [node("a", "active"), node("b", "standby"), node("c", "standby")]
    assert health(rows) == (HEALTHY, [])
    assert EXIT_CODES[HEALTHY] == 0


@pytest.mark.parametrize(
    ("rows", "why"),
    [
        ([node("a", "active"), node("b", "", sealed=True), node("c", "standby")], "b: sealed"),
        ([node("a", "active"), node("b", "", error="SSH tunnel failed"), node("c", "standby")], "b: unreachable"),
        ([node("a", "active"), node("b", "standby", leader=""), node("c", "standby")], "knows no active node"),
        ([node("a", "active"), node("b", "standby", leader="https://10.0.0.9:8200"), node("c", "standby")], "follows"),
    ],
    ids=["sealed", "unreachable", "standby without leader", "standby follows another"],
)
def test_degraded_while_an_active_node_still_serves(rows: list[NodeStatus], why: str) -> None:
    verdict, reasons = health(rows)
    assert verdict == DEGRADED and EXIT_CODES[verdict] == 3
    assert any(why in r for r in reasons), reasons


def test_no_active_node_is_down() -> None:
    rows = [node("a", "", sealed=True), node("b", "standby", leader=""), node("c", "", error="refused")]
    verdict, reasons = health(rows)
    assert verdict == DOWN and EXIT_CODES[verdict] == 1
    assert "no active node" in reasons


def test_unavailable_names_every_node_and_the_fix_in_one_line() -> None:
    err = VaultUnavailable("staging", [("a", "sealed"), ("b", "local node not active"), ("c", "connection refused")])
    text = str(err)
    assert "\n" not in text
    for part in ("a: sealed", "b: local node not active", "c: connection refused", "harden vault unseal --env staging"):
        assert part in text
