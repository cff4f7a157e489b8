"""Vault (OpenBao) failover: kill -9 the active node, time until another node takes a write.

Side by side: harden's default (performance_multiplier = 1) and OpenBao's default raft timing
(performance_multiplier = 5). Each setting is applied to the lab (a rolling restart that unseals
node by node), then the active node is killed ``--runs`` times.

Usage (root, lab up and applied): python bench/vault_failover.py [--runs 5]
Writes bench/vault_failover.md.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from orchestrator.paths import INVENTORIES_DIR
from orchestrator.validation import Environment, validate_environment
from orchestrator.vault_session import admin_client, ca_file, client_for, init_file, node_url, vault_nodes

OUT = Path(__file__).with_name("vault_failover.md")
HARDEN = str(Path(sys.executable).with_name("harden"))
SETTINGS = [("harden default: performance_multiplier = 1", 1), ("OpenBao default: performance_multiplier = 5", 5)]


@contextlib.contextmanager
def node_client(env: Environment, host: str, token: str | None = None) -> Iterator[Any]:
    node = next(n for n in vault_nodes(env) if n.host == host)
    with node_url(env, node) as url:
        yield client_for(url, ca_file(env), token)


def ssh(env: Environment, host: str, command: str) -> str:
    from orchestrator.lab.config import load_lab_config
    from orchestrator.lab.manager import ssh_command

    config = load_lab_config("lab")
    proc = subprocess.run(ssh_command(config, config.host(host), command), capture_output=True, text=True)
    return proc.stdout


def active_node(env: Environment) -> str:
    with node_client(env, vault_nodes(env)[0].host) as probe:
        leader = probe.sys.read_leader_status()["leader_address"]
    return next(n.host for n in vault_nodes(env) if n.address in leader)


def kill_active_and_time_write(env: Environment) -> float:
    """Seconds from kill -9 of the active node until a KV write through a survivor succeeds."""
    leader = active_node(env)
    survivor = next(n.host for n in vault_nodes(env) if n.host != leader)
    with admin_client(env) as admin:
        token = admin.token
    with node_client(env, survivor, token) as client:
        ssh(env, leader, "systemctl kill -s KILL openbao")
        killed = time.monotonic()
        while time.monotonic() - killed < 120:
            try:
                client.secrets.kv.v2.create_or_update_secret(
                    path="failover-probe", mount_point="secret", secret={"at": str(time.time())}
                )
                elapsed = time.monotonic() - killed
                break
            except Exception:  # not writable yet
                time.sleep(0.1)
        else:
            raise RuntimeError("no node took a write within 120 s")
    recover(env, leader)
    return elapsed


def recover(env: Environment, host: str) -> None:
    """systemd restarts the killed node sealed; unseal it and wait until all nodes answer."""
    for _ in range(100):
        if ssh(env, host, "systemctl is-active openbao").strip() == "active":
            break
        time.sleep(0.2)
    time.sleep(1)
    subprocess.run(
        [HARDEN, "vault", "unseal", "--env", str(env.inventory.path), "--keys-file", str(init_file("lab"))],
        check=True,
        capture_output=True,
    )
    time.sleep(5)  # let the rejoined node catch up before the next kill


def apply_setting(multiplier: int, workdir: Path) -> Environment:
    env_dir = workdir / "lab"
    shutil.rmtree(env_dir, ignore_errors=True)
    shutil.copytree(INVENTORIES_DIR / "lab", env_dir)
    vault_vars = env_dir / "group_vars" / "vault.yml"
    vault_vars.write_text(vault_vars.read_text() + f"vault_performance_multiplier: {multiplier}\n")
    subprocess.run(
        [HARDEN, "apply", "--env", str(env_dir), "--role", "vault", "--vault-keys-file", str(init_file("lab"))],
        check=True,
        capture_output=True,
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
        "# Vault (OpenBao 2.7.2) failover in the lab",
        "",
        f"Produced by `bench/vault_failover.py --runs {args.runs}`: 3-node raft cluster with TLS, "
        "kill -9 of the active node, time until a KV write through a surviving node succeeds. "
        "Both settings measured in the same session, one after the other.",
        "",
        "| setting | median (s) | ratio to harden default | runs (s) |",
        "| --- | --- | --- | --- |",
    ]
    for label, runs in results.items():
        median = statistics.median(runs)
        lines.append(f"| {label} | {median:.1f} | {median / base:.1f}x | {', '.join(f'{r:.1f}' for r in runs)} |")
    OUT.write_text("\n".join(lines) + "\n")
    print(OUT.read_text())


if __name__ == "__main__":
    main()
