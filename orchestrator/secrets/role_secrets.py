"""Build the in-memory secrets each role run receives (see secret_channel)."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel

from orchestrator.errors import HardenError
from orchestrator.roles import RoleSpec
from orchestrator.secrets.channel import SecretChannel
from orchestrator.secrets.kv import KvStore
from orchestrator.secrets.resolver import Resolver, fill_channel, has_secrets
from orchestrator.secrets.vault_session import VaultUnavailable, admin_client, unfinished_bootstrap
from orchestrator.validation import Environment


def _vault_role_channel(env: Environment, vault_keys: list[str]) -> SecretChannel:
    channel = SecretChannel()
    if vault_keys:  # operator-supplied: lets a configuration change restart and unseal node by node
        channel.put("vault_unseal_keys", vault_keys)
    # the role configures Vault with this token; before bootstrap there is none, and while every
    # node is sealed there is none either: the role unseals (with keys) or says how to
    try:
        with admin_client(env) as client:
            channel.put("vault_admin_token", client.token if client is not None else "")
    except VaultUnavailable:
        channel.put("vault_admin_token", "")
    unfinished = unfinished_bootstrap(env.name)
    if unfinished is not None:  # an earlier bootstrap stopped before retiring the root token
        channel.put("vault_bootstrap_token", unfinished["root_token"])
        channel.put("vault_unseal_keys", unfinished.get("unseal_keys_b64", []))
    return channel


def channel_for_role(
    env: Environment,
    spec: RoleSpec,
    *,
    check: bool,
    vault_keys: list[str] | None = None,
    models: Mapping[str, BaseModel] | None = None,
) -> SecretChannel:
    """Secrets for one role run; ``models`` replaces the inventory's variables (rollback)."""
    if spec.name == "vault":
        return _vault_role_channel(env, vault_keys or [])
    channel = SecretChannel()
    models = models if models is not None else env.role_vars.get(spec.name, {})
    if not any(has_secrets(getattr(m, f)) for m in models.values() for f in type(m).model_fields):
        return channel
    with admin_client(env) as client:
        if client is None and not check:
            raise HardenError(
                f"role {spec.name} needs secrets from Vault, which is not reachable, initialised and "
                "unsealed with credentials: apply the vault role first (harden vault status)"
            )
        fill_channel(channel, spec.name, models, Resolver(KvStore(client) if client else None, check=check))
    return channel
