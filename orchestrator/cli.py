"""The `harden` command line. Thin: parsing and printing only; the work lives in the modules."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from orchestrator import __version__
from orchestrator.clikit import env_option, format_option, status_command, yes_option
from orchestrator.errors import ConfigError, HardenError

console = Console(stderr=True, highlight=False)


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
            from orchestrator.secrets.vault_session import one_line

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
    from orchestrator.secrets.vault_session import take_credentials_from_environment

    take_credentials_from_environment()


@main.command()
@env_option
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
@env_option
@_role_option
@_limit_option
@format_option("text", "markdown", "json")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the report here.")
@click.option(
    "--post",
    type=click.Choice(["github", "gitlab"]),
    help="Also post the markdown plan on the job's pull/merge request: one comment per environment, "
    "updated in place (token from GITHUB_TOKEN or GITLAB_TOKEN).",
)
def plan(
    env_name: str, roles: tuple[str, ...], limit: str | None, fmt: str, output: Path | None, post: str | None
) -> None:
    """Show what apply would change (check + diff mode). Exit 0: no changes, 2: changes, 1: error.

    Markdown output is split into self-contained chunks under 65,000 characters, for PR comments;
    with --output, chunk N>1 goes to FILE.N.

    \b
    Examples:
      harden plan --env staging
      harden plan --env staging --role redis_sentinel --limit data1
      harden plan --env production --format markdown --output plan.md
      harden plan --env staging --post github      (in a pull_request job; examples/ci/)
    """
    from orchestrator.commands import run_plan

    sys.exit(run_plan(env_name, roles, limit, fmt, output, console, post))


@main.command()
@env_option
@_role_option
@_limit_option
@yes_option
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
    from orchestrator.roles.vault.ops import read_keys_file

    keys = read_keys_file(vault_keys_file) if vault_keys_file else []
    sys.exit(run_apply(env_name, roles, limit, yes, console, vault_keys=keys))


@main.command()
@env_option
@click.option(
    "--role",
    "roles",
    multiple=True,
    help="Only this role's checks (repeatable), with the secrets and hosts checks about them.",
)
@format_option("text", "markdown", "json")
@click.option(
    "--min-score",
    type=click.FloatRange(0, 100),
    default=None,
    help="Exit 1 when the score is below this percentage (a CI gate).",
)
@click.option("--history", "show_history", is_flag=True, help="Show earlier audits' scores instead of running one.")
def audit(env_name: str, roles: tuple[str, ...], fmt: str, min_score: float | None, show_history: bool) -> None:
    """Score the environment's production readiness, read from its live hosts and services.

    Read-only: every check reads (status APIs, systemctl show, sshd -T, Vault reads) and changes
    nothing. Each check has a stable ID, a weight and an area; a failing one names its evidence and
    the fix. The score is kept with the revisions (--history shows the trend).

    \b
    Examples:
      harden audit --env staging
      harden audit --env staging --format markdown > audit.md
      harden audit --env staging --min-score 80
      harden audit --env staging --role kafka      (after applying one role)
      harden audit --env staging --history
    """
    from orchestrator.commands import run_audit

    sys.exit(run_audit(env_name, fmt, min_score, show_history, console, roles))


@main.command()
@env_option
@click.option("--role", default=None, help="Only this role.")
def history(env_name: str, role: str | None) -> None:
    """List the recorded revisions of each role.

    \b
    Examples:
      harden history --env staging
      harden history --env staging --role redis_sentinel
    """
    from orchestrator.revisions.backends import open_store
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
def secrets() -> None:
    """Move hardcoded secrets into Vault, and render them at deploy time.

    \b
    Examples:
      harden secrets import --compose docker-compose.yml --env staging --dry-run
      harden secrets import --compose docker-compose.yml --env staging
      harden secrets render --env staging --manifest docker-compose.harden.yml.vault.json
      harden secrets status --env staging
    """


@secrets.command("import")
@click.option("--compose", "compose", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@env_option
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
    from orchestrator.secrets.commands import import_compose

    found = import_compose(compose, env_name, output, dry_run)
    table = Table("service", "variable", "why", "vault reference", title=f"{len(found)} secret(s) found")
    for item in found:
        table.add_row(item.service, item.variable, item.reason, str(item.ref))
    Console().print(table)
    if not dry_run and found:
        click.echo("stored in Vault; the rewritten compose file holds none of them")


@secrets.command("render")
@env_option
@click.option("--manifest", "manifest_path", required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=Path("secrets"))
def secrets_render(env_name: str, manifest_path: Path, directory: Path) -> None:
    """Write each service's env file (mode 0600) from Vault, at deploy time.

    \b
    Examples:
      harden secrets render --env staging --manifest docker-compose.harden.yml.vault.json --dir secrets
    """
    from orchestrator.secrets.commands import render

    for path in render(env_name, manifest_path, directory):
        click.echo(f"wrote {path} (0600)")


status_command(
    secrets,
    "the age of every secret of every role, from Vault's KV history",
    "orchestrator.secrets.age:report",
    "Healthy: every secret is in Vault and younger than secrets_max_age_days (harden.yml, default 90). "
    "Degraded: one is missing or older. Down: Vault cannot be read. Identifiers kept in Vault (Kafka's "
    "cluster id) are listed and never too old.",
    by_role=True,
)


@main.command()
@env_option
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


def _register_groups() -> None:
    """The lab, `compose`, and each role's own group, found by discovery (orchestrator/roles/<role>/cli.py)."""
    import importlib
    import importlib.util

    from orchestrator.compose.cli import compose
    from orchestrator.lab.cli import lab
    from orchestrator.roles import ROLES

    main.add_command(lab)
    main.add_command(compose)
    for spec in ROLES.values():
        name = f"orchestrator.roles.{spec.name}.cli"
        if importlib.util.find_spec(name) is not None:
            main.add_command(importlib.import_module(name).group, spec.cli_name or spec.name)


_register_groups()
