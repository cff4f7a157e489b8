"""The lab's edge as the edge tests and bench/edge.py drive it: the backends on the app host, the
certificates each router serves, and a start from an empty certificate store."""

from __future__ import annotations

import json
import shlex

from bench.lab_env import LAB
from orchestrator.lab.config import LabConfig, load_lab_config
from tests.faults.lab_ssh import ssh

EDGE = "edge-1"
APP = "ops-1"  # the backends and the clients: the app side of the lab
_HOSTS = load_lab_config(LAB)
EDGE_ADDRESS = _HOSTS.host(EDGE).address
APP_ADDRESS = _HOSTS.host(APP).address
# the lab's routers (inventories/lab/group_vars/edge.yml): name -> (challenge, backend port)
ROUTES = {"app.harden.test": ("http", 8081), "tls.harden.test": ("tls", 8082), "dns.harden.test": ("dns", 8081)}
# the route to the app services' gateway (role app_services runs it: tests/integration/roles/app_services/)
APP_ROUTES = {"platform.harden.test": ("http", 8080)}
ALL_ROUTES = {**ROUTES, **APP_ROUTES}
ACME_STORE = "/var/lib/traefik/acme.json"
# trivial backends on the app host's private address, each with a /health file
BACKEND = f"""
set -e
for port in 8081 8082 8083; do
  mkdir -p /srv/edge-backend-$port
  echo "backend $port" > /srv/edge-backend-$port/index.html
  echo ok > /srv/edge-backend-$port/health
  systemctl is-active --quiet edge-backend-$port || systemd-run --unit=edge-backend-$port \
    python3 -m http.server $port --bind {APP_ADDRESS} --directory /srv/edge-backend-$port
done
"""
# Run on the edge host: stop Traefik, empty its store (the file stays, 0600), start it, and time
# each name's first TLS handshake with its own certificate from the start. Until a name has a
# certificate, sniStrict refuses the handshake.
_FIRST_CERTIFICATES = r"""
import json, socket, ssl, subprocess, sys, time
store, names = sys.argv[1], sys.argv[2:]
subprocess.run(["systemctl", "stop", "traefik"], check=True)
open(store, "w").close()
ctx = ssl.create_default_context()
ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
started = time.monotonic()
subprocess.run(["systemctl", "start", "traefik"], check=True)
served = {}
while len(served) < len(names) and time.monotonic() - started < 180:
    for name in set(names) - set(served):
        try:
            with socket.create_connection(("127.0.0.1", 443), timeout=2) as raw:
                with ctx.wrap_socket(raw, server_hostname=name) as tls:
                    der = tls.getpeercert(binary_form=True)
            # for a moment after a start, before its TLS options load, Traefik answers with
            # its self-signed default certificate: only the router's own certificate counts
            if name.encode() in der and b"TRAEFIK DEFAULT CERT" not in der:
                served[name] = round(time.monotonic() - started, 2)
        except (OSError, ssl.SSLError):
            pass
    time.sleep(0.05)
print(json.dumps(served))
"""


def served_serials(lab: LabConfig) -> dict[str, str]:
    out = {}
    for name in ROUTES:
        cmd = f"openssl s_client -connect 127.0.0.1:443 -servername {name} </dev/null 2>/dev/null"
        # empty while no certificate is served for the name (sniStrict: no handshake)
        out[name] = ssh(lab, EDGE, f"{cmd} | openssl x509 -noout -serial", check=False).strip()
    return out


def first_certificates(lab: LabConfig) -> dict[str, float]:
    """Start Traefik on an empty store; seconds from the start to each router's first certificate."""
    args = " ".join(shlex.quote(a) for a in (ACME_STORE, *ROUTES))
    served: dict[str, float] = json.loads(ssh(lab, EDGE, f"python3 -c {shlex.quote(_FIRST_CERTIFICATES)} {args}"))
    if sorted(served) != sorted(ROUTES):
        raise AssertionError(f"no certificate within 180 s for {sorted(set(ROUTES) - set(served))}")
    return served
