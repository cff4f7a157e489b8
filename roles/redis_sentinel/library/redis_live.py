#!/usr/bin/python
"""Ansible module: converge a running Redis or Sentinel to desired settings, with check and diff mode."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: redis_live
short_description: Converge the live settings of Redis (CONFIG SET) or Sentinel (SENTINEL SET)
description:
  - Redis and Sentinel rewrite their own configuration files, so files cannot be the source of
    truth for what runs. This module compares what the server reports with the desired settings
    and changes only the differences, live, then lets the server persist them
    (CONFIG REWRITE for Redis; Sentinel flushes its own file). It never touches replication roles.
options:
  port:
    description: Port on 127.0.0.1.
    type: int
    required: true
  user:
    description: ACL user to authenticate as (Redis); omitted for Sentinel's requirepass.
    type: str
  tls_dir:
    description:
      - Directory with ca.crt, redis.crt and redis.key (the role's, from pki). The connection is
        then TLS: the server's certificate must come from that CA and name the address dialled,
        and this node shows its own certificate. Empty for a plaintext server.
    type: str
    default: ""
  password:
    description: Password.
    type: str
    required: true
    no_log: true
  mode:
    description: C(server) for Redis, C(sentinel) for Sentinel.
    type: str
    choices: [server, sentinel]
    default: server
  master_name:
    description: Monitored master name (sentinel mode).
    type: str
  settings:
    description: Name to desired value.
    type: dict
    required: true
  secret_settings:
    description:
      - Name to desired value, for settings whose values are secret (masterauth). A no_log
        parameter, so the values never reach job events; diffs show them masked.
    type: dict
    default: {}
  acl_load:
    description: Run ACL LOAD first (the ACL file changed).
    type: bool
    default: false
author: harden maintainers
"""

EXAMPLES = r"""
- name: Converge Redis
  redis_live:
    port: 6379
    user: admin
    password: "{{ admin_password }}"
    settings: {maxmemory: "268435456", appendonly: "yes"}
"""

RETURN = r"""
changed_settings:
  description: Names of the settings that were (or would be) changed.
  type: list
  returned: always
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.harden_resp import Resp, tls_files


def _pairs(items: list[Any]) -> dict[str, str]:
    return {str(items[i]): str(items[i + 1]) for i in range(0, len(items) - 1, 2)}


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "port": {"type": "int", "required": True},
            "user": {"type": "str"},
            "password": {"type": "str", "required": True, "no_log": True},
            "tls_dir": {"type": "str", "default": ""},
            "mode": {"type": "str", "choices": ["server", "sentinel"], "default": "server"},
            "master_name": {"type": "str"},
            "settings": {"type": "dict", "required": True},
            "secret_settings": {"type": "dict", "default": {}, "no_log": True},
            "acl_load": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    p = module.params

    def connect() -> Resp:
        conn = Resp(p["port"], "127.0.0.1", **tls_files(p["tls_dir"]))
        conn.call(*(["AUTH", p["user"], p["password"]] if p["user"] else ["AUTH", p["password"]]))
        return conn

    try:
        if p["acl_load"] and not module.check_mode:
            # ACL LOAD may close connections of users it reloads, ours included: use a fresh one after
            connect().call("ACL", "LOAD")
        conn = connect()
        if p["mode"] == "sentinel":
            current = _pairs(conn.call("SENTINEL", "MASTER", p["master_name"]))
        else:
            current = {}
            for name in {**p["settings"], **p["secret_settings"]}:
                current.update(_pairs(conn.call("CONFIG", "GET", name)))
    except (OSError, RuntimeError, ConnectionError) as exc:
        module.fail_json(msg=f"cannot read live settings on port {p['port']}: {exc}")
    desired = {k: str(v) for k, v in {**p["settings"], **p["secret_settings"]}.items()}
    changed = sorted(k for k, v in desired.items() if current.get(k) != v)
    if changed and not module.check_mode:
        try:
            for name in changed:
                if p["mode"] == "sentinel":
                    conn.call("SENTINEL", "SET", p["master_name"], name, desired[name])
                else:
                    conn.call("CONFIG", "SET", name, desired[name])
            if p["mode"] == "server":
                conn.call("CONFIG", "REWRITE")
        except RuntimeError as exc:
            module.fail_json(msg=f"setting {changed}: {exc}", changed_settings=changed)

    def show(name: str, value: str | None) -> str:
        return "********" if name in p["secret_settings"] else str(value)

    result: dict[str, Any] = {"changed": bool(changed) or p["acl_load"], "changed_settings": changed}
    if module._diff and changed:
        result["diff"] = {
            "before": "".join(f"{k} {show(k, current.get(k))}\n" for k in changed),
            "after": "".join(f"{k} {show(k, desired[k])}\n" for k in changed),
            "before_header": f"live {p['mode']} settings",
            "after_header": f"live {p['mode']} settings",
        }
    module.exit_json(**result)


if __name__ == "__main__":
    main()
