"""Where a bench ran: the machine and the commit, for the header of every bench/*.md it writes."""

from __future__ import annotations

import os
import platform
import subprocess
import time

from orchestrator.paths import REPO_ROOT


def commit() -> str:
    done = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() or "unknown"


def machine() -> str:
    """One line: cores, memory, kernel, the commit and the day."""
    with open("/proc/meminfo") as fh:
        mem_kib = int(next(line for line in fh if line.startswith("MemTotal:")).split()[1])
    return (
        f"{os.cpu_count()} cores, {mem_kib / 1048576:.0f} GiB, Linux {platform.release()} "
        f"(commit {commit()}, {time.strftime('%Y-%m-%d')})"
    )
