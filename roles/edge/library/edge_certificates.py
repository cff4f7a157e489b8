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
import socket
import ssl
import time

from ansible.module_utils.basic import AnsibleModule

try:
    from cryptography import x509
    from cryptography.x509.oid import ExtensionOID, NameOID
except ImportError:  # reported by the module
    x509 = None


def served(address, port, name):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the CA is checked by the lab tests; here: which certificate
    with socket.create_connection((address, port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname=name) as tls:
            return tls.getpeercert(binary_form=True)


def problem(der, name, now):
    cert = x509.load_der_x509_certificate(der)
    try:
        names = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
        dns = names.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        dns = []
    common = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    if "TRAEFIK DEFAULT CERT" in common:
        return "Traefik's self-signed default certificate (no ACME certificate yet)"
    if name not in dns:
        return f"a certificate for {', '.join(dns) or 'no name'}"
    not_after = cert.not_valid_after_utc if hasattr(cert, "not_valid_after_utc") else cert.not_valid_after
    if not_after.tzinfo is None:
        not_after = not_after.replace(tzinfo=datetime.timezone.utc)
    if not_after <= now:
        return f"a certificate that expired at {not_after.isoformat()}"
    return None


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
    if x509 is None:
        module.fail_json(msg="python3-cryptography is missing on the host")
    p = module.params
    deadline = time.monotonic() + p["timeout"]
    waiting = {name: "not checked yet" for name in p["names"]}
    while True:
        for name in list(waiting):
            try:
                found = problem(
                    served(p["address"], p["port"], name), name, datetime.datetime.now(datetime.timezone.utc)
                )
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
