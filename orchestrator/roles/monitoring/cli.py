"""`harden monitoring`: status of Prometheus and Alertmanager."""

from __future__ import annotations

import click

from orchestrator.clikit import status_command


@click.group()
def group() -> None:
    """Operate the environment's monitoring (Prometheus, Alertmanager): status.

    \b
    Examples:
      harden monitoring status --env staging
      harden monitoring status --env staging --format json
    """


status_command(
    group,
    "scrape targets that are down, and the alerts that fire, on each monitoring host",
    "orchestrator.roles.monitoring.ops:report",
    "Healthy: Prometheus scrapes every target and the Watchdog alert reaches Alertmanager (the alerts "
    "that fire are listed: they are the other roles' state). Degraded: a target down, no Watchdog, or "
    "a monitoring host that does not answer. Down: no Prometheus answers.",
)
