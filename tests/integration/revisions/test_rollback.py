"""harden rollback, per role: a live setting goes back, nothing else changes, under load too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.lab_env import LAB, copy_lab_with
from orchestrator.lab.config import LabConfig
from orchestrator.roles import ROLES
from orchestrator.secrets.resolver import role_secrets_path
from orchestrator.secrets.vault_session import admin_client
from orchestrator.validation import Environment, validate_environment
from tests.faults import redis_faults as rf
from tests.integration.conftest import apply_roles, harden, lab_ssh


def other_roles_files(role: str) -> str:
    """The files every other role owns (their specs' managed_paths): a rollback must not change them."""
    paths = [p for spec in ROLES.values() if spec.name != role for p in spec.managed_paths]
    assert paths, role
    return " ".join(paths)


@pytest.fixture(scope="module")
def env(lab: LabConfig) -> Environment:
    # the roles rolled back here: converged, their latest revision a successful apply
    applied = apply_roles("baseline", "pki", "vault", "redis_sentinel", only_missing=True)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    return validate_environment(LAB)


def checksums(lab: LabConfig, role: str) -> dict[str, str]:
    """sha256 of the other roles' files on every host (rollback of `role` must not touch them)."""
    paths = other_roles_files(role)
    return {h.name: lab_ssh(lab, h.name, f"sha256sum {paths} 2>/dev/null || true") for h in lab.hosts}


def three_revisions(role: str, tmp_path: Path, line: str, group: str) -> Path:
    """Revision 1 is the module fixture's apply of the lab as it is (each test rolls back only its
    own role, so it is still that role's latest revision); revision 2 comes from a copy with one
    setting changed."""
    latest = harden("history", "--env", LAB, "--role", role, check=True).stdout
    rows = [line for line in latest.splitlines() if role in line and ("apply" in line or "rollback" in line)]
    assert rows and "apply" in rows[-1] and "success" in rows[-1], latest
    changed = copy_lab_with(tmp_path, group, line)
    harden("apply", "--env", str(changed), "--role", role, check=True)
    return changed


def assert_history_ends_apply_apply_rollback(role: str) -> None:
    out = harden("history", "--env", LAB, "--role", role, check=True).stdout
    rows = [line for line in out.splitlines() if role in line and ("apply" in line or "rollback" in line)]
    assert len(rows) >= 3
    assert "apply" in rows[-3] and "apply" in rows[-2] and "rollback" in rows[-1]


def test_baseline_rollback(env: Environment, lab: LabConfig, tmp_path: Path) -> None:
    changed = three_revisions("baseline", tmp_path, "baseline_sshd_max_auth_tries: 5", "all")
    assert "maxauthtries 5" in lab_ssh(lab, "data-1", "sshd -T")
    before = checksums(lab, "baseline")
    dry = harden("rollback", "--env", str(changed), "--role", "baseline", "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "MaxAuthTries" in dry.stdout
    assert "maxauthtries 5" in lab_ssh(lab, "data-1", "sshd -T")  # dry run changed nothing
    harden("rollback", "--env", str(changed), "--role", "baseline", "--yes", check=True)
    for host in lab.hosts:
        assert "maxauthtries 3" in lab_ssh(lab, host.name, "sshd -T")
    plan = harden("plan", "--env", LAB, "--role", "baseline", "--format", "json")
    assert plan.returncode == 0 and json.loads(plan.stdout)["changes"] == 0
    assert checksums(lab, "baseline") == before
    assert_history_ends_apply_apply_rollback("baseline")


def test_redis_rollback_under_load_loses_no_write(env: Environment, lab: LabConfig, tmp_path: Path) -> None:
    ra = rf.access(env)
    changed = three_revisions("redis_sentinel", tmp_path, "redis_sentinel_maxmemory: 300mb", "redis")
    master = rf.master_host(lab, ra)
    assert "314572800" in rf.redis_cli(lab, master, ra.admin_password, "CONFIG GET maxmemory")
    before = checksums(lab, "redis_sentinel")
    rolled: dict[str, int] = {}

    def do_rollback() -> None:
        rolled["rc"] = harden("rollback", "--env", str(changed), "--role", "redis_sentinel", "--yes").returncode

    result = rf.run_writer(lab, ra, seconds=25, prefix="orders:rollback", fault=do_rollback, fault_after=2)
    assert rolled["rc"] == 0
    for host in ("data-1", "data-2", "data-3"):
        assert "268435456" in rf.redis_cli(lab, host, ra.admin_password, "CONFIG GET maxmemory")
    assert rf.master_host(lab, ra) == master  # never fights Sentinel
    missing = set(result.acked) - rf.stored_ids(lab, ra, master, "orders:rollback")
    assert missing == set()
    plan = harden("plan", "--env", LAB, "--role", "redis_sentinel", "--format", "json")
    assert plan.returncode == 0 and json.loads(plan.stdout)["changes"] == 0
    assert checksums(lab, "redis_sentinel") == before
    assert_history_ends_apply_apply_rollback("redis_sentinel")


def _postgres_token_ttl(env: Environment) -> int:
    with admin_client(env) as admin:
        return int(admin.auth.approle.read_role("postgres")["data"]["token_ttl"])


def test_vault_rollback(env: Environment, lab: LabConfig, tmp_path: Path) -> None:
    changed = three_revisions("vault", tmp_path, "vault_token_ttl: 7200", "vault")
    assert _postgres_token_ttl(env) == 7200
    before = checksums(lab, "vault")
    harden("rollback", "--env", str(changed), "--role", "vault", "--yes", check=True)
    assert _postgres_token_ttl(env) == 3600
    plan = harden("plan", "--env", LAB, "--role", "vault", "--format", "json")
    assert plan.returncode == 0 and json.loads(plan.stdout)["changes"] == 0
    assert checksums(lab, "vault") == before
    assert_history_ends_apply_apply_rollback("vault")


def test_rollback_refuses_what_cannot_be_restored(env: Environment) -> None:
    missing = harden("rollback", "--env", LAB, "--role", "baseline", "--to", "9999", "--yes")
    assert missing.returncode == 1
    assert "revision 9999 of baseline is not kept" in missing.stderr


def test_pki_rollback(env: Environment, lab: LabConfig, tmp_path: Path) -> None:
    """pki has no live setting to show: its rollback re-applies revision 1 and changes nothing on hosts."""
    changed = three_revisions("pki", tmp_path, "pki_cert_renew_days: 45", "all")
    ca_before = lab_ssh(lab, "ops-1", "sha256sum /etc/harden-ca/ca.crt /etc/harden-ca/ca.key")
    others = checksums(lab, "vault")
    harden("rollback", "--env", str(changed), "--role", "pki", "--yes", check=True)
    assert lab_ssh(lab, "ops-1", "sha256sum /etc/harden-ca/ca.crt /etc/harden-ca/ca.key") == ca_before
    plan = harden("plan", "--env", LAB, "--role", "pki", "--format", "json")
    assert plan.returncode == 0 and json.loads(plan.stdout)["changes"] == 0
    assert checksums(lab, "vault") == others
    assert_history_ends_apply_apply_rollback("pki")


def test_revisions_can_live_in_vault_for_teams(env: Environment, tmp_path: Path) -> None:
    """revisions_backend: vault keeps a role's history in Vault (and no secret in it); last in this
    module, as it records a baseline revision the local history of the lab does not see."""
    shared = copy_lab_with(tmp_path, "all", "")
    settings = shared / "harden.yml"
    settings.write_text(settings.read_text() + "revisions_backend: vault\n")
    harden("apply", "--env", str(shared), "--role", "baseline", check=True)
    with admin_client(env) as admin:
        stored = admin.secrets.kv.v2.read_secret_version(
            path="harden/revisions/lab/baseline", mount_point="secret", raise_on_deleted_version=True
        )["data"]["data"]
    revisions = json.loads(stored["revisions"])
    assert revisions[-1]["action"] == "apply" and revisions[-1]["result"] == "success"
    with admin_client(env) as admin:
        redis = admin.secrets.kv.v2.read_secret_version(
            path=role_secrets_path("redis_sentinel"), mount_point="secret", raise_on_deleted_version=True
        )["data"]["data"]
    assert not [k for k, v in redis.items() if str(v) in stored["revisions"]]  # no secret in revisions
    history = harden("history", "--env", str(shared), "--role", "baseline", check=True).stdout
    assert f" {revisions[-1]['number']} " in history
