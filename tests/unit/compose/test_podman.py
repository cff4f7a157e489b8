"""A hardened compose project as Podman runs it: every limit, check and option on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator.compose import document
from orchestrator.compose.fix import fix_text
from orchestrator.compose.podman import credential_path, project_units, unit_name, unit_text
from orchestrator.compose.policy import load_policy
from orchestrator.errors import ConfigError
from orchestrator.secrets.compose_import import find_secrets, load_compose, rewrite_text

FIXTURES = Path(__file__).parents[2] / "fixtures" / "compose"
POLICY = Path(__file__).parents[3] / "inventories" / "staging" / "compose-policy.yml"
HOST = {"APP_BACKEND_ADDRESS": "10.0.5.21"}


def _flag(args: list[str], flag: str) -> list[str]:
    return [args[i + 1] for i, a in enumerate(args) if a == flag]


@pytest.fixture(scope="module")
def hardened() -> dict[str, object]:
    """Today's platform file after `harden secrets import` and `harden compose fix` (staging policy)."""
    doc = load_compose(FIXTURES / "platform-today.yml")
    imported = rewrite_text(doc, find_secrets(doc))
    fixed = fix_text(imported, "docker-compose.harden.yml", load_policy(POLICY)).after
    return document.loads(fixed, "docker-compose.harden.yml")  # type: ignore[no-any-return]


def test_every_app_service_gets_its_policy_limits_and_health_check(hardened: dict[str, object]) -> None:
    units = {u.service: u for u in project_units("platform", hardened, "docker-compose.harden.yml", HOST)}
    assert len(units) == 14, sorted(units)  # the 4 data services went to their roles
    policy = load_policy(POLICY)
    for name, unit in units.items():
        args = unit.args
        limits = policy.limits_of(name)
        assert _flag(args, "--memory") == [limits.memory], name
        assert _flag(args, "--pids-limit") == [str(limits.pids)], name
        assert _flag(args, "--cpus") == [str(limits.cpus)], name
        assert _flag(args, "--memory-reservation") == [policy.reservations_of(name).memory], name
        health = json.loads(_flag(args, "--health-cmd")[0])
        assert health[-1].endswith((policy.health.ready_path, policy.health.live_path)), (name, health)
        assert "--read-only" in args and _flag(args, "--cap-drop") == ["ALL"], name
        assert _flag(args, "--security-opt") == ["no-new-privileges"], name
        assert unit.restart == "always" and unit.unit == unit_name("platform", name)
        edge = ["harden-platform-edge"] if name in policy.routed else []  # publishes: routed network too
        assert _flag(args, "--network") == [*edge, "harden-platform"] and _flag(args, "--network-alias") == [name]
        assert unit.image in args and unit.image.startswith("registry.platform.internal/")  # the pinned one
    assert _flag(units["finance"].args, "--memory") == ["2g"]  # the policy's override


def test_only_the_routed_service_publishes_and_on_the_host_address(hardened: dict[str, object]) -> None:
    units = project_units("platform", hardened, "docker-compose.harden.yml", HOST)
    published = {u.service: _flag(u.args, "--publish") for u in units if "--publish" in u.args}
    assert list(published) == ["api-gateway"], published
    assert all(p.startswith("10.0.5.21:") for p in published["api-gateway"])


def test_secrets_reach_a_service_only_as_credentials_systemd_decrypts_at_start(hardened: dict[str, object]) -> None:
    units = project_units("platform", hardened, "docker-compose.harden.yml", HOST)
    with_files = [u for u in units if u.env_files]
    assert with_files  # today's file has secrets: import moved them to env files
    for unit in with_files:
        assert unit.env_files == [f"{unit.service}.env"]
        assert _flag(unit.args, "--env-file") == [f"%d/{f}" for f in unit.env_files]
        text = unit_text(unit, "platform.yml")
        assert f" --env-file %d/{unit.service}.env " in text  # a specifier systemd expands, not quoted
        assert f"LoadCredentialEncrypted={unit.service}.env:{credential_path('platform', unit.service + '.env')}\n" in (
            text
        )
    values = {item.value for item in find_secrets(load_compose(FIXTURES / "platform-today.yml"))}
    assert values
    argv = " ".join(a for u in units for a in u.args)
    assert not [v for v in values if v in argv]


def test_a_variable_without_a_value_names_the_key() -> None:
    text = "services:\n  api:\n    image: a:1\n    ports: ['${APP_BACKEND_ADDRESS}:8080:8080']\n"
    with pytest.raises(ConfigError) as caught:
        project_units("p", document.loads(text, "c.yml"), "c.yml")
    assert [(i.key, "APP_BACKEND_ADDRESS" in i.message) for i in caught.value.issues] == [("services.api.ports", True)]
    unit = project_units("p", document.loads(text, "c.yml"), "c.yml", {"APP_BACKEND_ADDRESS": "10.0.0.1"})[0]
    assert _flag(unit.args, "--publish") == ["10.0.0.1:8080:8080"]


def test_what_cannot_be_carried_over_is_an_error_for_each_key() -> None:
    text = (
        "services:\n"
        "  api:\n    build: .\n    volumes: ['./conf:/conf', 'data:/data']\n    ports: ['8080:8080']\n"
        "    depends_on: [db]\n    deploy: {replicas: 2}\n"
        "  Bad_Name:\n    image: b:1\n"
    )
    with pytest.raises(ConfigError) as caught:
        project_units("p", document.loads(text, "c.yml"), "c.yml")
    keys = sorted(i.key for i in caught.value.issues)
    assert keys == [
        "services.Bad_Name",
        "services.api.build",
        "services.api.depends_on",
        "services.api.deploy.replicas",
        "services.api.image",
        "services.api.ports",
        "services.api.volumes",
    ], keys
    assert all(i.file == "c.yml" for i in caught.value.issues)


def test_order_health_forms_and_named_volumes() -> None:
    text = (
        "services:\n"
        "  db-proxy:\n    image: p:1\n    healthcheck: {test: 'wget -q -O- http://127.0.0.1:1/health/ready'}\n"
        "  api:\n    image: a:1\n    command: serve --port 8080\n"
        "    depends_on: {db-proxy: {condition: service_healthy}}\n"
        "    volumes: ['cache:/var/cache/api:ro']\n    restart: 'no'\n    healthcheck: {test: [NONE]}\n"
        "    logging: {driver: json-file, options: {max-size: 10m}}\n    stop_grace_period: 1m30s\n"
    )
    proxy, api = project_units("p", document.loads(text, "c.yml"), "c.yml")
    assert _flag(proxy.args, "--health-cmd") == ["wget -q -O- http://127.0.0.1:1/health/ready"]  # via /bin/sh -c
    assert api.after == [unit_name("p", "db-proxy")] and api.restart == "no"
    assert api.args[-4:] == ["a:1", "serve", "--port", "8080"]
    assert _flag(api.args, "--volume") == ["p-cache:/var/cache/api:ro"] and "--no-healthcheck" in api.args
    assert _flag(api.args, "--log-opt") == ["max-size=10m"] and _flag(api.args, "--stop-timeout") == ["90"]


def test_two_env_files_of_one_name_are_refused() -> None:
    text = "services:\n  api:\n    image: a:1\n    env_file: [a/x.env, b/x.env, ./y.txt]\n"
    with pytest.raises(ConfigError) as caught:
        project_units("p", document.loads(text, "c.yml"), "c.yml")
    assert [(i.key, i.message.split(":")[0]) for i in caught.value.issues] == [
        ("services.api.env_file", "'x.env'"),
        ("services.api.env_file", "'y.txt'"),
    ]
