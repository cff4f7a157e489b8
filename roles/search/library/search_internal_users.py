#!/usr/bin/python
"""Write the internal users' password hashes, keeping each bcrypt hash that still matches: the
OpenSearch security plugin's internal_users.yml, or Elasticsearch's file-realm `users` file.

A bcrypt hash is salted, so hashing again on every run would change the file every run; a hash
is kept while its password verifies against it, so the file changes only with a password or a
user. Passwords arrive as module parameters (no_log), never on argv.
"""

from __future__ import annotations

import grp
import os
import tempfile
from typing import Any

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: search_internal_users
short_description: Write internal_users.yml or a file-realm users file with stable bcrypt hashes
options:
  path: {type: path, required: true, description: The file.}
  format:
    type: str
    choices: [opensearch, elasticsearch]
    default: opensearch
    description: opensearch, internal_users.yml; elasticsearch, the file realm's lines of name:hash.
  group:
    type: str
    description: Group that may read the file (mode 0640); unset, root only (0600).
  users:
    type: list
    elements: dict
    required: true
    description: Each with name, password, description; optional reserved.
"""


def render(users: list[dict[str, Any]], hashes: dict[str, str]) -> str:
    import json

    lines = [
        "# Managed by harden (roles/search): passwords live in Vault",
        "_meta:",
        "  type: internalusers",
        "  config_version: 2",
    ]
    for user in users:
        lines.append(f"{user['name']}:")
        lines.append(f"  hash: {json.dumps(hashes[user['name']])}")
        lines.append(f"  reserved: {json.dumps(bool(user.get('reserved', False)))}")
        description = user.get("description") or "harden: service user " + user["name"]
        lines.append(f"  description: {json.dumps(description)}")
    return "\n".join(lines) + "\n"


def render_file_realm(users: list[dict[str, Any]], hashes: dict[str, str]) -> str:
    return "".join(f"{user['name']}:{hashes[user['name']]}\n" for user in users)


def current_file_realm_hashes(path: str) -> dict[str, str]:
    try:
        with open(path, encoding="utf-8") as fh:
            return dict(line.rstrip("\n").split(":", 1) for line in fh if ":" in line and not line.startswith("#"))
    except FileNotFoundError:
        return {}


def current_hashes(path: str) -> dict[str, str]:
    """The hashes in a file this module wrote (its own fixed layout: no YAML library on the host)."""
    import json

    hashes: dict[str, str] = {}
    user = None
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line[:1].isalnum() and line.rstrip().endswith(":"):
                    user = line.rstrip()[:-1]
                elif user and user != "_meta" and line.startswith("  hash: "):
                    hashes[user] = json.loads(line[len("  hash: ") :])
    except FileNotFoundError:
        pass
    return hashes


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "users": {"type": "list", "elements": "dict", "required": True, "no_log": True},
            "format": {"type": "str", "choices": ["opensearch", "elasticsearch"], "default": "opensearch"},
            "group": {"type": "str"},
        },
        supports_check_mode=True,
    )
    import bcrypt

    path, users = module.params["path"], module.params["users"]
    file_realm = module.params["format"] == "elasticsearch"
    known = current_file_realm_hashes(path) if file_realm else current_hashes(path)
    hashes: dict[str, str] = {}
    for user in users:
        password = str(user["password"]).encode()
        old = known.get(user["name"], "")
        if old and bcrypt.checkpw(password, old.encode()):
            hashes[user["name"]] = old
        else:
            # $2y$, as the security plugin's own hash tool writes them (the same algorithm as $2b$)
            hashes[user["name"]] = bcrypt.hashpw(password, bcrypt.gensalt(12)).decode().replace("$2b$", "$2y$", 1)
    content = render_file_realm(users, hashes) if file_realm else render(users, hashes)
    gid = grp.getgrnam(module.params["group"]).gr_gid if module.params["group"] else 0
    mode = 0o640 if module.params["group"] else 0o600
    try:
        with open(path, encoding="utf-8") as fh:
            st = os.fstat(fh.fileno())
            changed = fh.read() != content or (st.st_uid, st.st_gid, st.st_mode & 0o777) != (0, gid, mode)
    except FileNotFoundError:
        changed = True
    if changed and not module.check_mode:
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".harden-users.")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(content)
        os.chown(tmp, 0, gid)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    module.exit_json(changed=changed, users=sorted(hashes))


if __name__ == "__main__":
    main()
