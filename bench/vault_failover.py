"""Vault (OpenBao) failover: kill -9 the active node, time until another node takes a write.

Side by side: harden's default (performance_multiplier = 1) and OpenBao's default raft timing
(performance_multiplier = 5). Each setting is applied to the lab (a rolling restart that unseals
node by node), then the active node is killed ``--runs`` times.

Usage (root, lab up and applied, from the repository root): python -m bench.vault_failover [--runs 5]
Writes bench/vault_failover.md.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from bench.lab_env import apply_lab_with
from bench.provenance import machine
from bench.tables import header, median_row
from orchestrator.roles.vault.model import OPENBAO
from orchestrator.secrets.vault_session import init_file
from orchestrator.validation import Environment, validate_environment
from tests.faults.vault_faults import kill_active_and_time_write

OUT = Path(__file__).with_name("vault_failover.md")
# the report's tables, in order (tests/unit/test_bench_reports.py)
TABLES = (("setting", "median (s)", "ratio to harden default", "runs (s)"),)
SETTINGS = [("harden default: performance_multiplier = 1", 1), ("OpenBao default: performance_multiplier = 5", 5)]


def apply_setting(multiplier: int, workdir: Path) -> Environment:
    env_dir = apply_lab_with(
        workdir,
        "vault",
        f"vault_performance_multiplier: {multiplier}",
        "--role",
        "vault",
        "--vault-keys-file",
        str(init_file("lab")),
    )
    return validate_environment(str(env_dir))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, multiplier in SETTINGS:
            env = apply_setting(multiplier, Path(tmp))
            results[label] = [kill_active_and_time_write(env) for _ in range(args.runs)]
        apply_setting(1, Path(tmp))  # leave the lab at harden's default
    base = statistics.median(results[SETTINGS[0][0]])
    lines = [
        f"# Vault (OpenBao {OPENBAO.version}) failover in the lab",
        "",
        f"Produced by `python -m bench.vault_failover --runs {args.runs}` on {machine()}: 3-node raft cluster "
        "with TLS, "
        "kill -9 of the active node, time until a KV write through a surviving node succeeds. "
        "Both settings measured in the same session, one after the other.",
        "",
        *header(TABLES[0]),
    ]
    lines += [median_row(label, runs, base) for label, runs in results.items()]
    OUT.write_text("\n".join(lines) + "\n")
    print(OUT.read_text())


if __name__ == "__main__":
    main()
