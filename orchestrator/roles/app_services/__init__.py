"""Role `app_services`: the platform's compose projects on the app hosts, run by Podman under
systemd with the limits, health checks and isolation `harden compose fix` wrote into them."""

from orchestrator.roles.app_services.model import AppServicesVars
from orchestrator.roles.app_services.units import check_projects, host_vars
from orchestrator.roles.spec import CONTAINERS, Port, RoleSpec

SPEC = RoleSpec(
    name="app_services",
    check_code="APPS",  # HR-APP-01..12 are `harden compose check`'s findings
    summary="The app services' compose projects under Podman and systemd: limits, health checks, internal networks",
    model=AppServicesVars,
    groups=("apps",),
    requires=("baseline", "vault"),  # the services' secrets come from Vault
    topology=check_projects,
    derived_vars=host_vars,
    # each project's containers find each other by name through aardvark-dns on their bridge
    ports=(Port("dns", (CONTAINERS,), number=53), Port("dns", (CONTAINERS,), proto="udp", number=53)),
    managed_paths=(
        "/etc/containers/containers.conf.d/50-harden.conf",
        "/etc/containers/storage.conf",
        "/etc/harden-apps/*",
        "/etc/systemd/system/harden-app-*",
    ),
    play_name="App services (Podman)",
    cli_name="apps",
)
