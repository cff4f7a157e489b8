"""Kafka under the issue's four faults, side by side: harden's settings, Kafka's default timeouts,
and today's platform (a topic with replication factor 1).

Each case runs ``--runs`` times per setting, an idempotent acks=all VerifiableProducer on the app
host (ops-1) at 100 messages/s, then every message is read back (tests/faults/kafka_faults.py,
which the lab tests use too):

  a: kill -9 of the partition leader      b: the leader cut off from its peers for 15 s, healed
  c: kill -9 of the active controller     d: a rolling restart from a config change

Reported per case: the median of the producer's longest gap between two acknowledgements (the
stall), and the acknowledged messages that were not read back (lost). Then each broker's memory
at idle.

Usage (root, lab up and applied, from the repository root): python -m bench.kafka_failover [--runs 3]
Writes bench/kafka_failover.md.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path

from bench.lab_env import apply_lab_with
from bench.provenance import machine
from bench.tables import header
from orchestrator.lab.config import LabConfig, load_lab_config
from orchestrator.validation import validate_environment
from tests.faults import kafka_faults as kf

OUT = Path(__file__).with_name("kafka_failover.md")
# the report's tables, in order (tests/unit/test_bench_reports.py)
TABLES = (
    ("setting", "case", "stall, median (s)", "runs (s)", "lost / acknowledged", "duplicates"),
    ("host", "JVM resident (MiB)"),
)
CASES = ("a", "b", "c", "d")
HARDEN_TOPIC = "orders.faults"
RF1_TOPIC = "orders.rf1"  # created by the bench with the admin tool, as today's platform has them
KAFKA_DEFAULTS = "\n".join(
    [
        "kafka_replica_lag_time_max_ms: 30000",
        "kafka_broker_session_timeout_ms: 9000",
        "kafka_broker_heartbeat_interval_ms: 2000",
    ]
)
SETTINGS = [
    ("harden: RF 3, min ISR 2, harden's timeouts", "", HARDEN_TOPIC),
    ("RF 3, min ISR 2, Kafka's default timeouts", KAFKA_DEFAULTS, HARDEN_TOPIC),
    ("today's platform: RF 1 (harden's timeouts)", "", RF1_TOPIC),
]


def ensure_rf1_topic(lab: LabConfig, users: kf.KafkaUsers) -> None:
    listed = kf.admin(lab, "data-1", users, kf.TOPICS, "--list")
    if RF1_TOPIC not in listed.stdout.split():
        made = kf.admin(
            lab, "data-1", users, kf.TOPICS,
            f"--create --topic {RF1_TOPIC} --partitions 1 --replication-factor 1 --config min.insync.replicas=1",
        )  # fmt: skip
        assert made.returncode == 0, made.stderr


def wait_healthy(lab: LabConfig, users: kf.KafkaUsers, timeout: float = 300) -> None:
    """Every partition back in sync before the next run (an RF 1 partition only needs its broker)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = kf.admin(lab, "data-1", users, kf.TOPICS, "--describe --under-replicated-partitions")
        offline = kf.admin(lab, "data-1", users, kf.TOPICS, "--describe --unavailable-partitions")
        if done.returncode == 0 and offline.returncode == 0 and not (done.stdout + offline.stdout).strip():
            return
        time.sleep(3)
    raise AssertionError("Kafka did not recover between runs")


def idle_memory(lab: LabConfig) -> list[tuple[str, int]]:
    """(host, JVM resident MiB) per broker. (The lab's hosts keep no per-unit memory accounting:
    systemd reports MemoryCurrent as not set there.)"""
    rows = []
    for host in kf.BROKERS:
        rss = kf.ssh(lab, host, "ps -o rss= -p $(systemctl show kafka -p MainPID --value)").strip()
        rows.append((host, int(rss) // 1024))
    return rows


RUN_LINE = re.compile(
    r"^(?P<label>.+) fault (?P<case>[abcd]) on (?P<victim>\S+): (?P<acked>\d+) acknowledged, "
    r"stall (?P<stall>[\d.]+) s, "
    r"lost (?P<lost>\d+), duplicates (?P<dup>\d+), send errors (?P<err>\d+)$"
)


def parse_runs(text: str) -> dict[str, dict[str, list[kf.FaultRun]]]:
    """The runs from what main() printed (one line a run), to render the report again."""
    results: dict[str, dict[str, list[kf.FaultRun]]] = {}
    for line in text.splitlines():
        m = RUN_LINE.match(line.strip())
        if m:
            run = kf.FaultRun(
                m["case"], m["victim"], int(m["acked"]), int(m["lost"]), int(m["dup"]), float(m["stall"]), int(m["err"])
            )
            results.setdefault(m["label"], {}).setdefault(m["case"], []).append(run)
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cases", default=",".join(CASES), help="a subset, e.g. a,b,c (d takes longest)")
    parser.add_argument("--render", type=Path, help="only write the report from a log of an earlier run's lines")
    args = parser.parse_args()
    if args.render:
        rendered = parse_runs(args.render.read_text())
        assert rendered, f"{args.render}: no run lines"
        write(rendered, idle_memory(load_lab_config("lab")), args.runs, args.cases)
        return
    cases = [c for c in args.cases.split(",") if c]
    assert cases and set(cases) <= set(CASES), f"--cases: from {','.join(CASES)}"
    lab = load_lab_config("lab")
    results: dict[str, dict[str, list[kf.FaultRun]]] = {}
    retention = iter([72, 168] * 100)  # case d: each run changes a broker setting, so each run rolls
    with tempfile.TemporaryDirectory() as tmp:
        for label, extra, topic in SETTINGS:
            apply_lab_with(Path(tmp), "kafka", extra, "--role", "kafka")
            users = kf.users(validate_environment("lab"))
            ensure_rf1_topic(lab, users)
            wait_healthy(lab, users)
            results[label] = {case: [] for case in cases}
            for _ in range(args.runs):
                for case in cases:

                    def roll(extra: str = extra) -> None:
                        hours = f"kafka_log_retention_hours: {next(retention)}"
                        apply_lab_with(Path(tmp), "kafka", f"{extra}\n{hours}", "--role", "kafka")

                    run = kf.run_case(lab, users, case, topic, fault=roll if case == "d" else None)
                    print(label, run.line(), flush=True)
                    results[label][case].append(run)
                    wait_healthy(lab, users)
        apply_lab_with(Path(tmp), "kafka", "", "--role", "kafka")  # the lab as it is
    gone = kf.admin(lab, "data-1", users, kf.TOPICS, f"--delete --topic {RF1_TOPIC}")
    assert gone.returncode == 0, gone.stderr
    time.sleep(60)
    memory = idle_memory(lab)
    write(results, memory, args.runs, args.cases)


def write(
    results: dict[str, dict[str, list[kf.FaultRun]]], memory: list[tuple[str, int]], runs: int, cases: str
) -> None:
    names = {"a": "(a) kill -9 partition leader", "b": "(b) leader isolated 15 s", "c": "(c) kill -9 active controller",
             "d": "(d) rolling restart"}  # fmt: skip
    lines = [
        "# Kafka under faults, in the lab",
        "",
        f"Produced by `python -m bench.kafka_failover --runs {runs} --cases {cases}` on {machine()}. "
        "Kafka 4.4.0 (KRaft, three combined broker+controller nodes on data-1..3); an idempotent `acks=all` "
        "VerifiableProducer on ops-1 at 100 messages/s to a one-partition topic, then every message read back "
        "with a console consumer. Stall: the producer's longest gap between two acknowledgements, median of "
        "the runs. Lost: acknowledged messages not read back, summed over the runs. Each invocation runs the three "
        "settings one after the other; bench/logs/kafka_failover.log names the invocations its run lines come from.",
        "",
        *header(TABLES[0]),
    ]
    for label, by_case in results.items():
        for case, done in by_case.items():
            stalls = [r.stall_s for r in done]
            lines.append(
                f"| {label} | {names[case]} | {statistics.median(stalls):.1f} | "
                f"{', '.join(f'{s:.1f}' for s in stalls)} | {sum(r.lost for r in done)} / "
                f"{sum(r.acked for r in done)} | {sum(r.duplicates for r in done)} |"
            )
    lines += [
        "",
        "Timeouts: harden sets replica.lag.time.max.ms 10000, broker.session.timeout.ms 6000 and "
        "broker.heartbeat.interval.ms 1000; Kafka's defaults are 30000, 9000 and 2000. The quorum's election "
        "(1000 ms) and fetch (2000 ms) timeouts are Kafka's defaults in both.",
        "",
        "Reading the RF 1 rows: its partition has one replica, so an isolated or surviving leader acknowledges "
        "alone (min ISR 1), and (b) and (c) barely stall it; (a) takes it offline until systemd has restarted "
        "the broker. kill -9 keeps the page cache, so nothing acknowledged is lost here; losing that broker's "
        "disk would lose every message of the partition. With RF 3 and min ISR 2 the isolated leader in (b) "
        "acknowledges nothing until the network heals (15 s) or the client's request times out. In (d) each broker "
        "restarts in turn, after the previous one has caught up: with RF 3 a partition always has a leader, while "
        "the RF 1 partition is offline for as long as its one broker restarts.",
        "",
        "## Memory per broker at idle (after the runs, heap 384m)",
        "",
        *header(TABLES[1]),
    ]
    lines += [f"| {host} | {rss} |" for host, rss in memory]
    OUT.write_text("\n".join(lines) + "\n")
    print(OUT.read_text())


if __name__ == "__main__":
    main()
