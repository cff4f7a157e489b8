"""Operator actions on an environment's Vault: status and unseal from operator-supplied keys."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.errors import HardenError
from orchestrator.validation import Environment
from orchestrator.vault_session import ca_file, client_for, node_url, vault_nodes


@dataclass(frozen=True)
class NodeStatus:
    host: str
    initialized: bool | None
    sealed: bool | None
    progress: str
    version: str
    error: str = ""


def _status(host: str, raw: dict[str, Any]) -> NodeStatus:
    if "error" in raw:
        return NodeStatus(host, None, None, "", "", raw["error"])
    return NodeStatus(
        host=host,
        initialized=bool(raw.get("initialized")),
        sealed=bool(raw.get("sealed")),
        progress=f"{raw.get('progress', 0)}/{raw.get('t', 0)}",
        version=str(raw.get("version", "")),
    )


def status(env: Environment) -> list[NodeStatus]:
    rows = []
    ca = ca_file(env)
    for node in vault_nodes(env):
        try:
            with node_url(env, node) as url:
                rows.append(_status(node.host, dict(client_for(url, ca).sys.read_seal_status())))
        except Exception as exc:  # one unreachable node must not hide the others
            rows.append(_status(node.host, {"error": str(exc).splitlines()[0][:200]}))
    return rows


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
        with node_url(env, node) as url:
            client = client_for(url, ca)
            current = dict(client.sys.read_seal_status())
            if current.get("sealed"):
                for key in keys:
                    current = dict(client.sys.submit_unseal_key(key=key))
                    if not current.get("sealed"):
                        break
            rows.append(_status(node.host, current))
    return rows
