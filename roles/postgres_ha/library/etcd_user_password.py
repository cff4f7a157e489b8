#!/usr/bin/python
"""Ansible module: make an etcd user's password the given one, through etcd's JSON gateway."""

from __future__ import annotations

DOCUMENTATION = r"""
module: etcd_user_password
short_description: Check an etcd user's password and set it when it differs, with check mode
description:
  - Authenticates as the user with the desired password; when that fails, authenticates as the
    login user and changes the password. Passwords are no_log parameters sent over TLS in request
    bodies: never on a command line (etcdctl's --user) or in a process environment (ETCDCTL_PASSWORD).
  - In check mode a password that differs is reported as a change, so `harden plan` shows the drift.
options:
  endpoint:
    description: Client URL of an etcd member (https).
    type: str
    required: true
  ca_path:
    description: CA certificate that signed the member's certificate.
    type: path
    required: true
  name:
    description: The user whose password is converged.
    type: str
    required: true
  password:
    description: Its desired password.
    type: str
    required: true
    no_log: true
  login_user:
    description: A user allowed to change passwords (root).
    type: str
    required: true
  login_password:
    description: Its password.
    type: str
    required: true
    no_log: true
author: harden maintainers
"""

EXAMPLES = r"""
- name: Converge Patroni's etcd password
  etcd_user_password:
    endpoint: https://127.0.0.1:2379
    ca_path: /etc/etcd/tls/ca.crt
    name: patroni
    password: "{{ patroni_password }}"
    login_user: root
    login_password: "{{ root_password }}"
"""

RETURN = r"""
valid_before:
  description: Whether the desired password was already the user's.
  type: bool
  returned: always
"""

import json
import ssl
import urllib.error
import urllib.request
from typing import Any

from ansible.module_utils.basic import AnsibleModule


class EtcdError(Exception):
    pass


def call(endpoint: str, context: ssl.SSLContext, path: str, body: dict[str, Any], token: str | None = None) -> Any:
    req = urllib.request.Request(f"{endpoint}/v3/{path}", data=json.dumps(body).encode(), method="POST")
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", token)
    try:
        with urllib.request.urlopen(req, context=context, timeout=10) as resp:
            return json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")[:200]
        raise EtcdError(f"{path}: HTTP {exc.code}: {detail}") from exc


def authenticate(endpoint: str, context: ssl.SSLContext, name: str, password: str) -> str | None:
    try:
        return str(call(endpoint, context, "auth/authenticate", {"name": name, "password": password})["token"])
    except EtcdError:
        return None


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "endpoint": {"type": "str", "required": True},
            "ca_path": {"type": "path", "required": True},
            "name": {"type": "str", "required": True},
            "password": {"type": "str", "required": True, "no_log": True},
            "login_user": {"type": "str", "required": True},
            "login_password": {"type": "str", "required": True, "no_log": True},
        },
        supports_check_mode=True,
    )
    p = module.params
    context = ssl.create_default_context(cafile=p["ca_path"])
    try:
        if authenticate(p["endpoint"], context, p["name"], p["password"]) is not None:
            module.exit_json(changed=False, valid_before=True)
        if module.check_mode:
            module.exit_json(changed=True, valid_before=False)
        token = authenticate(p["endpoint"], context, p["login_user"], p["login_password"])
        if token is None:
            module.fail_json(msg=f"etcd refused the {p['login_user']} login: its password is not the one in Vault")
        call(p["endpoint"], context, "auth/user/changepw", {"name": p["name"], "password": p["password"]}, token)
    except (OSError, EtcdError, KeyError, ValueError) as exc:
        module.fail_json(msg=f"etcd at {p['endpoint']}: {exc}")
    module.exit_json(changed=True, valid_before=False)


if __name__ == "__main__":
    main()
