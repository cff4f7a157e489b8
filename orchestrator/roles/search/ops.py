"""`harden search status`: cluster health, nodes, security and certificates, read live.

The requests run on the first node that answers, over SSH, with curl and the admin settings the
role keeps there (/etc/<engine>-admin/curlrc, 0600 root): the password neither leaves the host
nor reaches argv. Certificate expiry is read from what each node serves.
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from typing import Any

from orchestrator.clikit import StatusReport, Verdict
from orchestrator.errors import HardenError
from orchestrator.roles.search.model import SearchVars
from orchestrator.tunnel import marked_sections, ssh_prefix
from orchestrator.validation import Environment

TITLES = {"opensearch": "OpenSearch", "elasticsearch": "Elasticsearch"}
# the _cat/nodes column that marks the elected manager
MANAGER_COLUMN = {"opensearch": "cluster_manager", "elasticsearch": "master"}
MARK = "=== harden:"
COLUMNS = ("node", "address", "member", "manager", "certificate until")
EXPIRY_WARNING_DAYS = 30


def _script(addresses: dict[str, str], port: int, engine: str) -> str:
    first = next(iter(addresses.values()))
    url = f"https://{first}:{port}"
    curlrc, ca = f"/etc/{engine}-admin/curlrc", f"/etc/{engine}/tls/ca.crt"
    columns = f"name,ip,{MANAGER_COLUMN[engine]}"
    lines = [
        f"echo '{MARK}health'; curl -K {curlrc} '{url}/_cluster/health'; echo",
        f"echo '{MARK}nodes'; curl -K {curlrc} '{url}/_cat/nodes?format=json&h={columns}'; echo",
        f"echo '{MARK}anonymous'; curl -s -o /dev/null -w '%{{http_code}}' --cacert {ca} '{url}/'; echo",
        f"echo '{MARK}plaintext'; curl -s -o /dev/null -w '%{{http_code}}' 'http://{first}:{port}/'; echo",
    ]
    for host, address in addresses.items():
        lines.append(
            f"echo '{MARK}cert {host}'; echo | openssl s_client -connect {address}:{port} -CAfile {ca} "
            "2>/dev/null | openssl x509 -noout -enddate"
        )
    return "\n".join(lines) + "\n"


def _sections(out: str) -> dict[str, str]:
    return {k: v.strip() for k, v in marked_sections(out, MARK).items()}


def _not_after(text: str) -> datetime | None:
    value = text.strip().removeprefix("notAfter=")
    try:
        return datetime.strptime(value, "%b %d %H:%M:%S %Y %Z").replace(tzinfo=UTC)
    except ValueError:
        return None


def observe(env: Environment) -> dict[str, Any]:
    nodes = env.inventory.group_hosts("search")
    if "search" not in env.role_vars or not nodes:
        raise HardenError(f"{env.name} does not run the search role")
    model = env.role_vars["search"][nodes[0]]
    assert isinstance(model, SearchVars)
    errors = []
    addresses = {h: ssh_prefix(env, h)[0] for h in nodes}
    for host in nodes:
        _, ssh = ssh_prefix(env, host)
        order = {host: addresses[host], **{h: a for h, a in addresses.items() if h != host}}
        done = subprocess.run(
            [*ssh, "sh", "-s"],
            input=_script(order, model.search_http_port, model.search_flavor),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        parts = _sections(done.stdout)
        try:
            health = json.loads(parts.get("health", ""))
            members = json.loads(parts.get("nodes", ""))
        except json.JSONDecodeError:
            errors.append(f"{host}: {(parts.get('health') or done.stderr).strip()[-200:]}")
            continue
        if "status" not in health:
            errors.append(f"{host}: {json.dumps(health)[:200]}")
            continue
        return {
            "asked": host,
            "health": health,
            "nodes": members,
            "anonymous": parts.get("anonymous", ""),
            "plaintext": parts.get("plaintext", ""),
            "certificates": {h: _not_after(parts.get(f"cert {h}", "")) for h in nodes},
        }
    raise HardenError("no node answered: " + "; ".join(errors))


def assess(seen: dict[str, Any], nodes: list[str], now: datetime) -> tuple[Verdict, list[str]]:
    reasons = []
    health = seen["health"]
    status = health.get("status")
    present = {m.get("name") for m in seen["nodes"]}
    for host in nodes:
        if host not in present:
            reasons.append(f"node {host} is not in the cluster")
    if health.get("unassigned_shards"):
        reasons.append(f"{health['unassigned_shards']} unassigned shards")
    if status != "green":
        reasons.append(f"cluster health is {status}")
    for host, until in seen["certificates"].items():
        if until is None:
            reasons.append(f"{host}: no certificate could be read from its HTTPS port")
        elif (until - now).days < EXPIRY_WARNING_DAYS:
            reasons.append(f"{host}: its certificate expires on {until:%Y-%m-%d}")
    insecure = []
    if seen["anonymous"] != "401":
        insecure.append(f"a request without credentials got {seen['anonymous'] or 'no answer'}, not 401")
    if seen["plaintext"] not in ("000", ""):
        insecure.append(f"plain HTTP got an answer ({seen['plaintext']})")
    verdict: Verdict = "down" if status == "red" or insecure else ("degraded" if reasons else "healthy")
    return verdict, insecure + reasons


def _engine(env: Environment) -> str:
    models = list(env.role_vars.get("search", {}).values())
    return models[0].search_flavor if models and isinstance(models[0], SearchVars) else "opensearch"


def report(env: Environment) -> StatusReport:
    """The common status. Down: red, no node answers, or security is not on. Degraded: yellow, a node
    missing, unassigned shards, or a certificate expiring within 30 days."""
    engine = _engine(env)
    try:
        seen = observe(env)
    except HardenError as exc:
        return StatusReport(f"{env.name}: {TITLES[engine]}", COLUMNS, [], "down", [str(exc)])
    nodes = env.inventory.group_hosts("search")
    addresses = {h: ssh_prefix(env, h)[0] for h in nodes}
    by_name = {m.get("name"): m for m in seen["nodes"]}
    rows = []
    for host in nodes:
        member = by_name.get(host)
        until = seen["certificates"].get(host)
        rows.append(
            (
                host,
                addresses[host],
                "yes" if member else "absent",
                "elected" if member and member.get(MANAGER_COLUMN[engine]) == "*" else "",
                f"{until:%Y-%m-%d}" if until else "unknown",
            )
        )
    verdict, reasons = assess(seen, nodes, datetime.now(UTC))
    health = seen["health"]
    title = (
        f"{env.name}: {TITLES[engine]} cluster {health.get('cluster_name')}, {health.get('status')}, "
        f"{health.get('active_shards', 0)} active shards (asked {seen['asked']})"
    )
    detail = {
        "health": health,
        "security": {"anonymous": seen["anonymous"], "plaintext": seen["plaintext"]},
        "certificates": {h: (u.isoformat() if u else None) for h, u in seen["certificates"].items()},
    }
    return StatusReport(title, COLUMNS, rows, verdict, reasons, detail)
