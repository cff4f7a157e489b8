"""Role `vault`: an OpenBao (or Vault) raft cluster that holds every secret."""

from collections.abc import Mapping
from typing import Any

from orchestrator.inventory import Inventory
from orchestrator.roles.spec import CLIENTS, PEERS, TLS, Port, RoleSpec, TopologyIssue, odd_at_least_three
from orchestrator.roles.vault.model import OPENBAO, VaultVars


def _topology(inv: Inventory, values: Mapping[str, Any]) -> list[TopologyIssue]:
    return odd_at_least_three(inv, "vault", "Vault raft")


SPEC = RoleSpec(
    name="vault",
    summary="OpenBao or HashiCorp Vault raft cluster with TLS, audit, policies and AppRoles",
    model=VaultVars,
    groups=("vault",),
    requires=("baseline", "pki"),
    topology=_topology,
    cluster=True,
    units=("openbao.service",),
    ports=(
        Port("vault_api_port", (PEERS, CLIENTS), tls=TLS, anonymous="http GET /v1/sys/policy"),
        Port("vault_cluster_port", (PEERS,)),
    ),
    managed_paths=("/etc/openbao/openbao.hcl",),
    components=(OPENBAO,),
    cli_name="vault",
    play_name="Vault (OpenBao) raft cluster",
)
