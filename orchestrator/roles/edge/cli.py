"""`harden edge`: status of the public entry."""

from __future__ import annotations

import click

from orchestrator.clikit import status_command


@click.group()
def group() -> None:
    """Operate the environment's edge (Traefik): status.

    \b
    Examples:
      harden edge status --env staging
      harden edge status --env staging --format json
    """


status_command(
    group,
    "each edge host's routers and the certificate served for each name: issuer, not-after, days left",
    "orchestrator.roles.edge.ops:report",
    "Healthy: every name has a valid ACME certificate, before its renewal point. Degraded: a name "
    "without one, or past the renewal point (a sixth of the lifetime left), or an edge host that does "
    "not answer. Down: no edge host answers.",
)
