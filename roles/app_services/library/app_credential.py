#!/usr/bin/python
"""Ansible module: a service's secrets env file, encrypted on the host with systemd-creds."""

from __future__ import annotations

DOCUMENTATION = r"""
module: app_credential
short_description: Keep a service's env file of secrets as a systemd encrypted credential
description:
  - Renders the variables as podman reads an env file (NAME=value per line, taken literally) and
    keeps them encrypted with the host's credential key (systemd-creds encrypt, stdin to file), so
    that no plaintext is written to the host's disk. The unit's LoadCredentialEncrypted= decrypts
    it into the unit's own credentials directory (ramfs) at each start.
  - Encryption is salted, so the module decrypts the present file and compares, and encrypts anew
    only when a value changed. It reports the names of the variables that changed, never a value.
options:
  name: {description: The credential's name (the env file's base name)., type: str, required: true}
  path: {description: The encrypted file., type: path, required: true}
  variables:
    description: Variable name to value.
    type: dict
    required: true
    no_log: true
author: harden maintainers
"""

import os
import re

from ansible.module_utils.basic import AnsibleModule

NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def render(variables):
    """The env file's text; podman takes each line's value literally, so a value cannot hold a
    line break (the error names the variable, never the value)."""
    bad = sorted(k for k, v in variables.items() if not NAME_RE.match(k) or "\n" in str(v) or "\0" in str(v))
    if bad:
        raise ValueError(f"variables {', '.join(bad)}: a name of letters, digits and _, and a value on one line")
    return "".join(f"{k}={variables[k]}\n" for k in sorted(variables))


def parse(text):
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def main():
    module = AnsibleModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "path": {"type": "path", "required": True},
            "variables": {"type": "dict", "required": True, "no_log": True},
        },
        supports_check_mode=True,
    )
    p = module.params
    try:
        text = render({str(k): str(v) for k, v in p["variables"].items()})
    except ValueError as exc:
        module.fail_json(msg=f"{p['name']}: {exc}")
    current = None
    if os.path.exists(p["path"]):
        rc, out, _ = module.run_command(["systemd-creds", "decrypt", f"--name={p['name']}", p["path"], "-"])
        current = out if rc == 0 else None  # another host key, or damaged: encrypted anew
    before = parse(current) if current is not None else {}
    wanted = parse(text)
    changed_names = sorted(k for k in set(before) | set(wanted) if before.get(k) != wanted.get(k))
    changed = current != text
    if changed and not module.check_mode:
        directory = os.path.dirname(p["path"])
        os.makedirs(directory, mode=0o700, exist_ok=True)
        tmp = os.path.join(directory, f".{os.path.basename(p['path'])}.tmp")
        rc, _, err = module.run_command(
            ["systemd-creds", "encrypt", f"--name={p['name']}", "-", tmp], data=text, binary_data=True
        )
        if rc != 0:
            if os.path.exists(tmp):
                os.unlink(tmp)
            module.fail_json(msg=f"systemd-creds encrypt failed for {p['name']}: {err.strip()}")
        module.atomic_move(tmp, p["path"])  # a new file gets the umask's mode: set below
    if os.path.exists(p["path"]):
        wanted_mode = {"path": p["path"], "owner": "root", "group": "root", "mode": "0600"}
        changed = module.set_fs_attributes_if_different(module.load_file_common_arguments(wanted_mode), changed)
    module.exit_json(changed=changed, variables_changed=changed_names if current is not None else sorted(wanted))


if __name__ == "__main__":
    main()
