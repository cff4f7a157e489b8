"""Operator actions on an environment's Vault: status and unseal from operator-supplied keys."""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.clikit import StatusReport
from orchestrator.errors import HardenError
from orchestrator.secrets.commands import write_private
from orchestrator.secrets.vault_session import (
    VaultNode,
    admin_client,
    ca_file,
    client_for,
    init_file,
    node_url,
    one_line,
    vault_nodes,
)
from orchestrator.validation import Environment

HEALTHY, DEGRADED, DOWN = "healthy", "degraded", "down"
EXIT_CODES = {HEALTHY: 0, DEGRADED: 3, DOWN: 1}


@dataclass(frozen=True)
class NodeStatus:
    host: str
    initialized: bool | None
    sealed: bool | None
    progress: str
    version: str
    error: str = ""
    mode: str = ""  # active, standby, or empty when sealed or unreachable
    leader: str = ""  # the active node's API address, as this node sees it

    @property
    def problem(self) -> str:
        if self.error:
            return f"unreachable: {self.error}"
        if not self.initialized:
            return "not initialised"
        if self.sealed:
            return "sealed"
        if self.mode == "standby" and not self.leader:
            return "standby that knows no active node"
        return ""


def _status(host: str, raw: dict[str, Any], leader: dict[str, Any] | None = None) -> NodeStatus:
    if "error" in raw:
        return NodeStatus(host, None, None, "", "", raw["error"])
    leader = leader or {}
    mode = ""
    if not raw.get("sealed") and leader:
        mode = "active" if leader.get("is_self") else "standby"
    return NodeStatus(
        host=host,
        initialized=bool(raw.get("initialized")),
        sealed=bool(raw.get("sealed")),
        progress=f"{raw.get('progress', 0)}/{raw.get('t', 0)}",
        version=str(raw.get("version", "")),
        mode=mode,
        leader=str(leader.get("leader_address") or ""),
    )


def _node_status(env: Environment, node: VaultNode, ca: Path | None) -> NodeStatus:
    try:
        with node_url(env, node) as url:
            client = client_for(url, ca)
            seal = dict(client.sys.read_seal_status())
            leader = dict(client.sys.read_leader_status()) if seal.get("initialized") and not seal.get("sealed") else {}
            return _status(node.host, seal, leader)
    except Exception as exc:  # one unreachable node must not hide the others
        return _status(node.host, {"error": one_line(exc)})


def status(env: Environment) -> list[NodeStatus]:
    """Every node: initialised, sealed, active or standby, and which node it takes for the active one."""
    ca = ca_file(env)
    return [_node_status(env, node, ca) for node in vault_nodes(env)]


def health(rows: list[NodeStatus]) -> tuple[str, list[str]]:
    """healthy: every node unsealed, exactly one active, every standby names it. down: no active node.
    degraded: anything else. Returns the verdict and the reasons."""
    reasons = [f"{r.host}: {r.problem}" for r in rows if r.problem]
    active = [r for r in rows if r.mode == "active"]
    if not active:
        return DOWN, [*reasons, "no active node"]
    if len(active) > 1:
        reasons.append("more than one node says it is active: " + ", ".join(r.host for r in active))
    for r in rows:
        if r.mode == "standby" and r.leader and active[0].leader and r.leader != active[0].leader:
            reasons.append(f"{r.host}: follows {r.leader}, the active node is {active[0].leader}")
    return (DEGRADED if reasons else HEALTHY), reasons


def wait_healthy(env: Environment, timeout: float) -> tuple[str, list[str], float]:
    """Poll until healthy or ``timeout`` s pass; returns the last verdict, reasons and seconds waited."""
    started = time.monotonic()
    while True:
        verdict, reasons = health(status(env))
        waited = time.monotonic() - started
        if verdict == HEALTHY or waited > timeout:
            return verdict, reasons, waited
        time.sleep(0.5)


def read_keys_file(path: Path) -> list[str]:
    """Unseal keys from a JSON file (unseal_keys_b64, as init writes it) or one key per line."""
    text = path.read_text()
    try:
        data = json.loads(text)
    except ValueError:
        return [line.strip() for line in text.splitlines() if line.strip()]
    keys = data.get("unseal_keys_b64") if isinstance(data, dict) else data
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise HardenError(f"{path}: expected unseal_keys_b64 (a list of keys) or one key per line")
    return keys


def unseal(env: Environment, keys: list[str]) -> list[NodeStatus]:
    """Submit keys to every sealed node until it unseals; unsealed nodes are left alone."""
    if not keys:
        raise HardenError("no unseal keys given")
    ca = ca_file(env)
    rows = []
    for node in vault_nodes(env):
        try:
            with node_url(env, node) as url:
                client = client_for(url, ca)
                current = dict(client.sys.read_seal_status())
                if current.get("sealed"):
                    for key in keys:
                        current = dict(client.sys.submit_unseal_key(key=key))
                        if not current.get("sealed"):
                            break
        except Exception as exc:  # an unreachable node must not keep the others sealed
            rows.append(_status(node.host, {"error": one_line(exc)}))
            continue
        rows.append(_node_status(env, node, ca))
    return rows


def report(env: Environment) -> StatusReport:
    """The common status: every node, and the verdict of health()."""
    rows = status(env)
    verdict, reasons = health(rows)
    table = [
        (
            r.host,
            "-" if r.initialized is None else str(r.initialized).lower(),
            "-" if r.sealed is None else ("yes" if r.sealed else "no"),
            r.mode or "-",
            r.progress,
            r.version,
            r.problem or "ok",
        )
        for r in rows
    ]
    columns = ("host", "initialized", "sealed", "mode", "unseal progress", "version", "problem")
    return StatusReport(f"{env.name}: Vault", columns, table, verdict, reasons)  # type: ignore[arg-type]


ADMIN_APPROLE = "harden-admin"  # roles/vault/vars/main.yml: _vault_admin_policy


def login(env: Environment) -> tuple[Path, int]:
    """Renew the orchestrator's own credential: a new secret ID for its AppRole, written to the
    secret-zero file (0600), and the old one destroyed. Logs in with the current secret ID, or
    with an operator's token in VAULT_TOKEN when that one has expired. Returns (file, TTL s)."""
    path = init_file(env.name)
    if not path.is_file():
        raise HardenError(
            f"{path}: no secret-zero file on this controller: apply the vault role first, or give CI its "
            "credential in HARDEN_VAULT_ROLE_ID and HARDEN_VAULT_SECRET_ID"
        )
    data = json.loads(path.read_text())
    role = data.get("harden_approle") or {}
    if not role.get("role_id"):
        raise HardenError(f"{path}: holds no harden_approle: the vault role's bootstrap did not finish")
    with admin_client(env) as client:
        if client is None:
            raise HardenError(f"{env.name}: no credential to log in with: set VAULT_TOKEN to an operator token")
        new = client.auth.approle.generate_secret_id(role_name=ADMIN_APPROLE)["data"]
        old = role.get("secret_id")
        data["harden_approle"] = {"role_id": role["role_id"], "secret_id": new["secret_id"]}
        write_private(path, json.dumps(data, indent=2) + "\n")
        if old and old != new["secret_id"]:
            with contextlib.suppress(Exception):  # already expired: nothing to destroy
                client.auth.approle.destroy_secret_id(role_name=ADMIN_APPROLE, secret_id=old)
    return path, int(new.get("secret_id_ttl") or 0)
