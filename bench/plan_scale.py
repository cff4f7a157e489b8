"""Rendering a plan at scale, from a synthetic event stream: H hosts x 100 tasks, one task in ten
changed with a 20-line diff, the rest ok. Measured for each H: the seconds to turn the events into
results and render text, markdown and JSON, and the peak memory Python allocated meanwhile
(tracemalloc), next to the smallest H as the baseline.

Three streams: "shared", where a task changes the same way on every host it changes (a fleet with one
template: the plan keeps each diff once, with its host names); "own address", where each changed
host's diff holds its own address (a listen address), which the plan replaces with a placeholder, so
it too is one diff; and "unique", where each changed host's diff holds a value of its own that is
not its address or name (a certificate serial), so the report itself grows with the hosts.

Usage (from the repository root; no lab): python -m bench.plan_scale [--runs 3]
Writes bench/plan_scale.md.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.provenance import machine
from bench.tables import header
from orchestrator.plan import Plan, results_from_events
from orchestrator.report import render

OUT = Path(__file__).with_name("plan_scale.md")
# the report's tables, in order (tests/unit/test_bench_reports.py)
TABLES = (
    (
        "diffs",
        "hosts",
        "events",
        "seconds, median",
        "ratio to 250 hosts",
        "peak memory (MiB)",
        "memory ratio",
        "PR comments",
    ),
)
HOSTS = (250, 500, 1000)
MODES = ("shared", "own address", "unique")
TASKS = 100


def events(hosts: int, mode: str = "shared", tasks: int = TASKS) -> Iterator[dict[str, Any]]:
    """Ansible runner events as a check-mode run with diffs emits them, generated on the fly."""
    before = "".join(f"setting_{i} = {i}\n" for i in range(20))
    after = "".join(f"setting_{i} = {i + 1}\n" for i in range(20))
    for task in range(tasks):
        for host in range(hosts):
            changed = (task + host) % 10 == 0
            res: dict[str, Any] = {"changed": changed}
            address = f"10.{host // 250}.{host % 250}.1"
            if changed:
                own = {"shared": "", "own address": f"listen = {address}\n", "unique": f"serial = {host:08x}\n"}[mode]
                res["diff"] = [{"before": before, "after": after + own}]
                res["dest"] = f"/etc/app/task{task}.conf"
            yield {
                "event": "runner_on_ok",
                "event_data": {
                    "host": f"host-{host:04d}",
                    "remote_addr": address,
                    "task": f"task {task}",
                    "task_action": "template",
                    "res": res,
                },
            }


def _render(hosts: int, mode: str) -> int:
    """The number of markdown chunks (PR comments) the plan took."""
    plan = Plan(env="scale", results=results_from_events("app", events(hosts, mode)))
    comments = 0
    for fmt in ("text", "markdown", "json"):
        chunks = render(plan, fmt)
        comments = len(chunks) if fmt == "markdown" else comments
    return comments


def timed(hosts: int, mode: str) -> float:
    started = time.perf_counter()
    _render(hosts, mode)
    return time.perf_counter() - started


def peak_mib(hosts: int, mode: str) -> float:
    """A separate run: tracemalloc slows Python down several times, so it is never timed."""
    tracemalloc.start()
    _render(hosts, mode)
    peak = tracemalloc.get_traced_memory()[1] / 1048576
    tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows: dict[tuple[str, int], tuple[float, float, int]] = {}
    for mode in MODES:
        for hosts in HOSTS:
            seconds = statistics.median(timed(hosts, mode) for _ in range(args.runs))
            rows[(mode, hosts)] = (seconds, peak_mib(hosts, mode), _render(hosts, mode))
    lines = [
        "# Rendering a plan at scale",
        "",
        f"Produced by `python -m bench.plan_scale --runs {args.runs}` on {machine()}: a synthetic event stream "
        f"of H hosts x {TASKS} tasks (one in ten changed, each with a 20-line diff), turned into a plan and "
        "rendered as text, markdown and JSON. Time: the median of the runs. Memory: tracemalloc's peak, in one "
        "more run that is not timed. Goal (issue 22): under 2 s at 1000 hosts, and memory that stays flat.",
        "",
        "Diffs *shared*: a task changes the same way on every host it changes (one template across a fleet). "
        "*Own address*: each changed host's diff holds its own address (the address Ansible reaches it at). "
        "*Unique*: each changed host's diff holds a value of its own that is not its address or name (a serial).",
        "",
        *header(TABLES[0]),
    ]
    for (mode, hosts), (seconds, peak, comments) in rows.items():
        base_s, base_mem, _ = rows[(mode, HOSTS[0])]
        lines.append(
            f"| {mode} | {hosts} | {hosts * TASKS} | {seconds:.2f} | {seconds / base_s:.2f}x | {peak:.1f} | "
            f"{peak / base_mem:.2f}x | {comments} |"
        )
    lines += [
        "",
        "The plan is built as the events stream in (`orchestrator/plan.py`): each host's counts of ok, changed, "
        "failed, unreachable and skipped, and each changed or failed result once for all the hosts where it is "
        "the same, once the host's own address and name in its diff are placeholders. The ok and skipped results "
        "are counted, never kept. With shared diffs, or diffs that differ only by each host's own address, what "
        "grows is the host names each change lists and each host's counts, which the JSON report prints. With "
        "unique diffs the report itself holds one diff per changed host, so memory grows with what it prints.",
    ]
    OUT.write_text("\n".join(lines) + "\n")
    print(OUT.read_text())


if __name__ == "__main__":
    main()
