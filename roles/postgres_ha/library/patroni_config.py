#!/usr/bin/python
"""Converge Patroni's cluster-wide (DCS) configuration through its REST API.

Patroni keeps ttl, loop_wait, synchronous_mode, postgresql.parameters and the like in the DCS;
the bootstrap section of its config file is read only once. This module reads GET /config,
and PATCHes only when merging the wanted settings in would change something. It supports
check mode and diff mode, and waits one HA loop after a change so that members have picked it
up (pending_restart is then visible in GET /cluster).
"""

from __future__ import annotations

import base64
import copy
import json
import ssl
import time
import urllib.request

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: patroni_config
short_description: Converge Patroni's dynamic configuration through PATCH /config
options:
  url: {description: Base URL of one member's REST API., type: str, required: true}
  ca_path: {description: CA bundle that signed the REST API certificate., type: path, required: true}
  username: {description: REST API user for unsafe methods., type: str, required: true}
  password: {description: Its password., type: str, required: true, no_log: true}
  settings: {description: Wanted settings; keys not given are left alone., type: dict, required: true}
"""


def merged(current: dict, wanted: dict) -> dict:
    result = copy.deepcopy(current)
    for key, value in wanted.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merged(result[key], value)
        else:
            result[key] = value
    return result


def request(module: AnsibleModule, method: str, path: str, body: dict | None = None) -> dict:
    context = ssl.create_default_context(cafile=module.params["ca_path"])
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(module.params["url"].rstrip("/") + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if method != "GET":
        pair = f"{module.params['username']}:{module.params['password']}".encode()
        req.add_header("Authorization", "Basic " + base64.b64encode(pair).decode())
    with urllib.request.urlopen(req, context=context, timeout=10) as resp:
        return json.loads(resp.read() or b"{}")


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "url": {"type": "str", "required": True},
            "ca_path": {"type": "path", "required": True},
            "username": {"type": "str", "required": True},
            "password": {"type": "str", "required": True, "no_log": True},
            "settings": {"type": "dict", "required": True},
        },
        supports_check_mode=True,
    )
    try:
        current = request(module, "GET", "/config")
    except Exception as exc:
        module.fail_json(msg=f"cannot read the cluster configuration from {module.params['url']}: {exc}")
    wanted = merged(current, module.params["settings"])
    changed = wanted != current
    result = {"changed": changed, "config": wanted if changed else current}
    if changed and module._diff:
        result["diff"] = {
            "before_header": "patroni /config",
            "after_header": "patroni /config",
            "before": json.dumps(current, indent=2, sort_keys=True) + "\n",
            "after": json.dumps(wanted, indent=2, sort_keys=True) + "\n",
        }
    if changed and not module.check_mode:
        try:
            result["config"] = request(module, "PATCH", "/config", module.params["settings"])
        except Exception as exc:
            module.fail_json(msg=f"PATCH /config failed on {module.params['url']}: {exc}")
        time.sleep(int(result["config"].get("loop_wait", 10)) + 1)  # one HA loop: members apply it
    module.exit_json(**result)


if __name__ == "__main__":
    main()
