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


def state_dir(env_name: str) -> Path:
    """Controller-side state outside the repository: secret-zero file and the CA certificate."""
    path = Path.home() / ".harden" / env_name
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    os.chmod(path.parent, 0o700)
    return path


def init_file(env_name: str) -> Path:
    return state_dir(env_name) / "vault-init.json"


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
    path = state_dir(env.name) / "ca.crt"
    return path if path.is_file() else None


def client_for(url: str, ca: Path | None, token: str | None = None) -> Any:
    import hvac

    return hvac.Client(url=url, verify=str(ca) if ca else True, token=token, timeout=10)


def seal_status(env: Environment) -> dict[str, dict[str, Any]]:
    """Each node's unauthenticated seal status, or an error string."""
    out: dict[str, dict[str, Any]] = {}
    ca = ca_file(env)
    for node in vault_nodes(env):
        try:
            with node_url(env, node) as url:
                out[node.host] = dict(client_for(url, ca).sys.read_seal_status())
        except Exception as exc:  # report any failure per node
            out[node.host] = {"error": str(exc).splitlines()[0][:200]}
    return out


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


@contextlib.contextmanager
def admin_client(env: Environment) -> Iterator[Any | None]:
    """An authenticated hvac client on the first unsealed node, or None before bootstrap."""
    ca = ca_file(env)
    if ca is None:
        yield None
        return
    for node in vault_nodes(env):
        with node_url(env, node) as url:
            client = client_for(url, ca)
            try:
                status = client.sys.read_seal_status()
            except Exception:  # try the next node
                continue
            if not status.get("initialized") or status.get("sealed"):
                continue
            token = _CREDENTIALS.get("VAULT_TOKEN") or _CREDENTIALS.get("BAO_TOKEN")
            if token:
                client.token = token
            else:
                role = (
                    (_CREDENTIALS["HARDEN_VAULT_ROLE_ID"], _CREDENTIALS["HARDEN_VAULT_SECRET_ID"])
                    if "HARDEN_VAULT_ROLE_ID" in _CREDENTIALS and "HARDEN_VAULT_SECRET_ID" in _CREDENTIALS
                    else _approle_from_file(env.name)
                )
                if role is None:
                    yield None
                    return
                client.auth.approle.login(role_id=role[0], secret_id=role[1])
            yield client
            return
    yield None
