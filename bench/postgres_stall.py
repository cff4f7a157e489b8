"""PostgreSQL leader stall in the lab (fault d), side by side: harden's Patroni against Debian's.

Every process of the leader's Patroni unit is frozen for 25 s under write load, then resumed.
harden's Patroni (4.x, from the wheelhouse) against Debian 12's Patroni 3.0.2
(`postgres_ha_patroni_source: debian`), each on a freshly built lab with the same role settings.
Recorded: the gap the client saw, acknowledged writes missing on ANY member, how many leaders and
timelines remain, and the seconds from SIGCONT until every member streams again on the leader's
timeline (or "never" within the bound). The client and the crash cases: bench/postgres_failover.py.

Usage (root, from the repository root): python -m bench.postgres_stall [--runs 3]
It brings the lab down and up itself. Writes bench/postgres_stall.md.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench.postgres_failover import Run, _median, _runs, fresh_lab, one_run
from bench.tables import header
from orchestrator.lab.artifacts import PATRONI_VERSION
from tests.faults import pg_faults as pf

OUT = Path(__file__).with_name("postgres_stall.md")
# the report's tables, in order (tests/unit/test_bench_reports.py)
TABLES = (
    (
        "Patroni",
        "gap, median (s)",
        "runs (s)",
        "acked writes lost (leader)",
        "most missing on one member",
        "leaders after",
        "timelines after",
        "healed, median (s)",
        "healed, runs (s)",
    ),
)
PATRONIS = [
    (f"harden: Patroni {PATRONI_VERSION} (wheelhouse)", "wheelhouse"),
    ("Debian 12: Patroni 3.0.2 (package)", "debian"),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    stall: dict[str, list[Run]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, source in reversed(PATRONIS):  # Debian's first; the lab ends on harden's
            stall[label] = []
            for i in range(args.runs):
                # Debian's Patroni may not heal after a stall: each of its runs starts on a fresh lab
                if i == 0 or source == "debian":
                    fresh_lab(Path(tmp), f"postgres_ha_patroni_source: {source}")
                stall[label].append(
                    one_run("stall", f"bench_stall_{source}_{i}", streaming_state=source == "wheelhouse")
                )
    lines = [
        "# PostgreSQL leader stall in the lab: harden's Patroni and Debian's",
        "",
        f"Produced by `python -m bench.postgres_stall --runs {args.runs}` (`make bench`): PostgreSQL 15 and "
        "etcd 3.4 from Debian 12, 3 data nodes, synchronous_mode on, the role's other defaults. Fault (d): "
        f"SIGSTOP of every process of the leader's Patroni unit for {pf.STALL_SECONDS:.0f} s under write load, "
        "then SIGCONT. Each Patroni on a freshly built lab (Debian's: a fresh lab for every run), one after the "
        "other in the same session. A psycopg2 client on ops-1 writes one row per transaction through "
        "`host=a,b,c target_session_attrs=read-write`; a write that hangs is abandoned after 1 s by cutting its "
        "socket. Gap: from the last acknowledged write before the fault to the first one after it. Lost: "
        "acknowledged writes missing on the leader afterwards, and the most missing on any one member. Healed: "
        f'seconds from SIGCONT until every member streams on the leader\'s timeline ("never": not within '
        f"{pf.STALL_HEAL_BOUND:.0f} s).",
        "",
        *header(TABLES[0]),
    ]
    for label, _ in PATRONIS:
        runs = stall[label]
        gaps = [r.gap for r in runs if r.gap is not None]
        healed = [r.healed for r in runs if r.healed is not None]
        lines.append(
            f"| {label} | {_median(gaps)} | {_runs([r.gap for r in runs])} | {sum(r.lost for r in runs)} of "
            f"{sum(r.acked for r in runs)} | {', '.join(str(r.lost_any) for r in runs)} | "
            f"{', '.join(str(r.leaders) for r in runs)} | "
            f"{', '.join(str(r.timelines) for r in runs)} | {_median(healed)} | {_runs([r.healed for r in runs])} |"
        )
    OUT.write_text("\n".join(lines) + "\n")
    print(OUT.read_text())


if __name__ == "__main__":
    main()
