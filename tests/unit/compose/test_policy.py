"""The policy model: defaults, per-service overrides, and errors that name the file and the key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from orchestrator.compose.policy import POLICY_FILE, ComposePolicy, load_policy, policy_for
from orchestrator.errors import ConfigError
from orchestrator.inventory import INVENTORIES_DIR
from orchestrator.validation import validate_environment


def issues(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / POLICY_FILE
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_policy(path)
    return [f"{i.key}: {i.message}" for i in caught.value.issues if i.file.endswith(POLICY_FILE)]


def test_defaults_and_overrides() -> None:
    finance = {"limits": {"cpus": 2, "memory": "2g", "pids": 64}}
    policy = ComposePolicy.model_validate({"services": {"finance": finance}})
    assert policy.limits_of("finance").memory == "2g"
    assert policy.limits_of("audit") == ComposePolicy().limits
    assert policy.user_of("audit") == "10001:10001"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("limits: {cpus: 1, memory: lots, pids: 64}", "limits.memory: String should match pattern"),
        ("services: {a: {waive: {HR-APP-99: because}}}", "services.a.waive: unknown finding 'HR-APP-99'"),
        ("services: {a: {waive: {HR-APP-05: ' '}}}", "services.a.waive: HR-APP-05: a waiver needs its reason"),
        ("services: {a: {image: 'app:1.0'}}", "services.a.image: 'app:1.0' is not pinned"),
        ("routes: [a]", "routes: unknown key"),
        ("- a list", "(top level): expected a mapping"),
    ],
)
def test_errors_name_the_key(tmp_path: Path, text: str, expected: str) -> None:
    found = issues(tmp_path, text)
    assert any(line.startswith(expected) for line in found), found


def test_the_environment_policy_is_found_and_validated_with_it(tmp_path: Path) -> None:
    env = tmp_path / "staging"
    shutil.copytree(INVENTORIES_DIR / "staging", env)
    policy, source = policy_for(str(env), None)
    assert source.endswith(f"staging/{POLICY_FILE}") and "api-gateway" in policy.routed
    (env / POLICY_FILE).write_text("user: root\n")
    with pytest.raises(ConfigError) as caught:
        validate_environment(str(env))
    assert [(Path(i.file).name, i.key) for i in caught.value.issues] == [(POLICY_FILE, "user")]
    (env / POLICY_FILE).unlink()
    assert policy_for(str(env), None)[1].startswith("the defaults")
