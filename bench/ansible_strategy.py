"""Ansible's linear strategy against Mitogen's mitogen_linear, on every role's zero-change plan.

Usage (root, from the repository root): python -m bench.ansible_strategy [--runs 3] [--no-apply]
Brings the lab up and applies it once (unless --no-apply: the lab is up and applied). Then, for
each role of the lab, runs `harden plan --role R` with each strategy in turn, alternating (linear,
mitogen, linear, ...), so that both see the same machine. Each plan must report 0 changes, and
both strategies the same task results (each host's count of ok, changed, failed, unreachable
and skipped). Writes bench/ansible_strategy.md.
Times are wall clock on this machine: compare ratios.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import yaml

from bench.lab_env import HARDEN
from bench.provenance import machine
from bench.tables import header
from orchestrator.paths import INVENTORIES_DIR
from orchestrator.runner import STRATEGIES

OUT = Path(__file__).with_name("ansible_strategy.md")
# the report's tables, in order (tests/unit/test_bench_reports.py)
TABLES = (("role", "task results", "linear", "mitogen", "mitogen / linear", "runs (linear; mitogen)"),)
Results = list[tuple[str, int, int, int, int, int]]  # per host: ok, changed, failed, unreachable, skipped


def lab_with_strategy(workdir: Path, strategy: str) -> Path:
    """A copy of inventories/lab (named `lab`: the same environment) whose harden.yml uses ``strategy``."""
    env_dir = workdir / strategy / "lab"
    env_dir.parent.mkdir(parents=True)
    subprocess.run(["cp", "-a", str(INVENTORIES_DIR / "lab"), str(env_dir.parent)], check=True)
    settings_file = env_dir / "harden.yml"
    settings = yaml.safe_load(settings_file.read_text())
    settings["ansible_strategy"] = strategy
    settings_file.write_text(yaml.safe_dump(settings, sort_keys=False))
    return env_dir


def timed_plan(env_dir: Path, role: str) -> tuple[float, Results]:
    started = time.monotonic()
    done = subprocess.run(
        [HARDEN, "plan", "--env", str(env_dir), "--role", role, "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"plan of {role} ({env_dir.parent.name}) exited {done.returncode}:\n{done.stderr[-3000:]}")
    report = json.loads(done.stdout)
    results = sorted(
        (c["host"], c["ok"], c["changed"], c["failed"], c["unreachable"], c["skipped"]) for c in report["counts"]
    )
    if not results:
        raise SystemExit(f"plan of {role} ({env_dir.parent.name}) reported no task results")
    return elapsed, results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-apply", action="store_true", help="The lab is already applied.")
    args = parser.parse_args()
    roles = yaml.safe_load((INVENTORIES_DIR / "lab" / "harden.yml").read_text())["roles"]
    with tempfile.TemporaryDirectory() as tmp:
        envs = {s: lab_with_strategy(Path(tmp), s) for s in STRATEGIES}
        if not args.no_apply:
            subprocess.run([HARDEN, "lab", "up"], check=True)
            subprocess.run([HARDEN, "apply", "--env", str(envs["linear"]), "--yes"], check=True)
        times: dict[tuple[str, str], list[float]] = {}
        tasks: dict[str, int] = {}
        for role in roles:
            seen: dict[str, Results] = {}
            for _ in range(args.runs):
                for strategy in STRATEGIES:
                    elapsed, results = timed_plan(envs[strategy], role)
                    times.setdefault((role, strategy), []).append(elapsed)
                    if seen.setdefault(strategy, results) != results:
                        raise SystemExit(f"{role}: {strategy} gave different task results from one run to the next")
            if seen["linear"] != seen["mitogen"]:
                raise SystemExit(f"{role}: linear and mitogen gave different task results")
            tasks[role] = sum(sum(row[1:5]) for row in seen["linear"])  # skipped ones are not results
            print(role, {s: times[(role, s)] for s in STRATEGIES}, flush=True)
    lines = [
        "# Ansible strategy: linear against mitogen_linear",
        "",
        f"Produced by `python -m bench.ansible_strategy --runs {args.runs}` on {machine()}.",
        "Each role's zero-change `harden plan --role R` on the applied lab, the strategies alternating run by run.",
        f"Medians of {args.runs}, in seconds. Both strategies reported 0 changes and the same task results "
        "(each host's count of each status) in every run.",
        "",
        *header(TABLES[0]),
    ]
    total = {s: 0.0 for s in STRATEGIES}
    for role in roles:
        med = {s: statistics.median(times[(role, s)]) for s in STRATEGIES}
        for s in STRATEGIES:
            total[s] += med[s]
        runs = "; ".join(", ".join(f"{t:.1f}" for t in times[(role, s)]) for s in STRATEGIES)
        lines.append(
            f"| {role} | {tasks[role]} | {med['linear']:.1f} | {med['mitogen']:.1f} | "
            f"{med['mitogen'] / med['linear']:.2f} | {runs} |"
        )
    lines.append(
        f"| all | {sum(tasks.values())} | {total['linear']:.1f} | {total['mitogen']:.1f} | "
        f"{total['mitogen'] / total['linear']:.2f} | |"
    )
    OUT.write_text("\n".join(lines) + "\n")
    print(OUT.read_text())


if __name__ == "__main__":
    main()
