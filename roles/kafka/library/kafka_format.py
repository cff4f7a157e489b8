#!/usr/bin/python
"""Ansible module: format a KRaft node's storage once, with the cluster id and the admin's SCRAM credential."""

from __future__ import annotations

DOCUMENTATION = r"""
module: kafka_format
short_description: Format a KRaft log directory only when it is empty; never reformat
description:
  - Runs Kafka's StorageTool (kafka-storage format) when the log directory has no meta.properties.
  - A directory that is formatted with another cluster id is an error, never reformatted.
  - The admin's SCRAM-SHA-512 credential is written into the metadata at format time, so that
    the brokers accept the super user before any SCRAM user exists. Secrets pass through a Java
    argfile (0600), never argv.
options:
  home: {description: Kafka home (libs/ and config/)., type: str, required: true}
  config: {description: server.properties of this node., type: str, required: true}
  log_dir: {description: The node's log directory., type: str, required: true}
  owner: {description: User that owns the directory afterwards., type: str, required: true}
  cluster_id: {description: The cluster id (a Kafka Uuid)., type: str, required: true, no_log: true}
  admin_password: {description: Password of the admin super user., type: str, required: true, no_log: true}
author: harden maintainers
"""

import os
import pwd

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.kafka_tools import STORAGE_TOOL, run_tool


def read_cluster_id(meta):
    with open(meta) as fh:
        for line in fh:
            key, _, value = line.strip().partition("=")
            if key == "cluster.id":
                return value
    return None


def main():
    module = AnsibleModule(
        argument_spec={
            "home": {"type": "str", "required": True},
            "config": {"type": "str", "required": True},
            "log_dir": {"type": "str", "required": True},
            "owner": {"type": "str", "required": True},
            "cluster_id": {"type": "str", "required": True, "no_log": True},
            "admin_password": {"type": "str", "required": True, "no_log": True},
        },
        supports_check_mode=True,
    )
    p = module.params
    meta = os.path.join(p["log_dir"], "meta.properties")
    if os.path.exists(meta):
        found = read_cluster_id(meta)
        if found != p["cluster_id"]:
            module.fail_json(
                msg=f"{meta} belongs to another cluster: it is never reformatted. Move the directory away "
                "only if its data is not needed, then apply again"
            )
        module.exit_json(changed=False, formatted=False)
    if module.check_mode:
        module.exit_json(changed=True, formatted=True)
    rc, out, err = run_tool(
        p["home"],
        STORAGE_TOOL,
        [
            "format",
            "--config",
            p["config"],
            "--cluster-id",
            p["cluster_id"],
            "--add-scram",
            f"SCRAM-SHA-512=[name=admin,password={p['admin_password']}]",
        ],
        archives=None,  # run once per host: the archive is for the admin tools' classes
    )
    if rc != 0:
        module.fail_json(msg="kafka-storage format failed", rc=rc, stdout=out, stderr=err)
    user = pwd.getpwnam(p["owner"])
    for root, dirs, files in os.walk(p["log_dir"]):
        for name in [root, *[os.path.join(root, d) for d in dirs], *[os.path.join(root, f) for f in files]]:
            os.chown(name, user.pw_uid, user.pw_gid)
    module.exit_json(changed=True, formatted=True, stdout=out)


if __name__ == "__main__":
    main()
