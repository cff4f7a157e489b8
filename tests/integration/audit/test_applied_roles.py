"""`harden audit` of the roles this session applied: every check passes, read live.

tests/run_suite.py runs this module in both shards, each auditing (--role) its own roles
(conftest.shard_roles), converged by the role modules already (it runs after them). So every check
of every role passes in some shard, and neither shard applies a role only to audit it (applying
the other shard's roles for a whole audit took 605 s of the first shard in CI). One pytest session
over every module audits every role.
"""

from __future__ import annotations

import json

import pytest

from bench.lab_env import LAB
from orchestrator.audit.providers import code, drill_command, has_tls, profile_targets, status_report
from orchestrator.lab.config import LabConfig
from orchestrator.roles import ROLES
from orchestrator.validation import validate_environment
from tests.integration.conftest import apply_roles, harden, shard_roles


def test_the_applied_roles_pass_every_check(lab: LabConfig, request: pytest.FixtureRequest) -> None:
    roles = shard_roles(request.session, validate_environment(LAB).settings.roles)
    assert "baseline" in roles and len(roles) >= 4, roles
    applied = apply_roles(*roles, only_missing=True)  # converged by their modules already
    assert applied.returncode == 0, applied.stdout + applied.stderr
    done = harden("audit", "--env", LAB, *(a for r in roles for a in ("--role", r)), "--format", "json")
    report = json.loads(done.stdout)
    failed = {c["id"]: c for c in report["checks"] if not c["passed"]}
    assert failed == {}, json.dumps(failed, indent=1)
    assert done.returncode == 0 and report["score"] == 100.0 and set(report["roles"]) == set(roles)
    ids = {c["id"] for c in report["checks"]}
    # the live status of every audited role that has one, secrets and hosts
    with_status = [r for r in roles if status_report(ROLES[r]) is not None]
    assert with_status, roles
    assert {f"HR-{code(ROLES[r])}-01" for r in with_status} <= ids
    # the certificate of every TLS port of every audited role that has one
    assert {f"HR-{code(ROLES[r])}-03" for r in roles if has_tls(ROLES[r])} <= ids
    # the failover drill of every audited role that takes one (its module's test took one)
    assert {f"HR-{code(ROLES[r])}-04" for r in roles if drill_command(ROLES[r])} <= ids
    # the public TLS profile of every audited role that serves public names (the edge)
    assert {f"HR-{code(ROLES[r])}-06" for r in roles if profile_targets(ROLES[r])} <= ids
    # every port that declares an anonymous probe refused it (each one's evidence says how)
    probed = [r for r in roles if any(port.anonymous for port in ROLES[r].ports)]
    assert probed, roles
    anonymous = [c for c in report["checks"] if c["id"] in {f"HR-{code(ROLES[r])}-05" for r in probed}]
    assert len(anonymous) == len(probed), ids
    assert all(e["value"].startswith("refused: ") for c in anonymous for e in c["evidence"]), anonymous
    assert {"HR-SEC-01", "HR-SEC-02", "HR-SEC-03", "HR-SEC-04", "HR-HOST-01", "HR-HOST-02", "HR-HOST-03"} <= ids
    assert all(c["evidence"] for c in report["checks"])
    print(f"{len(ids)} checks of {', '.join(roles)} in {report['seconds']} s")
