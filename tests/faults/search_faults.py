"""The search cluster in the lab, as a client sees it: requests with each user's password, and a steady
indexing load that counts what was acknowledged. Shared by the role's tests and bench/search.py.

Requests run on ops-1 (the CA host, outside the cluster), with the CA's certificate; passwords
reach the remote Python on stdin, never on argv.
"""

from __future__ import annotations

import json
import shlex
import subprocess
from dataclasses import dataclass
from typing import Any

from orchestrator.lab.config import LabConfig
from orchestrator.lab.manager import ssh_command
from orchestrator.validation import Environment
from tests.faults.role_users import role_user_passwords

CLIENT = "ops-1"
CA = "/etc/harden-ca/ca.crt"
NODES = ("data-1", "data-2", "data-3")
PORT = 9200

# One request, or a list of them; stdin: {"requests": [...], "auth": [user, password] | null}.
REQUEST = r"""
import base64, json, ssl, sys, urllib.request, urllib.error
job = json.load(sys.stdin)
ctx = ssl.create_default_context(cafile=job["ca"])
out = []
for r in job["requests"]:
    req = urllib.request.Request(r["url"], method=r["method"],
        data=json.dumps(r["body"]).encode() if r.get("body") is not None else None,
        headers={"Content-Type": "application/json"})
    if r.get("auth"):
        req.add_header("Authorization", "Basic " + base64.b64encode(":".join(r["auth"]).encode()).decode())
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=30) as resp:
            out.append([resp.status, resp.read().decode()])
    except urllib.error.HTTPError as e:
        out.append([e.code, e.read().decode()])
    except Exception as e:
        out.append([0, repr(e)])
print(json.dumps(out))
"""

# Index documents one at a time, round-robin over the nodes (the next one on a connection
# error, as a client with several hosts does), until /run/harden-load-stop exists. Then report
# how many were acknowledged (201) and which of those a fresh read does not find.
LOAD = r"""
import base64, json, os, ssl, sys, time, urllib.request, urllib.error
job = json.load(sys.stdin)
ctx = ssl.create_default_context(cafile=job["ca"])
auth = "Basic " + base64.b64encode(":".join(job["auth"]).encode()).decode()
stop = "/run/harden-load-stop"
def call(url, method, body=None):
    req = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json", "Authorization": auth})
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, {}
    except Exception:
        return 0, {}
acked, errors, n, i = [], 0, 0, 0
started = time.monotonic()
while not os.path.exists(stop) and time.monotonic() - started < job["max_s"]:
    doc = f"doc-{n}"
    status, _ = call(f"{job['urls'][i % len(job['urls'])]}/{job['index']}/_doc/{doc}?op_type=create", "PUT", {"n": n})
    if status == 201:
        acked.append(doc)
    else:
        errors += 1
        i += 1
        time.sleep(0.05)
    n += 1
elapsed = time.monotonic() - started
missing = []
for k in range(0, len(acked), 500):
    status, body = call(f"{job['urls'][0]}/{job['index']}/_mget", "POST", {"ids": acked[k:k + 500]})
    missing += [d["_id"] for d in body.get("docs", []) if not d.get("found")] if status == 200 else acked[k:k + 500]
print(json.dumps({"acked": len(acked), "errors": errors, "missing": missing[:20], "lost": len(missing),
                  "seconds": elapsed}))
"""


@dataclass(frozen=True)
class Users:
    passwords: dict[str, str]


def users(env: Environment) -> Users:
    """Every user's password from Vault: admin and each of search_users (the lab's audit and
    reports at least), none empty."""
    found = role_user_passwords(env, "search")
    assert {"admin", "audit", "reports"} <= set(found), sorted(found)
    assert all(found.values())
    return Users(found)


def url(lab: LabConfig, host: str, path: str = "", scheme: str = "https", port: int = PORT) -> str:
    return f"{scheme}://{lab.host(host).address}:{port}{path}"


def _remote_python(lab: LabConfig, script: str, job: dict[str, Any], timeout: float) -> Any:
    done = subprocess.run(
        ssh_command(lab, lab.host(CLIENT), f"python3 -c {shlex.quote(script)}"),
        input=json.dumps({"ca": CA, **job}),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def requests(lab: LabConfig, calls: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """Each call: url, method, optional body and auth ([user, password]); returns (status, body)."""
    assert calls
    return [(int(s), b) for s, b in _remote_python(lab, REQUEST, {"requests": calls}, 120)]


def request(
    lab: LabConfig, method: str, target: str, auth: tuple[str, str] | None, body: Any = None
) -> tuple[int, str]:
    return requests(lab, [{"url": target, "method": method, "auth": list(auth) if auth else None, "body": body}])[0]


class Load:
    """A steady indexing load from ops-1 as one user, until stop(); then its count of acknowledged
    documents and of those a fresh read does not find."""

    def __init__(self, lab: LabConfig, user: str, password: str, index: str, max_s: int = 900) -> None:
        self.lab = lab
        lab_ssh_run(lab, "rm -f /run/harden-load-stop")
        job = {"auth": [user, password], "index": index, "max_s": max_s, "urls": [url(lab, h) for h in NODES]}
        self.proc = subprocess.Popen(
            ssh_command(lab, lab.host(CLIENT), f"python3 -c {shlex.quote(LOAD)}"),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"ca": CA, **job}))
        self.proc.stdin.close()

    def stop(self) -> dict[str, Any]:
        lab_ssh_run(self.lab, "touch /run/harden-load-stop")
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self.proc.wait(timeout=300)
        out, err = self.proc.stdout.read(), self.proc.stderr.read()
        assert self.proc.returncode == 0, err
        result: dict[str, Any] = json.loads(out)
        return result


def lab_ssh_run(lab: LabConfig, command: str, host: str = CLIENT) -> str:
    done = subprocess.run(ssh_command(lab, lab.host(host), command), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, (host, command, done.stderr)
    return done.stdout


# Bulk indexing over one kept-alive connection to one node for job["seconds"]: documents per second.
THROUGHPUT = r"""
import base64, http.client, json, ssl, sys, time
job = json.load(sys.stdin)
auth = "Basic " + base64.b64encode(":".join(job["auth"]).encode()).decode()
if job["scheme"] == "https":
    conn = http.client.HTTPSConnection(job["host"], job["port"], context=ssl.create_default_context(cafile=job["ca"]))
else:
    conn = http.client.HTTPConnection(job["host"], job["port"])
headers = {"Content-Type": "application/x-ndjson", "Authorization": auth}
n, started = 0, time.monotonic()
while time.monotonic() - started < job["seconds"]:
    lines = []
    for _ in range(job["batch"]):
        lines.append(json.dumps({"index": {"_index": job["index"]}}))
        lines.append(json.dumps({"n": n, "event": "login", "user": f"u{n % 997}"}))
        n += 1
    conn.request("POST", "/_bulk", body="\n".join(lines) + "\n", headers=headers)
    resp = conn.getresponse()
    body = json.loads(resp.read())
    assert resp.status == 200 and not body["errors"], (resp.status, str(body)[:300])
print(json.dumps({"docs": n, "seconds": time.monotonic() - started}))
"""


def throughput(
    lab: LabConfig, user: str, password: str, index: str, scheme: str = "https", seconds: int = 20, batch: int = 200
) -> float:
    """Documents per second that one client indexes in bulk through data-1's HTTP port."""
    job = {"auth": [user, password], "index": index, "scheme": scheme, "host": lab.host("data-1").address}
    result = _remote_python(lab, THROUGHPUT, {**job, "port": PORT, "seconds": seconds, "batch": batch}, seconds + 120)
    return float(result["docs"]) / float(result["seconds"])


def green_with_every_node(lab: LabConfig, auth: tuple[str, str], timeout_s: int = 5) -> bool:
    """Whether health is green with every node, asked of a node that is up."""
    path = f"/_cluster/health?wait_for_status=green&wait_for_nodes={len(NODES)}&timeout={timeout_s}s"
    for host in NODES:
        status, body = request(lab, "GET", url(lab, host, path), auth)
        if status in (200, 408):
            seen = json.loads(body)
            return bool(seen.get("status") == "green" and not seen.get("timed_out"))
    return False


def assert_transport_refuses_strangers(lab: LabConfig, engine: str, port: int) -> None:
    """From data-1 to data-2's transport port: a handshake without a client certificate, or with
    one of another CA, is ended by an alert; with data-1's node certificate it completes."""
    target = f"{lab.host('data-2').address}:{port}"
    tls = f"/etc/{engine}/tls"
    rogue = f"/tmp/rogue-{engine}"

    def probe(extra: str) -> str:
        command = f"sleep 2 | timeout 10 openssl s_client -connect {target} -CAfile {tls}/ca.crt {extra} 2>&1"
        return lab_ssh_run(lab, command + " || true", host="data-1")

    lab_ssh_run(
        lab,
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=search-rogue "
        f"-keyout {rogue}.key -out {rogue}.crt 2>/dev/null",
        host="data-1",
    )
    try:
        none = probe("")
        stranger = probe(f"-cert {rogue}.crt -key {rogue}.key")
        node = probe(f"-cert {tls}/node.crt -key {tls}/node.pk8.key")
    finally:
        lab_ssh_run(lab, f"rm -f {rogue}.key {rogue}.crt", host="data-1")
    assert "Verify return code: 0 (ok)" in node and "alert" not in node.lower(), node
    for refused in (none, stranger):
        assert "alert" in refused.lower() or "handshake failure" in refused.lower(), refused
