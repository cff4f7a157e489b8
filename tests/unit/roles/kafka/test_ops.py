"""`harden kafka status`: the verdict from what the tools report (parsed by the role's own parsers)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from orchestrator.roles.kafka.ops import _script, _sections, assess, node_ids, tools

HOSTS = ["data-1", "data-2", "data-3"]


def _seen(**over: Any) -> dict[str, Any]:
    topic = {
        "partitions": 1,
        "replication_factor": 3,
        "configs": {},
        "assignment": {0: [1, 2, 3]},
        "leaders": {0: 1},
        "isr": {0: [1, 2, 3]},
    }
    seen = {
        "quorum": {"leader": 1, "epoch": 3, "high_watermark": 10, "max_lag": 0, "voters": [1, 2, 3]},
        "replication": [{"node": n, "lag": 0, "status": "Follower"} for n in (1, 2, 3)],
        "topics": {"orders.events": topic},
    }
    seen.update(over)
    return seen


def test_node_ids_follow_the_sorted_union_of_both_groups() -> None:
    assert node_ids(["data-2", "data-1"], ["ctl-1", "data-1"]) == {"ctl-1": 1, "data-1": 2, "data-2": 3}


def test_a_healthy_cluster_has_no_reason() -> None:
    assert assess(_seen(), HOSTS, HOSTS, 2) == []


def test_each_fault_is_named() -> None:
    topic = {
        "partitions": 2,
        "replication_factor": 1,
        "configs": {},
        "assignment": {0: [1], 1: [2]},
        "leaders": {0: 1, 1: -1},
        "isr": {0: [1], 1: []},
    }
    seen = _seen(
        quorum={"leader": None, "epoch": 3, "high_watermark": 10, "max_lag": 0, "voters": [1, 2, 3]},
        replication=[{"node": 1, "lag": 0, "status": "Leader"}, {"node": 2, "lag": 900, "status": "Follower"}],
        topics={"legacy": topic},
    )
    reasons = assess(seen, HOSTS, HOSTS, 2)
    assert reasons == [
        "the controller quorum has no leader",
        "controller data-2 (node 2) trails the quorum leader by 900 records",
        "controller data-3 (node 3) is not in the quorum",
        "broker data-3 (node 3) is not registered",
        "topic legacy: 1 partitions offline",
        "topic legacy: replication factor 1, min ISR 2",
    ]


def test_the_status_script_sections_are_read_back_to_the_parsers() -> None:
    out = "\n".join(
        [
            "=== harden:status",
            "ClusterId:              abc",
            "LeaderId:               2",
            "LeaderEpoch:            7",
            "HighWatermark:          120",
            "MaxFollowerLag:         0",
            'CurrentVoters:          [{"id": 1, "endpoints": []}, {"id": 2}, {"id": 3}]',
            "=== harden:replication",
            "NodeId  DirectoryId  LogEndOffset  Lag  LastFetchTimestamp  LastCaughtUpTimestamp  Status",
            "2       x            120           0    5                   5                      Leader",
            "=== harden:topics",
            "",
        ]
    )
    parts = _sections(out)
    assert set(parts) == {"status", "replication", "topics"}
    assert tools().parse_quorum_status(parts["status"])["leader"] == 2
    assert tools().parse_quorum_replication(parts["replication"])[0]["status"] == "Leader"


def test_the_status_script_runs_the_reads_side_by_side_and_prints_them_in_order(tmp_path: Path) -> None:
    """The three JVM reads run together (each waits until all three have started); each output
    still lands in its own section, in order."""
    seen = tmp_path / "started"
    seen.mkdir()
    fake = tmp_path / "java"
    fake.write_text(
        "#!/bin/sh\n"
        f'touch "{seen}/$$"\n'
        f'i=0; while [ "$(ls {seen} | wc -l)" -lt 3 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done\n'
        "for last; do :; done\n"
        f'echo "read $last with $(ls {seen} | wc -l) running"\n'
    )
    fake.chmod(0o755)
    done = subprocess.run(
        ["sh", "-s"],
        input=_script("10.77.0.11:9093"),
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"},
        check=True,
    )
    parts = _sections(done.stdout)
    assert {name: text.strip() for name, text in parts.items()} == {
        "status": "read --status with 3 running",
        "replication": "read --replication with 3 running",
        "topics": "read --describe with 3 running",
    }
