"""Ansible run without harden (AWX, plain ansible-playbook): the inventory plugin and the
harden_secret lookup's Vault path (plugins/inventory/harden.py, plugins/lookup/harden_secret.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ansible.errors import AnsibleError

from orchestrator.engine import role_host_vars
from orchestrator.paths import INVENTORIES_DIR, REPO_ROOT
from orchestrator.runner import ansible_environment
from orchestrator.secrets.channel import lookup_template
from orchestrator.secrets.resolver import LOGIN_MARK, REF_MARK, default_ref, secret_references
from orchestrator.validation import secret_fields, validate_environment
from tests.unit.loading import load_file

ENVIRONMENTS = sorted(p.name for p in INVENTORIES_DIR.iterdir() if (p / "harden.yml").is_file())


LOOKUP = load_file(REPO_ROOT / "plugins" / "lookup" / "harden_secret.py", "harden_secret_fallback")


def ansible_inventory(env_dir: Path) -> subprocess.CompletedProcess[str]:
    """What AWX's inventory sync and `ansible-playbook -i inventories/<env>` see."""
    return subprocess.run(
        [str(Path(sys.executable).with_name("ansible-inventory")), "-i", str(env_dir), "--list"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={**ansible_environment(), "ANSIBLE_INVENTORY_UNPARSED_WARNING": "True"},
        check=False,
    )


def plain(value: Any) -> Any:
    """ansible-inventory's JSON with its data-not-a-template marks taken off."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def test_ansible_ignores_every_harden_file_of_an_environment_but_the_plugin_file() -> None:
    import configparser
    import re

    from orchestrator.inventory import ENVIRONMENT_DIRS, ENVIRONMENT_FILES

    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(REPO_ROOT / "ansible.cfg")
    patterns = [p.strip() for p in cfg["defaults"]["inventory_ignore_patterns"].split(",")]
    for name in ENVIRONMENT_FILES:
        ignored = any(re.search(p, name) for p in patterns)
        assert ignored is (name != "inventory.harden.yml"), name
    assert ENVIRONMENT_DIRS
    for name in ENVIRONMENT_DIRS:
        assert any(re.search(p, name) for p in patterns), name


def test_every_environment_has_the_plugin_file() -> None:
    assert ENVIRONMENTS == ["lab", "production", "staging"]
    for env in ENVIRONMENTS:
        assert "plugin: harden" in (INVENTORIES_DIR / env / "inventory.harden.yml").read_text()


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_the_directory_gives_ansible_what_harden_hands_each_role(env_name: str) -> None:
    done = ansible_inventory(INVENTORIES_DIR / env_name)
    assert done.returncode == 0, done.stderr
    assert "WARNING" not in done.stderr, done.stderr  # harden.yml and lab.yml are not read as inventory
    hostvars = json.loads(done.stdout)["_meta"]["hostvars"]
    env = validate_environment(env_name)
    assert sorted(hostvars) == env.inventory.hosts
    checked_secrets = checked_validated = 0
    for spec in env.roles(()):
        for host, values in role_host_vars(env, spec).items():
            for name, value in values.items():
                if name in hostvars[host].get("harden_secret_references", {}):
                    continue  # a variable with secrets inside: the lookup gives it
                assert plain(hostvars[host][name]) == value, (host, name)
                checked_validated += 1
        for name in secret_fields(spec):
            for host in env.role_vars[spec.name]:
                assert hostvars[host][name] == lookup_template(name)  # as harden's extra vars set it
                refs = plain(hostvars[host]["harden_secret_references"][name])
                if spec.name == "vault":
                    assert refs == {LOGIN_MARK: True}
                else:
                    assert refs == secret_references(spec.name, env.role_vars[spec.name])[host][name]
                checked_secrets += 1
    assert checked_secrets > 0 and checked_validated > 0


def test_every_secret_of_a_list_of_users_is_a_reference_and_nothing_else_is() -> None:
    done = ansible_inventory(INVENTORIES_DIR / "lab")
    assert done.returncode == 0, done.stderr
    hostvars = plain(json.loads(done.stdout)["_meta"]["hostvars"])
    assert hostvars["data-1"]["harden_secret_references"]["postgres_ha_superuser_password"] == {
        REF_MARK: str(default_ref("postgres_ha", "postgres_ha_superuser_password"))
    }
    users = hostvars["ops-1"]["harden_secret_references"]["redis_sentinel_users"]  # a Sentinel outside group redis
    assert [u["name"] for u in users] == ["orders", "sessions"]
    assert users[0]["password"] == {REF_MARK: "vault:secret/data/harden/roles/redis_sentinel#users_orders_password"}
    assert users[0]["keys"] == "~orders:*"


def test_an_invalid_environment_stops_ansible_with_harden_s_message(tmp_path: Path) -> None:
    env_dir = tmp_path / "lab"
    shutil.copytree(INVENTORIES_DIR / "lab", env_dir)
    redis = env_dir / "group_vars" / "redis.yml"
    redis.write_text(redis.read_text() + "redis_sentinel_maxmemory: lots\n")
    done = ansible_inventory(env_dir)
    assert done.returncode != 0  # any_unparsed_is_failed: never on with the inventory as written
    assert "group_vars/redis.yml: redis_sentinel_maxmemory:" in done.stderr, done.stderr
    assert "no host was touched" in done.stderr


class FakeKv2:
    """community.hashi_vault.vault_kv2_get over a dict: records each run (one login each)."""

    def __init__(self, data: dict[tuple[str, str], dict[str, str]]) -> None:
        self.data = data
        self.runs: list[tuple[list[str], str]] = []

    def run(self, terms: list[str], variables: Any = None, **kwargs: Any) -> list[dict[str, Any]]:
        self.runs.append((terms, kwargs["engine_mount_point"]))
        return [{"secret": self.data[(kwargs["engine_mount_point"], t)]} for t in terms]


class FakeLogin:
    def run(self, terms: list[str], variables: Any = None, **kwargs: Any) -> list[dict[str, Any]]:
        return [{"auth": {"client_token": "s.token-of-the-job"}}]


class Templar:
    def template(self, value: Any) -> Any:
        return value


def _fallback(monkeypatch: pytest.MonkeyPatch, kv: FakeKv2, term: str, references: dict[str, Any]) -> Any:
    monkeypatch.delenv("HARDEN_SECRETS", raising=False)
    lookup = LOOKUP.LookupModule()
    lookup._templar = Templar()
    plugins = {"community.hashi_vault.vault_kv2_get": kv, "community.hashi_vault.vault_login": FakeLogin()}
    monkeypatch.setattr(lookup, "_vault_lookup", plugins.__getitem__)
    return lookup.run([term], {"harden_secret_references": references}, host="data-1")[0]


def test_without_harden_each_secret_is_read_from_its_vault_path(monkeypatch: pytest.MonkeyPatch) -> None:
    kv = FakeKv2(
        {("secret", "harden/roles/redis_sentinel"): {"users_orders_password": "pw-orders", "admin_password": "pw-a"}}
    )
    references = {
        "redis_sentinel_users": [
            {
                "name": "orders",
                "password": {REF_MARK: "vault:secret/data/harden/roles/redis_sentinel#users_orders_password"},
            }
        ],
        "redis_sentinel_admin_password": {REF_MARK: "vault:secret/data/harden/roles/redis_sentinel#admin_password"},
        "vault_admin_token": {LOGIN_MARK: True},
    }
    assert _fallback(monkeypatch, kv, "redis_sentinel_users", references) == [
        {"name": "orders", "password": "pw-orders"}
    ]
    assert _fallback(monkeypatch, kv, "redis_sentinel_admin_password", references) == "pw-a"
    assert kv.runs == [(["harden/roles/redis_sentinel"], "secret")] * 2  # one read (and login) per query
    assert _fallback(monkeypatch, kv, "vault_admin_token", references) == "s.token-of-the-job"


def test_without_harden_a_secret_missing_from_vault_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    kv = FakeKv2({("secret", "harden/roles/kafka"): {}})
    references = {"kafka_admin_password": {REF_MARK: "vault:secret/data/harden/roles/kafka#admin_password"}}
    with pytest.raises(
        AnsibleError, match=r"harden/roles/kafka#admin_password does not exist in Vault: run `harden apply` once"
    ):
        _fallback(monkeypatch, kv, "kafka_admin_password", references)
    with pytest.raises(AnsibleError, match="kafka_cluster_id is not a secret variable of this host"):
        _fallback(monkeypatch, kv, "kafka_cluster_id", references)
