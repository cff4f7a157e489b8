"""Every role's alert rules are tested like code: `promtool test rules` on its alerts_test.yml, with
a case where each alert fires and one where it stays quiet (issue 18)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from orchestrator.roles import ROLES
from orchestrator.roles.monitoring.targets import RULES_FILE, RULES_TEST_FILE, rules_path, rules_text

# the HA components: each ships rules for its own failures
HA_ROLES = ("postgres_ha", "redis_sentinel", "vault")


def promtool() -> str:
    """The venv's promtool (make setup unpacks it from Debian's prometheus package), else PATH's."""
    beside = Path(sys.executable).with_name("promtool")
    found = str(beside) if beside.is_file() else shutil.which("promtool")
    assert found, "promtool is missing: run `make setup` (it unpacks Debian's prometheus package)"
    return found


RULED = [name for name in ROLES if rules_path(name).is_file()]


def test_the_monitoring_role_and_every_ha_role_ship_rules() -> None:
    assert {"monitoring", *HA_ROLES} <= set(RULED), RULED


@pytest.mark.parametrize("role", RULED)
def test_rules_pass_promtool_check_and_their_tests(role: str, tmp_path: Path) -> None:
    """As the monitoring role installs them: each ${variable} is the role's value, here its default."""
    rules = rules_path(role)
    tests = rules.with_name(RULES_TEST_FILE)
    assert tests.is_file(), f"{rules}: its tests belong in {tests} (promtool test rules)"
    defaults = ROLES[role].model.model_construct()
    (tmp_path / RULES_FILE).write_text(rules_text(rules.read_text(), defaults, str(rules)))
    (tmp_path / RULES_TEST_FILE).write_text(tests.read_text())
    check = subprocess.run([promtool(), "check", "rules", RULES_FILE], cwd=tmp_path, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    run = subprocess.run([promtool(), "test", "rules", RULES_TEST_FILE], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "SUCCESS" in run.stdout, run.stdout


@pytest.mark.parametrize("role", RULED)
def test_every_alert_has_a_case_that_fires_and_one_that_does_not(role: str) -> None:
    rules = yaml.safe_load(rules_path(role).read_text())
    alerts = {r["alert"] for g in rules["groups"] for r in g["rules"] if "alert" in r}
    assert alerts, f"{role}: alerts.yml has no alert"
    cases = yaml.safe_load(rules_path(role).with_name(RULES_TEST_FILE).read_text())
    fires: set[str] = set()
    quiet: set[str] = set()
    for test in cases["tests"]:
        for case in test.get("alert_rule_test", []):
            (fires if case.get("exp_alerts") else quiet).add(case["alertname"])
    # Watchdog always fires: it has no quiet case by design
    assert alerts - fires == set(), f"{role}: no case where these fire: {sorted(alerts - fires)}"
    assert alerts - quiet - {"Watchdog"} == set(), f"{role}: no case where these stay quiet: {sorted(alerts - quiet)}"


@pytest.mark.parametrize("role", RULED)
def test_the_rules_are_grouped_under_the_roles_name(role: str) -> None:
    # `harden monitoring status` (and HR-MON-01) finds each role's rules loaded by that name
    rules = yaml.safe_load(rules_path(role).read_text())
    assert [g["name"] for g in rules["groups"]] == [role], rules["groups"]


@pytest.mark.parametrize("role", RULED)
def test_every_alert_has_a_severity_a_summary_and_a_description(role: str) -> None:
    rules = yaml.safe_load(rules_path(role).read_text())
    for group in rules["groups"]:
        for rule in (r for r in group["rules"] if "alert" in r):
            assert rule.get("labels", {}).get("severity") in {"critical", "warning", "info", "none"}, rule
            assert {"summary", "description"} <= set(rule.get("annotations", {})), rule


def test_a_rules_setting_is_the_roles_value_and_an_unknown_one_is_refused() -> None:
    text = "expr: up < ${redis_sentinel_min_replicas_to_write}\nsummary: '{{ $value }} ${x'"
    model = ROLES["redis_sentinel"].model.model_construct(redis_sentinel_min_replicas_to_write=2)
    assert rules_text(text, model, "f") == "expr: up < 2\nsummary: '{{ $value }} ${x'"
    with pytest.raises(ValueError, match=r"f: \$\{nope\} is not a variable of the role"):
        rules_text("${nope}", model, "f")
    with pytest.raises(ValueError, match="is not a number"):
        rules_text("${redis_sentinel_master_name}", model, "f")
