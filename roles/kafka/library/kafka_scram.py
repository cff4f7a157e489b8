#!/usr/bin/python
"""Ansible module: converge SCRAM-SHA-512 users through the Admin API, passwords never on argv."""

from __future__ import annotations

DOCUMENTATION = r"""
module: kafka_scram
short_description: Create or update SCRAM-SHA-512 credentials of Kafka users
description:
  - Kafka cannot tell whether a stored SCRAM credential matches a password. The module keeps a
    salted SHA-256 of each user's password in a root-only state file on the host it runs on, and
    (re)sets a credential when that differs. Users in the state file that are no longer wanted
    lose their credential.
options:
  home: {description: Kafka home., type: str, required: true}
  bootstrap: {description: host:port of the SASL_SSL listener., type: str, required: true}
  command_config: {description: The admin client's properties file., type: str, required: true}
  state_file: {description: Root-only file of salted password digests., type: str, required: true}
  users:
    description: Users and passwords.
    type: list
    elements: dict
    required: true
    no_log: true
author: harden maintainers
"""

import hashlib
import json
import os
import secrets

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.kafka_tools import ADMIN_OPTIONS, CONFIGS, admin_args, run_tool


def digest(salt, name, password):
    return hashlib.sha256(f"{salt}\0{name}\0{password}".encode()).hexdigest()


def main():
    module = AnsibleModule(
        argument_spec={
            **ADMIN_OPTIONS,
            "state_file": {"type": "str", "required": True},
            "users": {"type": "list", "elements": "dict", "required": True, "no_log": True},
        },
        supports_check_mode=True,
    )
    p = module.params
    try:
        with open(p["state_file"]) as fh:
            state = json.load(fh)
    except (OSError, ValueError):
        state = {"salt": secrets.token_hex(16), "users": {}}
    wanted = {u["name"]: digest(state["salt"], u["name"], u["password"]) for u in p["users"]}
    to_set = sorted(n for n, d in wanted.items() if state["users"].get(n) != d)
    to_drop = sorted(n for n in state["users"] if n not in wanted)
    changed = bool(to_set or to_drop)
    if module.check_mode or not changed:
        module.exit_json(changed=changed, set=to_set, removed=to_drop)
    base = admin_args(p["bootstrap"], p["command_config"])
    passwords = {u["name"]: u["password"] for u in p["users"]}
    for name in to_set:
        rc, _out, err = run_tool(
            p["home"],
            CONFIGS,
            [*base, "--alter", "--entity-type", "users", "--entity-name", name,
             "--add-config", f"SCRAM-SHA-512=[iterations=8192,password={passwords[name]}]"],
        )  # fmt: skip
        if rc != 0:
            module.fail_json(msg=f"setting the SCRAM credential of {name} failed", stderr=err[-2000:])
        state["users"][name] = wanted[name]
        _save(p["state_file"], state)
    for name in to_drop:
        rc, _out, err = run_tool(
            p["home"],
            CONFIGS,
            [*base, "--alter", "--entity-type", "users", "--entity-name", name, "--delete-config", "SCRAM-SHA-512"],
        )
        if rc != 0 and "ResourceNotFound" not in err:
            module.fail_json(msg=f"removing the SCRAM credential of {name} failed", stderr=err[-2000:])
        del state["users"][name]
        _save(p["state_file"], state)
    module.exit_json(changed=True, set=to_set, removed=to_drop)


def _save(path, state):
    fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(state, fh)
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
