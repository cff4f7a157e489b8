"""What Prometheus scrapes and which rules it loads, derived from the environment.

Nothing here is a list someone keeps: the targets come from the roles the environment enables
(their specs' ports and groups), and each role's alert rules from ``alerts.yml`` in its own
declaration folder, ``orchestrator/roles/<role>/`` (tested by ``alerts_test.yml`` beside it,
``promtool test rules`` in tests/unit/roles/monitoring/).

- ``node``: node_exporter on every host of the inventory, over mutual TLS;
- ``patroni``: Patroni's own ``/metrics`` on each PostgreSQL host (REST API, TLS);
- ``vault``: each OpenBao node's ``/v1/sys/health`` through the blackbox exporter (503: sealed),
  and ``vault_leader``: its ``/v1/sys/leader`` (does it name a leader);
- ``redis``: each Redis server through the Redis exporter on the monitoring host, which logs in
  over TLS as the ACL user ``monitoring`` (role, replicas, memory);
- ``tls``: every TLS port of every role (``Port(tls=TLS)``) through the blackbox exporter: the
  handshake against the internal CA and the certificate's end date.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator.roles.spec import LOCAL, TLS, Opening, RoleSpec

if TYPE_CHECKING:
    from orchestrator.validation import Environment

ROLES_PACKAGE = Path(__file__).resolve().parent.parent
RULES_FILE = "alerts.yml"
RULES_TEST_FILE = "alerts_test.yml"
# the Prometheus client certificate's folder on the monitoring hosts (pki's entry point issue)
PROMETHEUS_TLS_DIR = "/etc/prometheus/tls"
ROLE = "monitoring"


def rules_path(role: str) -> Path:
    return ROLES_PACKAGE / role / RULES_FILE


# a threshold a rule takes from the role's inventory: ${<role variable>} (Prometheus' own templates
# are {{ ... }} and $labels, $value: never with a brace after the dollar)
SETTING = re.compile(r"\$\{([a-z][a-z0-9_]*)\}")


def rules_text(text: str, settings: Any, where: str) -> str:
    """A rules file with each ${variable} replaced by that role variable's value in `settings` (the
    role's model: a group-wide threshold such as redis_sentinel_min_replicas_to_write)."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if settings is None or not hasattr(settings, name):
            raise ValueError(f"{where}: ${{{name}}} is not a variable of the role")
        found = getattr(settings, name)
        if not isinstance(found, int | float) or isinstance(found, bool):
            raise ValueError(f"{where}: ${{{name}}} is not a number ({found!r})")
        return str(found)

    return SETTING.sub(value, text)


def rule_files(env: Environment) -> dict[str, str]:
    """The alert rules of every role the environment enables that ships some, by role, with its
    thresholds from the inventory (the role's model on its first host), in base64: their
    annotations are Prometheus templates ({{ $labels.instance }}), which Ansible would otherwise
    take for its own."""
    found = {}
    for spec in env.roles(()):
        path = rules_path(spec.name)
        if not path.is_file():
            continue
        models = env.role_vars.get(spec.name, {})
        settings = models[sorted(models)[0]] if models else None
        found[spec.name] = base64.b64encode(rules_text(path.read_text(), settings, str(path)).encode()).decode()
    return found


def monitoring_hosts(env: Environment) -> list[str]:
    """The hosts that run Prometheus (the role's main group), if the environment runs the role."""
    from orchestrator.roles import ROLES

    return env.inventory.group_hosts(ROLES[ROLE].vars_group) if ROLE in env.settings.roles else []


def _address(env: Environment, host: str) -> str:
    from orchestrator.roles.baseline.firewall import host_address

    return host_address(env, host)


def _spec(env: Environment, role: str) -> RoleSpec | None:
    return next((s for s in env.roles(()) if s.name == role), None)


def _value(env: Environment, role: str, host: str, var: str) -> Any:
    model = env.role_vars.get(role, {}).get(host)
    return getattr(model, var) if model is not None else None


def probed_tls_ports(env: Environment) -> list[tuple[RoleSpec, Any]]:
    """Every TLS endpoint of every enabled role that a monitoring host can reach (not loopback-only
    ones, not monitoring's own: node_exporter wants a client certificate, and is scraped)."""
    from orchestrator.audit.providers import tls_endpoints

    found = []
    for spec in env.roles(()):
        if spec.name == ROLE:
            continue
        for endpoint in tls_endpoints(env, spec, lambda p: p.tls == TLS and LOCAL not in p.sources):
            found.append((spec, endpoint))
    return found


def _job(name: str, kind: str, targets: list[dict[str, Any]], module: str = "") -> dict[str, Any]:
    return {"job": name, "kind": kind, "module": module, "targets": targets}


def _target(host: str, address: str, number: int, role: str = "", url: str = "", **labels: str) -> dict[str, Any]:
    """A target of `host` at address:port; a probe's target is a URL there (`url`: "https://{}/path")."""
    where = f"{address}:{number}"
    return {
        "host": host,
        "port": number,
        "address": url.format(where) if url else where,
        "labels": {"instance": host, **({"role": role} if role else {}), **labels},
    }


def scrape_jobs(env: Environment) -> list[dict[str, Any]]:
    """The scrape jobs, each with its targets and their labels (prometheus.yml.j2 renders them)."""
    monitoring = monitoring_hosts(env)
    node_port = _value(env, ROLE, monitoring[0], "monitoring_node_exporter_port") if monitoring else 0
    jobs = [_job("node", "mtls", [_target(h, _address(env, h), node_port) for h in sorted(env.inventory.hosts)])]
    if _spec(env, "postgres_ha") is not None:
        patroni = [
            _target(h, _address(env, h), _value(env, "postgres_ha", h, "postgres_ha_restapi_port"), "postgres_ha")
            for h in env.inventory.group_hosts("postgres")
        ]
        jobs.append(_job("patroni", "tls", patroni))
    vault = _spec(env, "vault")
    if vault is not None:
        api = {h: (_address(env, h), _value(env, "vault", h, "vault_api_port")) for h in vault.hosts(env.inventory)}
        health = "https://{}/v1/sys/health?standbyok=true&perfstandbyok=true"
        jobs.append(_job("vault", "probe", [_target(h, *a, "vault", health) for h, a in api.items()], "vault_health"))
        leader = [_target(h, *a, "vault", "https://{}/v1/sys/leader") for h, a in api.items()]
        jobs.append(_job("vault_leader", "probe", leader, "vault_leader"))
    if _spec(env, "redis_sentinel") is not None:
        servers = []
        for h in env.inventory.group_hosts("redis"):
            scheme = "rediss" if _value(env, "redis_sentinel", h, "redis_sentinel_tls_enabled") else "redis"
            port = _value(env, "redis_sentinel", h, "redis_sentinel_port")
            # no role label: the exporter's redis_instance_info has its own (master, slave)
            servers.append(_target(h, _address(env, h), port, url=scheme + "://{}"))
        jobs.append(_job("redis", "redis", servers))
    tls = [
        _target(e.host, e.address, e.port, spec.name, port=spec.port_name(e.name)) for spec, e in probed_tls_ports(env)
    ]
    jobs.append(_job("tls", "probe", tls, "tls_connect"))
    return [job for job in jobs if job["targets"]]


def openings(env: Environment) -> list[Opening]:
    """What the monitoring hosts connect to on other hosts, besides node_exporter (a port of this
    role): Patroni's REST API, OpenBao's API, Redis (the exporter) and every probed TLS port."""
    sources = tuple(_address(env, h) for h in monitoring_hosts(env))
    if not sources:
        return []
    found: dict[tuple[str, int], Opening] = {}
    for job in scrape_jobs(env):
        if job["job"] == "node":
            continue
        for t in job["targets"]:
            found.setdefault((t["host"], t["port"]), Opening(t["host"], f"monitoring-{job['job']}", t["port"], sources))
    return list(found.values())


def monitoring_host_vars(env: Environment) -> dict[str, dict[str, Any]]:
    """The monitoring hosts' derived variables: the scrape jobs and every role's rules."""
    jobs = scrape_jobs(env)
    rules = rule_files(env)
    return {
        host: {
            "_monitoring_scrape_jobs": jobs,
            "_monitoring_rule_files": rules,
            "_monitoring_prometheus_tls_dir": PROMETHEUS_TLS_DIR,
        }
        for host in monitoring_hosts(env)
    }
