"""`harden edge status`: each edge host's routes and the certificate it serves for each name, read live.

Over SSH, each edge host runs roles/edge/module_utils/edge_tls.py (the same code the role's health
check uses) against its own TLS entry point with each route's names as SNI, and asks Traefik's ping.
"""

from __future__ import annotations

import datetime
import json
import subprocess
from typing import Any

from orchestrator.clikit import StatusReport, Verdict
from orchestrator.errors import HardenError
from orchestrator.paths import ROLES_DIR
from orchestrator.tunnel import ssh_prefix
from orchestrator.validation import Environment

COLUMNS = ("host", "router", "name", "issuer", "not after", "days left")
EDGE_TLS = ROLES_DIR / "edge" / "module_utils" / "edge_tls.py"
PROBE = """
import json, sys, urllib.request
spec = json.loads(sys.argv[1])
out = {"ping": None, "names": {}}
try:
    with urllib.request.urlopen("http://127.0.0.1:%d/ping" % spec["ping_port"], timeout=5) as answer:
        out["ping"] = answer.status
except OSError as exc:
    out["ping"] = str(exc)
for name in spec["names"]:
    try:
        out["names"][name] = describe(served("127.0.0.1", spec["port"], name))
    except Exception as exc:
        out["names"][name] = {"error": str(exc)}
print(json.dumps(out))
"""


def _probe(env: Environment, host: str, model: Any) -> dict[str, Any]:
    names = [n for route in model.edge_routes for n in route.hosts]
    spec = json.dumps({"names": names, "port": model.edge_https_port, "ping_port": model.edge_ping_port})
    _, ssh = ssh_prefix(env, host)
    done = subprocess.run(
        [*ssh, "python3", "-", json.dumps(spec)],
        input=EDGE_TLS.read_text() + PROBE,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise HardenError(f"{host}: {(done.stderr.strip().splitlines() or ['ssh failed'])[-1]}")
    return dict(json.loads(done.stdout))


def assess(
    host: str, model: Any, seen: dict[str, Any], now: datetime.datetime
) -> tuple[list[tuple[str, ...]], list[str], bool]:
    """Rows, reasons to act, and whether this host serves at all."""
    namespace: dict[str, Any] = {}
    exec(compile(EDGE_TLS.read_text(), str(EDGE_TLS), "exec"), namespace)  # our own file, as on the host
    rows: list[tuple[str, ...]] = []
    reasons: list[str] = []
    if seen["ping"] != 200:
        reasons.append(f"{host}: Traefik does not answer its ping ({seen['ping']})")
    for route in model.edge_routes:
        for name in route.hosts:
            info = seen["names"].get(name) or {"error": "not probed"}
            if "error" in info:
                rows.append((host, route.name, name, "-", "-", "-"))
                reasons.append(f"{host}: {name}: no TLS handshake ({info['error']})")
                continue
            left = namespace["days_left"](info, now)
            rows.append((host, route.name, name, info["issuer"], info["not_after"][:16], f"{left:.1f}"))
            why = namespace["problem"](info, name, now)
            if why:
                reasons.append(f"{host}: {name}: {why}")
            elif namespace["renewal_overdue"](info, now):
                reasons.append(
                    f"{host}: {name}: {left:.1f} days left, past the renewal point (read journalctl -u traefik)"
                )
    return rows, reasons, bool(seen["ping"] == 200)


def report(env: Environment) -> StatusReport:
    """The common status. Down: no edge host answers its ping. Degraded: a name without a valid
    ACME certificate, one past its renewal point, or an edge host that does not answer."""
    title = f"{env.name}: edge (Traefik)"
    models = env.role_vars.get("edge", {})
    if not models:
        return StatusReport(title, COLUMNS, [], "down", [f"{env.name} does not run the edge role"])
    now = datetime.datetime.now(datetime.UTC)
    rows: list[tuple[str, ...]] = []
    reasons: list[str] = []
    serving = 0
    detail: dict[str, Any] = {}
    for host, model in sorted(models.items()):
        try:
            seen = _probe(env, host, model)
        except (HardenError, subprocess.TimeoutExpired, ValueError) as exc:
            reasons.append(str(exc))
            continue
        detail[host] = seen
        host_rows, host_reasons, up = assess(host, model, seen, now)
        rows += host_rows
        reasons += host_reasons
        serving += up
    verdict: Verdict = "down" if serving == 0 else ("degraded" if reasons else "healthy")
    return StatusReport(title, COLUMNS, rows, verdict, reasons, detail)


def profile_targets(env: Environment) -> list[Any]:
    """harden audit's public TLS profile check (orchestrator/audit/tls_profile.py, HR-EDGE-06):
    each edge host's public entry point, asked on its own address with the first route's first
    name (the TLS options are the entry point's, the same for every name)."""
    from orchestrator.audit.tls_profile import Target
    from orchestrator.roles.baseline.firewall import host_address

    models: dict[str, Any] = dict(env.role_vars.get("edge", {}))
    return [
        Target(host, host_address(env, host), int(model.edge_https_port), model.edge_routes[0].hosts[0])
        for host, model in sorted(models.items())
        if model.edge_routes
    ]
