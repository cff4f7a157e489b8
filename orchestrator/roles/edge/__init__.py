"""Role `edge`: Traefik as the public entry: HTTPS only, certificates from ACME, no insecure dashboard."""

from collections.abc import Mapping
from typing import Any

from orchestrator.inventory import Inventory
from orchestrator.roles.edge.model import TRAEFIK, EdgeVars
from orchestrator.roles.spec import RoleSpec, TopologyIssue


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


SPEC = RoleSpec(
    name="edge",
    summary="Traefik 3 as the public entry: HTTPS only, TLS 1.2+ with HSTS, ACME certificates, dashboard behind auth",
    model=EdgeVars,
    groups=("edge",),
    requires=("baseline", "pki", "vault"),
    topology=_topology,
    units=("traefik.service",),
    managed_paths=("/etc/traefik/traefik.yml", "/etc/traefik/dynamic/*.yml", "/etc/systemd/system/traefik.service*"),
    components=(TRAEFIK,),
    play_name="Edge (Traefik)",
)
