"""PostgreSQL fault scenarios in the lab, shared by the integration tests (one run each) and bench/.

The writing client runs on the app side (ops-1) and finds the primary through libpq's
multi-host string; faults are injected on the data nodes through SSH (or, for a power cut,
from the machine). Admin SQL runs as the postgres OS user over the local socket (peer auth).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from orchestrator.lab import hosts as lab_hosts
from orchestrator.lab.config import LabConfig
from orchestrator.lab.manager import LabState, up
from orchestrator.paths import env_state_dir
from orchestrator.roles.postgres_ha.ops import Member, leader, status, wait_settled
from orchestrator.roles.vault.ops import read_keys_file, unseal
from orchestrator.secrets.vault_session import ca_file
from orchestrator.validation import Environment, validate_environment
from tests.faults.lab_ssh import run_client_during, ssh

WRITER = Path(__file__).with_name("pg_writer.py")
STALL_SECONDS = 25
# After a stall, every member streams again on the leader's timeline within this many seconds of
# SIGCONT (asserted by the stall test; the bench reports the measured times).
STALL_HEAL_BOUND = 60.0
DIVERGED = "harden_diverged"  # the table only a diverged member has, until it is rewound
PG_CTL = "runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D /var/lib/postgresql/15/patroni"
FAULT_USER = "harden_fault"
DATA_HOSTS = ("data-1", "data-2", "data-3")
# a runtime drop-in that keeps a killed Patroni down until the test lets it back
HOLD_DOWN = "/run/systemd/system/patroni.service.d/zz-harden-fault.conf"


@dataclass
class WriterResult:
    acked: list[int]
    servers: dict[str, int]
    errors: list[list[object]]
    outages: list[list[float | str | None]]

    def _longest(self) -> list[float | str | None] | None:
        done = [o for o in self.outages if o[2] is not None]
        return max(done, key=lambda o: float(o[2]) - float(o[0])) if done else None  # type: ignore[arg-type]

    @property
    def gap(self) -> float | None:
        """The failover as the client saw it: seconds from the last acknowledged write before the
        longest outage to the first acknowledged write after it."""
        longest = self._longest()
        return None if longest is None else float(longest[2]) - float(longest[0])  # type: ignore[arg-type]

    @property
    def resumed_on(self) -> str | None:
        """Address of the server that took the first write after the longest outage."""
        longest = self._longest()
        return None if longest is None else str(longest[3])

    @property
    def unfinished(self) -> bool:
        return any(o[2] is None for o in self.outages)


@dataclass(frozen=True)
class FaultClient:
    password: str
    ca: str


def psql(lab: LabConfig, host: str, sql: str) -> str:
    """SQL on stdin, as the postgres OS user over the local socket; unaligned, tuples only."""
    return ssh(lab, host, "runuser -u postgres -- psql -XAtq -v ON_ERROR_STOP=1 -d postgres -f -", stdin=sql).strip()


def current_leader(env: Environment) -> str:
    lead = leader(status(env))
    assert lead is not None, "the cluster has no leader"
    return lead.name


def settle(env: Environment, timeout: float = 120) -> list[Member]:
    return wait_settled(env, synchronous=True, timeout=timeout)


def writer_seconds(env: Environment) -> float:
    """How long the writer runs: long enough to see writes resume after the leader key expires twice
    (a power cut that also takes etcd's leader renews every lease once)."""
    ttl = int(env.role_vars["postgres_ha"][DATA_HOSTS[0]].postgres_ha_ttl)
    return 15 + 2 * ttl


def prepare(lab: LabConfig, env: Environment, table: str) -> FaultClient:
    """A login role with a fresh random password and an empty table, created on the leader."""
    ca = ca_file(env)
    assert ca is not None
    password = secrets.token_urlsafe(24)
    psql(
        lab,
        current_leader(env),
        f"""
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{FAULT_USER}') THEN
    CREATE ROLE {FAULT_USER} LOGIN;
  END IF;
END $$;
ALTER ROLE {FAULT_USER} PASSWORD '{password}';
DROP TABLE IF EXISTS {table};
CREATE TABLE {table} (n integer PRIMARY KEY, at timestamptz NOT NULL DEFAULT now());
GRANT INSERT, SELECT ON {table} TO {FAULT_USER};
""",
    )
    return FaultClient(password, ca.read_text())


def run_writer(
    lab: LabConfig,
    client: FaultClient,
    table: str,
    seconds: float,
    fault: Callable[[], None],
    fault_after: float = 3.0,
    stuck_after: float = 1.0,
    min_seconds: float | None = None,
) -> WriterResult:
    cfg = {
        "hosts": [lab.host(h).address for h in DATA_HOSTS],
        "port": 5432,
        "user": FAULT_USER,
        "password": client.password,
        "ca": client.ca,
        "table": table,
        "seconds": seconds,
        "stuck_after": stuck_after,
        # stop early once writes resumed, but never before the fault has fully played out
        "min_seconds": min_seconds if min_seconds is not None else fault_after + 5,
        "settle_after": 5.0,
    }
    data = run_client_during(lab, WRITER, cfg, seconds, fault, fault_after)
    return WriterResult(data["acked"], data["servers"], data["errors"], data["outages"])


def stored_ids(lab: LabConfig, host: str, table: str) -> set[int]:
    out = psql(lab, host, f"SELECT n FROM {table};")
    return {int(line) for line in out.split()}


def postgres_pids(lab: LabConfig, host: str) -> list[int]:
    out = ssh(lab, host, "pgrep -u postgres -x postgres || true")
    return [int(p) for p in out.split()]


# (a) kill -9 Patroni and PostgreSQL together, and keep them down: a crashed member.
def kill_patroni_and_postgres(lab: LabConfig, host: str) -> None:
    ssh(lab, host, "systemctl kill -s KILL --kill-whom=all patroni; systemctl stop patroni")


# (b) kill -9 only Patroni's process; systemd must not restart it before a new leader exists.
def kill_patroni_only(lab: LabConfig, host: str) -> None:
    ssh(
        lab,
        host,
        f"mkdir -p {Path(HOLD_DOWN).parent} && printf '[Service]\\nRestart=no\\n' > {HOLD_DOWN} && "
        "systemctl daemon-reload && kill -9 $(systemctl show -p MainPID --value patroni)",
    )


# (c) the whole leader host loses power: every process of the container killed at once.
def power_off(lab: LabConfig, host: str) -> None:
    state = LabState(lab)
    lab_hosts.stop(lab, lab.host(host), state.data["hosts"].get(host), timeout=0)


# (d) the leader stalls (VM pause, live migration, I/O stall): every process of its Patroni unit,
# Patroni and PostgreSQL, frozen for STALL_SECONDS, then resumed.
def stall(lab: LabConfig, host: str) -> None:
    ssh(
        lab,
        host,
        f"systemctl kill -s SIGSTOP --kill-whom=all patroni; sleep {STALL_SECONDS}; "
        "systemctl kill -s SIGCONT --kill-whom=all patroni",
    )


# (e) a member is forced onto a timeline of its own: promoted outside Patroni, written to, stopped;
# Patroni must find the divergence and rewind it when it starts again.
def diverge(lab: LabConfig, host: str) -> None:
    ssh(
        lab,
        host,
        f"systemctl stop patroni && {PG_CTL} -l /var/lib/postgresql/diverge.log start -w && {PG_CTL} promote -w && "
        "runuser -u postgres -- psql -XAtq -d postgres "
        f"-c 'CREATE TABLE {DIVERGED} (x int); INSERT INTO {DIVERGED} VALUES (1)' && {PG_CTL} stop -m fast -w",
    )


def start_again(lab: LabConfig, host: str) -> None:
    """Undo any of the faults above: the member comes back and must rejoin by itself."""
    state = LabState(lab)
    if not lab_hosts.pid_alive(state.data["hosts"].get(host)):
        up(lab)
        # by its folder: a sibling lab (the second shard's) is not under inventories/
        unseal_vault(validate_environment(str(lab.inventory_path)))  # its Vault node came back sealed
        return
    ssh(
        lab,
        host,
        f"systemctl kill -s SIGCONT --kill-whom=all patroni; rm -f {HOLD_DOWN}; systemctl daemon-reload; "
        "systemctl start patroni",
    )


def unseal_vault(env: Environment, timeout: float = 60) -> None:
    """The lab keeps its unseal keys in the secret-zero file; a production operator types them."""
    keys = read_keys_file(env_state_dir(env.name) / "vault-init.json")
    deadline = time.monotonic() + timeout
    while True:
        try:
            if all(row.sealed is False for row in unseal(env, keys)):
                return
        except Exception:  # the node's API is not up yet
            if time.monotonic() > deadline:
                raise
        time.sleep(1)


def missing_on_members(lab: LabConfig, table: str, acked: list[int], timeout: float = 30) -> dict[str, int]:
    """Acknowledged writes missing on each data member, once replay had ``timeout`` s to catch up."""
    assert acked, "the writer had no acknowledged write: the test would prove nothing"
    deadline = time.monotonic() + timeout
    while True:
        missing = {host: len(set(acked) - stored_ids(lab, host, table)) for host in DATA_HOSTS}
        if not any(missing.values()) or time.monotonic() > deadline:
            return missing
        time.sleep(1)


def wait_rejoined(env: Environment, host: str, timeout: float = 120) -> Member:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        members = settle(env, timeout=max(deadline - time.monotonic(), 5))
        me = next((m for m in members if m.name == host), None)
        if me is not None and not me.is_leader:
            return me
        time.sleep(1)
    raise AssertionError(f"{host} did not rejoin as a replica within {timeout}s")
