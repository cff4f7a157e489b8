"""Role `search`: OpenSearch or Elasticsearch with security on: TLS on both layers, users and roles as code."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from orchestrator.inventory import Inventory
from orchestrator.roles.search.model import ELASTICSEARCH, OPENSEARCH, SearchVars
from orchestrator.roles.spec import CLIENTS, PEERS, TLS, Port, RoleSpec, TopologyIssue, odd_at_least_three

if TYPE_CHECKING:
    from orchestrator.validation import Environment


def _topology(inv: Inventory, values: Mapping[str, Any]) -> list[TopologyIssue]:
    issues = odd_at_least_three(inv, "search", "The search cluster manager quorum")
    replicas = values.get("search_default_replicas", 1)
    nodes = len(inv.group_hosts("search"))
    if isinstance(replicas, int) and replicas >= nodes:
        issues.append(("search_default_replicas", f"{replicas} replicas need {replicas + 1} nodes in group 'search'"))
    return issues


def _publish_app_secrets(env: Environment) -> list[str]:
    from orchestrator.roles.search.app_secrets import publish  # imports validation, which imports the roles

    return publish(env)


SPEC = RoleSpec(
    name="search",
    summary="OpenSearch or Elasticsearch, security on: mutual TLS, HTTPS only, least-privilege users as code",
    model=SearchVars,
    groups=("search",),
    requires=("baseline", "pki", "vault"),
    service="search",
    topology=_topology,
    cluster=True,
    units=("opensearch.service", "elasticsearch.service"),
    ports=(
        Port("search_http_port", (PEERS, CLIENTS), tls=TLS, anonymous="http GET /_cluster/health"),
        Port("search_transport_port", (PEERS,), tls=TLS),
    ),
    managed_paths=(
        "/etc/opensearch/*.yml",
        "/etc/opensearch/*.properties",
        "/etc/opensearch-admin/security/*.yml",
        "/etc/systemd/system/opensearch.service*",
        "/etc/elasticsearch/*.yml",
        "/etc/elasticsearch/users*",
        "/etc/elasticsearch/jvm.options.d/*",
        "/etc/systemd/system/elasticsearch.service*",
    ),
    components=(OPENSEARCH, ELASTICSEARCH),
    play_name="Search engine with security",
    after_apply=_publish_app_secrets,
)
