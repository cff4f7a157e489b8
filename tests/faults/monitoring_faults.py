"""What the lab's webhook recorder (role lab_acme, on the monitoring host) received from
Alertmanager: shared by tests/integration/roles/monitoring/ and bench/monitoring.py."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from orchestrator.lab.config import LabConfig
from orchestrator.validation import Environment
from tests.faults.lab_ssh import ssh

RECEIVER_HOST = "ops-1"
RECEIVED = "/var/lib/harden-webhook/received.jsonl"


@dataclass(frozen=True)
class Notification:
    received: float  # the recorder's clock (the lab hosts share this machine's)
    status: str  # firing or resolved
    labels: dict[str, str]


def notifications(lab: LabConfig, since: float = 0.0) -> list[Notification]:
    """Every alert of every payload received since `since` (epoch seconds), in order."""
    text = ssh(lab, RECEIVER_HOST, f"cat {RECEIVED} 2>/dev/null || true")
    found = []
    for line in text.splitlines():
        entry: dict[str, Any] = json.loads(line)
        if entry["received"] < since:
            continue
        for alert in entry["payload"].get("alerts", []):
            found.append(Notification(entry["received"], alert["status"], alert["labels"]))
    return found


def wait_for(lab: LabConfig, since: float, status: str, alertname: str, timeout: float, **labels: str) -> Notification:
    """The first notification of `alertname` in `status` (with these labels) received after `since`."""
    deadline = time.monotonic() + timeout
    while True:
        for note in notifications(lab, since):
            wanted = note.labels.get("alertname") == alertname and note.status == status
            if wanted and all(note.labels.get(k) == v for k, v in labels.items()):
                return note
        if time.monotonic() > deadline:
            seen = sorted({(n.labels.get("alertname", "?"), n.status) for n in notifications(lab, since)})
            raise AssertionError(f"no {status} {alertname} {labels} within {timeout:.0f}s; received: {seen}")
        time.sleep(1)


# the alert rules' `for` (30 s) + the lab's scrape and evaluation intervals (5 s) + group_wait (5 s),
# with room for a busy machine
FIRE_BOUND = 120.0


@dataclass(frozen=True)
class FaultDelays:
    fired: dict[str, float]  # alertname -> seconds from the fault to its firing notification
    resolved: dict[str, float]  # alertname -> seconds from the recovery to its resolved notification


def three_faults(lab: LabConfig, env: Environment, bound: float = FIRE_BOUND) -> FaultDelays:
    """A stopped PostgreSQL replica, a sealed OpenBao node and a stopped Redis replica, at once; each
    must raise its alert at the webhook recorder within `bound` seconds, and a resolved notification
    must follow recovery (Alertmanager sends it at the group's next group_interval). Everything is
    healthy again on return."""
    from tests.faults import vault_faults as vf
    from tests.faults.pg_faults import current_leader, settle
    from tests.faults.redis_faults import access, master_host, wait_replicas

    data = ("data-1", "data-2", "data-3")
    pg_replica = next(h for h in data if h != current_leader(env))
    sealed = next(h for h in data if h != vf.active_node(env))
    ra = access(env)
    master = master_host(lab, ra)
    redis_replica = next(h for h in data if h != master)
    expected: dict[str, dict[str, str]] = {
        "PostgresReplicaNotStreaming": {},
        "VaultSealed": {"instance": sealed},
        "RedisServerMissing": {},
    }
    t0 = time.time()
    ssh(lab, pg_replica, "systemctl stop patroni")
    ssh(lab, sealed, "systemctl restart openbao")  # it comes back sealed (no auto-unseal)
    ssh(lab, redis_replica, "systemctl stop redis-server")
    try:
        fired = {name: wait_for(lab, t0, "firing", name, bound, **labels) for name, labels in expected.items()}
    finally:
        t1 = time.time()
        ssh(lab, pg_replica, "systemctl start patroni")
        vf.recover(env, sealed)
        ssh(lab, redis_replica, "systemctl start redis-server")
    resolved = {name: wait_for(lab, t1, "resolved", name, bound, **labels) for name, labels in expected.items()}
    settle(env)
    wait_replicas(lab, ra, master, 2)
    return FaultDelays(
        {name: round(note.received - t0, 1) for name, note in fired.items()},
        {name: round(note.received - t1, 1) for name, note in resolved.items()},
    )
