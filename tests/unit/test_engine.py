"""What the engine hands Ansible besides the hosts file: the role's variables as harden validated them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml

from orchestrator import engine
from orchestrator.engine import ansible_inventory, role_host_vars
from orchestrator.errors import HardenError
from orchestrator.roles import ROLES, RoleSpec, with_requirements
from orchestrator.secrets.channel import SecretChannel
from orchestrator.validation import validate_environment
from tests.unit.test_validation import make_env


def test_items_of_a_list_get_the_models_defaults(tmp_path: Path) -> None:
    """group_vars give `kafka_topics` as written; Ansible must see each topic's defaults too."""
    env = validate_environment(str(make_env(tmp_path, group_vars={"kafka": {"kafka_topics": [{"name": "orders"}]}})))
    per_host = role_host_vars(env, ROLES["kafka"])
    assert per_host, "the kafka role has hosts in this environment"
    for values in per_host.values():
        assert values["kafka_topics"] == [
            {"name": "orders", "partitions": 3, "replication_factor": 3, "configs": {}, "state": "present"}
        ]
        assert "kafka_users" not in values  # it holds secrets: only the secret channel gives it
        assert "kafka_admin_password" not in values
    source = ansible_inventory(env, per_host, tmp_path / "kafka.validated-vars.yml")
    assert isinstance(source, list)
    written = yaml.safe_load(source[1].read_text())["all"]["hosts"]
    assert written == per_host


def test_a_host_outside_the_main_group_gets_the_roles_variables(tmp_path: Path) -> None:
    """The third Sentinel on ops-1 (no Redis there) gets group_vars/redis.yml through harden."""
    hosts = yaml.safe_load((make_env(tmp_path) / "hosts.yml").read_text())
    hosts["all"]["children"]["redis_sentinels"]["hosts"] = {"data-1": None, "data-2": None, "ops-1": None}
    env_dir = tmp_path / "two"
    env = validate_environment(str(make_env(env_dir, hosts=hosts, group_vars={"redis": {"redis_sentinel_quorum": 2}})))
    per_host = role_host_vars(env, ROLES["redis_sentinel"])
    assert per_host["ops-1"]["redis_sentinel_quorum"] == 2
    assert "redis_sentinel_quorum" not in per_host.get("data-1", {})  # its group_vars reach it


def _grouping(channel_for: Callable[[RoleSpec], SecretChannel]) -> list[list[str]]:
    env = validate_environment("lab")
    selected = env.roles(())
    assert len(selected) > 3
    return [[s.name for s in batch.specs] for batch in engine._batches(env, selected, channel_for, None)]


def test_an_apply_runs_every_role_in_one_process_when_it_can() -> None:
    assert _grouping(lambda spec: SecretChannel()) == [[s.name for s in validate_environment("lab").roles(())]]


def test_a_role_whose_secrets_need_the_vault_applied_before_it_waits_for_that_run() -> None:
    """A first apply: Vault answers only once the run holding the vault role is over."""
    ran_vault = []

    def channel_for(spec: RoleSpec) -> SecretChannel:
        if spec.name == "vault":
            ran_vault.append(True)
        elif ROLES[spec.name].requires and "vault" in with_requirements(spec.name) and len(ran_vault) < 2:
            ran_vault.append(False)
            raise HardenError("Vault is not reachable")
        return SecretChannel()

    groups = _grouping(channel_for)
    names = [s.name for s in validate_environment("lab").roles(())]
    assert len(groups) == 2 and groups[0][-1] == "vault", groups
    assert [n for g in groups for n in g] == names


def test_a_name_with_two_values_splits_the_run() -> None:
    def channel_for(spec: RoleSpec) -> SecretChannel:
        channel = SecretChannel()
        channel.put("shared_name", spec.name)
        return channel

    groups = _grouping(channel_for)
    assert all(len(g) == 1 for g in groups), groups
