"""`harden redis status`: the verdict from what Sentinel reports (the common status interface)."""

from __future__ import annotations

import json

import pytest

from orchestrator.errors import HardenError
from orchestrator.roles.redis_sentinel import ops
from orchestrator.roles.redis_sentinel.ops import RedisStatus
from orchestrator.validation import Environment, validate_environment

HEALTHY = RedisStatus(
    "platform",
    "10.77.0.11:6379",
    [("10.77.0.12:6379", "slave"), ("10.77.0.13:6379", "slave")],
    3,
    2,
    "OK 3 usable Sentinels. Quorum and failover authorization can be reached",
)


@pytest.fixture
def env() -> Environment:
    return validate_environment("lab")


def _report(monkeypatch: pytest.MonkeyPatch, env: Environment, status: RedisStatus | Exception) -> ops.StatusReport:
    def fake(_env: Environment) -> RedisStatus:
        if isinstance(status, Exception):
            raise status
        return status

    monkeypatch.setattr(ops, "status", fake)
    return ops.report(env)


def test_every_replica_and_sentinel_is_healthy(monkeypatch: pytest.MonkeyPatch, env: Environment) -> None:
    report = _report(monkeypatch, env, HEALTHY)
    assert (report.verdict, report.exit_code, report.reasons) == ("healthy", 0, [])
    assert json.loads(report.as_json())["rows"][0] == {"role": "master", "address": "10.77.0.11:6379", "flags": ""}


def test_a_replica_down_a_sentinel_missing_or_no_quorum_is_degraded(
    monkeypatch: pytest.MonkeyPatch, env: Environment
) -> None:
    sick = RedisStatus(
        "platform",
        "10.77.0.11:6379",
        [("10.77.0.12:6379", "slave,s_down,disconnected")],
        2,
        2,
        "NOQUORUM 1 usable Sentinels",
    )
    report = _report(monkeypatch, env, sick)
    assert (report.verdict, report.exit_code) == ("degraded", 3)
    assert report.reasons == [
        "0 of 2 replicas online",
        "2 of 3 Sentinels know the master",
        "quorum check: NOQUORUM 1 usable Sentinels",
    ]


def test_no_sentinel_answering_is_down(monkeypatch: pytest.MonkeyPatch, env: Environment) -> None:
    report = _report(monkeypatch, env, HardenError("no Sentinel answered: connection refused"))
    assert (report.verdict, report.exit_code) == ("down", 1)
    assert report.reasons == ["no Sentinel answered: connection refused"]
