"""Elasticsearch for the lab, from Maven Central: the integ-test distribution, repackaged.

``org.elasticsearch.distribution.integ-test-zip:elasticsearch:<version>:zip`` is the server with
the x-pack security module and its launcher scripts, without a JDK (the role runs it on Debian's
Java 17). It lacks ``analysis-common``, so the ``.security`` index cannot be created: the role
keeps users and roles in the file realm, which needs no index. The tarball drops the Windows
files and the sample configuration (the role writes its own, in /etc/elasticsearch), and keeps
each file's mode from the zip (the scripts are executable).
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path

from orchestrator.errors import HardenError
from orchestrator.lab.maven import copy_artifact
from orchestrator.lab.tarball import write_tarball
from orchestrator.roles.search.model import ELASTICSEARCH

ELASTICSEARCH_VERSION = ELASTICSEARCH.version
COORDINATE = f"org.elasticsearch.distribution.integ-test-zip:elasticsearch:{ELASTICSEARCH_VERSION}:zip"
_LEFT_OUT_SUFFIXES = (".bat", ".exe")
_LEFT_OUT_TOP = ("config", "logs")


def _kept(name: str, top: str) -> bool:
    parts = name.split("/")
    if parts[0] != top or len(parts) < 2:
        return name.rstrip("/") == top
    return parts[1] not in _LEFT_OUT_TOP and not name.endswith(_LEFT_OUT_SUFFIXES)


def _extract(archive: Path, home: Path) -> None:
    top = home.name
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            if not _kept(info.filename, top):
                continue
            target = home.parent / info.filename
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, target.open("wb") as dst:
                shutil.copyfileobj(src, dst)
            mode = (info.external_attr >> 16) & 0o777
            target.chmod(0o755 if mode & 0o111 else 0o644)
    (home / "plugins").mkdir(exist_ok=True)
    if not (home / "lib" / f"elasticsearch-{ELASTICSEARCH_VERSION}.jar").is_file():
        raise HardenError(f"{archive.name} has no lib/elasticsearch-{ELASTICSEARCH_VERSION}.jar")
    if not (home / "modules" / "x-pack-security").is_dir():
        raise HardenError(f"{archive.name} has no x-pack-security module")


def elasticsearch_tarball(target: Path) -> Path:
    """``elasticsearch-<version>.tgz`` in ``target``'s directory, built once."""
    if target.is_file():
        return target
    top = target.name.removesuffix(".tgz")
    with tempfile.TemporaryDirectory() as tmp:
        zips = Path(tmp) / "zips"
        copy_artifact(COORDINATE, zips)
        home = Path(tmp) / top
        _extract(next(zips.glob("elasticsearch-*.zip")), home)
        write_tarball(target, ((path, f"{top}/{path.relative_to(home)}") for path in sorted(home.rglob("*"))))
    return target
