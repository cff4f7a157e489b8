"""The `harden` command line. Thin: parsing and printing only; the work lives in the modules."""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from orchestrator import __version__
from orchestrator.errors import ConfigError, HardenError

console = Console(stderr=True, highlight=False)
ENV_HELP = "Environment: a name under inventories/ or a path to an inventory directory."


def _fail(exc: HardenError) -> None:
    if isinstance(exc, ConfigError):
        for issue in exc.issues:
            click.echo(f"error: {issue}", err=True)
        click.echo(f"{len(exc.issues)} problem(s) found; no host was touched.", err=True)
    else:
        click.echo(f"error: {exc}", err=True)
    sys.exit(1)


class HardenGroup(click.Group):
    """Turns HardenError into a one-line message and exit code 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except HardenError as exc:
            _fail(exc)
        except Exception as exc:
            # a Vault or HTTP client error that escaped the modules: one line, and the command to run
            if not type(exc).__module__.startswith(("hvac", "requests", "urllib3")):
                raise
            from orchestrator.vault_session import one_line

            args = sys.argv[1:]
            env = args[args.index("--env") + 1] if "--env" in args[:-1] else "ENV"
            _fail(HardenError(f"Vault: {type(exc).__name__}: {one_line(exc)}: run `harden vault status --env {env}`"))


@click.group(cls=HardenGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="harden")
def main() -> None:
    """Harden the data and edge tier: validate, plan, apply and roll back, role by role.

    \b
    Examples:
      harden validate --env staging
      harden plan --env staging --format markdown --output plan.md
      harden apply --env staging --role postgres_ha
      harden lab up && harden apply --env lab
    """
    from orchestrator.vault_session import take_credentials_from_environment

    take_credentials_from_environment()


@main.command()
@click.option("--env", "env_name", required=True, help=ENV_HELP)
def validate(env_name: str) -> None:
    """Validate an environment's inventory against the role models; touches no host.

    \b
    Examples:
      harden validate --env lab
      harden validate --env ./inventories/staging
    """
    from orchestrator.validation import validate_environment

    env = validate_environment(env_name)
    roles = ", ".join(env.settings.roles)
    click.echo(f"{env.name}: valid ({len(env.inventory.hosts)} hosts; roles: {roles})")


def _role_option(f: Any) -> Any:
    return click.option("--role", "roles", multiple=True, help="Only this role (repeatable).")(f)


def _limit_option(f: Any) -> Any:
    return click.option("--limit", default=None, help="Ansible host pattern to restrict the run to.")(f)


@main.command()
@click.option("--env", "env_name", required=True, help=ENV_HELP)
@_role_option
@_limit_option
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the report here.")
def plan(env_name: str, roles: tuple[str, ...], limit: str | None, fmt: str, output: Path | None) -> None:
    """Show what apply would change (check + diff mode). Exit 0: no changes, 2: changes, 1: error.

    Markdown output is split into self-contained chunks under 65,000 characters, for PR comments;
    with --output, chunk N>1 goes to FILE.N.

    \b
    Examples:
      harden plan --env staging
      harden plan --env staging --role redis_sentinel --limit data1
      harden plan --env production --format markdown --output plan.md
    """
    from orchestrator.commands import run_plan

    sys.exit(run_plan(env_name, roles, limit, fmt, output, console))


@main.command()
@click.option("--env", "env_name", required=True, help=ENV_HELP)
@_role_option
@_limit_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation on protected environments.")
@click.option(
    "--vault-keys-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Unseal keys, so that a vault configuration change can restart nodes one by one and unseal each.",
)
def apply(env_name: str, roles: tuple[str, ...], limit: str | None, yes: bool, vault_keys_file: Path | None) -> None:
    """Apply the roles to the environment's hosts, with live progress and a summary.

    \b
    Examples:
      harden apply --env lab
      harden apply --env staging --role vault --role postgres_ha
      harden apply --env production --yes
      harden apply --env staging --role vault --vault-keys-file keys.json
    """
    from orchestrator.commands import run_apply
    from orchestrator.vault_ops import read_keys_file

    keys = read_keys_file(vault_keys_file) if vault_keys_file else []
    sys.exit(run_apply(env_name, roles, limit, yes, console, vault_keys=keys))


@main.command()
@click.option("--env", "env_name", required=True, help=ENV_HELP)
@click.option("--role", default=None, help="Only this role.")
def history(env_name: str, role: str | None) -> None:
    """List the recorded revisions of each role.

    \b
    Examples:
      harden history --env staging
      harden history --env staging --role redis_sentinel
    """
    from orchestrator.revision_backends import open_store
    from orchestrator.validation import validate_environment

    env = validate_environment(env_name)
    if role is not None and role not in env.settings.roles:
        raise HardenError(f"--role {role}: not a role of {env.name} ({', '.join(env.settings.roles)})")
    table = Table("role", "rev", "time", "user", "commit", "action", "result", "vars")
    for rev in open_store(env).history(env.name, role):
        commit = rev.git_commit[:10] + ("+dirty" if rev.git_dirty else "")
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(rev.created_at))
        table.add_row(rev.role, str(rev.number), when, rev.user, commit, rev.action, rev.result, rev.vars_digest[:12])
    Console(width=160).print(table)


@main.group()
def vault() -> None:
    """Operate the environment's Vault (OpenBao): status and unseal.

    \b
    Examples:
      harden vault status --env staging
      harden vault unseal --env staging
      harden vault unseal --env lab --keys-file ~/.harden/lab/vault-init.json
    """


@vault.command("status")
@click.option("--env", "env_name", required=True, help=ENV_HELP)
def vault_status(env_name: str) -> None:
    """Show every node: initialised, sealed, active or standby, and what is wrong with it.

    Exit 0: healthy (every node unsealed, one active node that every standby follows).
    Exit 3: degraded (an active node serves, but a node is sealed, unreachable or lost).
    Exit 1: down (no active node: nothing can read or write secrets).

    \b
    Examples:
      harden vault status --env staging
    """
    from orchestrator.validation import validate_environment
    from orchestrator.vault_ops import EXIT_CODES, health, status

    rows = status(validate_environment(env_name))
    Console().print(_vault_table(rows))
    verdict, reasons = health(rows)
    click.echo(f"{verdict}" + (": " + "; ".join(reasons) if reasons else ""))
    sys.exit(EXIT_CODES[verdict])


@vault.command("unseal")
@click.option("--env", "env_name", required=True, help=ENV_HELP)
@click.option(
    "--keys-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSON with unseal_keys_b64 (as init writes it) or one key per line; else you are prompted.",
)
def vault_unseal(env_name: str, keys_file: Path | None) -> None:
    """Unseal the nodes that are sealed (after a restart) with operator-supplied keys.

    \b
    Examples:
      harden vault unseal --env staging            # prompts for each key, hidden
      harden vault unseal --env lab --keys-file ~/.harden/lab/vault-init.json
    """
    from orchestrator.validation import validate_environment
    from orchestrator.vault_ops import read_keys_file, unseal

    env = validate_environment(env_name)
    if "vault" not in env.settings.roles or not env.inventory.group_hosts("vault"):
        raise HardenError(f"{env.name} runs no Vault: the vault role is not in its harden.yml, or group vault is empty")
    if keys_file is not None:
        keys = read_keys_file(keys_file)
    else:
        threshold = int(env.role_vars["vault"][env.inventory.group_hosts("vault")[0]].vault_key_threshold)  # type: ignore[attr-defined]
        keys = [click.prompt(f"Unseal key {i + 1}/{threshold}", hide_input=True) for i in range(threshold)]
    rows = unseal(env, keys)
    Console().print(_vault_table(rows))
    sys.exit(1 if any(r.sealed or r.error for r in rows) else 0)


def _vault_table(rows: list[Any]) -> Table:
    table = Table("host", "initialized", "sealed", "mode", "unseal progress", "version", "problem")
    for r in rows:
        sealed = "-" if r.sealed is None else ("[red]yes" if r.sealed else "[green]no")
        initialized = "-" if r.initialized is None else str(r.initialized).lower()
        table.add_row(r.host, initialized, sealed, r.mode or "-", r.progress, r.version, r.problem or "ok")
    return table


@main.group()
def secrets() -> None:
    """Move hardcoded secrets into Vault, and render them at deploy time.

    \b
    Examples:
      harden secrets import --compose docker-compose.yml --env staging --dry-run
      harden secrets import --compose docker-compose.yml --env staging
      harden secrets render --env staging --manifest docker-compose.harden.yml.vault.json
    """


@secrets.command("import")
@click.option("--compose", "compose", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--env", "env_name", required=True, help=ENV_HELP)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Rewritten compose file.")
@click.option("--dry-run", is_flag=True, help="Only list what was found; write nothing.")
def secrets_import(compose: Path, env_name: str, output: Path | None, dry_run: bool) -> None:
    """Find secrets in a docker-compose file, store them in Vault, write a compose file without them.

    Environment entries whose names look secret and URLs with embedded credentials go to
    secret/data/<service>#<VARIABLE>. The output (default: NAME.harden.yml) reads them from
    ./secrets/<service>.env, which `harden secrets render` writes at deploy time.

    \b
    Examples:
      harden secrets import --compose docker-compose.yml --env staging --dry-run
      harden secrets import --compose docker-compose.yml --env staging --output compose.prod.yml
    """
    from orchestrator.secrets_commands import import_compose

    found = import_compose(compose, env_name, output, dry_run)
    table = Table("service", "variable", "why", "vault reference", title=f"{len(found)} secret(s) found")
    for item in found:
        table.add_row(item.service, item.variable, item.reason, str(item.ref))
    Console().print(table)
    if not dry_run and found:
        click.echo("stored in Vault; the rewritten compose file holds none of them")


@secrets.command("render")
@click.option("--env", "env_name", required=True, help=ENV_HELP)
@click.option("--manifest", "manifest_path", required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=Path("secrets"))
def secrets_render(env_name: str, manifest_path: Path, directory: Path) -> None:
    """Write each service's env file (mode 0600) from Vault, at deploy time.

    \b
    Examples:
      harden secrets render --env staging --manifest docker-compose.harden.yml.vault.json --dir secrets
    """
    from orchestrator.secrets_commands import render

    for path in render(env_name, manifest_path, directory):
        click.echo(f"wrote {path} (0600)")


@main.group()
def redis() -> None:
    """Operate Redis with Sentinel: status and planned failover.

    \b
    Examples:
      harden redis status --env staging
      harden redis failover --env staging
    """


@redis.command("status")
@click.option("--env", "env_name", required=True, help=ENV_HELP)
def redis_status(env_name: str) -> None:
    """Show the master, its replicas and the Sentinel quorum.

    \b
    Examples:
      harden redis status --env lab
    """
    from orchestrator.redis_ops import status
    from orchestrator.validation import validate_environment

    st = status(validate_environment(env_name))
    table = Table("role", "address", "flags", title=f"{st.master_name}: {st.sentinels} sentinels, quorum {st.quorum}")
    table.add_row("master", st.master, "")
    for address, flags in st.replicas:
        table.add_row("replica", address, flags)
    Console().print(table)
    click.echo(f"quorum check: {st.ckquorum}")
    sys.exit(0 if st.ckquorum.startswith("OK") else 1)


@redis.command("failover")
@click.option("--env", "env_name", required=True, help=ENV_HELP)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation in protected environments.")
def redis_failover(env_name: str, yes: bool) -> None:
    """Planned failover: Sentinel promotes a replica, then the old master follows it.

    \b
    Examples:
      harden redis failover --env staging
    """
    from orchestrator.commands import confirm_on_protected
    from orchestrator.redis_ops import failover
    from orchestrator.validation import validate_environment

    env = validate_environment(env_name)
    confirm_on_protected(env, "Move the Redis master?", yes)
    old, new = failover(env)
    click.echo(f"master moved from {old} to {new}")


@main.group()
def pg() -> None:
    """Operate PostgreSQL with Patroni: status and planned switchover.

    \b
    Examples:
      harden pg status --env staging
      harden pg switchover --env staging --to db2
    """


@pg.command("status")
@click.option("--env", "env_name", required=True, help=ENV_HELP)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def pg_status(env_name: str, fmt: str) -> None:
    """Show the members, their roles, replication lag, timeline and what is wrong with each.

    Exit 0: healthy. Exit 3: degraded (a replica not streaming, on another timeline, lagging
    beyond the failover limit or missing; no synchronous standby in synchronous mode). Exit 1:
    no leader, or no member answers.

    \b
    Examples:
      harden pg status --env lab
    """
    from orchestrator.pg_ops import assess, leader, status
    from orchestrator.validation import validate_environment

    env = validate_environment(env_name)
    members = status(env)
    found = assess(env, members)
    code = 1 if leader(members) is None else (3 if any(found.values()) else 0)
    if fmt == "json":
        doc = {"members": [dataclasses.asdict(m) for m in members], "problems": found, "exit": code}
        click.echo(json.dumps(doc, indent=2))
        sys.exit(code)
    table = Table(
        "member", "role", "state", "host", "lag (bytes)", "timeline", "problem", title=f"{env_name}: PostgreSQL"
    )
    by_name = {m.name: m for m in members}
    for name, why in found.items():
        m = by_name.get(name)
        if m is None:
            table.add_row(name, "", "", "", "", "", "; ".join(why))
            continue
        lag = "" if m.is_leader else ("?" if m.lag is None else str(m.lag))
        timeline = "" if m.timeline is None else str(m.timeline)
        table.add_row(m.name, m.role, m.state, m.host, lag, timeline, "; ".join(why) or "ok")
    Console().print(table)
    sys.exit(code)


@pg.command("switchover")
@click.option("--env", "env_name", required=True, help=ENV_HELP)
@click.option("--to", "to", default=None, help="Member to promote (default: Patroni picks a healthy one).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation in protected environments.")
def pg_switchover(env_name: str, to: str | None, yes: bool) -> None:
    """Planned switchover: the leader steps down, a replica takes over, the old leader follows it.

    \b
    Examples:
      harden pg switchover --env staging
      harden pg switchover --env staging --to db2
    """
    from orchestrator.commands import confirm_on_protected
    from orchestrator.pg_ops import switchover
    from orchestrator.validation import validate_environment

    env = validate_environment(env_name)
    confirm_on_protected(env, "Switch the PostgreSQL leader over?", yes)
    old, new = switchover(env, to)
    click.echo(f"leader moved from {old} to {new}")


@main.command()
@click.option("--env", "env_name", required=True, help=ENV_HELP)
@click.option("--role", required=True, help="The one role to roll back.")
@click.option("--to", "to", type=int, default=None, help="Revision number (default: the one before the current).")
@click.option("--dry-run", is_flag=True, help="Show the plan diff of the rollback; change nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def rollback(env_name: str, role: str, to: int | None, dry_run: bool, yes: bool) -> None:
    """Bring one role back to an earlier revision: its content at that commit, with its variables.

    Only that role's files and services change. Refuses, with the reason, when the revision
    cannot be restored (pruned, failed, its commit missing, or before a data format change).

    \b
    Examples:
      harden history --env staging --role redis_sentinel
      harden rollback --env staging --role redis_sentinel --dry-run
      harden rollback --env staging --role baseline --to 3 --yes
    """
    from orchestrator.commands import run_rollback

    sys.exit(run_rollback(env_name, role, to, dry_run, yes, console))


def _register_lab() -> None:
    from orchestrator.lab.cli import lab

    main.add_command(lab)


_register_lab()
