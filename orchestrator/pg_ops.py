"""`harden pg status` and `harden pg switchover`: ask and steer Patroni's REST API from the controller."""

from __future__ import annotations

import base64
import json
import ssl
import time
import urllib.request
from dataclasses import dataclass
from typing import Any

from orchestrator.errors import HardenError
from orchestrator.stored_secrets import read_stored_secret
from orchestrator.tunnel import reach, ssh_prefix
from orchestrator.validation import Environment
from orchestrator.vault_session import ca_file

REST_USER = "patroni"  # roles/postgres_ha/vars/main.yml: _postgres_ha_restapi_user


@dataclass(frozen=True)
class Member:
    name: str
    role: str  # leader, sync_standby, replica
    state: str
    host: str
    timeline: int | None
    lag: int | str | None  # bytes behind the leader; "unknown" when Patroni cannot tell

    @property
    def is_leader(self) -> bool:
        return self.role in ("leader", "standby_leader")


def _settings(env: Environment) -> tuple[Any, list[str]]:
    members = env.inventory.group_hosts("postgres")
    if "postgres_ha" not in env.role_vars or not members:
        raise HardenError(f"{env.name} does not run the postgres_ha role")
    return env.role_vars["postgres_ha"][members[0]], members


def _call(
    env: Environment, host: str, port: int, path: str, body: dict[str, Any] | None = None, password: str | None = None
) -> Any:
    ca = ca_file(env)
    if ca is None:
        raise HardenError(f"no CA certificate for {env.name} yet: apply the pki and vault roles first")
    context = ssl.create_default_context(cafile=str(ca))
    address, ssh = ssh_prefix(env, host)
    with reach(env, ssh, address, port) as (local_host, local_port):
        req = urllib.request.Request(
            f"https://{local_host}:{local_port}{path}",
            data=json.dumps(body).encode() if body is not None else None,
            method="POST" if body is not None else "GET",
        )
        req.add_header("Content-Type", "application/json")
        if password is not None:
            pair = f"{REST_USER}:{password}".encode()
            req.add_header("Authorization", "Basic " + base64.b64encode(pair).decode())
        try:
            with urllib.request.urlopen(req, context=context, timeout=30) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            raise HardenError(f"{host}: {path} answered {exc.code}: {exc.read().decode(errors='replace')}") from exc
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")


def status(env: Environment) -> list[Member]:
    """Members as Patroni sees them, asked from the first member that answers."""
    model, members = _settings(env)
    errors = []
    for host in members:
        try:
            data = _call(env, host, model.postgres_ha_restapi_port, "/cluster")
        except Exception as exc:  # this member is down: ask the next
            errors.append(f"{host}: {exc}")
            continue
        return [
            Member(m["name"], m["role"], m["state"], m.get("host", ""), m.get("timeline"), m.get("lag"))
            for m in data.get("members", [])
        ]
    raise HardenError("no Patroni member answered: " + "; ".join(errors))


def leader(members: list[Member]) -> Member | None:
    return next((m for m in members if m.is_leader), None)


def switchover(env: Environment, to: str | None = None, timeout: float = 60) -> tuple[str, str]:
    """Planned switchover (to a chosen member or Patroni's pick); waits for the new leader. Returns (old, new)."""
    model, hosts = _settings(env)
    members = status(env)
    current = leader(members)
    if current is None:
        raise HardenError("the cluster has no leader: nothing to switch over from (harden pg status)")
    if to is not None:
        if to not in hosts:
            raise HardenError(f"--to {to}: not a host of group 'postgres' ({', '.join(hosts)})")
        if to == current.name:
            raise HardenError(f"--to {to}: it is the leader already")
        target = next((m for m in members if m.name == to), None)
        if target is None or target.state not in ("running", "streaming"):
            raise HardenError(f"--to {to}: not a running member (harden pg status)")
        sync = [m.name for m in members if m.role == "sync_standby"]
        if sync and to not in sync:
            raise HardenError(
                f"--to {to}: in synchronous mode only a synchronous standby ({', '.join(sync)}) may take over "
                "without losing acknowledged writes; leave --to out or name it"
            )
    sync_before = [m.name for m in members if m.role == "sync_standby"]
    password = read_stored_secret(env, "postgres_ha", model, "postgres_ha_restapi_password")
    body: dict[str, Any] = {"leader": current.name}
    if to is not None:
        body["candidate"] = to
    _call(env, current.name, model.postgres_ha_restapi_port, "/switchover", body, password=password)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = leader(status(env))
        if now is not None and now.name != current.name and now.state == "running":
            wait_settled(env, synchronous=bool(sync_before), timeout=max(deadline - time.monotonic(), 5))
            return current.name, now.name
        time.sleep(0.5)
    raise HardenError(f"the leader is still {current.name} after {timeout:.0f}s")


def settled(members: list[Member], synchronous: bool) -> bool:
    """One running leader, every member running with a known lag, and a synchronous standby if wanted."""
    lead = leader(members)
    replicas = [m for m in members if not m.is_leader]
    return (
        lead is not None
        and lead.state == "running"
        and all(m.state in ("running", "streaming") and isinstance(m.lag, int) for m in replicas)
        and (not synchronous or not replicas or any(m.role == "sync_standby" for m in replicas))
    )


def wait_settled(env: Environment, synchronous: bool, timeout: float = 60) -> list[Member]:
    deadline = time.monotonic() + timeout
    members: list[Member] = []
    while time.monotonic() < deadline:
        members = status(env)
        if settled(members, synchronous):
            return members
        time.sleep(0.5)
    raise HardenError(
        "the cluster did not settle in time: " + ", ".join(f"{m.name} {m.role} {m.state} lag {m.lag}" for m in members)
    )
