"""The lab's edge: time to a first certificate for each ACME challenge, and load through Traefik
next to the same backend hit directly.

Certificates: ``--cert-runs`` times, Traefik on edge-1 is stopped, its acme.json emptied and Traefik
started; the time from the start to each router's first TLS handshake is recorded (Pebble on
ops-1 is the CA; the three orders run at once, as they do on a real first start).

Load: wrk (Debian, in the lab image) on ops-1, against a trivial asyncio HTTP backend on ops-1's
private address: straight to it over plain HTTP, and through Traefik over TLS (the app-tls router,
its rate limit raised for the bench), and Traefik's own :80 redirect, in turn, ``--runs`` times each.

Usage (root, lab up, lab_acme and edge applied, from the repository root):
python -m bench.edge [--cert-runs 5] [--runs 3] [--seconds 10] [--connections 32]
Writes bench/edge.md, and leaves the lab as applied.
"""

from __future__ import annotations

import argparse
import re
import shlex
import statistics
import subprocess
import tempfile
from pathlib import Path

import yaml

from bench.lab_env import HARDEN, LAB, copy_lab_with
from bench.provenance import machine
from bench.tables import header, median_row
from orchestrator.lab.config import LabConfig, load_lab_config
from orchestrator.roles.edge.model import TRAEFIK
from tests.faults.edge_faults import APP, APP_ADDRESS, BACKEND, EDGE_ADDRESS, ROUTES, first_certificates
from tests.faults.lab_ssh import ssh

OUT = Path(__file__).with_name("edge.md")
# the report's tables, in order (tests/unit/test_bench_reports.py)
TABLES = (
    ("challenge", "median (s)", "ratio to HTTP-01", "runs (s)"),
    ("target", "requests/s, median", "ratio to direct", "p50 (ms)", "p99 (ms)", "runs (requests/s)"),
)
ROUTE, NAME, PORT = "app-tls", "tls.harden.test", 8082
LOAD_BACKEND, LOAD_UNIT = "/srv/edge-bench-backend.py", "edge-bench-backend"
# keep-alive HTTP/1.1, one fixed answer to every request: the cheapest backend a proxy can have
LOAD_BACKEND_SCRIPT = (
    f"ADDRESS = {APP_ADDRESS!r}\n"
    + """
import asyncio
ANSWER = b"HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: 3\\r\\n\\r\\nok\\n"
class Answer(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport, self.pending = transport, b""
    def data_received(self, data):
        self.pending += data
        while b"\\r\\n\\r\\n" in self.pending:
            self.pending = self.pending.split(b"\\r\\n\\r\\n", 1)[1]
            self.transport.write(ANSWER)
async def main():
    server = await asyncio.get_running_loop().create_server(Answer, ADDRESS, 8082, backlog=1024)
    await server.serve_forever()
asyncio.run(main())
"""
)
UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def harden(*args: str) -> None:
    done = subprocess.run([HARDEN, *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"harden {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")


def wrk(lab: LabConfig, url: str, seconds: int, connections: int) -> dict[str, float]:
    out = ssh(lab, APP, f"wrk -t2 -c{connections} -d{seconds}s --latency {shlex.quote(url)}")
    latency = {p: float(v) * UNIT[u] for p, v, u in re.findall(r"^\s+(50|99)%\s+([0-9.]+)(us|ms|s)$", out, re.M)}
    rps = re.search(r"^Requests/sec:\s+([0-9.]+)", out, re.M)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    if rps is None or set(latency) != {"50", "99"} or bad or errors:
        raise SystemExit(f"wrk {url}: failed requests or unreadable output:\n{out}")
    return {"rps": float(rps.group(1)), "p50": latency["50"], "p99": latency["99"]}


def certificates(lab: LabConfig, runs: int) -> dict[str, list[float]]:
    by_challenge: dict[str, list[float]] = {challenge: [] for challenge, _ in ROUTES.values()}
    for _ in range(runs):
        for name, seconds in first_certificates(lab).items():
            by_challenge[ROUTES[name][0]].append(seconds)
    return by_challenge


def load(lab: LabConfig, workdir: Path, runs: int, seconds: int, connections: int) -> dict[str, list[dict[str, float]]]:
    env = copy_lab_with(workdir, "edge", "")
    edge_vars = env / "group_vars" / "edge.yml"
    data = yaml.safe_load(edge_vars.read_text())
    route = next(r for r in data["edge_routes"] if r["name"] == ROUTE)
    route["rate_limit_average"] = route["rate_limit_burst"] = 1000000  # measure the proxy, not its limiter
    edge_vars.write_text(yaml.safe_dump(data, sort_keys=False))
    ssh(lab, APP, f"cat > {LOAD_BACKEND}", stdin=LOAD_BACKEND_SCRIPT)
    ssh(
        lab,
        APP,
        f"systemctl stop edge-backend-{PORT} 2>/dev/null; systemd-run --unit={LOAD_UNIT} python3 {LOAD_BACKEND}",
    )
    ssh(lab, APP, f"grep -q ' {NAME}$' /etc/hosts || echo '{EDGE_ADDRESS} {NAME}' >> /etc/hosts")
    targets = {
        "the backend, direct": f"http://{APP_ADDRESS}:{PORT}/",
        "Traefik alone: the :80 redirect": f"http://{NAME}/",
        "the backend through Traefik (TLS)": f"https://{NAME}/",
    }
    results: dict[str, list[dict[str, float]]] = {label: [] for label in targets}
    try:
        harden("apply", "--env", str(env), "--role", "edge")
        for url in targets.values():  # warm-up, not recorded
            wrk(lab, url, 2, connections)
        for _ in range(runs):
            for label, url in targets.items():
                results[label].append(wrk(lab, url, seconds, connections))
    finally:
        ssh(lab, APP, f"sed -i '/ {NAME}$/d' /etc/hosts; systemctl stop {LOAD_UNIT}", check=False)
        ssh(lab, APP, BACKEND)
        harden("apply", "--env", LAB, "--role", "edge")
    return results


def report(
    args: argparse.Namespace, versions: str, certs: dict[str, list[float]], loads: dict[str, list[dict[str, float]]]
) -> str:
    names = {"http": "HTTP-01", "tls": "TLS-ALPN-01", "dns": "DNS-01 (RFC 2136 to BIND)"}
    base = statistics.median(certs["http"])
    lines = [
        "# The edge in the lab",
        "",
        f"Produced by `python -m bench.edge --cert-runs {args.cert_runs} --runs {args.runs} --seconds "
        f"{args.seconds} --connections {args.connections}` on {machine()}: Traefik {TRAEFIK.version} on edge-1, "
        f"{versions} on ops-1 (role lab_acme), every lab host a systemd-nspawn container on the same machine.",
        "",
        "## Time to a first certificate",
        "",
        "Traefik stopped, acme.json emptied, Traefik started: seconds from the start to the first TLS handshake "
        "with each router's own certificate (until then sniStrict refuses the name; for a moment after a start, "
        "before its TLS options load, Traefik answers any name with its self-signed default certificate). The "
        "three orders run at once, as on a real first start; each includes a new ACME account, the challenge, "
        "Pebble's validation and the download.",
        "",
        *header(TABLES[0]),
    ]
    lines += [median_row(names[challenge], times, base) for challenge, times in certs.items()]
    direct = loads["the backend, direct"]
    base_rps = statistics.median(r["rps"] for r in direct)
    lines += [
        "",
        "## Load through Traefik",
        "",
        f"wrk on ops-1, 2 threads, {args.connections} keep-alive connections, {args.seconds} s per run, the "
        "targets in turn, after a 2 s warm-up of each. The backend is a one-answer asyncio HTTP server on "
        "ops-1's private address; through Traefik the request also crosses TLS (an ECDSA P-256 certificate), "
        "the security headers, the rate limiter (raised for the bench) and the retry middleware (2 retries). "
        "Every response was 2xx or 3xx, with no socket errors (the bench stops otherwise). Client, proxy and backend "
        "share the machine's cores, so the ratio, not the absolute rate, is what carries over. The :80 "
        "redirect is Traefik answering by itself over plain HTTP: what Traefik costs without TLS or a backend.",
        "",
        *header(TABLES[1]),
    ]
    for label, runs in loads.items():
        rps = statistics.median(r["rps"] for r in runs)
        p50 = statistics.median(r["p50"] for r in runs)
        p99 = statistics.median(r["p99"] for r in runs)
        each = ", ".join(f"{r['rps']:.0f}" for r in runs)
        lines.append(f"| {label} | {rps:.0f} | {rps / base_rps:.2f}x | {p50:.2f} | {p99:.2f} | {each} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3, help="load runs per target")
    parser.add_argument("--cert-runs", type=int, default=5, help="starts from an empty store")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    lab = load_lab_config(LAB)
    ssh(lab, APP, BACKEND)
    certs = certificates(lab, args.cert_runs)
    with tempfile.TemporaryDirectory() as tmp:
        loads = load(lab, Path(tmp), args.runs, args.seconds, args.connections)
    versions = ssh(lab, APP, "dpkg-query -W -f '${Package} ${Version}, ' pebble bind9").strip().rstrip(",")
    OUT.write_text(report(args, versions, certs, loads))
    print(OUT.read_text())


if __name__ == "__main__":
    main()
