#!/usr/bin/python
"""Ansible module: the cluster's ACLs, converged to least privilege from the role's users."""

from __future__ import annotations

DOCUMENTATION = r"""
module: kafka_acls
short_description: Converge Kafka's ACLs to the role's users (prefixed topics and groups)
description:
  - harden owns every ACL of the cluster. Each user gets DESCRIBE plus READ and/or WRITE on its
    topic prefixes, and READ on its consumer-group prefix when it reads. Every other ACL is
    removed. The admin is a super user and needs none.
options:
  home: {description: Kafka home., type: str, required: true}
  bootstrap: {description: host:port of the SASL_SSL listener., type: str, required: true}
  command_config: {description: The admin client's properties file., type: str, required: true}
  users: {description: The role's users (name, topic_prefixes, group_prefix, operations)., type: list,
          elements: dict, required: true}
author: harden maintainers
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.kafka_tools import (
    ACLS,
    ADMIN_OPTIONS,
    acl_add_batches,
    acl_args,
    acl_batch_args,
    admin_args,
    desired_acls,
    parse_acls,
    run_tool,
)


def main():
    module = AnsibleModule(
        argument_spec={
            **ADMIN_OPTIONS,
            "users": {"type": "list", "elements": "dict", "required": True},
        },
        supports_check_mode=True,
    )
    p = module.params
    base = admin_args(p["bootstrap"], p["command_config"])
    rc, out, err = run_tool(p["home"], ACLS, [*base, "--list"])
    if rc != 0:
        module.fail_json(msg="listing the ACLs failed", stderr=err[-3000:])
    current = parse_acls(out)
    wanted = desired_acls(p["users"])
    add, remove = sorted(wanted - current), sorted(current - wanted)
    lines = [f"+ {' '.join(a)}" for a in add] + [f"- {' '.join(a)}" for a in remove]
    result = {"changed": bool(lines), "added": len(add), "removed": len(remove),
              "diff": {"before": "", "after": "\n".join(lines) + "\n"}}  # fmt: skip
    if module.check_mode or not lines:
        module.exit_json(**result)
    for batch in acl_add_batches(add):
        rc, _out, err = run_tool(p["home"], ACLS, [*base, *acl_batch_args(batch)])
        if rc != 0:
            module.fail_json(msg=f"--add {batch} failed", stderr=err[-3000:])
    for acl in remove:
        rc, _out, err = run_tool(p["home"], ACLS, [*base, *acl_args(acl, "--remove")])
        if rc != 0:
            module.fail_json(msg=f"--remove {acl} failed", stderr=err[-3000:])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
