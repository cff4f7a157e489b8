"""Redis Sentinel failover in the lab, side by side: harden's down-after-milliseconds (1000) and
Redis's default (30000).

For each setting, the lab is applied with it, then ``--runs`` times: a Sentinel client on ops-1
writes continuously, the master is killed (-9, kept down), and we record the time until the
client writes again and how many acknowledged writes are missing afterwards. One more run per
setting cuts the replication links for 5 s before the kill.

Usage (root, lab up and applied, from the repository root): python -m bench.redis_failover [--runs 3]
Writes bench/redis_failover.md.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from bench.lab_env import apply_lab_with
from bench.provenance import machine
from bench.tables import header
from orchestrator.lab.config import load_lab_config
from orchestrator.validation import validate_environment
from tests.faults import redis_faults as rf
from tests.faults.lab_ssh import heal, ssh

OUT = Path(__file__).with_name("redis_failover.md")
# the report's tables, in order (tests/unit/test_bench_reports.py)
TABLES = (
    (
        "setting",
        "writable again, median (s)",
        "ratio",
        "runs (s)",
        "acked writes lost (kill)",
        "lost after 5 s partition + kill",
        "same, acknowledged after WAIT 1",
        "same, after WAIT 2",
    ),
)
SETTINGS = [
    ("harden default: down-after-milliseconds 1000", 1000),
    ("Redis default: down-after-milliseconds 30000", 30000),
]


def apply_setting(down_after: int, workdir: Path) -> None:
    apply_lab_with(workdir, "redis", f"redis_sentinel_down_after_ms: {down_after}", "--role", "redis_sentinel")


def one_run(prefix: str, partition: bool, seconds: float, wait: int = 0) -> tuple[float | None, int, int]:
    lab = load_lab_config("lab")
    ra = rf.access(validate_environment("lab"))
    old = rf.master_host(lab, ra)

    def fault() -> None:
        if partition:
            rf.cut_replication(lab, old)
            time.sleep(5)
        rf.kill_master(lab, old)

    try:
        result = rf.run_writer(lab, ra, seconds=seconds, prefix=prefix, fault=fault, wait=wait)
    finally:
        heal(lab, old)
    new = rf.master_host(lab, ra)
    missing = set(result.acked) - rf.stored_ids(lab, ra, new, prefix)
    rf.start_again(lab, old)
    rf.wait_replicas(lab, ra, new, 2, timeout=120)
    return result.first_outage, len(result.acked), len(missing)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, down_after in SETTINGS:
            apply_setting(down_after, Path(tmp))
            seconds = 12 + 1.5 * down_after / 1000
            kills = [one_run(f"orders:bench-{down_after}-{i}", False, seconds) for i in range(args.runs)]
            part = one_run(f"orders:bench-{down_after}-p", True, seconds + 5)
            part_wait1 = one_run(f"orders:bench-{down_after}-w1", True, seconds + 5, wait=1)
            part_wait2 = one_run(f"orders:bench-{down_after}-w2", True, seconds + 5, wait=2)
            rows.append((label, kills, part, part_wait1, part_wait2))
        apply_setting(SETTINGS[0][1], Path(tmp))  # leave the lab at harden's default
    base = statistics.median([k[0] for k in rows[0][1] if k[0] is not None])
    version = ssh(load_lab_config("lab"), "data-1", "dpkg-query -W -f '${Package} ${Version}' redis-server").strip()
    lines = [
        "# Redis Sentinel failover in the lab",
        "",
        f"Produced by `python -m bench.redis_failover --runs {args.runs}` on {machine()}: {version} on data-1..3 "
        "with TLS, Sentinels on data-1, data-2 and ops-1 (quorum 2), a redis-py Sentinel client on ops-1 writing "
        "continuously. `kill -9` of the master "
        "(kept down); time from the first failed write to the next acknowledged one; acknowledged writes missing "
        "on the new master afterwards. Both settings measured one after the other in the same session.",
        "",
        *header(TABLES[0]),
    ]
    for label, kills, part, part_wait1, part_wait2 in rows:
        outages = [k[0] for k in kills if k[0] is not None]
        median = statistics.median(outages)
        lost = sum(k[2] for k in kills)
        acked = sum(k[1] for k in kills)
        lines.append(
            f"| {label} | {median:.1f} | {median / base:.1f}x | {', '.join(f'{o:.1f}' for o in outages)} | "
            f"{lost} of {acked} | {part[2]} of {part[1]} | {part_wait1[2]} of {part_wait1[1]} | "
            f"{part_wait2[2]} of {part_wait2[1]} |"
        )
    lines += [
        "",
        "min-replicas-to-write 1 and min-replicas-max-lag 2 are on in both (harden's defaults). The partition "
        "drops Redis-port traffic between the master and both replicas in both directions while the client "
        "still reaches the master: Sentinel promotes a replica after down-after-milliseconds, and the isolated "
        "master keeps acknowledging writes until min-replicas-max-lag fences it. Those writes are lost: Redis "
        "replication is asynchronous, and Sentinel may promote the replica that received fewer of them, so even "
        "WAIT 1 can lose writes; WAIT 2 (every replica) is what the integration test asserts.",
    ]
    OUT.write_text("\n".join(lines) + "\n")
    print(OUT.read_text())


if __name__ == "__main__":
    main()
