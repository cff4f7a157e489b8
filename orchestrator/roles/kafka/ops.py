"""`harden kafka status`: brokers, the KRaft quorum, and each topic's replication, read live.

The tools run on the first broker that answers, over SSH, as its root with the admin client
settings the role keeps there (/etc/kafka/admin.properties, 0600): no secret leaves the host or
reaches argv. Their output is read by the same parsers as the role's modules
(roles/kafka/module_utils/kafka_tools.py).
"""

from __future__ import annotations

import importlib.util
import shlex
import subprocess
from functools import cache
from types import ModuleType
from typing import Any

from orchestrator.clikit import StatusReport, Verdict
from orchestrator.errors import HardenError
from orchestrator.paths import ROLES_DIR
from orchestrator.tunnel import marked_sections, ssh_prefix
from orchestrator.validation import Environment

HOME = "/opt/kafka/current"
ADMIN_CONFIG = "/etc/kafka/admin.properties"
MARK = "=== harden:"
COLUMNS = ("node", "host", "roles", "quorum", "lag")


@cache
def tools() -> ModuleType:
    """The role's parsers (pure Python, shared with its Ansible modules)."""
    path = ROLES_DIR / "kafka" / "module_utils" / "kafka_tools.py"
    spec = importlib.util.spec_from_file_location("harden_kafka_tools", path)
    if spec is None or spec.loader is None:
        raise HardenError(f"{path}: cannot be loaded")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _settings(env: Environment) -> tuple[Any, list[str], list[str]]:
    brokers = env.inventory.group_hosts("kafka")
    if "kafka" not in env.role_vars or not brokers:
        raise HardenError(f"{env.name} does not run the kafka role")
    return env.role_vars["kafka"][brokers[0]], brokers, env.inventory.group_hosts("kafka_controllers")


def node_ids(brokers: list[str], controllers: list[str]) -> dict[str, int]:
    """The role's node ids (kafka_tools.node_ids, which its templates use too)."""
    return dict(tools().node_ids(brokers, controllers))


def _script(bootstrap: str) -> str:
    """One shell script that runs the three health reads side by side (each a JVM that takes
    seconds to start), then prints each output behind a marker line, in order."""
    t = tools()
    admin = t.admin_args(bootstrap, ADMIN_CONFIG)
    names = [name for name, _tool, _args in t.HEALTH_READS]
    runs = "".join(
        f'{shlex.join([*t.java_command(HOME, tool), *admin, *args])} >"$d/{name}" 2>&1 &\n'
        for name, tool, args in t.HEALTH_READS
    )
    show = "".join(f"echo '{MARK}{name}'; cat \"$d/{name}\"\n" for name in names)
    return f'd=$(mktemp -d)\n{runs}wait\n{show}rm -rf "$d"\n'


def _sections(out: str) -> dict[str, str]:
    return marked_sections(out, MARK)


def observe(env: Environment) -> dict[str, Any]:
    """The quorum, its replication and the topics, from the first broker that answers."""
    model, brokers, _ = _settings(env)
    errors = []
    for host in brokers:
        address, ssh = ssh_prefix(env, host)
        done = subprocess.run(
            [*ssh, "sh", "-s"],
            input=_script(f"{address}:{model.kafka_client_port}"),
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        parts = _sections(done.stdout)
        if done.returncode != 0 or "LeaderId" not in parts.get("status", ""):
            errors.append(f"{host}: {(parts.get('status') or done.stderr).strip().splitlines()[-1:]}")
            continue
        t = tools()
        return {
            "asked": host,
            "quorum": t.parse_quorum_status(parts["status"]),
            "replication": t.parse_quorum_replication(parts.get("replication", "")),
            "topics": t.parse_topics(parts.get("topics", "")),
        }
    raise HardenError("no broker answered: " + "; ".join(errors))


def assess(
    seen: dict[str, Any], brokers: list[str], controllers: list[str], min_isr: int, max_lag: int = 50
) -> list[str]:
    """Why the cluster needs an operator (empty: healthy): the rules the role's restarts wait on
    (kafka_tools.health_reasons), then topics below RF 3 / min ISR 2."""
    t = tools()
    ids = node_ids(brokers, controllers)
    reasons: list[str] = t.health_reasons(
        seen["quorum"],
        seen["replication"],
        seen["topics"],
        {ids[h]: h for h in controllers},
        {ids[h]: h for h in brokers},
        max_lag,
    )
    return reasons + list(t.durability_reasons(seen["topics"], min_isr))


def report(env: Environment) -> StatusReport:
    """The common status. Down: no broker answers, or the quorum has no leader. Degraded: a voter
    missing or lagging, a broker not registered, a partition offline or under-replicated, or a
    topic below RF 3 / min ISR 2."""
    try:
        model, brokers, controllers = _settings(env)
        seen = observe(env)
    except HardenError as exc:
        return StatusReport(f"{env.name}: Kafka", COLUMNS, [], "down", [str(exc)])
    ids = node_ids(brokers, controllers)
    rows_by_id = {r["node"]: r for r in seen["replication"]}
    rows = []
    for host, node in ids.items():
        roles = ",".join(r for r, group in (("broker", brokers), ("controller", controllers)) if host in group)
        row = rows_by_id.get(node)
        rows.append((str(node), host, roles, row["status"] if row else "absent", str(row["lag"]) if row else ""))
    reasons = assess(seen, brokers, controllers, model.kafka_min_insync_replicas)
    verdict: Verdict = "down" if seen["quorum"]["leader"] is None else ("degraded" if reasons else "healthy")
    counts = {name: tools().partition_counts(t) for name, t in seen["topics"].items()}
    topics = {
        name: {
            "partitions": t["partitions"],
            "replication_factor": t["replication_factor"],
            "min_insync_replicas": int(t["configs"].get("min.insync.replicas", model.kafka_min_insync_replicas)),
            "under_replicated": counts[name][1],
            "offline": counts[name][0],
        }
        for name, t in sorted(seen["topics"].items())
        if not name.startswith("__")  # internal topics count in the reasons, not in the table
    }
    leader = seen["quorum"]["leader"]
    title = f"{env.name}: Kafka, quorum leader node {leader}, {len(topics)} topics (asked {seen['asked']})"
    detail = {"quorum": seen["quorum"], "topics": topics}
    return StatusReport(title, COLUMNS, rows, verdict, reasons, detail)
