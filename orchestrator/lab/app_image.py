"""Lab only: the container image the lab's stand-in app services run, as a local artifact.

The platform's 14 app images live in its own registry, which the lab does not have. Their
stand-in is one image built here from Debian's ``busybox-static`` (fetched with ``apt-get
download`` through this machine's own apt sources, so no registry host is named): BusyBox's
shell, ``httpd`` serving ``/health/live`` and ``/health/ready``, ``wget`` for the health check,
and ``awk`` for the memory test. It is written in the ``docker-archive`` format that ``podman
load`` reads, with fixed timestamps, so the same package gives the same bytes, and its sha256 is
what the role checks before loading it (an image loaded from an archive has no registry digest).
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tarfile
import tempfile
from pathlib import Path

from orchestrator.errors import HardenError

BUSYBOX_PACKAGE = "busybox-static"
IMAGE_NAME = "harden-lab/app"
# the applets the stand-in services and their health checks call
APPLETS = (
    "sh", "httpd", "wget", "nslookup", "awk", "sleep", "touch", "test", "cat", "head", "tr", "ls", "id", "mkdir",
    "echo",
)  # fmt: skip
APP_UID = 10001
ENTRYPOINT_SCRIPT = """#!/bin/sh
# A stand-in app service: serves its health endpoints on $PORT (default 8080). When /tmp/hog
# appears (the memory test creates it with `podman exec`), it turns into a process that
# allocates memory until the kernel stops it, as a leaking service would. As PID 1 it ends on
# SIGTERM only with a handler.
trap 'exit 0' TERM
mkdir -p /tmp/www/health
echo ok > /tmp/www/health/live
echo ok > /tmp/www/health/ready
httpd -p "${PORT:-8080}" -h /tmp/www
while [ ! -e /tmp/hog ]; do sleep 1 & wait $!; done
exec awk 'BEGIN { while (1) { s = s sprintf("%1048576s", "x") } }'
"""


def _busybox(workdir: Path) -> tuple[bytes, str]:
    """The static binary and the package version it came from."""
    subprocess.run(["apt-get", "download", BUSYBOX_PACKAGE], cwd=workdir, check=True, capture_output=True)
    debs = sorted(workdir.glob(f"{BUSYBOX_PACKAGE}_*.deb"))
    if not debs:
        raise HardenError(f"apt-get download {BUSYBOX_PACKAGE} gave no package")
    version = subprocess.run(
        ["dpkg-deb", "-f", str(debs[-1]), "Version"], check=True, capture_output=True, text=True
    ).stdout.strip()
    subprocess.run(["dpkg-deb", "-x", str(debs[-1]), str(workdir / "root")], check=True)
    return (workdir / "root" / "bin" / "busybox").read_bytes(), version


def _add(tar: tarfile.TarFile, name: str, *, data: bytes | None = None, mode: int = 0o755, link: str = "") -> None:
    info = tarfile.TarInfo(name)
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    info.mode = mode
    if link:
        info.type, info.linkname = tarfile.SYMTYPE, link
        tar.addfile(info)
    elif data is None:
        info.type = tarfile.DIRTYPE
        tar.addfile(info)
    else:
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))


def _layer(busybox: bytes) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for directory in ("bin", "etc", "tmp"):
            _add(tar, directory, mode=0o1777 if directory == "tmp" else 0o755)
        _add(tar, "bin/busybox", data=busybox)
        for applet in APPLETS:
            _add(tar, f"bin/{applet}", link="busybox")
        _add(tar, "bin/app", data=ENTRYPOINT_SCRIPT.encode())
        passwd = f"root:x:0:0:root:/:/bin/sh\napp:x:{APP_UID}:{APP_UID}:app:/tmp:/bin/sh\n"
        _add(tar, "etc/passwd", data=passwd.encode(), mode=0o644)
        _add(tar, "etc/group", data=f"root:x:0:\napp:x:{APP_UID}:\n".encode(), mode=0o644)
    return buffer.getvalue()


def _build_key() -> str:
    """What this module puts in the image besides BusyBox: a change rebuilds the cached archive."""
    return hashlib.sha256(repr((APPLETS, ENTRYPOINT_SCRIPT, APP_UID)).encode()).hexdigest()[:16]


def image_archive(target: Path) -> tuple[Path, str]:
    """Write the image (once per build key) and return its path and its name:tag (the tag is
    BusyBox's version)."""
    version_file = target.with_suffix(".version")
    if target.is_file() and version_file.is_file():
        tag, _, key = version_file.read_text().strip().partition(" ")
        if key == _build_key():
            return target, tag
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        busybox, version = _busybox(Path(tmp))
    layer = _layer(busybox)
    layer_id = hashlib.sha256(layer).hexdigest()
    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": "1970-01-01T00:00:00Z",
        "config": {"Entrypoint": ["/bin/app"], "Env": ["PATH=/bin"], "User": f"{APP_UID}:{APP_UID}"},
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{layer_id}"]},
        "history": [
            {"created": "1970-01-01T00:00:00Z", "created_by": f"harden lab artifacts: {BUSYBOX_PACKAGE} {version}"}
        ],
    }
    config_bytes = json.dumps(config, sort_keys=True).encode()
    config_name = f"{hashlib.sha256(config_bytes).hexdigest()}.json"
    tag = f"{IMAGE_NAME}:{version.split(':')[-1].split('-')[0]}"
    manifest = [{"Config": config_name, "RepoTags": [tag], "Layers": [f"{layer_id}/layer.tar"]}]
    partial = target.with_suffix(".partial")
    with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
        _add(tar, layer_id)
        _add(tar, f"{layer_id}/layer.tar", data=layer, mode=0o644)
        _add(tar, config_name, data=config_bytes, mode=0o644)
        _add(tar, "manifest.json", data=json.dumps(manifest).encode(), mode=0o644)
    partial.rename(target)
    version_file.write_text(f"{tag} {_build_key()}\n")
    return target, tag
