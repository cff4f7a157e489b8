"""`harden audit` on the lab with every role applied: every check passes, and a fault fails the
check it should, with its cause. Runs with the modules that span roles (after the role modules, so
every role is converged already; see tests/integration/conftest.py). The audit on never-configured
hosts is in tests/integration/roles/baseline/ (it must run before any apply)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from bench.lab_env import LAB, LAB_NAME
from orchestrator.lab.config import LabConfig
from orchestrator.validation import Environment, validate_environment
from tests.faults import redis_faults as rf
from tests.integration.conftest import apply_roles, harden, lab_ssh


@pytest.fixture(scope="module")
def env(lab: LabConfig) -> Environment:
    applied = apply_roles(*validate_environment(LAB).settings.roles, only_missing=True)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    return validate_environment(LAB)


def _audit(*args: str) -> tuple[int, dict[str, Any]]:
    done = harden("audit", "--env", LAB, "--format", "json", *args)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    return done.returncode, json.loads(done.stdout)


def _failed(report: dict[str, Any]) -> dict[str, Any]:
    return {c["id"]: c for c in report["checks"] if not c["passed"]}


def test_the_applied_lab_passes_every_check(env: Environment) -> None:
    code, report = _audit("--min-score", "100")
    assert _failed(report) == {}, json.dumps(_failed(report), indent=1)
    assert code == 0 and report["score"] == 100.0
    ids = {c["id"] for c in report["checks"]}
    # the status of every role with live state, the limits of every role with units, secrets, hosts
    assert {"HR-VAULT-01", "HR-PG-01", "HR-REDIS-01", "HR-KAFKA-01", "HR-SEARCH-01", "HR-EDGE-01", "HR-APPS-01"} <= ids
    assert {"HR-PG-02", "HR-REDIS-02", "HR-VAULT-02", "HR-SEC-01", "HR-SEC-02", "HR-HOST-01", "HR-HOST-02"} <= ids
    assert all(c["evidence"] for c in report["checks"])
    print(f"{len(ids)} checks in {report['seconds']} s")


def test_a_stopped_redis_replica_fails_the_redis_check_with_its_cause(env: Environment, lab: LabConfig) -> None:
    ra = rf.access(env)
    master = rf.master_host(lab, ra)
    replica = next(h for h in ("data-1", "data-2", "data-3") if h != master)
    lab_ssh(lab, replica, "systemctl stop redis-server")
    try:
        deadline = time.monotonic() + 30
        while True:
            code, report = _audit("--min-score", "100")
            if "HR-REDIS-01" in _failed(report) or time.monotonic() > deadline:
                break
            time.sleep(1)
    finally:
        lab_ssh(lab, replica, "systemctl start redis-server")
    failed = _failed(report)
    assert set(failed) == {"HR-REDIS-01"}, failed  # only the cause
    assert code == 1 and report["score"] < 100
    assert "1 of 2 replicas online" in failed["HR-REDIS-01"]["evidence"][0]["value"]
    assert f"harden apply --env {LAB_NAME} --role redis_sentinel" in failed["HR-REDIS-01"]["fix"]
    rf.wait_replicas(lab, ra, master, 2)


def test_history_shows_each_audit_with_its_score(env: Environment) -> None:
    shown = harden("audit", "--env", LAB, "--history", "--format", "json", check=True)
    records = json.loads(shown.stdout)
    assert any(r["score"] == 100.0 and r["failed"] == [] for r in records), records  # the first test's
    assert any(r["failed"] == ["HR-REDIS-01"] and r["score"] < 100 for r in records), records
