"""OpenSearch in the lab: what TLS on the HTTP layer costs, and how long a lost node takes to heal.

1. Indexing throughput (one client on ops-1, bulk requests of 200 documents over one kept-alive
   connection to data-1, 20 s a run) with harden's configuration, HTTPS, and then the same cluster
   with TLS off on the HTTP layer (opensearch.yml edited on every node and the nodes restarted,
   the bench's own change), side by side; `harden apply` then puts HTTPS back.
2. Time to green after a node loss: kill -9 of data-2 (systemd starts it again after 5 s) until the
   cluster is green with all three nodes, asked every second.

Usage (root, lab up with search applied, from the repository root): python -m bench.search [--runs 3]
Writes bench/search.md.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time
import uuid
from pathlib import Path

from bench.provenance import machine
from bench.tables import header, median_row
from orchestrator.lab.config import load_lab_config
from orchestrator.paths import REPO_ROOT
from orchestrator.roles.search.model import OPENSEARCH
from orchestrator.validation import validate_environment
from tests.faults import search_faults as sf

OUT = Path(__file__).with_name("search.md")
# the report's tables, in order (tests/unit/test_bench_reports.py)
TABLES = (
    ("HTTP layer", "documents/s, median", "ratio to plain HTTP", "runs (documents/s)"),
    ("fault", "green again, median (s)", "ratio", "runs (s)"),
)
HARDEN = str(REPO_ROOT / ".venv" / "bin" / "harden")


def _ssh(host: str, command: str) -> None:
    sf.lab_ssh_run(load_lab_config("lab"), command, host=host)


def _http_tls(enabled: bool) -> None:
    """The bench's own change: every node's HTTP layer with TLS on or off, all nodes restarted."""
    value = "true" if enabled else "false"
    for host in sf.NODES:
        _ssh(
            host,
            "sed -i 's/^plugins.security.ssl.http.enabled: .*/plugins.security.ssl.http.enabled: "
            f"{value}/' /etc/opensearch/opensearch.yml && systemctl restart opensearch",
        )


def _wait_green(auth: tuple[str, str], scheme: str, timeout: float = 300) -> float:
    lab = load_lab_config("lab")
    started = time.monotonic()
    path = f"/_cluster/health?wait_for_status=green&wait_for_nodes={len(sf.NODES)}&timeout=1s"
    while time.monotonic() - started < timeout:
        status, body = sf.request(lab, "GET", sf.url(lab, "data-1", path, scheme=scheme), auth)
        if status == 200 and '"status":"green"' in body:
            return time.monotonic() - started
        time.sleep(1)
    raise TimeoutError("the cluster did not turn green")


def _throughput(auth: tuple[str, str], scheme: str, runs: int) -> list[float]:
    lab = load_lab_config("lab")
    return [sf.throughput(lab, *auth, index=f"audit-bench-{uuid.uuid4().hex[:8]}", scheme=scheme) for _ in range(runs)]


def _time_to_green_after_kill(auth: tuple[str, str]) -> float:
    lab = load_lab_config("lab")
    _ssh("data-2", "systemctl kill -s KILL opensearch")
    started = time.monotonic()
    time.sleep(2)  # the other nodes notice the loss before the first question
    while not sf.green_with_every_node(lab, auth, timeout_s=1):
        if time.monotonic() - started > 300:
            raise TimeoutError("not green 300 s after the kill")
        time.sleep(1)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    users = sf.users(validate_environment("lab"))
    admin, audit = ("admin", users.passwords["admin"]), ("audit", users.passwords["audit"])
    rates = {"HTTPS (harden)": _throughput(audit, "https", args.runs)}
    _http_tls(False)
    try:
        _wait_green(admin, "http")
        rates["plain HTTP (TLS off, the bench's change)"] = _throughput(audit, "http", args.runs)
    finally:
        _http_tls(True)
        _wait_green(admin, "https")
    subprocess.run([HARDEN, "apply", "--env", "lab", "--role", "search"], check=True, capture_output=True)
    kills = [_time_to_green_after_kill(admin) for _ in range(args.runs)]
    plain = statistics.median(rates["plain HTTP (TLS off, the bench's change)"])
    lines = [
        f"# OpenSearch {OPENSEARCH.version} in the lab: TLS cost and healing",
        "",
        f"Produced by `python -m bench.search --runs {args.runs}` on {machine()}: the role's 3-node cluster "
        "(512m heaps, 1 replica), one client on ops-1 indexing in bulk (200 documents a request, one kept-alive "
        "connection, 20 s a run) as the `audit` user. Both HTTP settings measured in the same session.",
        "",
        *header(TABLES[0]),
    ]
    lines += [
        f"| {label} | {statistics.median(runs):.0f} | {statistics.median(runs) / plain:.2f}x | "
        f"{', '.join(f'{r:.0f}' for r in runs)} |"
        for label, runs in rates.items()
    ]
    lines += [
        "",
        "Time to green with all 3 nodes after kill -9 of data-2 (systemd starts it again after `RestartSec=5`), "
        "asked every second:",
        "",
        *header(TABLES[1]),
        median_row("kill -9 of data-2", kills, statistics.median(kills)),
    ]
    OUT.write_text("\n".join(lines) + "\n")
    print(OUT.read_text())


if __name__ == "__main__":
    main()
