"""Redis fault scenarios in the lab, shared by the integration tests (one run each) and bench/.

The writing client runs on the app side (ops-1) and talks to Sentinel like a real service;
faults are injected on the data nodes through SSH. Secrets travel on stdin only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.lab_env import LAB
from orchestrator.inventory import load_inventory
from orchestrator.lab.config import LabConfig
from orchestrator.secrets.resolver import role_secrets_path
from orchestrator.secrets.vault_session import admin_client
from orchestrator.validation import Environment
from tests.faults.lab_ssh import nft, run_client_during, ssh

WRITER = Path(__file__).with_name("redis_writer.py")
MASTER_NAME = "platform"
SERVICE_USER = "orders"


@dataclass(frozen=True)
class RedisAccess:
    sentinel_password: str
    admin_password: str
    user_password: str


@dataclass
class WriterResult:
    acked: list[int]
    errors: list[list[object]]
    outages: list[list[float | None]]

    @property
    def first_outage(self) -> float | None:
        """Seconds from the first failed write to the next acknowledged one."""
        if not self.outages:
            return None
        start, end = self.outages[0]
        return None if end is None or start is None else end - start


def access(env: Environment) -> RedisAccess:
    with admin_client(env) as admin:
        assert admin is not None, "vault must be applied first"
        data = admin.secrets.kv.v2.read_secret_version(
            path=role_secrets_path("redis_sentinel"), mount_point="secret", raise_on_deleted_version=True
        )["data"]["data"]
    return RedisAccess(data["sentinel_password"], data["admin_password"], data[f"users_{SERVICE_USER}_password"])


# the role's CA on every Redis and Sentinel host (the lab runs TLS, the role's default)
TLS_CA = "/etc/redis/tls/ca.crt"
CLI = f"redis-cli --tls --cacert {TLS_CA}"


def redis_cli(lab: LabConfig, host: str, password: str, args: str, sentinel: bool = False) -> str:
    """redis-cli on a data host; the password goes through the environment of the remote shell."""
    port, user = ("26379", "") if sentinel else ("6379", "--user admin ")
    script = f"read -r REDISCLI_AUTH; export REDISCLI_AUTH; {CLI} -p {port} {user}--no-auth-warning {args}"
    return ssh(lab, host, f"bash -c '{script}'", stdin=password + "\n")


def sentinel_hosts() -> list[str]:
    """The lab's Sentinels, from its inventory (one of them runs on a host without Redis)."""
    hosts = load_inventory(LAB).group_hosts("redis_sentinels")
    assert hosts
    return hosts


def master_host(lab: LabConfig, ra: RedisAccess, via: str = "data-1") -> str:
    out = redis_cli(lab, via, ra.sentinel_password, f"SENTINEL get-master-addr-by-name {MASTER_NAME}", sentinel=True)
    address = out.split()[0]
    return next(h.name for h in lab.hosts if h.address == address)


def run_writer(
    lab: LabConfig,
    ra: RedisAccess,
    seconds: float,
    prefix: str,
    fault: Callable[[], None],
    fault_after: float = 3.0,
    wait: int = 0,
) -> WriterResult:
    sentinels = [[lab.host(name).address, 26379] for name in sentinel_hosts()]
    cfg = {
        "sentinels": sentinels,
        "master": MASTER_NAME,
        "user": SERVICE_USER,
        "password": ra.user_password,
        "sentinel_password": ra.sentinel_password,
        "seconds": seconds,
        "prefix": prefix,
        "wait": wait,
        "tls_ca": TLS_CA,
    }
    data = run_client_during(lab, WRITER, cfg, seconds, fault, fault_after)
    return WriterResult(data["acked"], data["errors"], data["outages"])


def stored_ids(lab: LabConfig, ra: RedisAccess, host: str, prefix: str) -> set[int]:
    out = redis_cli(lab, host, ra.admin_password, f'--scan --pattern "{prefix}:*"')
    return {int(line.rsplit(":", 1)[1]) for line in out.split() if line}


def kill_master(lab: LabConfig, host: str) -> None:
    """kill -9, and keep it down (a crashed node), so that Sentinel has to fail over."""
    ssh(lab, host, "systemctl kill -s KILL redis-server; systemctl stop redis-server")


def start_again(lab: LabConfig, host: str) -> None:
    ssh(lab, host, "systemctl start redis-server")


def cut_replication(lab: LabConfig, master: str) -> None:
    """Drop all Redis-port traffic between the master and the other data nodes, both ways."""
    peers = ", ".join(h.address for h in lab.hosts if h.name.startswith("data-") and h.name != master)
    nft(
        lab,
        master,
        f"""
table inet harden_fault {{
  chain input {{ type filter hook input priority 0; ip saddr {{ {peers} }} tcp dport 6379 drop; }}
  chain output {{ type filter hook output priority 0; ip daddr {{ {peers} }} tcp sport 6379 drop; }}
}}
""",
    )


def wait_replicas(lab: LabConfig, ra: RedisAccess, master: str, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = redis_cli(lab, master, ra.admin_password, "INFO replication")
        # connected is not enough: a replica in a full resync (state=wait_bgsave or send_bulk) has no data yet
        if "role:master" in info and f"connected_slaves:{count}" in info and info.count("state=online") == count:
            return
        time.sleep(0.5)
    raise AssertionError(f"{master}: not a master with {count} replicas online after {timeout}s")
