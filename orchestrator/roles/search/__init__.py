"""Role `search`: OpenSearch with its security plugin: TLS on both layers, users and roles as code."""

from collections.abc import Mapping
from typing import Any

from orchestrator.inventory import Inventory
from orchestrator.roles.search.model import OPENSEARCH, SearchVars
from orchestrator.roles.spec import RoleSpec, TopologyIssue, odd_at_least_three


def _topology(inv: Inventory, values: Mapping[str, Any]) -> list[TopologyIssue]:
    issues = odd_at_least_three(inv, "search", "The OpenSearch cluster manager quorum")
    replicas = values.get("search_default_replicas", 1)
    nodes = len(inv.group_hosts("search"))
    if isinstance(replicas, int) and replicas >= nodes:
        issues.append(("search_default_replicas", f"{replicas} replicas need {replicas + 1} nodes in group 'search'"))
    return issues


SPEC = RoleSpec(
    name="search",
    summary="OpenSearch with its security plugin: mutual TLS, HTTPS only, users and least-privilege roles as code",
    model=SearchVars,
    groups=("search",),
    requires=("baseline", "pki", "vault"),
    service="search",
    topology=_topology,
    cluster=True,
    units=("opensearch.service",),
    managed_paths=(
        "/etc/opensearch/*.yml",
        "/etc/opensearch/*.properties",
        "/etc/opensearch-admin/security/*.yml",
        "/etc/systemd/system/opensearch.service*",
    ),
    components=(OPENSEARCH,),
    play_name="OpenSearch with security",
)
