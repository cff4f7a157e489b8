#!/usr/bin/python
"""Ansible module: converge Vault/OpenBao configuration as code, with check and diff mode."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vault_config
short_description: Converge secrets engines, auth methods, policies and AppRoles of Vault or OpenBao
description:
  - Reads the current configuration through the HTTP API, compares it with the desired state and
    changes only what differs. Supports check mode and diff mode.
  - Only adds and updates what it is given; it never removes mounts, policies or roles it does not manage.
options:
  url:
    description: API address of the node to talk to.
    type: str
    required: true
  ca_path:
    description: CA certificate that signed the node's TLS certificate.
    type: path
    required: true
  token:
    description: Token with the rights to change the configuration.
    type: str
    required: true
    no_log: true
  kv_mounts:
    description: Paths where a KV version 2 engine must be mounted.
    type: list
    elements: str
    default: []
  auth_methods:
    description: Auth methods to enable, by type (mounted at the type's name).
    type: list
    elements: str
    default: []
  policies:
    description: ACL policies, name to HCL text.
    type: dict
    default: {}
  approles:
    description: AppRoles, name to settings (token_policies, token_ttl, token_max_ttl, secret_id_ttl, ...).
    type: dict
    default: {}
author: harden maintainers
"""

EXAMPLES = r"""
- name: Converge Vault
  vault_config:
    url: https://10.0.0.11:8200
    ca_path: /etc/openbao/tls/ca.crt
    token: "{{ admin_token }}"
    kv_mounts: [secret]
    auth_methods: [approle]
    policies:
      postgres: 'path "secret/data/postgres" { capabilities = ["read"] }'
    approles:
      postgres: {token_policies: [postgres], token_ttl: 3600}
"""

RETURN = r"""
changes:
  description: What was (or in check mode would be) changed.
  type: list
  returned: always
"""

import json
import ssl
import urllib.error
import urllib.request
from typing import Any

from ansible.module_utils.basic import AnsibleModule


class Api:
    def __init__(self, url: str, ca_path: str, token: str) -> None:
        self.url = url.rstrip("/")
        self.ctx = ssl.create_default_context(cafile=ca_path)
        self.token = token

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"{self.url}/v1/{path}", data=data, method=method)
        req.add_header("X-Vault-Token", self.token)
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=30) as resp:
                raw = resp.read()
                return resp.status, json.loads(raw) if raw else {}
        except urllib.error.HTTPError as err:
            raw = err.read()
            try:
                return err.code, json.loads(raw) if raw else {}
            except ValueError:
                return err.code, {"errors": [raw.decode(errors="replace")]}


def _normalise(value: Any) -> Any:
    if isinstance(value, list):
        return sorted(str(v) for v in value)
    return value


def converge(module: AnsibleModule, api: Api) -> tuple[list[str], dict[str, str], dict[str, str]]:
    p = module.params
    changes: list[str] = []
    before: dict[str, str] = {}
    after: dict[str, str] = {}

    def act(method: str, path: str, body: dict[str, Any] | None, what: str) -> None:
        changes.append(what)
        if module.check_mode:
            return
        code, resp = api.call(method, path, body)
        if code >= 300:
            module.fail_json(msg=f"{what}: HTTP {code}: {resp.get('errors')}", changes=changes)

    code, mounts = api.call("GET", "sys/mounts")
    if code != 200:
        module.fail_json(msg=f"cannot read sys/mounts: HTTP {code}: {mounts.get('errors')}")
    mounts = mounts.get("data", mounts)
    for path in p["kv_mounts"]:
        current = mounts.get(f"{path}/")
        if current is None:
            before[f"mount {path}/"], after[f"mount {path}/"] = "", "kv version 2"
            act("POST", f"sys/mounts/{path}", {"type": "kv", "options": {"version": "2"}}, f"mount kv-v2 at {path}/")
        elif current.get("type") != "kv" or (current.get("options") or {}).get("version") != "2":
            module.fail_json(msg=f"{path}/ is mounted but is not kv version 2: {current.get('type')}")

    code, auths = api.call("GET", "sys/auth")
    auths = auths.get("data", auths)
    for kind in p["auth_methods"]:
        if f"{kind}/" not in auths:
            before[f"auth {kind}/"], after[f"auth {kind}/"] = "", f"{kind} enabled"
            act("POST", f"sys/auth/{kind}", {"type": kind}, f"enable auth method {kind}")

    for name, text in sorted(p["policies"].items()):
        code, current = api.call("GET", f"sys/policies/acl/{name}")
        existing = (current.get("data") or {}).get("policy", "") if code == 200 else ""
        if existing.strip() != text.strip():
            before[f"policy {name}"], after[f"policy {name}"] = existing, text
            act("PUT", f"sys/policies/acl/{name}", {"policy": text}, f"write policy {name}")

    for name, settings in sorted(p["approles"].items()):
        code, current = api.call("GET", f"auth/approle/role/{name}")
        existing = (current.get("data") or {}) if code == 200 else {}
        differs = {k: v for k, v in settings.items() if _normalise(existing.get(k)) != _normalise(v)}
        if differs:
            before[f"approle {name}"] = json.dumps({k: existing.get(k) for k in differs}, sort_keys=True)
            after[f"approle {name}"] = json.dumps(differs, sort_keys=True)
            act("POST", f"auth/approle/role/{name}", settings, f"write approle {name}")
    return changes, before, after


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "url": {"type": "str", "required": True},
            "ca_path": {"type": "path", "required": True},
            "token": {"type": "str", "required": True, "no_log": True},
            "kv_mounts": {"type": "list", "elements": "str", "default": []},
            "auth_methods": {"type": "list", "elements": "str", "default": []},
            "policies": {"type": "dict", "default": {}},
            "approles": {"type": "dict", "default": {}},
        },
        supports_check_mode=True,
    )
    api = Api(module.params["url"], module.params["ca_path"], module.params["token"])
    changes, before, after = converge(module, api)
    result: dict[str, Any] = {"changed": bool(changes), "changes": changes}
    if module._diff and changes:
        result["diff"] = {
            "before": "".join(f"{k}: {v}\n" for k, v in sorted(before.items())),
            "after": "".join(f"{k}: {v}\n" for k, v in sorted(after.items())),
            "before_header": "vault configuration",
            "after_header": "vault configuration",
        }
    module.exit_json(**result)


if __name__ == "__main__":
    main()
