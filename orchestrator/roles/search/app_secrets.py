"""The consuming services' connection strings, moved to HTTPS with their own user.

Today's platform hands its audit service `http://elastic:changeme@elasticsearch:9200`, which
`harden secrets import` moved into Vault as it was. A search user with `app_secret` names that
entry: after each successful apply, harden sets it to the user's own HTTPS URLs, one per node,
comma-separated (the form Elasticsearch and OpenSearch clients take for several hosts), with the
password from Vault, percent-encoded. `harden secrets render` then writes it into the service's
env file as before. The value goes from Vault to Vault: never to disk, argv or the output, which
names only the entry.
"""

from __future__ import annotations

from urllib.parse import quote

from orchestrator.errors import HardenError
from orchestrator.roles.search.model import SearchUser, SearchVars
from orchestrator.secrets.kv import KvRef, KvStore
from orchestrator.secrets.resolver import Resolver
from orchestrator.secrets.vault_session import admin_client
from orchestrator.tunnel import ssh_prefix
from orchestrator.validation import Environment


def connection_string(user: str, password: str, addresses: list[str], port: int) -> str:
    """https://user:password@address:port for each node, comma-separated."""
    auth = f"{quote(user, safe='')}:{quote(password, safe='')}"
    return ",".join(f"https://{auth}@{address}:{port}" for address in addresses)


def publish(env: Environment) -> list[str]:
    """Set each `app_secret` to its user's connection string; the entries that changed."""
    nodes = env.inventory.group_hosts("search")
    models = env.role_vars.get("search", {})
    if not nodes or not models:
        return []
    model = models[nodes[0]]
    assert isinstance(model, SearchVars)
    wanted: list[SearchUser] = [u for u in model.search_users if u.app_secret]
    if not wanted:
        return []
    addresses = [ssh_prefix(env, host)[0] for host in nodes]
    changed = []
    with admin_client(env) as client:
        if client is None:
            raise HardenError("Vault is not reachable with credentials (harden vault status)")
        store = KvStore(client)
        resolver = Resolver(store, check=False)
        for user in wanted:
            assert user.app_secret is not None
            ref = KvRef.parse(user.app_secret)
            password = resolver.resolve("search", f"search_users.{user.name}", user)["password"]
            value = connection_string(user.name, password, addresses, model.search_http_port)
            if store.read(ref) != value:
                store.put(ref, value)
                changed.append(f"search user {user.name}: {user.app_secret} now holds its HTTPS connection string")
    return changed
