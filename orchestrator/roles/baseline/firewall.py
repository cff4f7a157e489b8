"""The host firewall's rules, derived from the environment: every enabled role's ports (its spec's
``ports``), opened on the hosts that listen, to the hosts that need them. Nothing here is a list
someone keeps by hand: a role that lands later opens its ports through its own spec.

Each host gets ``harden_firewall_rules`` (baseline's nftables template reads it):
one rule per port, with the addresses (or names, which the host resolves) allowed to connect, or
``any``. SSH is opened to baseline_firewall_ssh_from and baseline_firewall_admin_networks.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from orchestrator.roles.spec import ANY, CLIENTS, CONTAINERS, LOCAL, PEERS, Port, RoleSpec

if TYPE_CHECKING:
    from orchestrator.validation import Environment

RULES_VAR = "harden_firewall_rules"
SSH_PORT = 22


# Podman's bridges under netavark: podman0, podman1, ... (one per container network)
CONTAINER_INTERFACES = "podman*"


def host_address(env: Environment, host: str) -> str:
    """Where the host is reached: its ansible_host, else its inventory name (resolved on the host)."""
    given = env.inventory.host_vars.get(host, {}).get("ansible_host")
    value = getattr(given, "value", given)
    return str(value) if value else host


def is_address(value: str) -> bool:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True


def _baseline(env: Environment, host: str) -> Any:
    return env.role_vars.get("baseline", {}).get(host)


def _sources(env: Environment, spec: RoleSpec, port: Port, host: str) -> list[str] | None:
    """Addresses that may connect to ``port`` on ``host``; None: anyone."""
    if ANY in port.sources:
        return None
    groups: list[str] = []
    hosts: set[str] = set()
    for source in port.sources:
        if source == PEERS:
            hosts |= set(spec.hosts(env.inventory))
        elif source == CLIENTS:
            groups += list(_baseline(env, host).baseline_firewall_clients)
        else:
            groups.append(source)
    for group in groups:
        hosts |= set(env.inventory.group_hosts(group))
    hosts.discard(host)  # its own traffic comes in over loopback
    return sorted({host_address(env, h) for h in hosts})


def _split(rule: dict[str, Any], sources: list[str] | None) -> dict[str, Any]:
    """The rule with its sources sorted into IPv4, IPv6 and names the host resolves (``any``: all)."""
    if sources is None:
        return {**rule, "any": True, "v4": [], "v6": [], "names": []}
    v4 = sorted(a for a in sources if is_address(a) and ipaddress.ip_network(a, strict=False).version == 4)
    v6 = sorted(a for a in sources if is_address(a) and ipaddress.ip_network(a, strict=False).version == 6)
    names = sorted(a for a in sources if not is_address(a))
    return {**rule, "any": False, "v4": v4, "v6": v6, "names": names}


def _listeners(env: Environment, spec: RoleSpec, port: Port) -> list[str]:
    groups = port.groups or spec.groups
    return sorted({h for g in groups for h in env.inventory.group_hosts(g)})


def firewall_rules(env: Environment) -> dict[str, list[dict[str, Any]]]:
    """Per host, the ports it opens and to whom, for every role the environment enables."""
    rules: dict[str, list[dict[str, Any]]] = {h: [] for h in env.inventory.hosts}
    for host, found in rules.items():
        base = _baseline(env, host)
        if base is None:
            continue
        ssh_from = {host_address(env, h) for g in base.baseline_firewall_ssh_from for h in env.inventory.group_hosts(g)}
        ssh_from |= {str(n) for n in base.baseline_firewall_admin_networks}
        ssh_from.discard(host_address(env, host))
        ssh = {"role": "baseline", "name": "ssh", "port": SSH_PORT, "proto": "tcp"}
        found.append(_split(ssh, sorted(ssh_from)))
        for allow in base.baseline_firewall_allow:
            allowed = {host_address(env, h) for g in allow.from_groups for h in env.inventory.group_hosts(g)}
            allowed |= {str(n) for n in allow.from_networks}
            allowed.discard(host_address(env, host))
            rule = {"role": "baseline", "name": allow.name, "port": allow.port, "proto": allow.proto}
            found.append(_split(rule, None if allow.from_any else sorted(allowed)))
    for spec in env.roles(()):
        values = env.role_vars.get(spec.name, {})
        for port in spec.ports:
            if LOCAL in port.sources:
                continue
            for host in _listeners(env, spec, port):
                model = values.get(host)
                if model is None or (port.enabled_by and not getattr(model, port.enabled_by)):
                    continue
                name = spec.port_name(port.var)
                number = port.number or int(getattr(model, port.var))
                rule = {"role": spec.name, "name": name, "port": number, "proto": port.proto}
                if CONTAINERS in port.sources:  # from the host's own container bridges, by interface
                    rules[host].append({**_split(rule, []), "iifname": CONTAINER_INTERFACES})
                    continue
                rules[host].append(_split(rule, _sources(env, spec, port, host)))
        for opening in spec.openings(env) if spec.openings else []:
            rule = {"role": spec.name, "name": opening.name, "port": opening.port, "proto": opening.proto}
            own = host_address(env, opening.host)
            rules[opening.host].append(_split(rule, sorted(set(opening.sources) - {own})))
    return rules


def inventory_host(env: Environment, address: str) -> str | None:
    """The inventory host reached at ``address`` (its ansible_host or its name), if any."""
    return next((h for h in env.inventory.hosts if address in (h, host_address(env, h))), None)


def firewall_host_vars(env: Environment) -> dict[str, dict[str, Any]]:
    """baseline's derived variables: each host's rules (an empty list where baseline does not run)."""
    return {
        host: {RULES_VAR: found, "_baseline_fw_container_interfaces": CONTAINER_INTERFACES}
        for host, found in firewall_rules(env).items()
        if _baseline(env, host)
    }
