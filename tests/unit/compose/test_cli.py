"""`harden compose check` and `fix` through the CLI: formats, exit codes, files written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from orchestrator.cli import main

TODAY = Path(__file__).parents[2] / "fixtures" / "compose" / "platform-today.yml"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["compose", *args])
    return result.exit_code, result.stdout, result.stderr


def test_check_exits_2_with_findings_in_every_format() -> None:
    code, out, _ = run("check", "--compose", str(TODAY), "--env", "staging")
    assert code == 2 and "findings in 18 of 18 services" in out.splitlines()[0]
    code, out, _ = run("check", "--compose", str(TODAY), "--env", "staging", "--format", "json")
    doc = json.loads(out)
    assert code == 2 and doc["services"] == 18 and {f["id"] for f in doc["findings"]} >= {"HR-APP-01", "HR-APP-11"}
    code, out, _ = run("check", "--compose", str(TODAY), "--format", "markdown")
    assert code == 2 and "| service | ID | finding | detail |" in out


def test_fix_diff_writes_nothing_then_fix_writes_and_a_rerun_changes_nothing(tmp_path: Path) -> None:
    compose = tmp_path / "docker-compose.yml"
    shutil.copy(TODAY, compose)
    code, out, err = run("fix", "--compose", str(compose), "--env", "staging", "--diff")
    assert code == 2 and out.startswith("---") and compose.read_text() == TODAY.read_text()
    assert "HR-APP-03" in err  # the secrets, which need `harden secrets import` first
    code, _, err = run("fix", "--compose", str(compose), "--env", "staging")
    assert code == 2 and "removed service postgres (run by the postgres_ha role)" in err
    fixed = compose.read_text()
    assert fixed != TODAY.read_text()
    code, _, err = run("fix", "--compose", str(compose), "--env", "staging")
    assert err.startswith("policy: inventories/staging/compose-policy.yml\nfixed 0 finding(s)")
    assert code == 2 and compose.read_text() == fixed


def test_a_file_that_is_not_compose_is_an_error_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "compose.yml"
    bad.write_text("version: '3'\n")
    code, _, err = run("check", "--compose", str(bad))
    assert code == 1 and f"{bad}: services: not a docker-compose file" in err
