"""What the engine hands Ansible besides the hosts file: the role's variables as harden validated them."""

from __future__ import annotations

from pathlib import Path

import yaml

from orchestrator.engine import ansible_inventory, role_host_vars
from orchestrator.roles import ROLES
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
    source = ansible_inventory(env, ROLES["kafka"], tmp_path)
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
