"""Measure the lab: `lab up` cold (image built), from the cached tarball, and warm; memory per idle host.

Usage (root, from the repository root): python -m bench.lab_bench [--runs 3] [--skip-cold]
Writes bench/lab.md. Times are wall-clock medians on this machine; compare ratios, not seconds.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import time
from pathlib import Path

from bench.tables import header
from orchestrator.lab import manager
from orchestrator.lab.config import LabConfig, load_lab_config
from orchestrator.lab.image import image_dir, purge_images

OUT = Path(__file__).with_name("lab.md")
# the report's tables, in order (tests/unit/test_bench_reports.py)
TABLES = (
    ("`harden lab up`", "seconds", "ratio to warm"),
    ("idle host", "PSS (MiB)"),
)


def timed_up(config: LabConfig) -> float:
    started = time.monotonic()
    manager.up(config)
    return time.monotonic() - started


def pss_kib(pids: set[int]) -> int:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-cold", action="store_true")
    args = parser.parse_args()
    config = load_lab_config("lab")
    manager.down(config)
    cold = None
    if not args.skip_cold:
        purge_images()
        cold = timed_up(config)
        manager.down(config)
    from_tarball, warm = [], []
    for _ in range(args.runs):
        shutil.rmtree(image_dir(config))
        image_dir(config).with_name(image_dir(config).name + ".complete").unlink()
        from_tarball.append(timed_up(config))
        manager.down(config)
        warm.append(timed_up(config))
        if _ != args.runs - 1:
            manager.down(config)
    time.sleep(20)  # let the hosts settle to idle
    from orchestrator.lab.hosts import cgroup_pids

    memory = {h.name: pss_kib(cgroup_pids(config, h)) / 1024 for h in config.hosts}
    manager.down(config)
    med_tar, med_warm = statistics.median(from_tarball), statistics.median(warm)
    lines = [
        "# Lab timings and memory",
        "",
        f"Produced by `bench/lab_bench.py --runs {args.runs}` on this machine (2 cores), "
        f"{len(config.hosts)} hosts booted in parallel. Medians of {args.runs} runs.",
        "",
        *header(TABLES[0]),
    ]
    if cold is not None:
        lines.append(f"| cold: debootstrap + customise + pack + boot | {cold:.1f} | {cold / med_warm:.1f}x |")
    lines += [
        f"| from the cached `.tar.zst` (extract + boot) | {med_tar:.1f} | {med_tar / med_warm:.1f}x |",
        f"| warm (image already extracted, boot only) | {med_warm:.1f} | 1.0x |",
        "",
        f"Runs from the tarball: {', '.join(f'{t:.1f}' for t in from_tarball)}; "
        f"warm: {', '.join(f'{t:.1f}' for t in warm)}.",
        "",
        *header(TABLES[1]),
        *[f"| {name} | {mib:.1f} |" for name, mib in memory.items()],
        "",
        "PSS is summed over every process in the host's cgroup, 20 s after boot.",
    ]
    OUT.write_text("\n".join(lines) + "\n")
    print(OUT.read_text())


if __name__ == "__main__":
    main()
