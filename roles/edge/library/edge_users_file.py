#!/usr/bin/python
"""Ansible module: a basic-auth users file of bcrypt hashes, re-hashed only when a password changed."""

from __future__ import annotations

DOCUMENTATION = r"""
module: edge_users_file
short_description: Write Traefik's basicAuth users file (name:bcrypt-hash per line)
description:
  - bcrypt hashes are salted, so hashing again on every run would change the file every time.
    The module keeps a user's line while its hash still matches the wanted password and hashes
    anew only for a new user or a changed password. Users no longer wanted lose their line.
options:
  path: {description: The users file., type: str, required: true}
  users:
    description: Users, each with name and password.
    type: list
    elements: dict
    required: true
    no_log: true
  owner: {description: Owner of the file., type: str, default: root}
  group: {description: Group of the file., type: str, default: root}
  mode: {description: Mode of the file., type: str, default: "0640"}
author: harden maintainers
"""

import os

from ansible.module_utils.basic import AnsibleModule

try:
    import bcrypt
except ImportError:  # reported by the module
    bcrypt = None


def read_hashes(path):
    try:
        with open(path) as fh:
            lines = fh.read().splitlines()
    except FileNotFoundError:
        return {}
    return dict(line.split(":", 1) for line in lines if ":" in line)


def render(users, current, hasher):
    lines, changed_users = [], []
    for user in users:
        name, password = user["name"], user["password"].encode()
        old = current.get(name)
        if old is not None and bcrypt.checkpw(password, old.encode()):
            lines.append(f"{name}:{old}")
            continue
        lines.append(f"{name}:{hasher(password)}")
        changed_users.append(name)
    removed = sorted(set(current) - {u["name"] for u in users})
    return "".join(f"{line}\n" for line in lines), changed_users, removed


def main():
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "str", "required": True},
            "users": {"type": "list", "elements": "dict", "required": True, "no_log": True},
            "owner": {"type": "str", "default": "root"},
            "group": {"type": "str", "default": "root"},
            "mode": {"type": "str", "default": "0640"},
        },
        supports_check_mode=True,
    )
    if bcrypt is None:
        module.fail_json(msg="python3-bcrypt is missing on the host: install it (the role's install step does)")
    p = module.params
    current = read_hashes(p["path"])
    text, changed_users, removed = render(
        p["users"], current, lambda pw: bcrypt.hashpw(pw, bcrypt.gensalt(rounds=10)).decode()
    )
    changed = bool(changed_users or removed) or not os.path.exists(p["path"])
    if changed and not module.check_mode:
        tmp = f"{p['path']}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        module.atomic_move(tmp, p["path"])
    file_args = module.load_file_common_arguments(
        {"path": p["path"], "owner": p["owner"], "group": p["group"], "mode": p["mode"]}
    )
    if os.path.exists(p["path"]):
        changed = module.set_fs_attributes_if_different(file_args, changed)
    module.exit_json(changed=changed, users_hashed=changed_users, users_removed=removed)


if __name__ == "__main__":
    main()
