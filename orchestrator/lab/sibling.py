"""A lab environment copied under another name, on its own network, to run beside the original.

The test suite runs in two shards at once, each against its own lab (tests/run_suite.py). The
second lab is this copy of the first: the same hosts, roles and settings, with every address of
the source's network moved to the same offset in the new network, and the SSH configuration
that `harden lab up` writes looked up under the copy's own name.
"""

from __future__ import annotations

import ipaddress
import re
import shutil
from pathlib import Path

from orchestrator.errors import HardenError
from orchestrator.lab.config import RUNTIME_ROOT, LabConfig

_IPV4 = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?![\d.])")


def move_addresses(text: str, source: ipaddress.IPv4Network, target: ipaddress.IPv4Network) -> str:
    """Each IPv4 address of source in text, moved to the same offset in target; others unchanged."""

    def moved(match: re.Match[str]) -> str:
        try:
            address = ipaddress.IPv4Address(match.group(1))
        except ValueError:
            return match.group(1)
        if address not in source:
            return match.group(1)
        return str(target.network_address + (int(address) - int(source.network_address)))

    return _IPV4.sub(moved, text)


def copy_lab(source: LabConfig, destination: Path, network: str) -> Path:
    """Copy source's inventory to destination (whose name becomes the environment's name), moved
    to network. Replaces an earlier copy there. Returns destination."""
    old = ipaddress.ip_network(source.settings.network)
    new = ipaddress.ip_network(network)
    if not isinstance(old, ipaddress.IPv4Network) or not isinstance(new, ipaddress.IPv4Network):
        raise HardenError("copy_lab: IPv4 networks only")
    if new.prefixlen != old.prefixlen or new.overlaps(old):
        raise HardenError(f"copy_lab: {network} must be a /{old.prefixlen} that does not overlap {old}")
    if destination.name == source.env:
        raise HardenError(f"copy_lab: the copy needs a name other than {source.env!r}")
    shutil.rmtree(destination, ignore_errors=True)
    shutil.copytree(source.inventory_path, destination)
    runtime_old, runtime_new = f"{RUNTIME_ROOT}/{source.env}/", f"{RUNTIME_ROOT}/{destination.name}/"
    for path in sorted(destination.rglob("*")):
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        path.write_text(move_addresses(text, old, new).replace(runtime_old, runtime_new), encoding="utf-8")
    return destination
