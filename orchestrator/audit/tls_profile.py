"""The public TLS profile (HR-<code>-06, area tls): a role whose ops module defines
``profile_targets(env)`` (the edge) gets, on each of those endpoints, the protocol versions and
the TLS 1.2 suites it accepts, judged against Mozilla's "intermediate" configuration: TLS 1.2 and
1.3 only, and TLS 1.2 suites of that profile only.

The probe runs with python3 on the host that serves the endpoint. A refusal counts only when the
server sends the alert (the client's own OpenSSL policy is lifted with SECLEVEL=0), so the probe
tells a server that refuses from a client that never asked; its suites include CBC, SHA-1,
static-RSA and 3DES ones, which the profile excludes. The edge's lab tests read the same probe.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable
from dataclasses import dataclass

from orchestrator.audit.model import Check, Finding, finding

PROBE = r"""
import json, socket, ssl, sys, warnings
warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.0 and 1.1 are offered on purpose
address, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
SUITES = ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305",
          "ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA", "ECDHE-ECDSA-AES128-SHA256",
          "ECDHE-ECDSA-AES256-SHA384", "AES128-GCM-SHA256", "AES128-SHA", "DES-CBC3-SHA"]
def attempt(version, ciphers=None, sni=name):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        ctx.set_ciphers((ciphers or "DEFAULT") + ":@SECLEVEL=0")
    except ssl.SSLError:
        return "unavailable in this client"
    ctx.minimum_version = ctx.maximum_version = version
    try:
        with socket.create_connection((address, port), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname=sni) as tls:
                return "ok " + tls.version() + " " + tls.cipher()[0]
    except ssl.SSLError as exc:
        return "refused " + exc.reason
    except OSError as exc:
        return "unreachable " + type(exc).__name__
V = ssl.TLSVersion
print(json.dumps({
    "versions": {v.name: attempt(v) for v in (V.TLSv1, V.TLSv1_1, V.TLSv1_2, V.TLSv1_3)},
    "suites": {s: attempt(V.TLSv1_2, s) for s in SUITES},
    "unknown_name": attempt(V.TLSv1_3, sni="nobody.harden.test"),
}))
"""

# Mozilla's "intermediate" TLS 1.2 suites (ssl-config.mozilla.org), by their OpenSSL names
MOZILLA_INTERMEDIATE_TLS12 = frozenset(
    {
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "ECDHE-RSA-CHACHA20-POLY1305",
        "DHE-RSA-AES128-GCM-SHA256",
        "DHE-RSA-AES256-GCM-SHA384",
        "DHE-RSA-CHACHA20-POLY1305",
    }
)


@dataclass(frozen=True)
class Target:
    host: str  # where the probe runs (the host that serves it)
    address: str
    port: int
    name: str  # the server name sent (SNI): one the endpoint has a certificate for

    @property
    def label(self) -> str:
        return f"{self.host} {self.address}:{self.port} {self.name}"


def command(target: Target) -> str:
    return f"python3 -c {shlex.quote(PROBE)} {shlex.quote(target.address)} {target.port} {shlex.quote(target.name)}"


def problems(scan: dict[str, dict[str, str]]) -> list[str]:
    """What keeps one endpoint's scan from the intermediate profile (empty: it meets it)."""
    found = []
    versions = scan.get("versions", {})
    for wanted in ("TLSv1_2", "TLSv1_3"):
        if not versions.get(wanted, "").startswith("ok"):
            found.append(f"{wanted} not served ({versions.get(wanted, 'not probed')})")
    for old in ("TLSv1", "TLSv1_1"):
        if not versions.get(old, "").startswith("refused"):
            found.append(f"{old} not refused by the server ({versions.get(old, 'not probed')})")
    accepted = {s for s, result in scan.get("suites", {}).items() if result.startswith("ok")}
    outside = sorted(accepted - MOZILLA_INTERMEDIATE_TLS12)
    if outside:
        found.append("TLS 1.2 suites outside the profile accepted: " + ", ".join(outside))
    if not accepted & MOZILLA_INTERMEDIATE_TLS12:
        found.append("no TLS 1.2 suite of the profile accepted")
    return found


def judge(check: Check, shown: dict[str, str], expected: Iterable[str]) -> Finding:
    """``shown``: target label -> the probe's JSON output; ``expected``: every target's label."""
    labels = list(expected)
    if not labels:
        return finding(check, False, ("profile targets", "no endpoint to probe: the role serves no name"))
    evidence, ok = [], True
    for label in labels:
        try:
            scan = json.loads(shown.get(label, "").strip().splitlines()[-1])
        except (ValueError, IndexError):
            ok = False
            evidence.append((label, "not probed (the host did not answer)"))
            continue
        wrong = problems(scan)
        ok = ok and not wrong
        accepted = sorted(s for s, r in scan["suites"].items() if r.startswith("ok"))
        evidence.append(
            (label, "; ".join(wrong) if wrong else f"TLS 1.2 and 1.3 only; TLS 1.2 suites {', '.join(accepted)}")
        )
    return finding(check, ok, *evidence)
