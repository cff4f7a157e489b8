"""`harden vault`: status and unseal."""

from __future__ import annotations

from pathlib import Path

import click

from orchestrator.clikit import env_option, print_status, status_command
from orchestrator.errors import HardenError


@click.group()
def group() -> None:
    """Operate the environment's Vault (OpenBao): status and unseal.

    \b
    Examples:
      harden vault status --env staging
      harden vault unseal --env staging
      harden vault unseal --env lab --keys-file ~/.harden/lab/vault-init.json
      harden vault login --env staging
    """


status_command(
    group,
    "every node: initialised, sealed, active or standby, and what is wrong with it",
    "orchestrator.roles.vault.ops:report",
    "Healthy: every node unsealed, one active node that every standby follows. Degraded: an active "
    "node serves, but a node is sealed, unreachable or lost. Down: no active node.",
)


@group.command("unseal")
@env_option
@click.option(
    "--keys-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSON with unseal_keys_b64 (as init writes it) or one key per line; else you are prompted.",
)
def unseal(env_name: str, keys_file: Path | None) -> None:
    """Unseal the nodes that are sealed (after a restart) with operator-supplied keys.

    \b
    Examples:
      harden vault unseal --env staging            # prompts for each key, hidden
      harden vault unseal --env lab --keys-file ~/.harden/lab/vault-init.json
    """
    from orchestrator.roles.vault.ops import read_keys_file, report
    from orchestrator.roles.vault.ops import unseal as unseal_nodes
    from orchestrator.validation import validate_environment

    env = validate_environment(env_name)
    if "vault" not in env.settings.roles or not env.inventory.group_hosts("vault"):
        raise HardenError(f"{env.name} runs no Vault: the vault role is not in its harden.yml, or group vault is empty")
    if keys_file is not None:
        keys = read_keys_file(keys_file)
    else:
        threshold = int(env.role_vars["vault"][env.inventory.group_hosts("vault")[0]].vault_key_threshold)  # type: ignore[attr-defined]
        keys = [click.prompt(f"Unseal key {i + 1}/{threshold}", hide_input=True) for i in range(threshold)]
    rows = unseal_nodes(env, keys)
    still = [r.host for r in rows if r.sealed or r.error]
    if still:
        click.echo(f"still sealed or unreachable: {', '.join(still)}", err=True)
    # exit 0 once every node is unsealed (what this verb does); the status after it is shown as is
    print_status(report(env), "text", exit_code=1 if still else 0)


@group.command("login")
@env_option
def login(env_name: str) -> None:
    """Renew harden's own Vault credential before it expires (vault_admin_secret_id_ttl).

    A new secret ID for the orchestrator's AppRole replaces the old one in the secret-zero file
    (mode 0600), and the old one is destroyed. Once it has expired, log in with an operator's
    token instead: VAULT_TOKEN=... harden vault login --env ENV. CI passes its credential in
    HARDEN_VAULT_ROLE_ID and HARDEN_VAULT_SECRET_ID and needs no file.

    \b
    Examples:
      harden vault login --env staging
      VAULT_TOKEN=hvs.... harden vault login --env production
    """
    from orchestrator.roles.vault.ops import login as renew
    from orchestrator.validation import validate_environment

    path, ttl = renew(validate_environment(env_name))
    days = f" ({ttl / 86400:.1f} days)" if ttl else " (never expires)"
    click.echo(f"new credential in {path}, valid {ttl} s{days}; the old one is destroyed")
