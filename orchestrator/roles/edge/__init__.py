"""Role `edge`: Traefik as the public entry: HTTPS only, certificates from ACME, no insecure dashboard."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from orchestrator.inventory import Inventory
from orchestrator.roles.edge.model import TRAEFIK, EdgeVars
from orchestrator.roles.spec import ANY, CLIENTS, LOCAL, PEERS, TLS, Opening, Port, RoleSpec, TopologyIssue

if TYPE_CHECKING:
    from orchestrator.validation import Environment


def _topology(inv: Inventory, values: Mapping[str, Any]) -> list[TopologyIssue]:
    hosts = inv.group_hosts("edge")
    local = sorted(
        {r.get("challenge", "http") for r in values.get("edge_routes", []) if isinstance(r, Mapping)} - {"dns"}
    )
    if len(hosts) > 1 and local:
        # each Traefik keeps its own acme.json: the CA's HTTP-01/TLS-ALPN-01 check may reach the other host
        return [
            (
                "edge_routes",
                f"the {local[0]} challenge needs one edge host (group 'edge' has {len(hosts)}): "
                "use the dns challenge behind several edge hosts",
            )
        ]
    return []


def _backends(env: Environment) -> list[Opening]:
    """Each route's backend port, opened to the edge hosts on the inventory host that serves it
    (a backend outside the inventory has its own firewall)."""
    from orchestrator.roles.baseline.firewall import host_address, inventory_host

    edges = env.inventory.group_hosts("edge")
    sources = tuple(sorted({host_address(env, h) for h in edges}))
    found: dict[tuple[str, int], Opening] = {}
    for model in env.role_vars.get("edge", {}).values():
        for route in model.edge_routes:  # type: ignore[attr-defined]
            for url in route.backends:
                parts = urlsplit(url)
                host = inventory_host(env, parts.hostname or "")
                if host is not None and parts.port:
                    found[(host, parts.port)] = Opening(host, f"backend of {route.name}", parts.port, sources)
    return list(found.values())


SPEC = RoleSpec(
    name="edge",
    summary="Traefik 3 as the public entry: HTTPS only, TLS 1.2+ with HSTS, ACME certificates, dashboard behind auth",
    model=EdgeVars,
    groups=("edge",),
    requires=("baseline", "pki", "vault"),
    topology=_topology,
    units=("traefik.service",),
    ports=(
        Port("edge_http_port", (ANY,)),
        Port("edge_https_port", (ANY,)),
        Port(
            "edge_internal_port",
            (PEERS, CLIENTS),
            tls=TLS,
            address_var="edge_internal_address",
            anonymous="http GET /dashboard/",
        ),
        Port("edge_ping_port", (LOCAL,)),
    ),
    openings=_backends,
    managed_paths=("/etc/traefik/traefik.yml", "/etc/traefik/dynamic/*.yml", "/etc/systemd/system/traefik.service*"),
    components=(TRAEFIK,),
    play_name="Edge (Traefik)",
)
