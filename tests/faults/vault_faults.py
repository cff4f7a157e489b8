"""Vault fault scenarios in the lab, shared by the integration tests (one run) and bench/ (repeated)."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.lab_env import LAB, LAB_NAME
from orchestrator.secrets.vault_session import admin_client, ca_file, client_for, init_file, node_url, vault_nodes
from orchestrator.validation import Environment

HARDEN = str(Path(sys.executable).with_name("harden"))


@contextlib.contextmanager
def node_client(env: Environment, host: str, token: str | None = None) -> Iterator[Any]:
    node = next(n for n in vault_nodes(env) if n.host == host)
    with node_url(env, node) as url:
        yield client_for(url, ca_file(env), token)


def ssh(env: Environment, host: str, command: str) -> str:
    from orchestrator.lab.config import load_lab_config
    from orchestrator.lab.manager import ssh_command

    config = load_lab_config(LAB)
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
        [HARDEN, "vault", "unseal", "--env", str(env.inventory.path), "--keys-file", str(init_file(LAB_NAME))],
        check=True,
        capture_output=True,
    )
    time.sleep(5)  # let the rejoined node catch up before the next kill


def power_cycle(env: Environment, host: str, bound: float) -> tuple[str, list[str], float]:
    """Power cut of a lab host, power back on, unseal its node (as an operator would), then wait up
    to ``bound`` s for a healthy cluster. Returns the verdict, its reasons and the seconds waited."""
    from orchestrator.lab.config import load_lab_config
    from orchestrator.roles.vault.ops import wait_healthy
    from tests.faults import pg_faults

    lab = load_lab_config(LAB)
    pg_faults.power_off(lab, host)
    pg_faults.start_again(lab, host)  # boots the host and unseals its Vault node
    return wait_healthy(env, timeout=bound)
