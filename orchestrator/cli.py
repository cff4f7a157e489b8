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
def apply(env_name: str, roles: tuple[str, ...], limit: str | None, yes: bool) -> None:
    """Apply the roles to the environment's hosts, with live progress and a summary.

    \b
    Examples:
      harden apply --env lab
      harden apply --env staging --role vault --role postgres_ha
      harden apply --env production --yes
    """
    from orchestrator.commands import run_apply

    sys.exit(run_apply(env_name, roles, limit, yes, console))


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
    from orchestrator.inventory import resolve_env_path
    from orchestrator.revisions import RevisionStore

    name = resolve_env_path(env_name).name
    table = Table("role", "rev", "time", "user", "commit", "action", "result", "vars")
    for rev in RevisionStore().history(name, role):
        commit = rev.git_commit[:10] + ("+dirty" if rev.git_dirty else "")
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(rev.created_at))
        table.add_row(rev.role, str(rev.number), when, rev.user, commit, rev.action, rev.result, rev.vars_digest[:12])
    Console().print(table)


def _register_lab() -> None:
    from orchestrator.lab.cli import lab

    main.add_command(lab)


_register_lab()
