"""`harden redis`: status and planned failover."""

from __future__ import annotations

import click

from orchestrator.clikit import confirm_on_protected, env_option, status_command, yes_option


@click.group()
def group() -> None:
    """Operate Redis with Sentinel: status and planned failover.

    \b
    Examples:
      harden redis status --env staging
      harden redis failover --env staging
    """


status_command(
    group,
    "the master, its replicas and the Sentinel quorum",
    "orchestrator.roles.redis_sentinel.ops:report",
    "Degraded: fewer replicas online than the group's other hosts, fewer Sentinels than the group's "
    "hosts, or no quorum to fail over. Down: no Sentinel answers, or none knows a master.",
)


@group.command("failover")
@env_option
@yes_option
def failover(env_name: str, yes: bool) -> None:
    """Planned failover: Sentinel promotes a replica, then the old master follows it.

    \b
    Examples:
      harden redis failover --env staging
    """
    from orchestrator.roles.redis_sentinel.ops import failover as do_failover
    from orchestrator.validation import validate_environment

    env = validate_environment(env_name)
    confirm_on_protected(env, "Move the Redis master?", yes)
    old, new = do_failover(env)
    click.echo(f"master moved from {old} to {new}")
