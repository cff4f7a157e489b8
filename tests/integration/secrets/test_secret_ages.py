"""`harden secrets status` on the lab: the age of every secret of this session's roles
(conftest.shard_roles; tests/run_suite.py runs it in both shards), read from Vault's KV history
(the verdicts are judged in tests/unit/secrets/test_age.py)."""

from __future__ import annotations

import json

import pytest

from bench.lab_env import LAB
from orchestrator.lab.config import LabConfig
from orchestrator.secrets.age import role_refs
from orchestrator.validation import validate_environment
from tests.integration.conftest import apply_roles, harden, shard_roles
from tests.integration.secrets.test_no_leaks import secret_roles


def test_every_secret_of_every_role_has_its_age_and_none_is_too_old(
    lab: LabConfig, request: pytest.FixtureRequest
) -> None:
    scope = tuple(shard_roles(request.session, validate_environment(LAB).settings.roles))
    refs = role_refs(validate_environment(LAB).scoped(scope))
    roles = sorted({role for role, _, _ in refs})
    assert refs and set(secret_roles(list(scope))) <= set(roles)  # and app_services', its services'
    applied = apply_roles(*roles, only_missing=True)  # converged by their modules already
    assert applied.returncode == 0, applied.stdout + applied.stderr
    done = harden("secrets", "status", "--env", LAB, *(a for r in scope for a in ("--role", r)), "--format", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    status = json.loads(done.stdout)
    assert status["verdict"] == "healthy", status["reasons"]
    rows = status["rows"]
    assert [(r["role"], r["secret"]) for r in rows] == [(role, str(ref)) for role, ref, _ in refs]
    # written during this session: hours old at most
    assert all(r["state"] in ("ok", "identifier") and float(r["age (days)"]) < 1 for r in rows), rows
