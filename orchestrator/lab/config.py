"""A lab environment's layout: its hosts, addresses, and where everything lives on this machine."""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field, ValidationError

from orchestrator.errors import ConfigError, ConfigIssue
from orchestrator.inventory import load_inventory, load_yaml
from orchestrator.models.base import StrictModel
from orchestrator.paths import display_path

LAB_FILE = "lab.yml"
STATE_ROOT = Path("/var/lib/harden-lab")
CACHE_ROOT = Path("/var/cache/harden-lab")
RUNTIME_ROOT = Path("/run/harden-lab")
CGROUP_ROOT = Path("/sys/fs/cgroup")
CGROUP_HIERARCHIES = ("systemd", "unified")
SUITE = "bookworm"
# The base image: what debootstrap installs. Changing this list rebuilds the cached image.
BASE_PACKAGES = (
    "systemd",
    "systemd-sysv",
    "dbus",
    "openssh-server",
    "python3",
    "python3-apt",
    "sudo",
    "iproute2",
    "ca-certificates",
    "procps",
)
IMAGE_FORMAT = 3  # bump when the image customisation itself changes


class LabSettings(StrictModel):
    network: str = Field(..., description="CIDR of the lab's own switch (exists only in its namespaces).")
    gateway: str = Field(..., description="Bridge address in the switch namespace; routes nowhere.")
    image_packages: list[str] = Field(default_factory=list, description="Extra packages baked into the image.")
    writable_cgroups: list[str] = Field(
        default_factory=list,
        description="Inventory groups whose hosts get writable cgroup controllers at boot: systemd-nspawn mounts "
        "them read-only, and the app hosts' container limits need to write them.",
    )


@dataclass(frozen=True)
class LabHost:
    name: str
    address: str
    index: int

    @property
    def slug(self) -> str:
        return self.name.replace(".", "-")


@dataclass(frozen=True)
class LabConfig:
    env: str
    inventory_path: Path
    settings: LabSettings
    hosts: tuple[LabHost, ...]
    writable_cgroup_hosts: tuple[str, ...] = ()  # the hosts of settings.writable_cgroups

    @property
    def prefix_len(self) -> int:
        return ipaddress.ip_network(self.settings.network).prefixlen

    @property
    def packages(self) -> tuple[str, ...]:
        return tuple(sorted(set(BASE_PACKAGES) | set(self.settings.image_packages)))

    @property
    def image_key(self) -> str:
        text = f"{IMAGE_FORMAT}|{SUITE}|" + ",".join(self.packages)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    # machine-side locations
    @property
    def state_dir(self) -> Path:
        return STATE_ROOT / self.env

    @property
    def runtime_dir(self) -> Path:
        return RUNTIME_ROOT / self.env

    @property
    def ssh_key(self) -> Path:
        return self.state_dir / "id_ed25519"

    @property
    def ssh_config(self) -> Path:
        return self.runtime_dir / "ssh_config"

    @property
    def known_hosts(self) -> Path:
        return self.runtime_dir / "known_hosts"

    @property
    def apt_socket_dir(self) -> Path:
        return self.runtime_dir / "apt"

    @property
    def switch_netns(self) -> str:
        return f"hl-{self.env}-switch"

    def netns(self, host: LabHost) -> str:
        return f"hl-{self.env}-{host.slug}"

    def host_dir(self, host: LabHost) -> Path:
        return self.state_dir / "hosts" / host.slug

    def merged(self, host: LabHost) -> Path:
        return self.host_dir(host) / "merged"

    def cgroup(self, hierarchy: str, host: LabHost | None = None) -> Path:
        base = CGROUP_ROOT / hierarchy / "harden-lab" / self.env
        return base / host.slug if host else base

    def host(self, name: str) -> LabHost:
        for h in self.hosts:
            if h.name == name or h.address == name:
                return h
        raise ConfigError(
            [ConfigIssue(self.env, name, f"no such lab host (known: {', '.join(h.name for h in self.hosts)})")]
        )


def load_lab_config(env: str) -> LabConfig:
    inv = load_inventory(env)
    lab_file = inv.path / LAB_FILE
    source = display_path(lab_file)
    if not lab_file.is_file():
        raise ConfigError([ConfigIssue(source, "(file)", "missing: this environment is not a lab")])
    try:
        settings = LabSettings.model_validate(load_yaml(lab_file) or {})
    except ValidationError as exc:
        raise ConfigError([ConfigIssue(source, ".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()]) from None
    network = ipaddress.ip_network(settings.network)
    issues: list[ConfigIssue] = []
    if ipaddress.ip_address(settings.gateway) not in network:
        issues.append(ConfigIssue(source, "gateway", f"not inside {network}"))
    hosts: list[LabHost] = []
    for index, name in enumerate(inv.hosts):
        sourced = inv.host_vars[name].get("ansible_host")
        if sourced is None:
            issues.append(
                ConfigIssue(display_path(inv.path / "hosts.yml"), f"{name}.ansible_host", "lab hosts need an address")
            )
            continue
        if ipaddress.ip_address(str(sourced.value)) not in network:
            issues.append(ConfigIssue(sourced.file, f"{name}.ansible_host", f"not inside the lab network {network}"))
        hosts.append(LabHost(name=name, address=str(sourced.value), index=index))
    writable = set()
    for group in settings.writable_cgroups:
        if group not in inv.groups:
            issues.append(ConfigIssue(source, "writable_cgroups", f"no inventory group {group!r}"))
        else:
            writable |= set(inv.group_hosts(group))
    if issues:
        raise ConfigError(issues)
    return LabConfig(
        env=inv.name,
        inventory_path=inv.path,
        settings=settings,
        hosts=tuple(hosts),
        writable_cgroup_hosts=tuple(sorted(writable)),
    )
