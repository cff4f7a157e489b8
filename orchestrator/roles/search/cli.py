"""`harden search`: status."""

from __future__ import annotations

import click

from orchestrator.clikit import status_command


@click.group()
def group() -> None:
    """Operate OpenSearch: cluster health, nodes, security and certificates.

    \b
    Examples:
      harden search status --env staging
      harden search status --env staging --format json
    """


status_command(
    group,
    "cluster health, the nodes, unassigned shards, whether security is on, and certificate expiry",
    "orchestrator.roles.search.ops:report",
    "Degraded: yellow health, a node missing, unassigned shards, or a node certificate expiring within 30 days. "
    "Down: red health, no node answers, or a request without credentials is not refused.",
)
