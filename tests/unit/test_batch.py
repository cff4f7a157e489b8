"""Roles in one ansible-playbook process (orchestrator/batch.py), run for real on local hosts:
results split per role, and a role that fails on one host stops the roles after it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from orchestrator import runner
from orchestrator.batch import GUARD_PREFIX, Split, write_playbook
from orchestrator.paths import REPO_ROOT

ROLES = ("first", "second", "third")


def _run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_in: str | None) -> tuple[Split, runner.RunResult]:
    monkeypatch.setattr(runner, "RUNS_DIR", tmp_path / "runs")
    project = tmp_path / "project"
    (project / "playbooks").mkdir(parents=True)
    for role in ROLES:
        fail = f"inventory_hostname == 'node-b' and {role == fail_in}"
        (project / "playbooks" / f"{role}.yml").write_text(
            f"- name: {role}\n  hosts: all\n  connection: local\n  gather_facts: false\n  tasks:\n"
            f"    - name: {role} works\n      ansible.builtin.command: 'true'\n      changed_when: false\n"
            f"    - name: {role} fails on node-b when asked to\n"
            f"      ansible.builtin.fail: {{msg: broken}}\n      when: {fail}\n"
        )
    (project / "ansible.cfg").write_text((REPO_ROOT / "ansible.cfg").read_text())
    inventory = tmp_path / "hosts.yml"
    local = {"ansible_python_interpreter": sys.executable}
    inventory.write_text(yaml.safe_dump({"all": {"hosts": {"node-a": local, "node-b": local}}}))
    run_dir = tmp_path / "runs" / "1"
    run_dir.mkdir(parents=True)
    playbook = write_playbook(run_dir / "batch.yml", [(r, str(project / "playbooks" / f"{r}.yml")) for r in ROLES])
    split = Split(list(ROLES))
    result = runner.run_playbook(
        run_dir=run_dir, role="batch", playbook=str(playbook), inventory=inventory, check=False, limit=None,
        forks=2, facts=tmp_path / "facts", tree=project, strategy="linear", on_event=split,
    )  # fmt: skip
    return split, result


def _tasks(result: runner.RunResult) -> set[str]:
    results = ("runner_on_ok", "runner_on_failed", "runner_on_skipped")
    return {e["event_data"]["task"] for e in result.events if e["event"] in results}


def test_every_role_runs_and_gets_its_own_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    split, batch = _run(tmp_path, monkeypatch, fail_in=None)
    assert batch.ok, batch.tail()
    results = split.results(batch)
    assert [(r.role, r.ok) for r in results] == [(role, True) for role in ROLES]
    for role, result in zip(ROLES, results, strict=True):
        assert _tasks(result) == {f"{role} works", f"{role} fails on node-b when asked to"}
        assert not any(str(e["event_data"].get("play", "")).startswith(GUARD_PREFIX) for e in result.events)


def test_a_failed_host_stops_the_roles_after_its_role(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As with one process per role: node-a finished `second` (Ansible goes on with the hosts that
    did not fail), and `third` started on no host."""
    split, batch = _run(tmp_path, monkeypatch, fail_in="second")
    assert not batch.ok
    results = split.results(batch)
    assert [(r.role, r.ok) for r in results] == [("first", True), ("second", False)]
    failed = [e for e in results[1].events if e["event"] == "runner_on_failed"]
    assert [e["event_data"]["host"] for e in failed] == ["node-b"]
    assert split.failed_guard == "third"
    assert "third works" not in {e.get("event_data", {}).get("task") for e in batch.events}
    assert "node-b failed or was unreachable in an earlier role: third" in batch.tail(40)


def test_a_failure_in_the_first_role_stops_before_the_second(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    split, batch = _run(tmp_path, monkeypatch, fail_in="first")
    assert [(r.role, r.ok) for r in split.results(batch)] == [("first", False)]


def test_a_run_that_stops_before_any_guard_fails_its_first_role(tmp_path: Path) -> None:
    batch = runner.RunResult(role="batch", status="failed", rc=1, artifact_dir=tmp_path)
    assert [(r.role, r.ok) for r in Split(list(ROLES)).results(batch)] == [("first", False)]
