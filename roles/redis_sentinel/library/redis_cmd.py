#!/usr/bin/python
"""Ansible module: one Redis or Sentinel command, authenticated by a no_log parameter."""

from __future__ import annotations

DOCUMENTATION = r"""
module: redis_cmd
short_description: Run one Redis or Sentinel command, like redis-cli, without the password on a command line
description:
  - redis-cli takes its password from argv or from REDISCLI_AUTH; both end up in the remote
    command line that ps shows. This module takes it as a no_log parameter and speaks RESP itself.
  - changed is always false: the caller decides what a command changed. Like ansible.builtin.command
    it does not run in check mode unless the task sets check_mode: false.
options:
  host:
    description: Server address.
    type: str
    default: 127.0.0.1
  port:
    description: Server port.
    type: int
    required: true
  user:
    description: ACL user (Redis); omitted for Sentinel's requirepass.
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
  command:
    description: The command and its arguments.
    type: list
    elements: str
    required: true
author: harden maintainers
"""

EXAMPLES = r"""
- name: Ask a Sentinel for the master
  redis_cmd:
    port: 26379
    password: "{{ sentinel_password }}"
    command: [SENTINEL, get-master-addr-by-name, mymaster]
"""

RETURN = r"""
stdout:
  description: The reply as redis-cli prints it without a tty (one element per line).
  type: str
  returned: always
stdout_lines:
  description: stdout split into lines.
  type: list
  returned: always
rc:
  description: 0, or 1 for an error reply or a connection failure.
  type: int
  returned: always
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.harden_resp import Resp, tls_files


def render(reply: Any) -> list[str]:
    """redis-cli's raw output: nil is empty, arrays one element per line (nested flattened)."""
    if reply is None:
        return [""]
    if isinstance(reply, list):
        return [line for item in reply for line in render(item)]
    return str(reply).replace("\r\n", "\n").split("\n")


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "host": {"type": "str", "default": "127.0.0.1"},
            "port": {"type": "int", "required": True},
            "user": {"type": "str"},
            "password": {"type": "str", "required": True, "no_log": True},
            "tls_dir": {"type": "str", "default": ""},
            "command": {"type": "list", "elements": "str", "required": True},
        },
        supports_check_mode=False,
    )
    p = module.params
    try:
        conn = Resp(p["port"], p["host"], **tls_files(p["tls_dir"]))
        conn.call(*(["AUTH", p["user"], p["password"]] if p["user"] else ["AUTH", p["password"]]))
        lines = render(conn.call(*p["command"]))
    except (OSError, RuntimeError, ConnectionError) as exc:
        module.fail_json(msg=f"{p['command'][0]} on {p['host']}:{p['port']}: {exc}", rc=1, stdout="", stdout_lines=[])
    stdout = "\n".join(lines)
    module.exit_json(changed=False, rc=0, stdout=stdout, stdout_lines=stdout.splitlines())


if __name__ == "__main__":
    main()
