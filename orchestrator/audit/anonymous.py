"""Anonymous access (HR-<code>-05, area auth): each port that declares an ``anonymous`` probe
(orchestrator/roles/spec.py, Port) is asked, from the host that listens on it, what a client
without credentials would ask, and must refuse it.

A probe speaks the service's own protocol over TLS, without a client certificate and without
verifying the server's (what an intruder would do; HR-<code>-03 checks the certificates):

- ``http METHOD PATH [BODY]``: the request without credentials, with the inventory name as SNI
  and Host;
  a 2xx is an answer, any other status served nothing (401 and 403; etcd's gateway says 400 "user
  name is empty"; a sealed Vault 503; the edge with its dashboard off 404): Vault without a
  token, OpenSearch without a user, etcd's KV API, the edge's dashboard;
- ``postgres``: PostgreSQL's SSLRequest, then a startup as user postgres: the server must ask
  for a password or refuse (AuthenticationOk would be trust);
- ``redis``: PING: NOAUTH is a refusal, PONG an answer;
- ``kafka``: a Metadata request without the SASL handshake: the broker must close the connection.

A TLS handshake the server ends (it wants a client certificate) or a closed connection is a
refusal too, and so is a port that takes no connection (whether it should is the health and TLS
checks' to say), as long as some port of the role took one: when none does, the service does not
run and the check fails. A host that cannot be asked fails the check (unread).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable

from orchestrator.audit.model import Check, Finding, finding
from orchestrator.audit.providers import Endpoint, tls_endpoints
from orchestrator.roles.spec import RoleSpec
from orchestrator.validation import Environment

MARK = "=== harden-anonymous:"


# Runs with python3 on the listening host (every managed host has it: Ansible needs it). It reads
# the targets as JSON from its first argument and prints one JSON line per target after its mark.
PROBE = r"""
import json, socket, ssl, struct, sys

def tls(sock, name):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx.wrap_socket(sock, server_hostname=name)

def read(s, n=4096):
    try:
        return s.recv(n)
    except (OSError, ssl.SSLError) as exc:
        return ("closed: " + type(exc).__name__).encode()

def http(s, host, method, path, body=""):
    data = body.encode()
    s.sendall((f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n"
               f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n").encode() + data)
    answer = b""
    while len(answer) < 65536:
        chunk = read(s)
        if not chunk or chunk.startswith(b"closed: "):
            break
        answer += chunk
    text = answer.decode("latin-1")
    parts = text.split(" ", 2)
    if not text.startswith("HTTP/") or len(parts) < 2:
        return True, "no HTTP answer: " + (text[:60] or "closed")
    status, said = parts[1], text.partition("\r\n\r\n")[2].strip().replace("\n", " ")[:100]
    # 2xx: the request was served without credentials; anything else served nothing
    return not status.startswith("2"), f"HTTP {status}: {said}" if said else f"HTTP {status}"

def postgres(s, address):
    s.sendall(struct.pack(">ii", 8, 80877103))
    if s.recv(1) != b"S":
        return False, "no TLS offered"
    s = tls(s, address)
    params = b"user\0postgres\0database\0postgres\0\0"
    s.sendall(struct.pack(">ii", 8 + len(params), 196608) + params)
    reply = read(s)
    if reply[:1] == b"R" and len(reply) >= 9:
        code = struct.unpack(">i", reply[5:9])[0]
        asks = {3: "a password", 5: "an MD5 password", 10: "SASL (SCRAM)"}
        if code in asks:
            return True, "asks for " + asks[code]
        return code != 0, "authentication code %d%s" % (code, " (trust: no password)" if code == 0 else "")
    if reply[:1] == b"E":
        fields = [f[1:].decode("utf-8", "replace") for f in reply[5:].split(b"\0") if f[:1] == b"M"]
        return True, "error: " + (fields[0] if fields else "no message")
    return True, reply[:60].decode("latin-1") or "closed"

def redis(s, address):
    s = tls(s, address)
    s.sendall(b"*1\r\n$4\r\nPING\r\n")
    reply = read(s).decode("latin-1").strip()
    if reply.startswith("+PONG"):
        return False, "PING answered PONG"
    return True, reply[:80] or "closed"

def kafka(s, address):
    s = tls(s, address)
    body = struct.pack(">hhih", 3, 1, 7, -1) + struct.pack(">i", -1)
    s.sendall(struct.pack(">i", len(body)) + body)
    reply = read(s)
    if len(reply) >= 8 and struct.unpack(">i", reply[4:8])[0] == 7:
        return False, "Metadata answered without SASL"
    return True, "closed without an answer" if not reply or reply.startswith(b"closed") else reply[:60].hex()

for target in json.loads(sys.argv[1]):
    kind, *args = target["probe"].split(" ", 3)
    print("=== harden-anonymous:" + target["label"])
    try:
        sock = socket.create_connection((target["address"], target["port"]), timeout=5)
    except OSError as exc:
        print(json.dumps({"refused": None, "saw": "not reachable: " + type(exc).__name__}))
        continue
    sock.settimeout(5)
    try:
        if kind == "http":  # SNI and Host: the inventory name (the edge routes its dashboard by it)
            sock = tls(sock, target["host"])
            refused, saw = http(sock, target["host"], *args)
        else:
            refused, saw = {"postgres": postgres, "redis": redis, "kafka": kafka}[kind](sock, target["address"])
    except ssl.SSLError as exc:
        refused, saw = True, "TLS ended by the server: " + (exc.reason or type(exc).__name__)
    except OSError as exc:
        refused, saw = True, "closed: " + type(exc).__name__
    finally:
        sock.close()
    print(json.dumps({"refused": refused, "saw": saw}))
"""


def targets(env: Environment, spec: RoleSpec) -> list[Endpoint]:
    """Every port of the role with a probe, on every host that listens on it (and has it enabled)."""
    return tls_endpoints(env, spec, lambda port: bool(port.anonymous))


def script(spec: RoleSpec, found: Iterable[Endpoint]) -> str:
    """The probe of each endpoint (the probe its Port declares), for the host they listen on."""
    probes = {p.var: p.anonymous for p in spec.ports if p.anonymous}
    data = [
        {"label": e.label, "host": e.host, "address": e.address, "port": e.port, "probe": probes[e.name]} for e in found
    ]
    return f"python3 -c {shlex.quote(PROBE)} {shlex.quote(json.dumps(data))}\n"


def judge(check: Check, shown: dict[str, str], expected: list[str]) -> Finding:
    """``shown``: target label -> the probe's JSON line; ``expected``: every target's label."""
    if not expected:
        return finding(check, True, ("role ports", "no port to probe on any host of this environment"))
    evidence, ok, reached = [], True, 0
    for label in expected:
        try:
            seen = json.loads(shown.get(label, "").strip().splitlines()[-1])
        except (ValueError, IndexError):
            seen = {"refused": None, "saw": "not probed (the host did not answer)"}
        refused, saw = seen.get("refused"), str(seen.get("saw"))
        if refused is None and saw.startswith("not reachable"):
            # answers no one, so no one anonymously: whether it should answer is HR-<code>-01's and
            # -03's to say (a stopped replica fails those, and only those)
            evidence.append((label, f"refused: {saw}"))
            continue
        ok = ok and refused is True
        reached += refused is not None
        verdict = {True: "refused", False: "NOT refused"}.get(refused, "unread")
        evidence.append((label, f"{verdict}: {saw}"))
    if not reached:  # nothing runs: there is no service whose refusal could be seen
        return finding(check, False, *evidence, ("every port", "none took a connection: the service does not run"))
    return finding(check, ok, *evidence)
