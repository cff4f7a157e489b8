"""Role `baseline`: what every host gets first."""

from orchestrator.roles.baseline.firewall import firewall_host_vars
from orchestrator.roles.baseline.model import BaselineVars
from orchestrator.roles.spec import RoleSpec

SPEC = RoleSpec(
    name="baseline",
    summary="Host baseline every node gets first (packages, journald, sshd, accounts, kernel)",
    model=BaselineVars,
    groups=("all",),
    units=("ssh.service", "systemd-journald.service"),
    derived_vars=firewall_host_vars,
    managed_paths=(
        "/etc/ssh/sshd_config.d/00-harden.conf",
        "/etc/systemd/journald.conf.d/50-harden.conf",
        "/etc/modprobe.d/harden-blacklist.conf",
        "/etc/security/limits.d/90-harden-core.conf",
        "/etc/systemd/coredump.conf.d/90-harden.conf",
        "/etc/security/pwquality.conf.d/50-harden.conf",
        "/etc/sysctl.d/90-harden.conf",
        "/etc/apt/apt.conf.d/20auto-upgrades",
        "/etc/apt/apt.conf.d/52harden-unattended-upgrades",
        "/etc/systemd/system/apt-daily*.d/50-harden.conf",
        "/etc/harden/firewall.nft",
        "/etc/systemd/system/harden-firewall.service",
        "/etc/systemd/system/harden-aide-init.service",
    ),
)
