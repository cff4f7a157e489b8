"""What each app host runs, derived from the environment's compose files, and what validation refuses."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from orchestrator.errors import ConfigError
from orchestrator.paths import REPO_ROOT
from orchestrator.roles.app_services.units import host_vars
from orchestrator.validation import validate_environment

INVENTORIES = REPO_ROOT / "inventories"


def test_staging_runs_the_14_app_services_each_with_its_unit() -> None:
    env = validate_environment("staging")
    (host,) = env.role_vars["app_services"]
    derived = host_vars(env)[host]
    units = derived["_app_services_units"]
    assert len(units) == 14
    assert all(u["unit"] == f"harden-app-platform-{u['service']}.service" for u in units)
    assert all("--memory" in u["text"] and "--pids-limit" in u["text"] for u in units)
    (project,) = derived["_app_services_projects"]
    assert [n["internal"] for n in project["networks"]] == [True, False]  # api-gateway publishes
    assert project["compose"] == (INVENTORIES / "staging" / "compose" / "platform.yml").read_text()
    address = env.inventory.host_vars[host].get("ansible_host")
    assert address is None or str(address.value) in next(u["text"] for u in units if u["service"] == "api-gateway")


def test_a_file_with_an_open_finding_is_refused_naming_the_file_and_service(tmp_path: Path) -> None:
    env = tmp_path / "lab"
    shutil.copytree(INVENTORIES / "lab", env)
    compose = env / "compose" / "platform.yml"
    compose.write_text(compose.read_text().replace("      - ALL\n", "      - NET_RAW\n", 1))
    with pytest.raises(ConfigError) as caught:
        validate_environment(str(env))
    (issue,) = caught.value.issues
    assert issue.file.endswith("group_vars/apps.yml") and issue.key == "app_services_projects[0].compose"
    assert "compose/platform.yml: services.gateway: HR-APP-08" in issue.message and "compose fix" in issue.message


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    env = tmp_path / "lab"
    shutil.copytree(INVENTORIES / "lab", env)
    (env / "compose" / "platform.yml").unlink()
    with pytest.raises(ConfigError) as caught:
        validate_environment(str(env))
    assert [(i.key, i.message.endswith("(file): no such file")) for i in caught.value.issues] == [
        ("app_services_projects[0].compose", True)
    ]


def test_a_revision_keeps_the_file_it_deployed(tmp_path: Path) -> None:
    """Rollback builds the role's models from a revision's values: the file's text is among them,
    so the units come from the file as it was, not as it is now."""
    import dataclasses

    env = validate_environment("lab")
    (host, model) = next(iter(env.role_vars["app_services"].items()))
    kept = model.model_dump(mode="json")
    then = type(model).model_validate(kept)  # no environment directory: the content stays
    kept["app_services_projects"][0]["content"] = kept["app_services_projects"][0]["content"].replace(
        "memory: 48m", "memory: 40m"
    )
    older = type(model).model_validate(kept)
    assert then == model
    as_then = dataclasses.replace(env, role_vars={**env.role_vars, "app_services": {host: older}})
    billing = next(u for u in host_vars(as_then)[host]["_app_services_units"] if u["service"] == "billing")
    assert "--memory 40m" in billing["text"]


def test_each_env_file_becomes_a_credential_from_the_manifest() -> None:
    env = validate_environment("staging")
    (host,) = env.role_vars["app_services"]
    (project,) = env.role_vars["app_services"][host].app_services_projects  # type: ignore[attr-defined]
    units = host_vars(env)[host]["_app_services_units"]
    credentials = [c for u in units for c in u["credentials"]]
    assert len(credentials) == 14 and all(c["name"] == f"{c['service']}.env" for c in credentials)
    assert {c["service"] for c in credentials} == {s.service for s in project.secrets}
    assert all(s.value.vault and s.value.vault.startswith("vault:secret/data/") for s in project.secrets)


def _lab_copy(tmp_path: Path) -> Path:
    env = tmp_path / "lab"
    shutil.copytree(INVENTORIES / "lab", env)
    return env


def _issues(env: Path) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as caught:
        validate_environment(str(env))
    return [(i.key, i.message) for i in caught.value.issues]


def test_an_env_file_without_a_manifest_entry_is_refused(tmp_path: Path) -> None:
    env = _lab_copy(tmp_path)
    (env / "compose" / "platform.yml.vault.json").unlink()
    ((key, message),) = _issues(env)
    assert key == "app_services_projects[0].compose"
    assert "compose/platform.yml: services.billing.env_file: billing.env:" in message
    assert "platform.yml.vault.json has no service 'billing'" in message


def test_a_manifest_service_that_reads_no_env_file_is_refused(tmp_path: Path) -> None:
    env = _lab_copy(tmp_path)
    manifest = env / "compose" / "platform.yml.vault.json"
    manifest.write_text(manifest.read_text().replace('"billing"', '"orders"'))
    messages = [m for _, m in _issues(env)]
    assert any("platform.yml.vault.json: orders: no service reads orders.env" in m for m in messages), messages


def test_a_manifest_entry_without_a_vault_reference_is_refused(tmp_path: Path) -> None:
    env = _lab_copy(tmp_path)
    (env / "compose" / "platform.yml.vault.json").write_text('{"billing": {"TOKEN": {"generate": {"length": 32}}}}')
    messages = [m for _, m in _issues(env)]
    assert any("billing.TOKEN: needs its Vault reference" in m for m in messages), messages


def test_a_literal_value_in_the_manifest_is_refused(tmp_path: Path) -> None:
    env = _lab_copy(tmp_path)
    (env / "compose" / "platform.yml.vault.json").write_text('{"billing": {"TOKEN": "hunter2hunter2"}}')
    issues = _issues(env)
    assert issues and all("hunter2" not in m for _, m in issues)
    assert any("platform.yml.vault.json: billing.TOKEN: a Vault reference" in m for _, m in issues), issues
