"""The CLI through click's CliRunner: help, versions, exit codes, and no Ansible on bad input."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from click.testing import CliRunner

from orchestrator import __version__, commands, engine
from orchestrator.cli import main
from orchestrator.paths import INVENTORIES_DIR, RUNS_DIR
from orchestrator.plan import TaskResult
from orchestrator.roles import with_requirements
from orchestrator.runner import RunResult
from orchestrator.secrets.channel import SecretChannel
from orchestrator.validation import validate_environment


def _walk(group: click.Group, path: list[str]) -> list[list[str]]:
    """Every command path of the click tree: nothing to add by hand when a command is added."""
    found = [path]
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += _walk(command, [*path, name])
        else:
            found.append([*path, name])
    return found


COMMANDS = _walk(main, [])
# Commands simple enough that their one-line help is the example.
NO_EXAMPLES = (["lab", "up"], ["lab", "down"], ["lab", "status"])


@pytest.fixture
def no_ansible(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []

    def fake_run(**kwargs: Any) -> RunResult:
        calls.append(kwargs["role"])
        raise AssertionError("Ansible must not start")

    monkeypatch.setattr(engine, "run_playbook", fake_run)
    return calls


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: " ".join(c) or "harden")
def test_every_command_has_help_with_examples(cmd: list[str]) -> None:
    result = CliRunner().invoke(main, [*cmd, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    if cmd not in NO_EXAMPLES:
        assert "Examples:" in result.output


def test_the_walk_finds_every_command() -> None:
    for expected in (["rollback"], ["vault", "unseal"], ["secrets", "render"], ["redis", "failover"], ["pg", "status"]):
        assert expected in COMMANDS
    assert len(COMMANDS) >= 20


def test_history_of_an_unknown_role_is_an_error() -> None:
    result = CliRunner().invoke(main, ["history", "--env", "lab", "--role", "zookeeper"])
    assert result.exit_code == 1 and "--role zookeeper: not a role of lab" in result.output


def test_validate_bundled_lab() -> None:
    result = CliRunner().invoke(main, ["validate", "--env", "lab"])
    assert result.exit_code == 0, result.output
    assert "lab: valid (5 hosts" in result.output


def _bad_env(tmp_path: Path) -> Path:
    env = tmp_path / "bad"
    (env / "group_vars").mkdir(parents=True)
    (env / "hosts.yml").write_text(yaml.safe_dump({"all": {"hosts": {"h1": {"ansible_host": "h1"}}}}))
    (env / "harden.yml").write_text(yaml.safe_dump({"roles": ["baseline"]}))
    (env / "group_vars" / "all.yml").write_text(yaml.safe_dump({"baseline_sshd_max_auth_tries": 99}))
    return env


@pytest.mark.parametrize("command", ["validate", "plan", "apply"])
def test_bad_input_is_one_line_per_problem_and_touches_no_host(
    tmp_path: Path, no_ansible: list[str], command: str
) -> None:
    env = _bad_env(tmp_path)
    result = CliRunner().invoke(main, [command, "--env", str(env)])
    assert result.exit_code == 1
    assert (
        f"error: {env}/group_vars/all.yml: baseline_sshd_max_auth_tries: "
        "Input should be less than or equal to 10" in result.output
    )
    assert "Traceback" not in result.output
    assert no_ansible == []


def test_unknown_environment() -> None:
    result = CliRunner().invoke(main, ["validate", "--env", "nowhere"])
    assert result.exit_code == 1
    assert "environment 'nowhere' not found" in result.output


def test_unknown_role_is_rejected_before_ansible(no_ansible: list[str]) -> None:
    result = CliRunner().invoke(main, ["plan", "--env", "lab", "--role", "zookeeper"])
    assert result.exit_code == 1
    assert "--role zookeeper: unknown role" in result.output


def test_protected_environment_asks_before_apply(no_ansible: list[str]) -> None:
    result = CliRunner().invoke(main, ["apply", "--env", "production"], input="n\n")
    assert "production is protected" in result.output
    assert result.exit_code == 1
    assert no_ansible == []


def _fake_execution(monkeypatch: pytest.MonkeyPatch, status: str) -> None:
    def fake_run(**kwargs: Any) -> RunResult:
        return RunResult(role=kwargs["role"], status="successful", rc=0, artifact_dir=Path("/nonexistent"))

    def fake_results(role: str, events: Any) -> list[TaskResult]:
        return [TaskResult(role, "data-1", "Write config", "template", status, diff="+x")]

    monkeypatch.setattr(engine, "run_playbook", fake_run)
    monkeypatch.setattr(engine, "results_from_events", fake_results)
    monkeypatch.setattr(commands, "channel_for_role", lambda *a, **k: SecretChannel())


@pytest.mark.parametrize(("status", "code"), [("ok", 0), ("changed", 2), ("failed", 1)])
def test_plan_exit_codes(monkeypatch: pytest.MonkeyPatch, status: str, code: int) -> None:
    _fake_execution(monkeypatch, status)
    result = CliRunner().invoke(main, ["plan", "--env", "lab", "--format", "json"])
    assert result.exit_code == code, result.output


def test_plan_markdown_to_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _fake_execution(monkeypatch, "changed")
    out = tmp_path / "plan.md"
    result = CliRunner().invoke(
        main, ["plan", "--env", "lab", "--role", "baseline", "--format", "markdown", "--output", str(out)]
    )
    assert result.exit_code == 2
    assert out.read_text().startswith("<!-- harden-plan env=lab part=1 -->\n**1 change in 1 role on 1 host**")


@pytest.mark.parametrize("cmd", [["redis", "failover"], ["pg", "switchover"], ["apply"]], ids=lambda c: " ".join(c))
def test_destructive_verbs_ask_on_a_protected_environment(no_ansible: list[str], cmd: list[str]) -> None:
    result = CliRunner().invoke(main, [*cmd, "--env", "production"], input="n\n")
    assert result.exit_code == 1
    assert "production is protected." in result.output and "Aborted" in result.output
    assert no_ansible == []


def test_vault_unseal_without_vault_is_one_line(tmp_path: Path) -> None:
    env = tmp_path / "staging"
    shutil.copytree(INVENTORIES_DIR / "staging", env)
    (env / "harden.yml").write_text("---\ndescription: no vault\nprotected: false\nroles: [baseline]\n")
    for role_vars in (env / "group_vars").glob("*.yml"):
        if role_vars.name != "all.yml":
            role_vars.unlink()
    result = CliRunner().invoke(main, ["vault", "unseal", "--env", str(env)])
    assert result.exit_code == 1
    assert "staging runs no Vault" in result.output and "Traceback" not in result.output


def test_a_role_whose_requirements_were_never_applied_is_refused(no_ansible: list[str], tmp_path: Path) -> None:
    """Fresh hosts, `apply --role vault`: vault requires pki (and baseline), never applied in this
    environment, so harden stops before any host is touched, with the command to run."""
    env_dir = tmp_path / "never-applied"
    shutil.copytree(INVENTORIES_DIR / "lab", env_dir)
    result = CliRunner().invoke(main, ["apply", "--env", str(env_dir), "--role", "vault"])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    order = " ".join(f"--role {r}" for r in with_requirements("vault"))
    assert lines == [
        f"error: --role vault requires baseline, which has never been applied successfully in never-applied: "
        f"run `harden apply --env {env_dir} {order}` (no host was touched)"
    ]
    assert no_ansible == []
    assert not [p for p in RUNS_DIR.glob("*-never-applied-*")]
    # with its requirements in the selection, nothing is refused
    commands.check_requirements(validate_environment(str(env_dir)), str(env_dir), tuple(with_requirements("vault")))
