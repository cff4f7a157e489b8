"""Reach and log in to an environment's Vault (OpenBao) from the controller, with hvac.

Credentials come, in this order, from VAULT_TOKEN, from HARDEN_VAULT_ROLE_ID and
HARDEN_VAULT_SECRET_ID, or from the AppRole the vault role left in the secret-zero file. They
are taken out of the process environment at start-up, so that ansible-runner (which writes the
environment to its artifacts) never sees them.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.errors import HardenError
from orchestrator.paths import env_state_dir
from orchestrator.tunnel import reach, ssh_prefix
from orchestrator.validation import Environment

CREDENTIAL_VARS = ("VAULT_TOKEN", "BAO_TOKEN", "HARDEN_VAULT_ROLE_ID", "HARDEN_VAULT_SECRET_ID")
_CREDENTIALS: dict[str, str] = {}


def take_credentials_from_environment() -> None:
    """Move Vault credentials from os.environ into memory (ansible-runner dumps os.environ)."""
    for name in CREDENTIAL_VARS:
        value = os.environ.pop(name, None)
        if value:
            _CREDENTIALS[name] = value


def init_file(env_name: str) -> Path:
    return env_state_dir(env_name) / "vault-init.json"


@dataclass(frozen=True)
class VaultNode:
    host: str
    address: str
    port: int
    ssh: list[str]  # ssh command prefix that reaches the host (for tunnels)


def vault_nodes(env: Environment) -> list[VaultNode]:
    nodes = []
    for host in env.inventory.group_hosts("vault"):
        model = env.role_vars.get("vault", {}).get(host)
        port = int(getattr(model, "vault_api_port", 8200))
        address, ssh = ssh_prefix(env, host)
        nodes.append(VaultNode(host=host, address=address, port=port, ssh=ssh))
    return nodes


@contextlib.contextmanager
def node_url(env: Environment, node: VaultNode) -> Iterator[str]:
    """An https URL for the node: direct, or through an SSH tunnel when harden.yml asks for one."""
    with reach(env, node.ssh, node.address, node.port) as (host, port):
        yield f"https://{host}:{port}"


def ca_file(env: Environment) -> Path | None:
    path = env_state_dir(env.name) / "ca.crt"
    return path if path.is_file() else None


def client_for(url: str, ca: Path | None, token: str | None = None) -> Any:
    import hvac

    return hvac.Client(url=url, verify=str(ca) if ca else True, token=token, timeout=10)


def unfinished_bootstrap(env_name: str) -> dict[str, Any] | None:
    """The secret-zero file's content while it still holds a root token (bootstrap interrupted)."""
    path = init_file(env_name)
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text())
    if data.get("pgp_encrypted"):
        # keys and root token are encrypted to the operators; a decrypted root token may be
        # handed in as VAULT_TOKEN to finish the bootstrap
        if data.get("harden_approle") or "VAULT_TOKEN" not in _CREDENTIALS:
            return None
        return {"root_token": _CREDENTIALS["VAULT_TOKEN"], "unseal_keys_b64": []}
    return data if data.get("root_token") else None


def _approle_from_file(env_name: str) -> tuple[str, str] | None:
    path = init_file(env_name)
    if not path.is_file():
        return None
    data = json.loads(path.read_text())
    role = data.get("harden_approle") or {}
    if role.get("role_id") and role.get("secret_id"):
        return str(role["role_id"]), str(role["secret_id"])
    return None


def has_been_bootstrapped(env_name: str) -> bool:
    """True once the vault role has initialised this environment's cluster (or credentials were handed in)."""
    return init_file(env_name).is_file() or bool(_CREDENTIALS)


def _login(client: Any, env_name: str) -> bool:
    """Authenticate ``client``; False when there is no credential to do it with."""
    token = _CREDENTIALS.get("VAULT_TOKEN") or _CREDENTIALS.get("BAO_TOKEN")
    if token:
        client.token = token
        client.auth.token.lookup_self()  # a token that the node cannot check is no use
        return True
    role = (
        (_CREDENTIALS["HARDEN_VAULT_ROLE_ID"], _CREDENTIALS["HARDEN_VAULT_SECRET_ID"])
        if "HARDEN_VAULT_ROLE_ID" in _CREDENTIALS and "HARDEN_VAULT_SECRET_ID" in _CREDENTIALS
        else _approle_from_file(env_name)
    )
    if role is None:
        return False
    client.auth.approle.login(role_id=role[0], secret_id=role[1])
    return True


def one_line(exc: BaseException) -> str:
    """An exception as one short line (hvac puts the whole response body in its message)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:160]


class VaultUnavailable(HardenError):
    """No node of the environment's Vault can serve: every node was tried."""

    def __init__(self, env_name: str, tried: list[tuple[str, str]]) -> None:
        self.tried = tried
        nodes = "; ".join(f"{host}: {why}" for host, why in tried)
        fix = f"run `harden vault status --env {env_name}`"
        if any("sealed" in why for _, why in tried):
            fix += f", then `harden vault unseal --env {env_name}`"
        super().__init__(f"Vault is sealed or unreachable on every node ({nodes}): {fix}")


@contextlib.contextmanager
def admin_client(env: Environment) -> Iterator[Any | None]:
    """An authenticated hvac client, or None before the vault role bootstrapped the cluster.

    Every node is tried in turn: a sealed node, one that cannot be reached, and a standby that
    cannot name its active node ("local node not active but active cluster node not found") are
    passed over. When none can serve a bootstrapped cluster, VaultUnavailable names each node and
    why, instead of letting a command go on without Vault.
    """
    ca = ca_file(env)
    if ca is None:
        yield None
        return
    tried: list[tuple[str, str]] = []
    uninitialised = 0
    for node in vault_nodes(env):
        stack = contextlib.ExitStack()
        try:
            client = client_for(stack.enter_context(node_url(env, node)), ca)
            status = client.sys.read_seal_status()
            if not status.get("initialized"):
                uninitialised += 1
                tried.append((node.host, "not initialised"))
            elif status.get("sealed"):
                tried.append((node.host, "sealed"))
            elif _login(client, env.name):
                break  # this node serves; its tunnel stays open while the caller works
            else:
                stack.close()
                yield None  # no credential on this controller: callers say what to do
                return
        except Exception as exc:  # unreachable, or a standby that cannot serve: try the next node
            tried.append((node.host, one_line(exc)))
        stack.close()
    else:
        if uninitialised == len(tried) or not has_been_bootstrapped(env.name):
            yield None  # nothing initialised yet: the vault role's first apply
            return
        raise VaultUnavailable(env.name, tried)
    with stack:
        yield client
