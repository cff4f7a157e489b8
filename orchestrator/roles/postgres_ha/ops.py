"""`harden pg status` and `harden pg switchover`: ask and steer Patroni's REST API from the controller."""

from __future__ import annotations

import base64
import dataclasses
import json
import ssl
import time
import urllib.request
from dataclasses import dataclass
from typing import Any

from orchestrator.clikit import StatusReport
from orchestrator.errors import HardenError
from orchestrator.secrets.stored import read_stored_secret
from orchestrator.secrets.vault_session import ca_file
from orchestrator.tunnel import reach, ssh_prefix
from orchestrator.validation import Environment

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


def problems(
    members: list[Member],
    *,
    expected: list[str],
    synchronous: bool,
    max_lag: int,
    streaming_state: bool = True,
) -> dict[str, list[str]]:
    """Why each member (by name) is not healthy; an empty list means healthy.

    A replica is healthy when it streams from the leader (Patroni 4 reports the state
    "streaming"; ``streaming_state=False`` accepts "running" for Patroni 3.0, which has no such
    state), on the leader's timeline, with a known lag within ``max_lag`` bytes (the failover
    limit). In synchronous mode one replica must be the synchronous standby.
    """
    lead = leader(members)
    found = {m.name for m in members}
    out: dict[str, list[str]] = {m.name: [] for m in members}
    for name in expected:
        if name not in found:
            out[name] = ["not in the cluster (Patroni down or not registered)"]
    if lead is None:
        for m in members:
            out[m.name].append("the cluster has no leader")
        return out
    if lead.state != "running":
        out[lead.name].append(f"leader is {lead.state}")
    ok_states = ("streaming",) if streaming_state else ("streaming", "running")
    replicas = [m for m in members if not m.is_leader]
    for m in replicas:
        if m.state not in ok_states:
            out[m.name].append(f"not streaming ({m.state})")
        if m.timeline is not None and lead.timeline is not None and m.timeline != lead.timeline:
            out[m.name].append(f"timeline {m.timeline}, leader is on {lead.timeline}")
        if not isinstance(m.lag, int):
            out[m.name].append(f"lag unknown ({m.lag})")
        elif m.lag > max_lag:
            out[m.name].append(f"lag {m.lag} bytes is above the failover limit {max_lag}")
    if synchronous and replicas and not any(m.role == "sync_standby" for m in replicas):
        out[lead.name].append("no synchronous standby: commits are acknowledged by the leader alone")
    return out


def assess(env: Environment, members: list[Member]) -> dict[str, list[str]]:
    """problems() with the environment's own settings."""
    model, hosts = _settings(env)
    return problems(
        members,
        expected=hosts,
        synchronous=bool(model.postgres_ha_synchronous_mode),
        max_lag=int(model.postgres_ha_maximum_lag_on_failover),
    )


# The command that takes a failover drill (orchestrator/audit/drills.py): each one is recorded.
DRILL = "harden pg switchover"


def switchover(env: Environment, to: str | None = None, timeout: float = 60) -> tuple[str, str, float]:
    """Planned switchover (to a chosen member or Patroni's pick); waits for the new leader. Returns
    (old, new, seconds from the request until the new leader runs), and records those seconds as a
    failover drill."""
    from orchestrator.audit import drills

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
    asked = time.monotonic()
    _call(env, current.name, model.postgres_ha_restapi_port, "/switchover", body, password=password)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = leader(status(env))
        if now is not None and now.name != current.name and now.state == "running":
            seconds = time.monotonic() - asked
            drills.record(env.name, "postgres_ha", "switchover", seconds, f"{current.name} -> {now.name}")
            wait_settled(env, synchronous=bool(sync_before), timeout=max(deadline - time.monotonic(), 5))
            return current.name, now.name, seconds
        time.sleep(0.5)
    raise HardenError(f"the leader is still {current.name} after {timeout:.0f}s")


def wait_settled(
    env: Environment, synchronous: bool, timeout: float = 60, streaming_state: bool = True
) -> list[Member]:
    """Wait until every member is healthy (see problems()); returns the members."""
    model, hosts = _settings(env)
    deadline = time.monotonic() + timeout
    members: list[Member] = []
    found: dict[str, list[str]] = {}
    while time.monotonic() < deadline:
        try:
            members = status(env)
        except HardenError as exc:  # no member answers yet
            found = {"cluster": [str(exc)]}
            time.sleep(0.5)
            continue
        found = problems(
            members,
            expected=hosts,
            synchronous=synchronous,
            max_lag=int(model.postgres_ha_maximum_lag_on_failover),
            streaming_state=streaming_state,
        )
        if not any(found.values()):
            return members
        time.sleep(0.5)
    raise HardenError(
        f"the cluster did not settle in {timeout:.0f}s: "
        + "; ".join(f"{name}: {', '.join(why)}" for name, why in found.items() if why)
    )


def report(env: Environment) -> StatusReport:
    """The common status: members, role, state, lag, timeline and what is wrong with each.

    Down: no leader, or no member answers. Degraded: a replica not streaming, on another
    timeline, lagging beyond the failover limit or missing; no synchronous standby in
    synchronous mode."""
    members = status(env)
    found = assess(env, members)
    verdict = "down" if leader(members) is None else ("degraded" if any(found.values()) else "healthy")
    by_name = {m.name: m for m in members}
    rows = []
    for name, why in found.items():
        m = by_name.get(name)
        if m is None:
            rows.append((name, "", "", "", "", "", "; ".join(why)))
            continue
        lag = "" if m.is_leader else ("?" if m.lag is None else str(m.lag))
        rows.append(
            (
                m.name,
                m.role,
                m.state,
                m.host,
                lag,
                "" if m.timeline is None else str(m.timeline),
                "; ".join(why) or "ok",
            )
        )
    reasons = [f"{name}: {'; '.join(why)}" for name, why in found.items() if why]
    if verdict == "down":
        reasons.insert(0, "no leader")
    columns = ("member", "role", "state", "host", "lag (bytes)", "timeline", "problem")
    detail = {"members": [dataclasses.asdict(m) for m in members], "problems": found}
    return StatusReport(f"{env.name}: PostgreSQL", columns, rows, verdict, reasons, detail)  # type: ignore[arg-type]
