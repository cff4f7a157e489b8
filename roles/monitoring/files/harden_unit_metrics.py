#!/usr/bin/python3
"""node_exporter's textfile collector for the units harden limits: how much memory and how many
tasks each uses, beside its MemoryMax and TasksMax (node_exporter does not read cgroups).

The units are those with harden's limits drop-in (roles/common, entry point limits), whichever role
manages them. Written atomically to OUT_DIR/harden_units.prom, which the monitoring role's
UnitMemoryNearMax alert reads.

    harden_unit_metrics.py OUT_DIR
"""

import glob
import os
import subprocess
import sys
import tempfile

DROP_INS = "/etc/systemd/system/*.service.d/harden-limits.conf"
PROPERTIES = ("MemoryCurrent", "MemoryMax", "TasksCurrent", "TasksMax")
METRICS = (
    ("harden_unit_memory_bytes", "MemoryCurrent", "Memory the unit uses (systemd MemoryCurrent)."),
    ("harden_unit_memory_max_bytes", "MemoryMax", "The unit's MemoryMax (absent: none)."),
    ("harden_unit_tasks", "TasksCurrent", "Processes and threads of the unit (systemd TasksCurrent)."),
    ("harden_unit_tasks_max", "TasksMax", "The unit's TasksMax (absent: none)."),
)


def units() -> list[str]:
    return sorted(os.path.basename(os.path.dirname(path))[: -len(".d")] for path in glob.glob(DROP_INS))


def read(names: list[str]) -> dict[str, dict[str, str]]:
    """systemctl show prints one block per unit, in the order asked, separated by blank lines."""
    argv = ["systemctl", "show", "-p", ",".join(PROPERTIES), "--", *names]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    blocks = [b for b in out.strip("\n").split("\n\n")]
    found = {}
    for name, block in zip(names, blocks):
        found[name] = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
    return found


def render(shown: dict[str, dict[str, str]]) -> str:
    lines = []
    for metric, prop, text in METRICS:
        lines += [f"# HELP {metric} {text}", f"# TYPE {metric} gauge"]
        for unit, values in sorted(shown.items()):
            value = values.get(prop, "")
            if value.isdigit():  # "[not set]" and "infinity" are left out
                lines.append(f'{metric}{{unit="{unit}"}} {value}')
    return "\n".join(lines) + "\n"


def main() -> None:
    out_dir = sys.argv[1]
    names = units()
    text = render(read(names)) if names else ""
    fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=".harden_units.")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, os.path.join(out_dir, "harden_units.prom"))


if __name__ == "__main__":
    main()
