"""`harden lab up/down/status`: bring a lab environment's hosts up and tear them down cleanly."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from orchestrator.errors import HardenError
from orchestrator.lab import hosts as lab_hosts
from orchestrator.lab import network
from orchestrator.lab.config import LabConfig, LabHost
from orchestrator.lab.image import ensure_image
from orchestrator.lab.mirror import machine_sources
from orchestrator.lab.sh import run
from orchestrator.paths import REPO_STATE_DIR

RELAY = Path(__file__).with_name("relay.py")
BOOT_TIMEOUT = 120.0


@dataclass(frozen=True)
class HostStatus:
    name: str
    address: str
    pid: int | None
    state: str  # running, degraded, starting, stopped


def require_root() -> None:
    if os.geteuid() != 0:
        raise HardenError("the lab needs root (mounts, network namespaces, systemd-nspawn): run it with sudo")


class LabState:
    """PIDs the lab started, recorded as it goes so that `down` can clean up after any failure."""

    def __init__(self, config: LabConfig) -> None:
        self.path = config.runtime_dir / "state.json"
        self.data: dict[str, dict[str, int]] = {"hosts": {}, "forwarders": {}}
        if self.path.exists():
            self.data.update(json.loads(self.path.read_text()))

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=2))
        tmp.replace(self.path)


def _ensure_ssh_key(config: LabConfig) -> str:
    config.state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not config.ssh_key.exists():
        run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"harden-lab-{config.env}", "-f", str(config.ssh_key)]
        )
    return config.ssh_key.with_suffix(".pub").read_text()


def write_ssh_config(config: LabConfig) -> None:
    blocks = []
    for host in config.hosts:
        proxy = f"ip netns exec {config.netns(host)} {sys.executable} -I -S {RELAY} 127.0.0.1 22"
        blocks.append(
            f"Host {host.address} {host.name}\n"
            f"  HostName {host.address}\n"
            f"  HostKeyAlias {host.name}\n"
            f"  User root\n"
            f"  IdentityFile {config.ssh_key}\n"
            f"  IdentitiesOnly yes\n"
            f"  StrictHostKeyChecking yes\n"
            f"  UserKnownHostsFile {config.known_hosts}\n"
            f"  LogLevel ERROR\n"
            f"  ConnectTimeout 10\n"
            f"  ProxyCommand {proxy}\n"
        )
    config.runtime_dir.mkdir(parents=True, exist_ok=True)
    config.ssh_config.write_text("\n".join(blocks))


def _start_forwarders(config: LabConfig, state: LabState) -> None:
    sources = machine_sources()
    config.apt_socket_dir.mkdir(parents=True, exist_ok=True)
    for i, (host, port) in enumerate(lab_hosts.apt_endpoints(sources)):
        key = f"{i}"
        if lab_hosts.pid_alive(state.data["forwarders"].get(key)):
            continue
        sock = config.apt_socket_dir / f"{i}.sock"
        sock.unlink(missing_ok=True)
        proc = subprocess.Popen(
            ["systemd-socket-activate", "-l", str(sock), lab_hosts.PROXYD, f"{host}:{port}"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        state.data["forwarders"][key] = proc.pid
        state.save()
        for _ in range(50):
            if sock.exists():
                break
            time.sleep(0.05)


_KNOWN_HOSTS_LOCK = threading.Lock()


def _record_host_key(config: LabConfig, host: LabHost) -> None:
    """Trust exactly the key the host generated at first boot, read from its own disk."""
    pub = config.merged(host) / "etc/ssh/ssh_host_ed25519_key.pub"
    key = " ".join(pub.read_text().split()[:2])
    with _KNOWN_HOSTS_LOCK:  # hosts boot in parallel threads
        known = config.known_hosts.read_text().splitlines() if config.known_hosts.exists() else []
        lines = [ln for ln in known if not ln.startswith(f"{host.name} ")]
        lines.append(f"{host.name} {key}")
        config.known_hosts.write_text("\n".join(lines) + "\n")


def ssh_command(config: LabConfig, host: LabHost, *command: str) -> list[str]:
    return ["ssh", "-F", str(config.ssh_config), "-o", "BatchMode=yes", host.address, *command]


def _wait_running(config: LabConfig, host: LabHost, pid: int) -> str:
    deadline = time.monotonic() + BOOT_TIMEOUT
    pub = config.merged(host) / "etc/ssh/ssh_host_ed25519_key.pub"
    while not pub.exists():
        if not lab_hosts.pid_alive(pid):
            raise HardenError(f"{host.name}: systemd-nspawn exited; see {config.host_dir(host) / 'console.log'}")
        if time.monotonic() > deadline:
            raise HardenError(f"{host.name}: no SSH host key after {BOOT_TIMEOUT:.0f}s")
        time.sleep(0.1)
    _record_host_key(config, host)
    last = ""
    while time.monotonic() < deadline:
        proc = subprocess.run(
            ssh_command(config, host, "systemctl", "is-system-running", "--wait"),
            capture_output=True,
            text=True,
            timeout=BOOT_TIMEOUT,
        )
        last = proc.stdout.strip() or proc.stderr.strip()
        if last in ("running", "degraded"):
            return last
        time.sleep(0.2)
    raise HardenError(f"{host.name}: not running after {BOOT_TIMEOUT:.0f}s (last: {last})")


def host_status(config: LabConfig, host: LabHost, state: LabState, probe: bool = True) -> HostStatus:
    pid = state.data["hosts"].get(host.name)
    if not lab_hosts.pid_alive(pid):
        return HostStatus(host.name, host.address, None, "stopped")
    label = "running"
    if probe:
        proc = subprocess.run(
            ssh_command(config, host, "systemctl", "is-system-running"), capture_output=True, text=True, timeout=30
        )
        label = proc.stdout.strip() or "unreachable"
    return HostStatus(host.name, host.address, pid, label)


def up(config: LabConfig, log: Path | None = None) -> tuple[list[HostStatus], str]:
    """Create and boot every host that is not running; leave running ones alone."""
    require_root()
    state = LabState(config)
    config.runtime_dir.mkdir(parents=True, exist_ok=True)
    image, how = ensure_image(config, log or config.runtime_dir / "image-build.log")
    public_key = _ensure_ssh_key(config)
    write_ssh_config(config)
    _start_forwarders(config, state)
    network.ensure_switch(config)
    sources = machine_sources()
    to_boot: list[tuple[LabHost, int]] = []
    for host in config.hosts:
        if lab_hosts.pid_alive(state.data["hosts"].get(host.name)):
            continue
        network.ensure_host_network(config, host)
        lab_hosts.mount_overlay(config, host, image)
        lab_hosts.write_identity(config, host, sources, public_key)
        (config.merged(host) / "etc/ssh/ssh_host_ed25519_key.pub").unlink(missing_ok=True)
        for key in (config.merged(host) / "etc/ssh").glob("ssh_host_*"):
            key.unlink()
        pid = lab_hosts.boot(config, host)
        state.data["hosts"][host.name] = pid
        state.save()
        to_boot.append((host, pid))
    with ThreadPoolExecutor(max_workers=max(len(to_boot), 1)) as pool:
        list(pool.map(lambda hp: _wait_running(config, *hp), to_boot))
    for host, _ in to_boot:
        if host.name in config.writable_cgroup_hosts:
            _writable_cgroups(config, host)
    return [host_status(config, h, state) for h in config.hosts], how


# The cgroup v1 controllers a container's limits write (memory, pids, cpu) and the others Podman
# joins. Lab only: the host's root may then change any cgroup of this machine's hierarchy it sees.
CGROUP_CONTROLLERS = ("pids", "memory", "cpu", "cpuacct", "cpuset", "freezer", "devices", "blkio")


def _writable_cgroups(config: LabConfig, host: LabHost) -> None:
    """Remount the host's cgroup v1 controllers read-write (systemd-nspawn mounts them read-only)."""
    script = (
        f"for c in {' '.join(CGROUP_CONTROLLERS)}; do "
        'if findmnt -n -o OPTIONS "/sys/fs/cgroup/$c" | grep -q "^ro"; then '
        'umount "/sys/fs/cgroup/$c" && mount -t cgroup -o "$c" cgroup "/sys/fs/cgroup/$c" || exit 1; fi; done'
    )
    proc = subprocess.run(ssh_command(config, host, script), capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise HardenError(f"{host.name}: cannot make its cgroup controllers writable: {proc.stderr.strip()}")


def down(config: LabConfig) -> None:
    """Stop and remove everything the lab created: processes, mounts, namespaces, cgroups, forwarders."""
    require_root()
    state = LabState(config)
    with ThreadPoolExecutor(max_workers=max(len(config.hosts), 1)) as pool:
        list(pool.map(lambda h: lab_hosts.stop(config, h, state.data["hosts"].get(h.name)), config.hosts))
    for pid in state.data["forwarders"].values():
        if lab_hosts.pid_alive(pid):
            os.kill(pid, 15)
    for host in config.hosts:
        lab_hosts.unmount_and_remove(config, host)
    lab_hosts.remove_cgroups(config)
    network.delete_namespaces(config.env)
    shutil.rmtree(config.runtime_dir, ignore_errors=True)
    shutil.rmtree(config.state_dir / "hosts", ignore_errors=True)
    # cached facts describe hosts that no longer exist
    shutil.rmtree(REPO_STATE_DIR / "facts" / config.env, ignore_errors=True)
    # the lab's controller-side state (secret-zero file, CA copy) belongs to hosts that are gone
    shutil.rmtree(Path.home() / ".harden" / config.env, ignore_errors=True)
    # the revisions describe hosts that no longer exist: a new lab starts with no role applied
    from orchestrator.revisions.store import RevisionStore

    RevisionStore().forget(config.env)


def status(config: LabConfig) -> list[HostStatus]:
    state = LabState(config)
    return [host_status(config, h, state) for h in config.hosts]
