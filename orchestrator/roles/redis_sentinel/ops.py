"""`harden redis status` and `harden redis failover`: ask and steer Sentinel from the controller."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from orchestrator.clikit import StatusReport, Verdict
from orchestrator.errors import HardenError
from orchestrator.secrets.stored import read_stored_secret
from orchestrator.secrets.vault_session import ca_file
from orchestrator.tunnel import reach, ssh_prefix
from orchestrator.validation import Environment


@dataclass(frozen=True)
class RedisStatus:
    master_name: str
    master: str
    replicas: list[tuple[str, str]]  # (address:port, flags)
    sentinels: int
    quorum: int
    ckquorum: str


def _settings(env: Environment) -> Any:
    hosts = env.inventory.group_hosts("redis_sentinels")
    if "redis_sentinel" not in env.role_vars or not hosts:
        raise HardenError(f"{env.name} does not run the redis_sentinel role")
    return env.role_vars["redis_sentinel"][env.inventory.group_hosts("redis")[0]], hosts


def _sentinel_password(env: Environment, model: Any) -> str:
    return read_stored_secret(env, "redis_sentinel", model, "redis_sentinel_sentinel_password")


def _tls(env: Environment, model: Any) -> dict[str, Any]:
    """redis-py's TLS arguments: the pki CA, and the certificate must name the address dialled
    (through the SSH tunnel that is 127.0.0.1, which every member's certificate carries)."""
    if not model.redis_sentinel_tls_enabled:
        return {}
    ca = ca_file(env)
    if ca is None:
        raise HardenError(f"no CA certificate for {env.name} yet: apply the pki and vault roles first")
    return {"ssl": True, "ssl_ca_certs": str(ca), "ssl_cert_reqs": "required", "ssl_check_hostname": True}


def _ask(env: Environment, host: str, port: int, password: str, *command: str) -> Any:
    import redis

    model, _ = _settings(env)
    tls = _tls(env, model)
    address, ssh = ssh_prefix(env, host)
    with reach(env, ssh, address, port) as (local_host, local_port):
        conn = redis.Redis(
            host=local_host, port=local_port, password=password, socket_timeout=5, decode_responses=True, **tls
        )
        return conn.execute_command(*command)  # type: ignore[no-untyped-call]


def status(env: Environment) -> RedisStatus:
    model, sentinels = _settings(env)
    password = _sentinel_password(env, model)
    name, port = model.redis_sentinel_master_name, model.redis_sentinel_sentinel_port
    last_error = ""
    for host in sentinels:
        try:
            master = _ask(env, host, port, password, "SENTINEL", "MASTER", name)
            replicas = _ask(env, host, port, password, "SENTINEL", "REPLICAS", name)
            try:
                ck = str(_ask(env, host, port, password, "SENTINEL", "CKQUORUM", name))
            except Exception as exc:  # NOQUORUM is an error reply
                ck = str(exc)
        except Exception as exc:  # this sentinel is down: ask the next
            last_error = str(exc)
            continue
        info = _pairs(master)
        return RedisStatus(
            master_name=name,
            master=f"{info['ip']}:{info['port']}",
            replicas=[(f"{_pairs(r)['ip']}:{_pairs(r)['port']}", _pairs(r)["flags"]) for r in replicas],
            sentinels=int(info.get("num-other-sentinels", 0)) + 1,
            quorum=int(info["quorum"]),
            ckquorum=ck,
        )
    raise HardenError(f"no Sentinel answered: {last_error}")


def _pairs(items: Any) -> dict[str, str]:
    if isinstance(items, dict):
        return {str(k): str(v) for k, v in items.items()}
    return {str(items[i]): str(items[i + 1]) for i in range(0, len(items) - 1, 2)}


def failover(env: Environment, timeout: float = 60) -> tuple[str, str]:
    """SENTINEL FAILOVER, then wait until the Sentinels report another master. Returns (old, new)."""
    model, sentinels = _settings(env)
    password = _sentinel_password(env, model)
    before = status(env).master
    _ask(
        env,
        sentinels[0],
        model.redis_sentinel_sentinel_port,
        password,
        "SENTINEL",
        "FAILOVER",
        model.redis_sentinel_master_name,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = status(env).master
        if now != before:
            return before, now
        time.sleep(0.5)
    raise HardenError(f"the master is still {before} after {timeout:.0f}s")


def report(env: Environment) -> StatusReport:
    """The common status: the master, its replicas and the Sentinels.

    Down: no Sentinel answers, or none knows a master. Degraded: fewer replicas online than the
    group's other hosts, fewer Sentinels than the group's hosts, or no quorum to fail over."""
    try:
        st = status(env)
    except HardenError as exc:
        return StatusReport(f"{env.name}: Redis", ("role", "address", "flags"), [], "down", [str(exc)])
    reasons = []
    expected_replicas = len(env.inventory.group_hosts("redis")) - 1
    online = [a for a, flags in st.replicas if not set(flags.split(",")) & {"s_down", "o_down", "disconnected"}]
    if len(online) < expected_replicas:
        reasons.append(f"{len(online)} of {expected_replicas} replicas online")
    expected_sentinels = len(env.inventory.group_hosts("redis_sentinels"))
    if st.sentinels < expected_sentinels:
        reasons.append(f"{st.sentinels} of {expected_sentinels} Sentinels know the master")
    if not st.ckquorum.startswith("OK"):
        reasons.append(f"quorum check: {st.ckquorum}")
    rows = [("master", st.master, "")] + [("replica", a, flags) for a, flags in st.replicas]
    title = f"{env.name}: Redis {st.master_name}: {st.sentinels} sentinels, quorum {st.quorum}"
    detail = {"master": st.master, "sentinels": st.sentinels, "quorum": st.quorum, "ckquorum": st.ckquorum}
    verdict: Verdict = "degraded" if reasons else "healthy"
    return StatusReport(title, ("role", "address", "flags"), rows, verdict, reasons, detail)
