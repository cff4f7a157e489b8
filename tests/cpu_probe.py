"""How busy the machine's CPUs were during each test: a pytest plugin, and its per-module summary.

Why the lab suite runs in two shards (tests/run_suite.py), and whether a third would help, is a
question of idle CPU. This answers it, for any run:

    python -m tests.run_suite -p tests.cpu_probe          (or pytest -p tests.cpu_probe ...)
    python -m tests.cpu_probe [FILE]                     per module: seconds, busy fraction

Each test appends one JSON line to HARDEN_CPU_PROBE (default .harden/cpu-probe.jsonl): its id,
its start, its wall time (setup, call and teardown) and the fraction of the whole machine's CPU
time that was not idle meanwhile (/proc/stat: every process, the lab hosts' too).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.paths import REPO_STATE_DIR

PROBE_FILE = Path(os.environ.get("HARDEN_CPU_PROBE", str(REPO_STATE_DIR / "cpu-probe.jsonl")))


def _cpu() -> tuple[int, int]:
    """(all jiffies, idle + iowait jiffies) since boot, over every CPU."""
    with open("/proc/stat") as fh:
        fields = [int(x) for x in fh.readline().split()[1:]]
    return sum(fields), fields[3] + fields[4]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    started, (total0, idle0) = time.time(), _cpu()
    yield
    total1, idle1 = _cpu()
    spent = total1 - total0
    line = {
        "id": item.nodeid,
        "start": round(started, 1),
        "wall": round(time.time() - started, 1),
        "busy": round(1 - (idle1 - idle0) / spent, 3) if spent else None,
    }
    PROBE_FILE.parent.mkdir(parents=True, exist_ok=True)
    with PROBE_FILE.open("a") as out:  # one short write per test: two shards may append at once
        out.write(json.dumps(line) + "\n")


def summary(lines: list[dict[str, object]]) -> list[tuple[str, float, float]]:
    """Per test module, in the order first seen: (module, seconds, busy fraction weighted by time)."""
    wall: dict[str, float] = defaultdict(float)
    busy: dict[str, float] = defaultdict(float)
    for line in lines:
        module = str(line["id"]).split("::")[0]
        seconds = float(line["wall"])  # type: ignore[arg-type]
        wall[module] += seconds
        busy[module] += seconds * float(line["busy"] or 0)  # type: ignore[arg-type]
    return [(m, wall[m], busy[m] / wall[m] if wall[m] else 0.0) for m in wall]


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else PROBE_FILE
    lines = [json.loads(raw) for raw in path.read_text().splitlines() if raw.strip()]
    if not lines:
        print(f"{path}: no test recorded", file=sys.stderr)
        return 1
    for module, seconds, fraction in summary(lines):
        print(f"{module:70s} {seconds:8.1f} s  busy {fraction:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
