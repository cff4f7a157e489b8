"""The Debian mirror this machine's own apt sources name; lab hosts reach only that.

No registry host name is written in code: it is read from /etc/apt at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from orchestrator.errors import HardenError

APT_DIR = Path("/etc/apt")


@dataclass(frozen=True)
class AptSource:
    uri: str
    suites: tuple[str, ...]
    components: tuple[str, ...]

    @property
    def endpoint(self) -> tuple[str, int]:
        parts = urlsplit(self.uri)
        return parts.hostname or "", parts.port or 80


def _deb822(text: str) -> list[AptSource]:
    sources = []
    for stanza in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in stanza.splitlines():
            if line.startswith("#") or ":" not in line or line.startswith((" ", "\t")):
                continue
            key, _, value = line.partition(":")
            fields[key.strip().lower()] = value.strip()
        if "deb" not in fields.get("types", "").split() or fields.get("enabled", "yes") == "no":
            continue
        for uri in fields.get("uris", "").split():
            sources.append(
                AptSource(
                    uri.rstrip("/"),
                    tuple(fields.get("suites", "").split()),
                    tuple(fields.get("components", "").split()),
                )
            )
    return sources


def _one_line(text: str) -> list[AptSource]:
    sources = []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) >= 3 and words[0] == "deb":
            words = [w for w in words if not w.startswith("[")]
            sources.append(AptSource(words[1].rstrip("/"), (words[2],), tuple(words[3:])))
    return sources


def machine_sources(apt_dir: Path = APT_DIR) -> list[AptSource]:
    sources: list[AptSource] = []
    for file in sorted((apt_dir / "sources.list.d").glob("*.sources")):
        sources += _deb822(file.read_text())
    for file in [apt_dir / "sources.list", *sorted((apt_dir / "sources.list.d").glob("*.list"))]:
        if file.is_file():
            sources += _one_line(file.read_text())
    debian = [s for s in sources if urlsplit(s.uri).scheme == "http" and s.components]
    if not debian:
        raise HardenError(f"no http Debian mirror found in {apt_dir}/sources.list(.d); the lab needs one")
    return debian


def archive_source(sources: list[AptSource], suite: str) -> AptSource:
    """The source that carries the release itself (for debootstrap)."""
    for source in sources:
        if suite in source.suites:
            return source
    raise HardenError(f"no apt source on this machine carries suite {suite!r}")
