"""The lab's base image: debootstrap once, customise, cache as .tar.zst keyed on the package list."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from orchestrator.lab.config import CACHE_ROOT, STATE_ROOT, SUITE, LabConfig
from orchestrator.lab.lock import exclusive
from orchestrator.lab.mirror import archive_source, machine_sources
from orchestrator.lab.sh import run

MASKED_UNITS = (
    "apt-daily.timer",
    "apt-daily-upgrade.timer",
    "e2scrub_all.timer",
    "fstrim.timer",
    "dpkg-db-backup.timer",
    "systemd-networkd-wait-online.service",
    "getty@tty1.service",
    "console-getty.service",
)
HOSTKEY_UNIT = """\
[Unit]
Description=Generate this host's own SSH host keys at first boot
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=multi-user.target
"""
SSHD_LAB = """\
# harden lab image: keys only
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
"""


def image_dir(config: LabConfig) -> Path:
    return STATE_ROOT / "images" / f"base-{config.image_key}"


def cache_file(config: LabConfig) -> Path:
    return CACHE_ROOT / f"base-{config.image_key}.tar.zst"


def _customise(root: Path) -> None:
    """Make the debootstrapped tree a generic host: each booted copy gets its own identity."""
    for key in (root / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    (root / "etc/machine-id").write_text("")
    dbus_id = root / "var/lib/dbus/machine-id"
    if dbus_id.is_symlink() or dbus_id.exists():
        dbus_id.unlink()
    units = root / "etc/systemd/system"
    (units / "harden-ssh-hostkeys.service").write_text(HOSTKEY_UNIT)
    wants = units / "multi-user.target.wants"
    wants.mkdir(parents=True, exist_ok=True)
    link = wants / "harden-ssh-hostkeys.service"
    if not link.is_symlink():
        link.symlink_to("/etc/systemd/system/harden-ssh-hostkeys.service")
    for unit in MASKED_UNITS:
        target = units / unit
        if target.is_symlink() or target.exists():
            target.unlink()
        target.symlink_to("/dev/null")
    (root / "etc/ssh/sshd_config.d").mkdir(parents=True, exist_ok=True)
    (root / "etc/ssh/sshd_config.d/00-harden-lab.conf").write_text(SSHD_LAB)
    (root / "root/.ssh").mkdir(mode=0o700, exist_ok=True)
    shutil.rmtree(root / "var/cache/apt/archives", ignore_errors=True)
    (root / "var/cache/apt/archives/partial").mkdir(parents=True, exist_ok=True)


def build_image(config: LabConfig, log: Path) -> float:
    """debootstrap + customise + pack. Returns the seconds it took."""
    started = time.monotonic()
    source = archive_source(machine_sources(), SUITE)
    CACHE_ROOT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE_ROOT, prefix="build-") as tmp:
        root = Path(tmp) / "rootfs"
        with log.open("a") as out:
            subprocess.run(
                [
                    "debootstrap",
                    "--variant=minbase",
                    f"--include={','.join(config.packages)}",
                    SUITE,
                    str(root),
                    source.uri,
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                check=True,
            )
        _customise(root)
        partial = cache_file(config).with_suffix(".partial")
        run(["tar", "-C", str(root), "--numeric-owner", "-I", "zstd -T0 -3", "-cf", str(partial), "."])
        partial.rename(cache_file(config))
    return time.monotonic() - started


def ensure_image(config: LabConfig, log: Path) -> tuple[Path, str]:
    """The extracted base tree for this package list, building or extracting it when needed
    (one lab at a time: a second lab coming up waits, then finds the image ready)."""
    with exclusive(CACHE_ROOT / "image.lock"):
        return _ensure_image(config, log)


def _ensure_image(config: LabConfig, log: Path) -> tuple[Path, str]:
    target = image_dir(config)
    marker = target.with_name(target.name + ".complete")
    if marker.exists() and target.is_dir():
        return target, "ready"
    how = "cached"
    if not cache_file(config).exists():
        build_image(config, log)
        how = "built"
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    run(["tar", "-C", str(staging), "--numeric-owner", "-I", "zstd -T0", "-xpf", str(cache_file(config))])
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    marker.write_text(config.image_key)
    return target, how


def purge_images() -> None:
    shutil.rmtree(CACHE_ROOT, ignore_errors=True)
    shutil.rmtree(STATE_ROOT / "images", ignore_errors=True)
