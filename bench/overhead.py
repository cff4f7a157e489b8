"""harden's own cost: a no-op `harden apply --env lab` against the same playbooks run by plain
`ansible-playbook -i inventories/lab playbooks/site.yml`, on the same applied lab.

Usage (root, from the repository root): python -m bench.overhead [--runs 5] [--no-apply]
Brings the lab up and applies it once (unless --no-apply: the lab is up and applied). Then runs
the two in turn (harden, plain, harden, ...), so that both see the same machine. Plain Ansible
runs with the strategy and forks of the lab's harden.yml, and reads the secrets from Vault
through community.hashi_vault with an AppRole in its environment (tests/faults/without_harden.py),
as AWX would. Every run of both must change nothing and fail nowhere: that is also the proof that
the playbooks give the same result without harden. Writes bench/overhead.md.
Times are wall clock on this machine: compare ratios.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time

from bench.lab_env import HARDEN
from bench.provenance import machine
from bench.tables import header
from orchestrator.paths import INVENTORIES_DIR, REPO_ROOT
from orchestrator.validation import validate_environment
from tests.faults import without_harden as wh

OUT = REPO_ROOT / "bench" / "overhead.md"
# the report's tables, in order (tests/unit/test_bench_reports.py)
TABLES = (
    ("command", "median (s)", "ratio", "runs (s)"),
    ("host", "harden: ok", "plain: ok", "harden: skipped", "plain: skipped"),
)
Counts = dict[str, dict[str, int]]


def harden_apply() -> tuple[float, Counts]:
    """One no-op apply of every role: its time, and its summary table's counts summed per host."""
    started = time.monotonic()
    done = subprocess.run([HARDEN, "apply", "--env", "lab", "--yes"], capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    said = done.stdout + done.stderr  # the console's table goes to stderr
    if done.returncode != 0 or "0 changes in 0 roles on 0 hosts" not in said:
        raise SystemExit(f"harden apply was not a no-op (exit {done.returncode}):\n{said[-3000:]}")
    counts: Counts = {}
    for line in said.splitlines():
        cells = [c.strip() for c in line.strip().strip("│").split("│")]
        if len(cells) == 7 and cells[2].isdigit():
            host = counts.setdefault(cells[1], {"ok": 0, "skipped": 0})
            host["ok"] += int(cells[2])
            host["skipped"] += int(cells[6])
    if not counts:
        raise SystemExit(f"no summary table in harden's output:\n{said[-3000:]}")
    return seconds, counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-apply", action="store_true", help="The lab is already up and applied.")
    args = parser.parse_args()
    if not args.no_apply:
        subprocess.run([HARDEN, "lab", "up"], check=True)
        subprocess.run([HARDEN, "apply", "--env", "lab", "--yes"], check=True)
    env = validate_environment("lab")
    times: dict[str, list[float]] = {"harden": [], "plain": []}
    counts: dict[str, Counts] = {}
    with wh.vault_environment(env) as vault:
        environ = wh.plain_environment(vault, env.settings.ansible_strategy)
        for _ in range(args.runs):
            seconds, harden_counts = harden_apply()
            times["harden"].append(seconds)
            counts["harden"] = harden_counts  # the last run's
            plain = wh.run_playbooks(INVENTORIES_DIR / "lab", ["site.yml"], environ, forks=env.settings.forks)
            if plain.returncode != 0 or plain.changed or plain.failed or sorted(plain.recap) != env.inventory.hosts:
                raise SystemExit(
                    f"plain ansible-playbook was not a no-op (exit {plain.returncode}):\n{plain.output[-3000:]}"
                )
            times["plain"].append(plain.seconds)
            plain_counts = {h: {"ok": c["ok"], "skipped": c["skipped"]} for h, c in plain.recap.items()}
            counts["plain"] = plain_counts
            print({k: [round(t, 1) for t in v] for k, v in times.items()}, flush=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    lines = [
        "# harden's overhead: harden apply against plain ansible-playbook",
        "",
        f"Produced by `python -m bench.overhead --runs {args.runs}` on {machine()}.",
        "A no-op `harden apply --env lab --yes` (every role of the lab) and `ansible-playbook -i inventories/lab "
        "playbooks/site.yml` (the same plays, one process), in turn, on the applied lab. Plain Ansible has the "
        f"strategy ({env.settings.ansible_strategy}) and forks ({env.settings.forks}) of the lab's harden.yml, and "
        "reads the secrets from Vault through community.hashi_vault with an AppRole in its environment, as AWX does "
        "(docs/awx.md).",
        f"Every run of both changed nothing and failed nowhere. Medians of {args.runs}, in seconds.",
        "",
        *header(TABLES[0]),
        f"| ansible-playbook site.yml | {med['plain']:.1f} | 1.00 | {', '.join(f'{t:.1f}' for t in times['plain'])} |",
        f"| harden apply | {med['harden']:.1f} | {med['harden'] / med['plain']:.2f} | "
        f"{', '.join(f'{t:.1f}' for t in times['harden'])} |",
        "",
        "Task results per host in the last run of each: harden's summed over its role runs, plain Ansible's from its "
        "recap. Both count the fact-gathering task only where a run gathered facts: harden reuses the environment's "
        "cache (.harden/facts/<env>/, two hours), plain Ansible gathers once per run.",
        "",
        *header(TABLES[1]),
    ]
    for host in env.inventory.hosts:
        h, p = counts["harden"].get(host, {}), counts["plain"].get(host, {})
        lines.append(
            f"| {host} | {h.get('ok', 0)} | {p.get('ok', 0)} | {h.get('skipped', 0)} | {p.get('skipped', 0)} |"
        )
    OUT.write_text("\n".join(lines) + "\n")
    print(OUT.read_text())


if __name__ == "__main__":
    main()
