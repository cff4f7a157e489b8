"""The playbooks without harden (AWX, plain ansible-playbook): secrets from Vault through
community.hashi_vault with an AppRole from the environment, and the validated variables from the
environment's inventory.harden.yml. Run after the role modules (the secrets family): the roles it
checks are converged by then. bench/overhead.py runs the whole site.yml this way, five times.
"""

from __future__ import annotations

import pytest

from bench.lab_env import LAB, LAB_DIR
from orchestrator.lab.config import LabConfig
from orchestrator.roles import ROLES as ROLE_SPECS
from orchestrator.secrets.resolver import role_secrets_path
from orchestrator.secrets.vault_session import admin_client
from orchestrator.validation import Environment, validate_environment
from tests.faults import without_harden as wh
from tests.integration.conftest import apply_roles

# vault: its configuration token is a login of the job's AppRole; redis_sentinel: passwords on
# every host, in a list of users, and on a Sentinel outside group redis (ops-1)
ROLES = ("vault", "redis_sentinel")


@pytest.fixture(scope="module")
def env(lab: LabConfig) -> Environment:
    applied = apply_roles(*ROLES, only_missing=True)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    return validate_environment(LAB)


def _role_secrets(env: Environment, role: str) -> list[str]:
    with admin_client(env) as client:
        assert client is not None
        data = client.secrets.kv.v2.read_secret_version(
            path=role_secrets_path(role), mount_point="secret", raise_on_deleted_version=True
        )["data"]["data"]
    return [str(v) for v in data.values()]


def test_plain_ansible_playbook_reads_the_same_secrets_and_changes_nothing(env: Environment) -> None:
    """Check mode of the converged roles, as `ansible-playbook -i inventories/lab` runs them: a
    password read from anywhere else, or a default the plugin did not fill in, shows as a change."""
    secrets = _role_secrets(env, "redis_sentinel")
    assert len(secrets) >= 5, secrets  # admin, replication, sentinel, and each user's
    with wh.vault_environment(env) as vault:
        run = wh.run_playbooks(
            LAB_DIR,
            [f"{role}.yml" for role in ROLES],
            wh.plain_environment(vault, env.settings.ansible_strategy),
            forks=env.settings.forks,
            check=True,
        )
    assert run.returncode == 0, run.output[-4000:]
    hosts = sorted({h for role in ROLES for h in ROLE_SPECS[role].hosts(env.inventory)})
    assert sorted(run.recap) == hosts, run.output[-2000:]
    assert run.changed == 0 and run.failed == 0, run.output[-4000:]
    assert all(c["ok"] > 0 for c in run.recap.values()), run.recap
    approle = [vault["ANSIBLE_HASHI_VAULT_ROLE_ID"], vault["ANSIBLE_HASHI_VAULT_SECRET_ID"]]
    leaked = [s for s in secrets + approle if s in run.output]
    assert not leaked, "a secret shows in ansible-playbook's output"
