#!/usr/bin/python
"""Ansible module: wait until every name is served with a certificate for it, from the ACME CA."""

from __future__ import annotations

DOCUMENTATION = r"""
module: edge_certificates
short_description: Wait until Traefik serves an ACME certificate for each name
description:
  - Connects to address:port with each name as SNI and reads the certificate served. A name is
    done when the certificate covers it, is valid now, and is not Traefik's self-signed default.
    Traefik orders certificates in the background after it starts; the module waits for them.
options:
  address: {description: Address to connect to., type: str, default: 127.0.0.1}
  port: {description: The TLS entry point's port., type: int, default: 443}
  names: {description: The names., type: list, elements: str, required: true}
  timeout: {description: Seconds to wait for every name., type: int, default: 180}
author: harden maintainers
"""

import datetime
import ssl
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.edge_tls import describe, problem, served

try:
    import cryptography
except ImportError:  # reported by the module
    cryptography = None


def main():
    module = AnsibleModule(
        argument_spec={
            "address": {"type": "str", "default": "127.0.0.1"},
            "port": {"type": "int", "default": 443},
            "names": {"type": "list", "elements": "str", "required": True},
            "timeout": {"type": "int", "default": 180},
        },
        supports_check_mode=True,
    )
    if cryptography is None:
        module.fail_json(msg="python3-cryptography is missing on the host")
    p = module.params
    deadline = time.monotonic() + p["timeout"]
    waiting = {name: "not checked yet" for name in p["names"]}
    while True:
        for name in list(waiting):
            try:
                info = describe(served(p["address"], p["port"], name))
                found = problem(info, name, datetime.datetime.now(datetime.UTC))
            except (OSError, ssl.SSLError) as exc:
                found = f"no TLS handshake ({exc})"
            if found is None:
                del waiting[name]
            else:
                waiting[name] = found
        if not waiting or time.monotonic() > deadline:
            break
        time.sleep(2)
    if waiting:
        detail = "; ".join(f"{n}: {why}" for n, why in sorted(waiting.items()))
        module.fail_json(
            msg=f"after {p['timeout']} s these names have no valid certificate: {detail}. "
            "Read `journalctl -u traefik` on the edge host for the ACME error (DNS, reachability of port 80/443, "
            "or the CA's rate limits)",
            waiting=waiting,
        )
    module.exit_json(changed=False, names=p["names"])


if __name__ == "__main__":
    main()
