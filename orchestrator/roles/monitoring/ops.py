"""`harden monitoring status`: on each monitoring host, the scrape targets that are down and the
alerts that fire, read from Prometheus' and Alertmanager's own APIs on the host's loopback (over
SSH: neither listens anywhere else)."""

from __future__ import annotations

import json
from typing import Any

from orchestrator.clikit import StatusReport, Verdict
from orchestrator.roles.monitoring.targets import monitoring_hosts, rule_files
from orchestrator.validation import Environment

COLUMNS = ("host", "what", "name", "state", "detail")
WATCHDOG = "Watchdog"
# run on the monitoring host: Prometheus' targets, Alertmanager's alerts, as one JSON document
PROBE = """
import json, sys, urllib.request
ports = json.loads(sys.argv[1])
out = {}
alerts = "/api/v2/alerts?active=true&silenced=false&inhibited=false"
for key, url in (("targets", "http://127.0.0.1:%d/api/v1/targets?state=active" % ports["prometheus"]),
                 ("rules", "http://127.0.0.1:%d/api/v1/rules?type=alert" % ports["prometheus"]),
                 ("alerts", "http://127.0.0.1:%d%s" % (ports["alertmanager"], alerts))):
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            out[key] = json.load(answer)
    except (OSError, ValueError) as exc:
        out[key] = {"error": str(exc)}
print(json.dumps(out))
"""


def _read(env: Environment, host: str, model: Any) -> dict[str, Any]:
    import shlex

    from orchestrator.audit.providers import run_on

    ports = json.dumps(
        {"prometheus": model.monitoring_prometheus_port, "alertmanager": model.monitoring_alertmanager_port}
    )
    script = f"python3 -c {shlex.quote(PROBE)} {shlex.quote(ports)}\n"
    done = run_on(env, host, script)
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or ["ssh failed"]
        return {"targets": {"error": lines[-1]}, "alerts": {"error": lines[-1]}}
    return dict(json.loads(done.stdout))


def assess(
    host: str, seen: dict[str, Any], ruled: list[str] | None = None
) -> tuple[list[tuple[str, ...]], list[str], bool]:
    """Rows (every target down, every alert firing), reasons to act, and whether Prometheus answers.
    `ruled`: the roles whose alert rules Prometheus must have loaded (a group named after each)."""
    rows: list[tuple[str, ...]] = []
    reasons: list[str] = []
    targets = seen.get("targets", {})
    if "error" in targets:
        return rows, [f"{host}: Prometheus does not answer: {targets['error']}"], False
    active = targets.get("data", {}).get("activeTargets", [])
    for target in active:
        if target.get("health") != "up":
            labels = target.get("labels", {})
            name = f"{labels.get('job', '?')} {labels.get('instance', '?')}"
            rows.append((host, "target", name, str(target.get("health")), target.get("lastError", "")[:120]))
            reasons.append(f"{host}: target {name} is {target.get('health')}: {target.get('lastError', '')}")
    if not active:
        reasons.append(f"{host}: Prometheus has no scrape target")
    loaded = {g.get("name") for g in seen.get("rules", {}).get("data", {}).get("groups", [])}
    for role in ruled or []:
        if role not in loaded:
            reasons.append(f"{host}: no alert rules of {role} are loaded (orchestrator/roles/{role}/alerts.yml)")
    alerts = seen.get("alerts", {})
    if isinstance(alerts, dict) and "error" in alerts:
        reasons.append(f"{host}: Alertmanager does not answer: {alerts['error']}")
        return rows, reasons, True
    names = set()
    for alert in alerts:
        labels = alert.get("labels", {})
        names.add(labels.get("alertname"))
        if labels.get("alertname") == WATCHDOG:
            continue
        rows.append(
            (
                host,
                "alert",
                str(labels.get("alertname")),
                str(labels.get("severity", "")),
                str(alert.get("annotations", {}).get("summary", ""))[:120],
            )
        )
    if WATCHDOG not in names:
        reasons.append(
            f"{host}: the Watchdog alert does not reach Alertmanager: Prometheus does not evaluate rules or cannot send"
        )
    return rows, reasons, True


def report(env: Environment) -> StatusReport:
    """The common status. Healthy: on every monitoring host Prometheus scrapes every target, has
    loaded the alert rules of every role that ships some, and the Watchdog alert reaches
    Alertmanager; the alerts that fire are listed (they are the other roles'
    state, which their own status reports). Degraded: a target down, no Watchdog, or a monitoring
    host that does not answer. Down: no Prometheus answers."""
    title = f"{env.name}: monitoring (Prometheus, Alertmanager)"
    servers = monitoring_hosts(env)
    models = {h: m for h, m in env.role_vars.get("monitoring", {}).items() if h in servers}
    if not models:
        return StatusReport(title, COLUMNS, [], "down", [f"{env.name} does not run the monitoring role"])
    rows: list[tuple[str, ...]] = []
    reasons: list[str] = []
    answering = 0
    detail: dict[str, Any] = {}
    for host, model in sorted(models.items()):
        seen = _read(env, host, model)
        host_rows, host_reasons, up = assess(host, seen, sorted(rule_files(env)))
        alerts = seen.get("alerts")
        detail[host] = {
            "targets_down": [r[2] for r in host_rows if r[1] == "target"],
            "alerts": [a.get("labels", {}) for a in alerts] if isinstance(alerts, list) else [],
        }
        rows += host_rows
        reasons += host_reasons
        answering += up
    verdict: Verdict = "down" if answering == 0 else ("degraded" if reasons else "healthy")
    return StatusReport(title, COLUMNS, rows, verdict, reasons, detail)
