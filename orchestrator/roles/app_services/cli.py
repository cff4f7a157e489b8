"""`harden apps`: status of the app services."""

from __future__ import annotations

import click

from orchestrator.clikit import status_command


@click.group()
def group() -> None:
    """Operate the environment's app services (Podman): status.

    \b
    Examples:
      harden apps status --env staging
      harden apps status --env staging --format json
    """


status_command(
    group,
    "each app host's services: the unit, the health check, and the memory and pids limits in the container's cgroup",
    "orchestrator.roles.app_services.ops:report",
    "Healthy: every service runs, passes its health check, and has the compose file's limits in its "
    "cgroup. Degraded: one does not, or an app host does not answer. Down: no service runs.",
)
