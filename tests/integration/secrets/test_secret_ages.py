"""`harden secrets status` on the lab: the age of every secret of every role, read from Vault's
KV history (the verdicts are judged in tests/unit/secrets/test_age.py)."""

from __future__ import annotations

import json

from bench.lab_env import LAB
from orchestrator.lab.config import LabConfig
from orchestrator.secrets.age import role_refs
from orchestrator.validation import validate_environment
from tests.integration.conftest import apply_roles, harden
from tests.integration.secrets.test_no_leaks import SECRET_ROLES


def test_every_secret_of_every_role_has_its_age_and_none_is_too_old(lab: LabConfig) -> None:
    refs = role_refs(validate_environment(LAB))
    roles = sorted({role for role, _, _ in refs})
    assert refs and set(SECRET_ROLES) <= set(roles)  # and app_services, whose secrets are its services'
    applied = apply_roles(*roles, only_missing=True)  # the audit module applies them all anyway
    assert applied.returncode == 0, applied.stdout + applied.stderr
    done = harden("secrets", "status", "--env", LAB, "--format", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    status = json.loads(done.stdout)
    assert status["verdict"] == "healthy", status["reasons"]
    rows = status["rows"]
    assert [(r["role"], r["secret"]) for r in rows] == [(role, str(ref)) for role, ref, _ in refs]
    # written during this session: hours old at most
    assert all(r["state"] in ("ok", "identifier") and float(r["age (days)"]) < 1 for r in rows), rows
