"""`harden apps status`: each app host's services, read live: the unit, the container's health
check, and the memory and pids limits in the container's own cgroup against the compose file's.

Over SSH, each app host runs PROBE (read-only: systemctl, podman inspect, /proc and the cgroup
files). The judging part, ``assess``, is pure and tested on recorded evidence.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

from orchestrator.clikit import StatusReport, Verdict
from orchestrator.compose.podman import ServiceUnit
from orchestrator.errors import HardenError
from orchestrator.tunnel import ssh_prefix
from orchestrator.validation import Environment

COLUMNS = ("host", "project", "service", "unit", "health", "memory (live / file)", "pids (live / file)")
UNITS = {"b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
PROBE = r"""
import json, subprocess, sys
def run(*argv):
    done = subprocess.run(argv, capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else ""
def read(path):
    try:
        with open(path) as fh:
            return fh.read().strip()
    except OSError:
        return ""
def cgroup_of(pid, controller):
    for line in read(f"/proc/{pid}/cgroup").splitlines():
        _, names, path = line.split(":", 2)
        if controller in names.split(",") or names == "":
            return path, names == ""
    return None, False
out = {}
for unit, container in json.loads(sys.argv[1]).items():
    seen = {"active": run("systemctl", "is-active", unit) or "inactive"}
    state = run("podman", "container", "inspect", "-f", "{{.State.Pid}} {{.State.Health.Status}}", container)
    pid, _, health = state.partition(" ")
    seen["health"] = health or ("none" if pid else "")
    if pid and pid != "0":
        for key, controller, v1, v2 in (("memory", "memory", "memory.limit_in_bytes", "memory.max"),
                                        ("pids", "pids", "pids.max", "pids.max")):
            path, unified = cgroup_of(pid, controller)
            root = "/sys/fs/cgroup" if unified else f"/sys/fs/cgroup/{controller}"
            seen[key] = read(f"{root}{path}/{v2 if unified else v1}") if path is not None else ""
    out[unit] = seen
print(json.dumps(out))
"""


def _size(value: str) -> int:
    number, unit = (value[:-1], value[-1].lower()) if value[-1:].isalpha() else (value, "b")
    return int(float(number) * UNITS[unit])


def _mib(value: str | None) -> str:
    """Bytes as MiB when whole ("max": no limit)."""
    if not value:
        return "-"
    if value.isdigit() and int(value) % UNITS["m"] == 0:
        return f"{int(value) // UNITS['m']}M"
    return value


def expected_limits(unit: ServiceUnit) -> dict[str, str]:
    """The memory (bytes) and pids limits the unit's `podman run` sets."""
    args = unit.args
    found = {}
    for flag, key in (("--memory", "memory"), ("--pids-limit", "pids")):
        if flag in args:
            value = args[args.index(flag) + 1]
            found[key] = str(_size(value)) if key == "memory" else value
    return found


def assess(
    host: str, project: str, units: list[ServiceUnit], seen: dict[str, Any]
) -> tuple[list[tuple[str, ...]], list[str], int]:
    """Rows, reasons to act, and how many services run healthy with their limits."""
    rows: list[tuple[str, ...]] = []
    reasons: list[str] = []
    good = 0
    for unit in units:
        got = seen.get(unit.unit, {})
        wanted = expected_limits(unit)
        problems = []
        if got.get("active") != "active":
            problems.append(f"unit {got.get('active', 'unknown')}")
        if got.get("health") not in ("healthy", "none"):
            problems.append(f"health check {got.get('health') or 'not running'}")
        for key, value in wanted.items():
            if got.get("active") == "active" and got.get(key) != value:
                problems.append(f"{key} limit {got.get(key) or 'unreadable'} in its cgroup, {value} in the file")
        if problems:
            reasons.append(f"{host}: {project}/{unit.service}: {', '.join(problems)}")
        else:
            good += 1
        memory = f"{_mib(got.get('memory'))} / {_mib(wanted.get('memory'))}"
        pids = f"{got.get('pids') or '-'} / {wanted.get('pids', '-')}"
        rows.append(
            (host, project, unit.service, str(got.get("active", "?")), str(got.get("health") or "-"), memory, pids)
        )
    return rows, reasons, good


def _probe(env: Environment, host: str, units: list[ServiceUnit]) -> dict[str, Any]:
    _, ssh = ssh_prefix(env, host)
    spec = json.dumps({u.unit: u.container for u in units})
    done = subprocess.run(
        [*ssh, "python3", "-", json.dumps(spec)], input=PROBE, capture_output=True, text=True, timeout=120, check=False
    )
    if done.returncode != 0:
        raise HardenError(f"{host}: {(done.stderr.strip().splitlines() or ['ssh failed'])[-1]}")
    return dict(json.loads(done.stdout))


def report(env: Environment) -> StatusReport:
    """Healthy: every service of every project runs, passes its health check and has the file's
    limits in its cgroup. Degraded: one does not, or a host does not answer. Down: none runs."""
    from orchestrator.roles.app_services.units import host_projects

    title = f"{env.name}: app services (Podman)"
    deployed = host_projects(env)
    if not deployed:
        return StatusReport(title, COLUMNS, [], "down", [f"{env.name} does not run the app_services role"])
    rows: list[tuple[str, ...]] = []
    reasons: list[str] = []
    good = 0
    for host, projects in sorted(deployed.items()):
        units = [u for _, _, services in projects for u in services]
        try:
            seen = _probe(env, host, units)
        except (HardenError, subprocess.TimeoutExpired, ValueError) as exc:
            reasons.append(str(exc))
            continue
        for project, _, services in projects:
            host_rows, host_reasons, host_good = assess(host, project.name, services, seen)
            rows += host_rows
            reasons += host_reasons
            good += host_good
    verdict: Verdict = "down" if good == 0 else ("degraded" if reasons else "healthy")
    return StatusReport(title, COLUMNS, rows, verdict, reasons)
