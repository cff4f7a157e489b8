"""What the lab's webhook recorder (role lab_acme, on the monitoring host) received from
Alertmanager: shared by tests/integration/roles/monitoring/ and bench/monitoring.py."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from orchestrator.lab.config import LabConfig
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
