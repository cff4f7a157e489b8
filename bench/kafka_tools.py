"""What a Kafka admin tool costs a broker's host: the JVM's tiered default, C1 only
(-XX:TieredStopAtLevel=1), and C1 with the class-data archive of the tools as the role's run_tool
starts them, run side by side.

Usage (root, from the repository root): python -m bench.kafka_tools [--runs 7]
The lab is up and role kafka applied (harden apply --env lab --role kafka: its first tool run on
data-1 wrote the archive, kafka_tools.CLASS_ARCHIVES). On data-1, the
role's kafka_health, its admin tasks and harden kafka status start a JVM for each Kafka tool they
run (roles/kafka/module_utils/kafka_tools.py, java_command); this runs one of them, TopicCommand
--describe against the local broker with the admin's settings, in both ways in turn, and takes each
run's wall time and the CPU time (user and system) bash's `time` reports for it. Writes
bench/kafka_tools.md. Compare ratios: the absolute numbers are this machine's.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import subprocess

from bench.provenance import machine
from bench.tables import header
from orchestrator.lab.config import load_lab_config
from orchestrator.lab.manager import ssh_command
from orchestrator.paths import REPO_ROOT
from orchestrator.roles.kafka.ops import HOME, tools

OUT = REPO_ROOT / "bench" / "kafka_tools.md"
TABLES = (("JVM", "wall median (s)", "CPU median (s)", "CPU ratio", "runs, wall / CPU (s)"),)
ARCHIVE_FLAG = "-XX:SharedArchiveFile="
C1_ONLY = "-XX:TieredStopAtLevel=1"
HOST = "data-1"


def archive_on(lab_name: str) -> str:
    """The class-data archive the role's tool runs wrote on HOST."""
    lab = load_lab_config(lab_name)
    done = subprocess.run(
        ssh_command(lab, lab.host(HOST), f"ls {tools().CLASS_ARCHIVES}/tools-*.jsa"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    found = done.stdout.split()
    if len(found) != 1:
        raise SystemExit(f"want one archive under {tools().CLASS_ARCHIVES} on {HOST}, found {found}: apply kafka")
    return found[0]


def commands(address: str, archive: str) -> dict[str, list[str]]:
    role = tools().java_command(HOME, tools().TOPICS)
    if C1_ONLY not in role:
        raise SystemExit(f"the role's java_command no longer passes {C1_ONLY}: update this bench")
    args = ["--bootstrap-server", f"{address}:9093", "--command-config", "/etc/kafka/admin.properties", "--describe"]
    mapped = ["java", *tools().QUIET_JVM, f"{ARCHIVE_FLAG}{archive}", "-Xshare:auto", *role[1:]]
    return {
        "tiered (JVM default)": [a for a in role if a != C1_ONLY] + args,
        f"C1 only ({C1_ONLY})": role + args,
        "C1 and the class-data archive (the role's run_tool)": mapped + args,
    }


def timed(lab_name: str, argv: list[str]) -> tuple[float, float]:
    """One run on HOST: (wall, user + system) seconds, as bash's time reports them."""
    lab = load_lab_config(lab_name)
    script = f"TIMEFORMAT='%R %U %S'; time {shlex.join(argv)} >/dev/null"
    done = subprocess.run(
        ssh_command(lab, lab.host(HOST), "bash", "-c", shlex.quote(script)),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"the tool failed on {HOST} ({done.returncode}):\n{done.stderr[-2000:]}")
    wall, user, system = (float(x) for x in done.stderr.strip().splitlines()[-1].split())
    return wall, user + system


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--lab", default="lab")
    args = parser.parse_args()
    lab = load_lab_config(args.lab)
    variants = commands(lab.host(HOST).address, archive_on(args.lab))
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
    for _ in range(args.runs):  # alternating, so that both see the same machine
        for name, argv in variants.items():
            runs[name].append(timed(args.lab, argv))
    base = statistics.median(cpu for _, cpu in runs[next(iter(variants))])
    lines = [
        "# Kafka tools: the JVM's tiered default, C1 only, and C1 with a class-data archive",
        "",
        f"Produced by `python -m bench.kafka_tools --runs {args.runs}` on {machine()}.",
        f"`TopicCommand --describe` on {HOST} against its own broker (the applied lab's topics), the three",
        "JVMs in turn run by run; CPU is user plus system time of the tool's process.",
        "",
        *header(TABLES[0]),
    ]
    for name, measured in runs.items():
        wall = statistics.median(w for w, _ in measured)
        cpu = statistics.median(c for _, c in measured)
        each = ", ".join(f"{w:.2f} / {c:.2f}" for w, c in measured)
        lines.append(f"| {name} | {wall:.2f} | {cpu:.2f} | {cpu / base:.2f} | {each} |")
    OUT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
