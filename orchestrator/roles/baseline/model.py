"""Variables of the `baseline` role: the host hardening every node gets first."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, IPvAnyNetwork, StringConstraints

from orchestrator.models.base import Port, Size, StrictModel

# an OpenSSH algorithm name: letters, digits, dashes, dots and one @domain
SshAlgorithm = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9.-]*(@[a-z0-9.-]+)?$")]


HostKeyType = Literal["ed25519", "rsa"]


def _ed25519_only() -> list[HostKeyType]:
    return ["ed25519"]


class FirewallAllow(StrictModel):
    """A port the host firewall opens besides the roles' own: a service harden does not manage."""

    name: str = Field(
        ..., pattern=r"^[a-z0-9][a-z0-9 ._-]*$", description="What listens there (in the rule's comment)."
    )
    port: Port = Field(..., description="The port.")
    proto: Literal["tcp", "udp"] = Field("tcp", description="tcp or udp.")
    from_groups: list[str] = Field(default_factory=list, description="Inventory groups whose hosts may connect.")
    from_networks: list[IPvAnyNetwork] = Field(default_factory=list, description="Networks that may connect.")
    from_any: bool = Field(False, description="Anyone may connect (a public service).")


class BaselineVars(StrictModel):
    baseline_packages: list[str] = Field(
        default_factory=lambda: ["ca-certificates", "python3-cryptography", "acl", "procps"],
        description="Debian packages every host needs (the toolkit's modules rely on them).",
    )
    baseline_journald_enabled: bool = Field(True, description="Manage journald storage and retention.")
    baseline_journald_max_use: Size = Field(
        "500M", description="journald SystemMaxUse: disk the journal may take before rotating."
    )
    baseline_journald_max_retention: str = Field(
        "1month", pattern=r"^[0-9]+(s|min|h|day|week|month|year)$", description="journald MaxRetentionSec."
    )
    baseline_sshd_enabled: bool = Field(True, description="Install the sshd hardening drop-in.")
    baseline_sshd_permit_root_login: Literal["no", "prohibit-password"] = Field(
        "prohibit-password",
        description="sshd PermitRootLogin; passwords are never accepted.",
    )
    baseline_sshd_max_auth_tries: int = Field(3, ge=1, le=10, description="sshd MaxAuthTries.")
    baseline_sshd_client_alive_interval: int = Field(
        300, ge=0, le=3600, description="sshd ClientAliveInterval in seconds (0 disables)."
    )
    # A modern profile: ssh-audit 2.5.0 (Debian 12) reports no fail and no warn against it
    # (tests/integration/roles/baseline/). Every value must be one OpenSSH 9.2 knows: `sshd -t` checks.
    baseline_sshd_kex_algorithms: list[SshAlgorithm] = Field(
        default_factory=lambda: [
            "curve25519-sha256",
            "curve25519-sha256@libssh.org",
            "diffie-hellman-group16-sha512",
            "diffie-hellman-group18-sha512",
            "diffie-hellman-group-exchange-sha256",
        ],
        min_length=1,
        description=(
            "sshd KexAlgorithms, in order of preference (no NIST curves, no SHA-1; ssh-audit 2.5.0 calls "
            "sntrup761x25519 experimental)."
        ),
    )
    baseline_sshd_ciphers: list[SshAlgorithm] = Field(
        default_factory=lambda: [
            "chacha20-poly1305@openssh.com",
            "aes256-gcm@openssh.com",
            "aes128-gcm@openssh.com",
            "aes256-ctr",
            "aes192-ctr",
            "aes128-ctr",
        ],
        min_length=1,
        description="sshd Ciphers, in order of preference (no CBC).",
    )
    baseline_sshd_macs: list[SshAlgorithm] = Field(
        default_factory=lambda: [
            "hmac-sha2-512-etm@openssh.com",
            "hmac-sha2-256-etm@openssh.com",
            "umac-128-etm@openssh.com",
        ],
        min_length=1,
        description="sshd MACs: encrypt-then-MAC only, no SHA-1 and no 64-bit tags.",
    )
    baseline_sshd_host_key_types: list[HostKeyType] = Field(
        default_factory=_ed25519_only,
        min_length=1,
        description=(
            "Host keys sshd offers (HostKey); never ECDSA (a NIST curve). RSA is offered with rsa-sha2 only, "
            "and needs 3072 bits or more (preflight checks)."
        ),
    )
    baseline_sshd_moduli_min_bits: int = Field(
        3072,
        ge=2048,
        le=8192,
        description="Diffie-Hellman group exchange: moduli shorter than this are removed from /etc/ssh/moduli.",
    )
    baseline_login_banner: str = Field(
        "Authorized access only. Activity on this system is monitored and logged.",
        min_length=1,
        description="The legal notice sshd shows before login (Banner /etc/issue.net), also in /etc/issue.",
    )
    baseline_accounts_enabled: bool = Field(True, description="Manage login.defs and PAM password quality.")
    baseline_login_umask: str = Field("027", pattern=r"^0[0-7]{2}$", description="login.defs UMASK for new sessions.")
    baseline_password_max_days: int = Field(365, ge=1, le=99998, description="login.defs PASS_MAX_DAYS.")
    baseline_password_min_days: int = Field(1, ge=0, le=365, description="login.defs PASS_MIN_DAYS.")
    baseline_password_hash_rounds: int = Field(
        65536, ge=5000, le=999999999, description="login.defs SHA_CRYPT_MIN_ROUNDS and SHA_CRYPT_MAX_ROUNDS."
    )
    baseline_password_min_length: int = Field(14, ge=8, le=128, description="pam_pwquality minlen.")
    baseline_kernel_modules_enabled: bool = Field(
        True, description="Refuse to load the kernel modules in baseline_blacklisted_modules."
    )
    baseline_blacklisted_modules: list[str] = Field(
        default_factory=lambda: [
            "dccp",
            "sctp",
            "rds",
            "tipc",  # network protocols no service here uses
            "usb-storage",
            "firewire-core",
            "firewire-ohci",
            "firewire-sbp2",  # removable storage
            "cramfs",
            "freevxfs",
            "hfs",
            "hfsplus",
            "jffs2",  # file systems a server never mounts
        ],
        description="Kernel modules modprobe refuses to load (install <module> /bin/true, and blacklist).",
    )
    baseline_coredumps_enabled: bool = Field(
        True, description="Turn core dumps off: a hard core limit of 0 and systemd-coredump storing nothing."
    )
    baseline_sysctl_enabled: bool = Field(True, description="Set baseline_network_sysctls (per network namespace).")
    baseline_network_sysctls: dict[str, int] = Field(
        default_factory=lambda: {
            "net.ipv4.conf.all.accept_redirects": 0,
            "net.ipv4.conf.default.accept_redirects": 0,
            "net.ipv4.conf.all.send_redirects": 0,
            "net.ipv4.conf.default.send_redirects": 0,
            "net.ipv4.conf.all.accept_source_route": 0,
            "net.ipv4.conf.default.accept_source_route": 0,
            "net.ipv4.conf.all.log_martians": 1,
            "net.ipv4.conf.default.log_martians": 1,
            "net.ipv4.conf.all.rp_filter": 1,
            "net.ipv4.conf.default.rp_filter": 1,
            "net.ipv4.icmp_echo_ignore_broadcasts": 1,
            "net.ipv4.icmp_ignore_bogus_error_responses": 1,
            "net.ipv4.tcp_syncookies": 1,
            "net.ipv6.conf.all.accept_redirects": 0,
            "net.ipv6.conf.default.accept_redirects": 0,
            "net.ipv6.conf.all.accept_source_route": 0,
            "net.ipv6.conf.default.accept_source_route": 0,
        },
        description=(
            "Network sysctls (/etc/sysctl.d/90-harden.conf, set at once): per network namespace, so a "
            "container sets them too."
        ),
    )
    baseline_updates_enabled: bool = Field(
        True,
        description=(
            "Install needrestart (list only: it never restarts a service itself), debsums and apt-show-versions."
        ),
    )
    baseline_unattended_upgrades_enabled: bool = Field(
        True,
        description=(
            "Install Debian's security updates unattended, in the maintenance window, one host after another; "
            "never reboots."
        ),
    )
    baseline_maintenance_window: str = Field(
        "*-*-* 03:00",
        min_length=1,
        pattern=r"^[^\n;]+$",
        description=(
            "When the window opens, as systemd's OnCalendar= reads it (preflight asks systemd-analyze): the "
            "package lists are refreshed and security upgrades start."
        ),
    )
    baseline_maintenance_stagger: int = Field(
        30,
        ge=0,
        le=720,
        description=(
            "Minutes between one host's upgrade and the next (inventory order): the members of a cluster never "
            "upgrade, or restart a service, at the same time."
        ),
    )
    baseline_unattended_upgrades_hold: list[str] = Field(
        default_factory=lambda: ["^postgresql-", "^etcd-server$", "^redis-", "^haproxy$"],
        description=(
            "Packages (regular expressions) unattended-upgrades leaves alone: stateful cluster services whose "
            "upgrade restarts them, which a rolling `harden apply` does member by member."
        ),
    )
    baseline_accounting_enabled: bool = Field(True, description="Collect system activity with sysstat.")
    baseline_audit_enabled: bool = Field(
        True,
        description=(
            "auditd with baseline_audit_rules, and process accounting (acct), on a VM or bare metal. A container "
            "leaves both to its host and says so: the kernel's audit subsystem is not namespaced, and accounting "
            "needs CAP_SYS_PACCT."
        ),
    )
    baseline_audit_rules: list[str] = Field(
        default_factory=lambda: [
            "-w /etc/passwd -p wa -k identity",
            "-w /etc/group -p wa -k identity",
            "-w /etc/shadow -p wa -k identity",
            "-w /etc/gshadow -p wa -k identity",
            "-w /etc/security/opasswd -p wa -k identity",
            "-w /etc/sudoers -p wa -k privilege",
            "-w /etc/sudoers.d/ -p wa -k privilege",
            "-w /etc/ssh/sshd_config -p wa -k sshd",
            "-w /etc/ssh/sshd_config.d/ -p wa -k sshd",
            "-w /var/log/lastlog -p wa -k logins",
            "-w /var/log/faillog -p wa -k logins",
            "-w /etc/audit/ -p wa -k audit-config",
            "-a always,exit -F arch=b64 -S init_module,finit_module,delete_module -k modules",
            "-a always,exit -F arch=b64 -S adjtimex,settimeofday,clock_settime -k time",
            "-a always,exit -F arch=b64 -S mount -F auid>=1000 -F auid!=unset -k mounts",
        ],
        description=(
            "auditctl rules (/etc/audit/rules.d/50-harden.rules, loaded by augenrules): who changes accounts, "
            "sudo rights and sshd's configuration, logins, the audit configuration itself, kernel modules, the "
            "clock, and mounts by users. The rules are not made immutable (-e 2): a changed rule, or a rollback, "
            "would need a reboot."
        ),
    )
    baseline_integrity_enabled: bool = Field(
        True,
        description=(
            "File integrity with AIDE: SHA-512 hashes, the first database built in the background "
            "(harden-aide-init.service) from the files as baseline leaves them, and Debian's nightly check "
            "(dailyaidecheck.timer), which reports every file changed since, those of roles applied later "
            "included: after a planned change, `systemctl start harden-aide-init` takes the new state in."
        ),
    )
    baseline_kernel_sysctls: dict[str, int] = Field(
        default_factory=lambda: {
            "kernel.kptr_restrict": 2,
            "kernel.dmesg_restrict": 1,
            "kernel.perf_event_paranoid": 3,
            "kernel.unprivileged_bpf_disabled": 1,
            "kernel.yama.ptrace_scope": 1,
            "kernel.core_uses_pid": 1,
            "kernel.sysrq": 0,
            "kernel.randomize_va_space": 2,
            "fs.protected_fifos": 2,
            "fs.protected_regular": 2,
            "fs.protected_symlinks": 1,
            "fs.protected_hardlinks": 1,
            "fs.suid_dumpable": 0,
            "dev.tty.ldisc_autoload": 0,
        },
        description="Kernel-wide sysctls, set on a VM or bare metal; a container leaves them to its host.",
    )
    baseline_firewall_enabled: bool = Field(
        True,
        description=(
            "A host firewall (nftables, table inet harden): incoming connections only to the ports the enabled "
            "roles declare, from the hosts that need them, and SSH from baseline_firewall_ssh_from."
        ),
    )
    baseline_firewall_ssh_from: list[str] = Field(
        default_factory=lambda: ["ops"],
        description="Inventory groups whose hosts may connect to SSH (with baseline_firewall_admin_networks).",
    )
    baseline_firewall_admin_networks: list[IPvAnyNetwork] = Field(
        default_factory=list,
        description=(
            "Networks that may connect to SSH besides those groups: where harden runs from. Preflight refuses a "
            "firewall that would not let the current connection in."
        ),
    )
    baseline_firewall_clients: list[str] = Field(
        default_factory=lambda: ["app"],
        description="Inventory groups of the platform's clients: the hosts that may reach each role's client ports.",
    )
    baseline_firewall_allow: list[FirewallAllow] = Field(
        default_factory=list,
        description="More ports to open on every host of this group: services harden does not manage.",
    )
    baseline_permissions_enabled: bool = Field(
        True, description="sshd_config and cron's directories readable by root only."
    )
