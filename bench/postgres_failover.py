"""PostgreSQL failover in the lab, side by side: crashes (faults a to c) with harden's Patroni,
harden's timings against Patroni's defaults. Recorded: the gap, writes lost on any member, and
that the old leader rejoins. The leader stall (fault d) has its own bench: bench/postgres_stall.py.

A psycopg2 client on ops-1 writes one row per transaction through
`host=a,b,c target_session_attrs=read-write`; a write that hangs is abandoned after 1 s by
cutting its socket (never cancelled, which would acknowledge a local-only commit).

Usage (root, from the repository root): python -m bench.postgres_failover [--runs 3]
It brings the lab down and up itself. Writes bench/postgres_failover.md.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.lab_env import HARDEN, copy_lab_with
from bench.provenance import machine
from bench.tables import header
from orchestrator.errors import HardenError
from orchestrator.lab.artifacts import PATRONI_VERSION
from orchestrator.lab.config import load_lab_config
from orchestrator.lab.manager import down, up
from orchestrator.roles import with_requirements
from orchestrator.roles.postgres_ha.ops import leader, status, wait_settled
from orchestrator.validation import validate_environment
from tests.faults import pg_faults as pf

OUT = Path(__file__).with_name("postgres_failover.md")
# the report's tables, in order (tests/unit/test_bench_reports.py)
TABLES = (("fault", "setting", "gap, median (s)", "ratio to harden", "runs (s)", "acked writes lost"),)
BASE_ROLES = with_requirements("postgres_ha")
TIMINGS = [
    ("harden default: ttl 20, loop_wait 1, retry_timeout 3", (20, 1, 3)),
    ("Patroni default: ttl 30, loop_wait 10, retry_timeout 10", (30, 10, 10)),
]
CRASHES = [
    ("(a) kill -9 Patroni + PostgreSQL", "kill_patroni_and_postgres"),
    ("(b) kill -9 Patroni only", "kill_patroni_only"),
    ("(c) power cut of the leader host", "power_off"),
]


@dataclass
class Run:
    gap: float | None
    acked: int
    lost: int  # acknowledged writes missing on the leader afterwards (the cluster's truth)
    lost_any: int  # the most acknowledged writes missing on any one member (a member that cannot be read counts all)
    leaders: int
    timelines: int
    healed: float | None  # seconds from the end of the fault until every member streams on one timeline


def apply_lab(workdir: Path, lines: str) -> None:
    env_dir = copy_lab_with(workdir, "postgres", lines)
    roles = [arg for role in BASE_ROLES for arg in ("--role", role)]
    subprocess.run([HARDEN, "apply", "--env", str(env_dir), "--yes", *roles], check=True, capture_output=True)


def fresh_lab(workdir: Path, lines: str) -> None:
    lab = load_lab_config("lab")
    down(lab)
    up(lab)
    apply_lab(workdir, lines)


def one_run(fault_name: str, table: str, streaming_state: bool) -> Run:
    lab = load_lab_config("lab")
    env = validate_environment("lab")
    wait_settled(env, True, 180, streaming_state=streaming_state)
    client = pf.prepare(lab, env, table)
    old = pf.current_leader(env)
    fault = getattr(pf, fault_name)
    healed: list[float] = []

    def inject() -> None:
        fault(lab, old)
        ended = time.monotonic()
        if fault_name != "stall":
            return
        try:
            wait_settled(env, True, pf.STALL_HEAL_BOUND, streaming_state=streaming_state)
            healed.append(time.monotonic() - ended)
        except HardenError:
            pass  # did not heal within the bound

    seconds = pf.writer_seconds(env) + (pf.STALL_SECONDS if fault_name == "stall" else 0)
    try:
        stall = fault_name == "stall"
        result = pf.run_writer(
            lab, client, table, seconds=seconds, fault=inject, min_seconds=pf.STALL_SECONDS + 15 if stall else None
        )
    finally:
        pf.start_again(lab, old)
    if fault_name != "stall":
        pf.wait_rejoined(env, old, timeout=180)
        healed.append(0.0)
    members = status(env)
    lead = leader(members)
    lost = len(set(result.acked) - pf.stored_ids(lab, lead.name, table)) if lead else len(result.acked)
    lost_any = 0
    for host in pf.DATA_HOSTS:
        try:
            lost_any = max(lost_any, len(set(result.acked) - pf.stored_ids(lab, host, table)))
        except Exception:  # a member that cannot be read has none of them for the client
            lost_any = len(result.acked)
    return Run(
        gap=result.gap,
        acked=len(result.acked),
        lost=lost,
        lost_any=lost_any,
        leaders=sum(1 for m in members if m.is_leader),
        timelines=len({m.timeline for m in members}),
        healed=healed[0] if healed else None,
    )


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):.1f}" if values else "n/a"


def _runs(values: list[float | None]) -> str:
    return ", ".join("never" if v is None else f"{v:.1f}" for v in values)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    crashes: dict[tuple[str, str], list[Run]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        fresh_lab(Path(tmp), "")
        for label, (ttl, loop_wait, retry) in reversed(TIMINGS):
            apply_lab(
                Path(tmp),
                f"postgres_ha_ttl: {ttl}\npostgres_ha_loop_wait: {loop_wait}\npostgres_ha_retry_timeout: {retry}",
            )
            for fault_label, fault_name in CRASHES:
                crashes[(label, fault_label)] = [
                    one_run(fault_name, f"bench_{fault_name}_{ttl}_{i}", streaming_state=True) for i in range(args.runs)
                ]
    lines = [
        "# PostgreSQL failover in the lab: crashes",
        "",
        f"Produced by `python -m bench.postgres_failover --runs {args.runs}` (`make bench`) on {machine()}.",
        "",
        "PostgreSQL 15 and "
        f"etcd 3.4 from Debian 12, Patroni {PATRONI_VERSION} from the role's wheelhouse, 3 data nodes, "
        "synchronous_mode on, the role's other defaults. A psycopg2 client on ops-1 writes one row per "
        "transaction through `host=a,b,c target_session_attrs=read-write`; a write that hangs is abandoned "
        "after 1 s by cutting its socket. Gap: from the last acknowledged write before the fault to the first "
        "one after it. Lost: acknowledged writes missing on the leader afterwards (the integration tests check "
        "every member). The leader stall is in [postgres_stall.md](postgres_stall.md).",
        "",
        *header(TABLES[0]),
    ]
    for fault_label, _ in CRASHES:
        base_gaps = [r.gap for r in crashes[(TIMINGS[0][0], fault_label)] if r.gap is not None]
        base = statistics.median(base_gaps) if base_gaps else float("nan")
        for label, _ in TIMINGS:
            runs = crashes[(label, fault_label)]
            gaps = [r.gap for r in runs if r.gap is not None]
            median = statistics.median(gaps) if gaps else float("nan")
            lines.append(
                f"| {fault_label} | {label} | {median:.1f} | {median / base:.2f}x | {_runs([r.gap for r in runs])} | "
                f"{sum(r.lost for r in runs)} of {sum(r.acked for r in runs)} |"
            )
    OUT.write_text("\n".join(lines) + "\n")
    print(OUT.read_text())


if __name__ == "__main__":
    main()
