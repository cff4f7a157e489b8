"""Role `postgres_ha`: PostgreSQL with Patroni and etcd, automatic failover that loses no acknowledged write."""

from collections.abc import Mapping
from typing import Any

from orchestrator.inventory import Inventory
from orchestrator.roles.postgres_ha.model import PATRONI, PostgresHaVars
from orchestrator.roles.spec import (
    CLIENTS,
    PEERS,
    STARTTLS_POSTGRES,
    TLS,
    Port,
    RoleSpec,
    TopologyIssue,
    odd_at_least_three,
)


def _topology(inv: Inventory, values: Mapping[str, Any]) -> list[TopologyIssue]:
    issues = odd_at_least_three(inv, "etcd", "etcd")
    if len(inv.group_hosts("postgres")) < 2:
        issues.append(("groups.postgres", "needs at least 2 hosts for failover"))
    return issues


SPEC = RoleSpec(
    name="postgres_ha",
    check_code="PG",
    summary="PostgreSQL 15 with Patroni and a 3-node etcd, TLS and scram everywhere, automatic failover",
    model=PostgresHaVars,
    groups=("postgres", "etcd"),
    requires=("baseline", "pki", "vault"),
    service="postgres",
    topology=_topology,
    data_format=1,
    cluster=True,
    units=("patroni.service", "etcd.service", "haproxy.service"),
    ports=(
        Port("postgres_ha_port", (PEERS, CLIENTS), groups=("postgres",), tls=STARTTLS_POSTGRES, anonymous="postgres"),
        Port("postgres_ha_restapi_port", (PEERS,), groups=("postgres",), tls=TLS),
        Port(
            "postgres_ha_etcd_client_port",
            (PEERS,),
            groups=("etcd",),
            tls=TLS,
            anonymous='http POST /v3/kv/range {"key":"AA=="}',
        ),
        Port("postgres_ha_etcd_peer_port", (PEERS,), groups=("etcd",), tls=TLS),
        Port(
            "postgres_ha_haproxy_primary_port",
            (PEERS, CLIENTS),
            groups=("postgres",),
            enabled_by="postgres_ha_haproxy_enabled",
            tls=STARTTLS_POSTGRES,
        ),
        Port(
            "postgres_ha_haproxy_replica_port",
            (PEERS, CLIENTS),
            groups=("postgres",),
            enabled_by="postgres_ha_haproxy_enabled",
            tls=STARTTLS_POSTGRES,
        ),
    ),
    managed_paths=(
        "/etc/patroni/config.yml",
        "/etc/systemd/system/patroni.service",
        "/etc/systemd/system/etcd.service.d/harden.conf",
    ),
    components=(PATRONI,),
    cli_name="pg",
    play_name="PostgreSQL with Patroni and etcd",
)
