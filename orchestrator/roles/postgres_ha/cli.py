"""`harden pg`: status and planned switchover."""

from __future__ import annotations

import click

from orchestrator.clikit import confirm_on_protected, env_option, status_command, yes_option


@click.group()
def group() -> None:
    """Operate PostgreSQL with Patroni: status and planned switchover.

    \b
    Examples:
      harden pg status --env staging
      harden pg switchover --env staging --to db2
    """


status_command(
    group,
    "the members, their roles, replication lag, timeline and what is wrong with each",
    "orchestrator.roles.postgres_ha.ops:report",
    "Degraded: a replica not streaming, on another timeline, lagging beyond the failover limit or "
    "missing; no synchronous standby in synchronous mode. Down: no leader, or no member answers.",
)


@group.command("switchover")
@env_option
@click.option("--to", "to", default=None, help="Member to promote (default: Patroni picks a healthy one).")
@yes_option
def switchover(env_name: str, to: str | None, yes: bool) -> None:
    """Planned switchover: the leader steps down, a replica takes over, the old leader follows it.

    \b
    Examples:
      harden pg switchover --env staging
      harden pg switchover --env staging --to db2
    """
    from orchestrator.roles.postgres_ha.ops import switchover as do_switchover
    from orchestrator.validation import validate_environment

    env = validate_environment(env_name)
    confirm_on_protected(env, "Switch the PostgreSQL leader over?", yes)
    old, new, seconds = do_switchover(env, to)
    click.echo(f"leader moved from {old} to {new}: the new leader ran {seconds:.1f} s after the request (recorded")
    click.echo("as a failover drill for harden audit)")
