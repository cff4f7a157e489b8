"""Role `pki`: the internal CA. Its shared task `certificate` issues every service certificate."""

from collections.abc import Mapping
from typing import Any

from orchestrator.inventory import Inventory
from orchestrator.roles.pki.model import IssueEntryPoint, PkiVars
from orchestrator.roles.spec import RoleSpec, TopologyIssue


def _single_ca(inv: Inventory, values: Mapping[str, Any]) -> list[TopologyIssue]:
    count = len(inv.group_hosts("ca"))
    return [] if count == 1 else [("groups.ca", f"needs exactly one CA host (has {count})")]


SPEC = RoleSpec(
    name="pki",
    summary="Internal CA that issues the certificates of every service",
    model=PkiVars,
    groups=("ca",),
    requires=("baseline",),
    topology=_single_ca,
    managed_paths=("/etc/harden-ca/ca.crt",),
    entry_points={"issue": IssueEntryPoint},
)
