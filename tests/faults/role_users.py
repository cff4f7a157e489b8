"""The passwords a role's users got in Vault: ``admin_password`` and each ``users_<name>_password``
(the role's `*_users` list, whose entries' `password` secrets the generator names so)."""

from __future__ import annotations

from orchestrator.secrets.resolver import role_secrets_path
from orchestrator.secrets.vault_session import admin_client
from orchestrator.validation import Environment


def role_user_passwords(env: Environment, role: str) -> dict[str, str]:
    with admin_client(env) as admin:
        assert admin is not None, "vault must be applied first"
        data = admin.secrets.kv.v2.read_secret_version(
            path=role_secrets_path(role), mount_point="secret", raise_on_deleted_version=True
        )["data"]["data"]
    found = {
        key.removeprefix("users_").removesuffix("_password"): str(value)
        for key, value in data.items()
        if key.startswith("users_") and key.endswith("_password")
    }
    found["admin"] = str(data["admin_password"])
    return found
