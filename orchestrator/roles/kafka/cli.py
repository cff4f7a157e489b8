"""`harden kafka`: status."""

from __future__ import annotations

import click

from orchestrator.clikit import status_command


@click.group()
def group() -> None:
    """Operate Kafka (KRaft): brokers, the controller quorum and each topic's replication.

    \b
    Examples:
      harden kafka status --env staging
      harden kafka status --env staging --format json
    """


status_command(
    group,
    "the brokers, the KRaft quorum leader and lag, and each topic's replication",
    "orchestrator.roles.kafka.ops:report",
    "Degraded: a controller missing from the quorum or lagging, a broker not registered, a partition "
    "offline or under-replicated, or a topic below replication factor 3 or min ISR 2. Down: no broker "
    "answers, or the quorum has no leader.",
)
