"""`harden plan --post`: the plan of a (faked) Ansible run goes to a local fake forge."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from orchestrator import commands, engine
from orchestrator.cli import main
from orchestrator.plan import TaskResult
from orchestrator.publish import parse_marker
from orchestrator.runner import RunResult
from orchestrator.secrets.channel import SecretChannel
from tests.unit.publish.fake_forge import TOKEN, fake_forge

ROLES = ["--role", "baseline", "--role", "pki", "--role", "vault"]


def _fake_run(monkeypatch: pytest.MonkeyPatch, status: str, diff_chars: int = 10) -> None:
    def fake_run(**kwargs: Any) -> RunResult:
        return RunResult(role=kwargs["role"], status="successful", rc=0, artifact_dir=Path("/nonexistent"))

    def fake_results(role: str, events: Any) -> list[TaskResult]:
        diff = "\n".join(f"+line {i} " + "x" * 60 for i in range(diff_chars // 70 + 1))
        return [TaskResult(role, "data-1", "Write config", "template", status, diff=diff, message="boom")]

    monkeypatch.setattr(engine, "run_playbook", fake_run)
    monkeypatch.setattr(engine, "results_from_events", fake_results)
    monkeypatch.setattr(commands, "channel_for_role", lambda *a, **k: SecretChannel())


def _github_env(base: str, tmp_path: Path) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7}}))
    return {
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_REPOSITORY": "acme/platform",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_API_URL": base,
    }


def _plan(environ: dict[str, str], *args: str) -> Any:
    return CliRunner().invoke(main, ["plan", "--env", "lab", *args, "--post", "github"], env=environ)


def test_each_push_updates_the_same_comment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with fake_forge() as (base, state):
        environ = _github_env(base, tmp_path)
        _fake_run(monkeypatch, "changed")
        first = _plan(environ, *ROLES)
        assert first.exit_code == 2, first.output
        assert "1 created, 0 updated" in first.output
        (comment_id,) = state.comments
        _fake_run(monkeypatch, "ok")
        second = _plan(environ, *ROLES)
        assert second.exit_code == 0, second.output
    assert list(state.comments) == [comment_id]
    body = state.comments[comment_id]
    assert parse_marker(body) == ("lab", 1) and "No changes" in body
    assert TOKEN not in first.output + second.output


def test_a_long_plan_is_split_across_three_comments(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _fake_run(monkeypatch, "changed", diff_chars=40_000)  # one role's section fits a comment, two do not
    with fake_forge() as (base, state):
        done = _plan(_github_env(base, tmp_path), *ROLES)
    assert done.exit_code == 2, done.output
    parts = [parse_marker(body) for body in state.comments.values()]
    assert parts == [("lab", 1), ("lab", 2), ("lab", 3)]
    assert all(len(body) < 65_536 for body in state.comments.values())  # GitHub's limit for a comment
    assert [f"(part {i} of 3)" in body for i, body in enumerate(state.comments.values(), start=1)] == [True] * 3


def test_a_failed_plan_is_posted_and_exits_1(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _fake_run(monkeypatch, "failed")
    with fake_forge() as (base, state):
        done = _plan(_github_env(base, tmp_path), *ROLES)
    assert done.exit_code == 1, done.output
    (body,) = state.comments.values()
    assert ":x: `data-1` **Write config**: failed: boom" in body


def test_a_refused_environment_is_posted_too(tmp_path: Path) -> None:
    with fake_forge() as (base, state):
        done = _plan(_github_env(base, tmp_path), "--role", "nosuchrole")
    assert done.exit_code == 1
    (body,) = state.comments.values()
    assert parse_marker(body) == ("lab", 1)
    assert "harden plan failed" in body and "--role nosuchrole: unknown role" in body
