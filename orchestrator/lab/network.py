"""The lab's network: a switch namespace with a bridge, and one namespace per host.

Nothing is added to the machine's own network: every address lives inside namespaces made here.
"""

from __future__ import annotations

from pathlib import Path

from orchestrator.lab.config import LabConfig, LabHost
from orchestrator.lab.sh import run

NETNS_DIR = Path("/run/netns")
BRIDGE = "br0"


def netns_exists(name: str) -> bool:
    return (NETNS_DIR / name).exists()


def lab_namespaces(env: str) -> list[str]:
    if not NETNS_DIR.is_dir():
        return []
    return sorted(p.name for p in NETNS_DIR.iterdir() if p.name.startswith(f"hl-{env}-"))


def ensure_switch(config: LabConfig) -> None:
    ns = config.switch_netns
    if netns_exists(ns):
        return
    run(["ip", "netns", "add", ns])
    run(["ip", "-n", ns, "link", "set", "lo", "up"])
    run(["ip", "-n", ns, "link", "add", BRIDGE, "type", "bridge"])
    run(["ip", "-n", ns, "addr", "add", f"{config.settings.gateway}/{config.prefix_len}", "dev", BRIDGE])
    run(["ip", "-n", ns, "link", "set", BRIDGE, "up"])


def ensure_host_network(config: LabConfig, host: LabHost) -> None:
    ns = config.netns(host)
    if netns_exists(ns):
        return
    switch_port = f"vh{host.index}"
    run(["ip", "netns", "add", ns])
    run(["ip", "-n", ns, "link", "set", "lo", "up"])
    run(
        [
            "ip",
            "-n",
            config.switch_netns,
            "link",
            "add",
            switch_port,
            "type",
            "veth",
            "peer",
            "name",
            "eth0",
            "netns",
            ns,
        ]
    )
    run(["ip", "-n", config.switch_netns, "link", "set", switch_port, "master", BRIDGE])
    run(["ip", "-n", config.switch_netns, "link", "set", switch_port, "up"])
    run(["ip", "-n", ns, "addr", "add", f"{host.address}/{config.prefix_len}", "dev", "eth0"])
    run(["ip", "-n", ns, "link", "set", "eth0", "up"])
    run(["ip", "-n", ns, "route", "add", "default", "via", config.settings.gateway])


def delete_namespaces(env: str) -> None:
    for ns in lab_namespaces(env):
        run(["ip", "netns", "delete", ns], check=False)
