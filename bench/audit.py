"""How long `harden audit` takes on the applied lab (issue 20: under 60 s), with its providers
read side by side (orchestrator/audit/run.py, WORKERS) against one at a time, run in turn.

Usage (root, from the repository root): python -m bench.audit [--runs 3] [--lab lab]
The lab is up and every role applied (make demo). Each run audits the whole environment in this
process, as `harden audit` does, without recording it in the history. Both ways must judge the
same checks with the same result in every run: the bench stops otherwise. Writes bench/audit.md.
"""

from __future__ import annotations

import argparse
import statistics

from bench.provenance import machine
from bench.tables import header
from orchestrator.audit.run import WORKERS, AuditReport, audit
from orchestrator.paths import REPO_ROOT
from orchestrator.validation import validate_environment

OUT = REPO_ROOT / "bench" / "audit.md"
TABLES = (("providers", "checks", "score", "median (s)", "ratio", "runs (s)"),)
BUDGET_S = 60.0


def outcome(report: AuditReport) -> list[tuple[str, bool]]:
    return [(f.check.id, f.passed) for f in report.findings]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--lab", default="lab")
    args = parser.parse_args()
    env = validate_environment(args.lab)
    ways = {"one at a time": 1, f"side by side ({WORKERS} workers, harden audit's)": WORKERS}
    runs: dict[str, list[AuditReport]] = {name: [] for name in ways}
    for _ in range(args.runs):
        for name, workers in ways.items():
            runs[name].append(audit(env, workers=workers))
    outcomes = {str(outcome(r)) for measured in runs.values() for r in measured}
    if len(outcomes) != 1:
        raise SystemExit(f"the runs judged differently: {sorted(outcomes)}")
    base = statistics.median(r.seconds for r in runs[next(iter(ways))])
    lines = [
        "# harden audit: its duration on the applied lab",
        "",
        f"Produced by `python -m bench.audit --runs {args.runs}` on {machine()}.",
        "The whole environment's audit, its providers read one at a time or side by side, in turn run",
        f"by run. The budget is {BUDGET_S:.0f} s (issue 20).",
        "",
        *header(TABLES[0]),
    ]
    for name, measured in runs.items():
        median = statistics.median(r.seconds for r in measured)
        first = measured[0]
        each = ", ".join(f"{r.seconds:.1f}" for r in measured)
        lines.append(
            f"| {name} | {len(first.findings)} | {first.score.percent:.1f} | {median:.1f} | "
            f"{median / base:.2f} | {each} |"
        )
    OUT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
