"""Check mode on never-configured hosts: before anything is applied, `harden plan` of the roles
this session's modules apply would change each of them, and fails on none.

tests/run_suite.py runs this module in both shards, each on its own fresh lab. Each shard plans
the roles whose modules it runs (tests/integration/roles/<role>/), the lab's roles that have no
module of their own (pki, lab_acme: cheap, and in both), and what those require. So every role's
check mode on fresh hosts runs in some shard, and no shard plans what only the other one tests.
One pytest session over every module plans every role of the lab.
"""

from __future__ import annotations

import json

import pytest

from bench.lab_env import LAB
from orchestrator.lab.config import LabConfig
from orchestrator.validation import validate_environment
from tests.integration.conftest import harden, shard_roles


def test_plan_on_never_configured_hosts(lab: LabConfig, request: pytest.FixtureRequest) -> None:
    roles = shard_roles(request.session, validate_environment(LAB).settings.roles)
    assert "baseline" in roles, roles  # every role requires it
    selection = [arg for role in roles for arg in ("--role", role)]
    fresh = harden("plan", "--env", LAB, *selection, "--format", "json")
    assert fresh.returncode == 2, fresh.stdout + fresh.stderr  # would change, and nothing failed
    report = json.loads(fresh.stdout)
    assert report["errors"] == 0
    changed = {r["role"] for r in report["results"] if r["status"] == "changed"}
    assert changed == set(roles)
    # baseline, which runs everywhere, would change every host
    baseline = {
        h for r in report["results"] if r["role"] == "baseline" and r["status"] == "changed" for h in r["hosts"]
    }
    assert baseline == {h.name for h in lab.hosts}
