"""What ansible-playbook receives from the orchestrator: host keys checked, no operator secrets on disk."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from orchestrator import runner
from orchestrator.paths import REPO_ROOT
from orchestrator.runner import ansible_environment, only_allowed_environment, prune_runs


def _prepared(tmp_path: Path) -> dict[str, str]:
    """The environment ansible-runner itself builds for a run (as run_playbook prepares it)."""
    from ansible_runner.config.runner import RunnerConfig

    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "site.yml").write_text("- hosts: all\n  tasks: []\n")
    environment = ansible_environment()
    with only_allowed_environment():
        config = RunnerConfig(private_data_dir=str(tmp_path), playbook="site.yml", envvars=environment)
        config.prepare()
    return dict(config.env)


def test_host_key_checking_survives_ansible_runner(tmp_path: Path) -> None:
    # ansible-runner sets ANSIBLE_HOST_KEY_CHECKING=False whenever it is unset (config/_base.py)
    assert _prepared(tmp_path)["ANSIBLE_HOST_KEY_CHECKING"] == "True"


def test_operator_environment_is_allow_listed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    planted = {"AWS_SECRET_ACCESS_KEY": "planted-cloud-key", "CI_JOB_TOKEN": "planted-ci-token"}
    for name, value in planted.items():
        monkeypatch.setenv(name, value)
    env = _prepared(tmp_path)
    assert env["ANSIBLE_CONFIG"].endswith("ansible.cfg") and "PATH" in env
    for name, value in planted.items():
        assert name not in env and value not in env.values()
        assert os.environ[name] == value  # restored for the rest of the process


def test_old_runs_are_pruned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "RUNS_DIR", tmp_path)
    for i in range(5):
        (tmp_path / f"2026010{i}T000000-lab-plan-aaaaaa").mkdir()
    removed = prune_runs(keep=2)
    assert sorted(p.name[:9] for p in removed) == ["20260100T", "20260101T", "20260102T"]
    assert sorted(p.name[:9] for p in tmp_path.iterdir()) == ["20260103T", "20260104T"]


@pytest.mark.parametrize("strategy", runner.STRATEGIES)
def test_each_strategy_runs_a_playbook_with_the_same_results(tmp_path: Path, strategy: str) -> None:
    """Both `ansible_strategy` values load and run (a local play), and report the same task results."""
    import subprocess
    import sys

    playbook = tmp_path / "play.yml"
    playbook.write_text(
        "- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n"
        "    - ansible.builtin.command: 'true'\n      changed_when: false\n"
        "    - ansible.builtin.copy: {content: 'x', dest: '" + str(tmp_path / "out") + "', mode: '0600'}\n"
    )
    env = {**os.environ, **ansible_environment(runner.strategy_environment(strategy))}
    done = subprocess.run(
        ["ansible-playbook", "-i", "localhost,", "-e", f"ansible_python_interpreter={sys.executable}", str(playbook)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok=2" in done.stdout and "changed=1" in done.stdout, done.stdout


def test_an_unknown_strategy_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown ansible strategy 'free'"):
        runner.strategy_environment("free")


def test_facts_are_cached_per_environment_across_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ansible-runner would point the cache at each run's artifacts, so that every role run gathered
    facts again: the second run of the environment finds them in its own cache instead."""
    import sys

    monkeypatch.setattr(runner, "RUNS_DIR", tmp_path / "runs")
    project = tmp_path / "project"
    (project / "playbooks").mkdir(parents=True)
    (project / "playbooks" / "play.yml").write_text(
        "- hosts: all\n  connection: local\n  gather_facts: true\n  gather_subset: [min]\n  tasks:\n"
        "    - ansible.builtin.debug: {msg: '{{ ansible_facts.hostname }}'}\n"
    )
    (project / "ansible.cfg").write_text((REPO_ROOT / "ansible.cfg").read_text())  # gathering = smart
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": {"node-a": {"ansible_python_interpreter": sys.executable}}}}))
    facts = tmp_path / "facts" / "lab"
    facts.mkdir(parents=True)
    gathered = []
    for attempt in (1, 2):
        run_dir = tmp_path / "runs" / str(attempt)
        run_dir.mkdir(parents=True)
        result = runner.run_playbook(
            run_dir=run_dir, role="r", playbook="playbooks/play.yml", inventory=inventory, check=False,
            limit=None, forks=1, facts=facts, tree=project, strategy="linear",
        )  # fmt: skip
        assert result.ok, result.tail()
        gathered.append(sum(1 for e in result.events if e.get("event_data", {}).get("task") == "Gathering Facts"
                            and e["event"] == "runner_on_ok"))  # fmt: skip
    assert [p.name.endswith("node-a") for p in facts.iterdir()] == [True]
    assert gathered == [1, 0], gathered
