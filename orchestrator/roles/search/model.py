"""Variables of the `search` role: OpenSearch or Elasticsearch with security on, TLS on both layers."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from orchestrator.models.base import Port, Secret, StrictModel, VaultRef, cross_field_error
from orchestrator.models.base import generated_secret as _generated
from orchestrator.models.limits import ServiceLimits, limits
from orchestrator.paths import ARTIFACTS_DIR
from orchestrator.roles.spec import Component

OPENSEARCH = Component(
    "opensearch",
    "2.19.4",
    "Maven Central org.opensearch:opensearch, its modules, and org.opensearch.plugin:opensearch-security",
)
ELASTICSEARCH = Component(
    "elasticsearch",
    "8.19.4",
    "Maven Central org.elasticsearch.distribution.integ-test-zip:elasticsearch (x-pack security included)",
)
# Names the engines keep for themselves (the security plugin's samples, Elasticsearch's built-in
# users): the role's users may not take them. `admin` is the role's own administrator.
RESERVED_USERS = (
    "admin",
    "kibanaserver",
    "logstash",
    "readall",
    "snapshotrestore",
    "elastic",
    "kibana",
    "kibana_system",
    "logstash_system",
    "beats_system",
    "apm_system",
    "remote_monitoring_user",
)
Flavor = Literal["opensearch", "elasticsearch"]


def _lab_artifact(component: Component) -> str:
    return f"{ARTIFACTS_DIR}/{component.name}-{component.version}/{component.name}-{component.version}.tgz"


INDEX_PATTERN = r"^[a-z0-9][a-z0-9._*-]{0,254}$"

Privilege = Literal["read", "write"]


class SearchUser(StrictModel):
    """One internal user per consuming service, allowed only on its own index patterns."""

    name: str = Field(..., pattern=r"^[a-z][a-z0-9_-]{0,62}$", description="User name (and its role's name).")
    index_patterns: list[str] = Field(
        ..., min_length=1, description="Indices it may use, e.g. audit-* (no other index, no cluster admin API)."
    )
    privileges: list[Privilege] = Field(
        default_factory=lambda: list[Privilege](["write"]),
        min_length=1,
        description="write: create its indices and index documents; read: search them.",
    )
    password: Secret = _generated()
    app_secret: VaultRef | None = Field(
        None,
        description="Vault entry of the service's connection string (from `harden secrets import`); each apply "
        "sets it to HTTPS URLs with this user.",
    )

    @model_validator(mode="after")
    def _patterns(self) -> SearchUser:
        import re

        for pattern in self.index_patterns:
            if not re.match(INDEX_PATTERN, pattern) or pattern.strip("*") == "":
                raise cross_field_error(
                    "index_patterns",
                    f"{pattern!r} is not an index pattern of its own: lowercase, not starting with a dot, not '*'",
                )
        return self


class SearchVars(StrictModel):
    search_flavor: Flavor = Field(
        "opensearch",
        description="The engine, one security model. opensearch: its security plugin, users in its security index. "
        "elasticsearch: x-pack, users in the file realm.",
    )
    search_opensearch_artifact: str = Field(
        _lab_artifact(OPENSEARCH),
        pattern=r"^/[^\s]+\.t(ar\.)?gz$",
        description="Controller path of an OpenSearch tarball with the security plugin (`harden lab artifacts`, "
        "or the vendor's).",
    )
    search_elasticsearch_artifact: str = Field(
        _lab_artifact(ELASTICSEARCH),
        pattern=r"^/[^\s]+\.t(ar\.)?gz$",
        description="Controller path of an Elasticsearch tarball without JDK (`harden lab artifacts`, or the "
        "vendor's).",
    )
    search_cluster_name: str = Field(
        "harden-search",
        pattern=r"^[a-z][a-z0-9_-]{0,62}$",
        description="cluster.name; nodes of another refuse to join.",
    )
    search_http_port: Port = Field(9200, description="HTTPS REST API (no plaintext port).")
    search_transport_port: Port = Field(9300, description="Transport between nodes (mutual TLS).")
    search_heap: str | None = Field(
        None,
        pattern=r"^[0-9]+[mg]$",
        description="JVM heap (-Xms and -Xmx); unset: half the host's memory, at most 31g.",
    )
    search_mmap: bool = Field(
        True,
        description="Memory-map index files; needs vm.max_map_count >= 262144, which the role sets. false: a "
        "container that cannot set it (the lab's nspawn hosts).",
    )
    search_lab_nofile_floor: str | None = Field(
        None,
        pattern=r"^/[^\s]+\.so$",
        description="Lab only: a preload library that reports 65535 open files to the engine's bootstrap "
        "check (the lab's machine caps them at 20000).",
    )
    search_default_replicas: int = Field(
        1,
        ge=1,
        le=5,
        description="Copies of each shard besides the primary (OpenSearch: cluster.default_number_of_replicas; "
        "Elasticsearch keeps its per-index default of 1).",
    )
    search_users: list[SearchUser] = Field(default_factory=list, description="One internal user per service.")
    search_restart_timeout_s: int = Field(
        300, ge=30, le=3600, description="How long a rolling restart waits for the cluster to be green again."
    )
    search_node_limits: ServiceLimits = Field(
        default_factory=lambda: limits(None, tasks_max=4096, nofile=65535),
        description="systemd resource limits of the engine's unit (opensearch.service or elasticsearch.service; "
        "both need 65535 files and 4096 threads).",
    )
    search_admin_password: Secret = _generated()

    @model_validator(mode="after")
    def _rules(self) -> SearchVars:
        names = [u.name for u in self.search_users]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise cross_field_error("search_users", f"user {dupes[0]!r} is listed twice")
        reserved = sorted(set(names) & set(RESERVED_USERS))
        if reserved:
            raise cross_field_error("search_users", f"user name {reserved[0]!r} is reserved by the security plugin")
        if self.search_flavor == "elasticsearch" and self.search_default_replicas != 1:
            raise cross_field_error(
                "search_default_replicas",
                "Elasticsearch has no cluster-wide replica default (index.number_of_replicas is per index, 1 "
                "unless the index asks otherwise): leave it at 1, or set replicas in your index templates",
            )
        if self.search_http_port == self.search_transport_port:
            raise cross_field_error("search_http_port", "the HTTP and transport ports must differ")
        if self.search_node_limits.nofile < 65535 or self.search_node_limits.tasks_max < 4096:
            raise cross_field_error(
                "search_node_limits", "the engine refuses to start with nofile below 65535 or tasks_max below 4096"
            )
        return self
