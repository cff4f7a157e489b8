"""One lab host: an overlay on the base image, its own identity, booted by systemd-nspawn."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import time
from pathlib import Path

from orchestrator.errors import HardenError
from orchestrator.lab.config import CGROUP_HIERARCHIES, CGROUP_ROOT, LabConfig, LabHost
from orchestrator.lab.mirror import AptSource
from orchestrator.lab.sh import run

APT_PROXY_BASE_PORT = 3142
GUEST_APT_DIR = "/run/harden-apt"
PROXYD = "/lib/systemd/systemd-socket-proxyd"


def is_mounted(path: Path) -> bool:
    target = str(path)
    with open("/proc/self/mounts") as fh:
        return any(line.split()[1] == target for line in fh)


def mount_overlay(config: LabConfig, host: LabHost, image: Path) -> Path:
    base = config.host_dir(host)
    upper, work, merged = base / "upper", base / "work", base / "merged"
    for d in (upper, work, merged):
        d.mkdir(parents=True, exist_ok=True)
    if not is_mounted(merged):
        run(
            [
                "mount",
                "-t",
                "overlay",
                "overlay",
                "-o",
                f"lowerdir={image},upperdir={upper},workdir={work}",
                str(merged),
            ]
        )
    return merged


def write_identity(config: LabConfig, host: LabHost, sources: list[AptSource], public_key: str) -> None:
    """Hostname, /etc/hosts, machine-id, root's key and the apt path to the machine's mirror."""
    root = config.merged(host)
    (root / "etc/hostname").write_text(host.name + "\n")
    peers = "".join(f"{h.address}\t{h.name}\n" for h in config.hosts)
    (root / "etc/hosts").write_text(f"127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n{peers}")
    machine_id = root / "etc/machine-id"
    if not machine_id.read_text().strip():
        machine_id.write_text(secrets.token_hex(16) + "\n")
    (root / "etc/resolv.conf").unlink(missing_ok=True)
    (root / "etc/resolv.conf").write_text("# harden lab: no DNS; peers are in /etc/hosts\n")
    ssh_dir = root / "root/.ssh"
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    keys = ssh_dir / "authorized_keys"
    keys.write_text(public_key.strip() + "\n")
    keys.chmod(0o600)
    _write_apt_path(root, sources)


def apt_endpoints(sources: list[AptSource]) -> list[tuple[str, int]]:
    return sorted({s.endpoint for s in sources})


def _write_apt_path(root: Path, sources: list[AptSource]) -> None:
    units = root / "etc/systemd/system"
    wants = units / "sockets.target.wants"
    wants.mkdir(parents=True, exist_ok=True)
    proxy_lines = []
    for i, (mirror_host, _port) in enumerate(apt_endpoints(sources)):
        port = APT_PROXY_BASE_PORT + i
        (units / f"harden-apt-{i}.socket").write_text(
            f"[Unit]\nDescription=Path to the machine's apt mirror {i}\n\n"
            f"[Socket]\nListenStream=127.0.0.1:{port}\n\n[Install]\nWantedBy=sockets.target\n"
        )
        (units / f"harden-apt-{i}.service").write_text(
            f"[Unit]\nDescription=Relay to the machine's apt mirror {i}\n\n"
            f"[Service]\nExecStart={PROXYD} {GUEST_APT_DIR}/{i}.sock\n"
        )
        link = wants / f"harden-apt-{i}.socket"
        if not link.is_symlink():
            link.symlink_to(f"/etc/systemd/system/harden-apt-{i}.socket")
        proxy_lines.append(f'Acquire::http::Proxy::{mirror_host} "http://127.0.0.1:{port}/";\n')
    (root / "etc/apt/apt.conf.d/00harden-lab-proxy").write_text("".join(proxy_lines))
    lines = [f"deb {s.uri} {suite} {' '.join(s.components)}\n" for s in sources for suite in s.suites]
    (root / "etc/apt/sources.list").write_text("".join(lines))
    for stale in (root / "etc/apt/sources.list.d").glob("*"):
        stale.unlink()


def _join_cgroups(config: LabConfig, host: LabHost) -> None:
    for hierarchy in CGROUP_HIERARCHIES:
        (config.cgroup(hierarchy, host) / "cgroup.procs").write_text(str(os.getpid()))


def boot(config: LabConfig, host: LabHost) -> int:
    """Start systemd-nspawn for the host in its own cgroup and network namespace; returns its PID."""
    for hierarchy in CGROUP_HIERARCHIES:
        config.cgroup(hierarchy, host).mkdir(parents=True, exist_ok=True)
    log = (config.host_dir(host) / "console.log").open("ab")
    cmd = [
        "systemd-nspawn",
        "-D",
        str(config.merged(host)),
        "-b",
        "-M",
        host.slug,
        "--register=no",
        "--keep-unit",
        f"--network-namespace-path=/run/netns/{config.netns(host)}",
        "--console=read-only",
        "--link-journal=no",
        "--resolv-conf=off",
        "--timezone=off",
        f"--bind={config.apt_socket_dir}:{GUEST_APT_DIR}",
        # The host's own network namespace is its to configure, as on a VM: network sysctls
        # (baseline) and a firewall. nspawn grants neither with --network-namespace-path alone;
        # neither reaches beyond the namespace this code created for the host.
        "--capability=CAP_NET_ADMIN",
    ]
    proc = subprocess.Popen(
        cmd,
        env={**os.environ, "SYSTEMD_NSPAWN_API_VFS_WRITABLE": "network"},  # /proc/sys/net writable
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=lambda: _join_cgroups(config, host),
    )
    log.close()
    return proc.pid


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"systemd-nspawn" in cmdline or b"systemd-socket" in cmdline


def cgroup_pids(config: LabConfig, host: LabHost | None = None) -> set[int]:
    pids: set[int] = set()
    for hierarchy in CGROUP_HIERARCHIES:
        base = config.cgroup(hierarchy, host)
        if not base.is_dir():
            continue
        # os.walk, not rglob: cgroups of a dying container vanish while we walk them
        for directory, _, files in os.walk(base):
            if "cgroup.procs" not in files:
                continue
            try:
                pids |= {int(p) for p in Path(directory, "cgroup.procs").read_text().split()}
            except OSError:
                continue
    return pids


def stop(config: LabConfig, host: LabHost, pid: int | None, timeout: float = 10.0) -> None:
    """Ask the container to power off, then kill whatever is left in its cgroups."""
    if pid_alive(pid):
        assert pid is not None
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
    for _ in range(50):
        left = cgroup_pids(config, host) | ({pid} if pid and pid_alive(pid) else set())
        if not left:
            break
        for p in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(p, signal.SIGKILL)
        time.sleep(0.1)
    else:
        raise HardenError(f"{host.name}: processes survive SIGKILL: {sorted(cgroup_pids(config, host))}")


def remove_cgroups(config: LabConfig) -> None:
    """Remove the lab's cgroup trees in every hierarchy, deepest first."""
    for hierarchy_dir in CGROUP_ROOT.iterdir():
        base = hierarchy_dir / "harden-lab" / config.env
        if not base.is_dir():
            continue
        for d in sorted((p for p in base.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
            with contextlib.suppress(OSError):
                d.rmdir()
        try:
            base.rmdir()
            base.parent.rmdir()
        except OSError:
            pass


def unmount_and_remove(config: LabConfig, host: LabHost) -> None:
    merged = config.merged(host)
    if is_mounted(merged):
        run(["umount", "-l", str(merged)])
    shutil.rmtree(config.host_dir(host), ignore_errors=True)
