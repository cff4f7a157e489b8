"""Build the in-memory secrets each role run receives (see secret_channel)."""

from __future__ import annotations

from orchestrator.roles import RoleSpec
from orchestrator.secret_channel import SecretChannel
from orchestrator.validation import Environment
from orchestrator.vault_session import admin_client, unfinished_bootstrap


def channel_for_role(env: Environment, spec: RoleSpec, *, check: bool) -> SecretChannel:
    channel = SecretChannel()
    if spec.name == "vault":
        # the role configures Vault with this token; before bootstrap there is none
        with admin_client(env) as client:
            channel.put("vault_admin_token", client.token if client is not None else "")
        unfinished = unfinished_bootstrap(env.name)
        if unfinished is not None:  # an earlier bootstrap stopped before retiring the root token
            channel.put("vault_bootstrap_token", unfinished["root_token"])
            channel.put("vault_unseal_keys", unfinished.get("unseal_keys_b64", []))
    return channel
