#!/usr/bin/python
"""Ansible module: topics as code. Create, alter configs, add partitions, raise the RF; delete only when asked."""

from __future__ import annotations

DOCUMENTATION = r"""
module: kafka_topics
short_description: Converge Kafka topics to the role's kafka_topics
description:
  - Creates missing topics, alters configs that differ, increases partitions, and raises the
    replication factor by a throttled reassignment (the current replicas stay, new ones are added
    on the least used brokers), waiting until it completes. The throttle is removed afterwards.
  - Deletes a topic only for state absent. Fewer partitions, or a lower replication factor, are
    refused with the reason.
  - In check mode it reports what it would do (the plan shows each as a change).
options:
  home: {description: Kafka home., type: str, required: true}
  bootstrap: {description: host:port of the SASL_SSL listener., type: str, required: true}
  command_config: {description: The admin client's properties file., type: str, required: true}
  brokers: {description: Node ids of the brokers., type: list, elements: int, required: true}
  topics: {description: Desired topics (name, partitions, replication_factor, configs, state)., type: list,
           elements: dict, required: true}
  throttle: {description: Replication throttle during a reassignment (bytes/s)., type: int, required: true}
  timeout: {description: Seconds to wait for a reassignment., type: int, default: 600}
author: harden maintainers
"""

import json
import os
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.kafka_tools import (
    ADMIN_OPTIONS,
    CONFIGS,
    REASSIGN,
    TOPICS,
    admin_args,
    parse_topics,
    raised_assignment,
    run_tool,
    topic_changes,
)


def main():
    module = AnsibleModule(
        argument_spec={
            **ADMIN_OPTIONS,
            "brokers": {"type": "list", "elements": "int", "required": True},
            "topics": {"type": "list", "elements": "dict", "required": True},
            "throttle": {"type": "int", "required": True},
            "timeout": {"type": "int", "default": 600},
        },
        supports_check_mode=True,
    )
    p = module.params
    base = admin_args(p["bootstrap"], p["command_config"])

    def tool(main_class, args, what):
        rc, out, err = run_tool(p["home"], main_class, [*base, *args])
        if rc != 0:
            module.fail_json(msg=f"{what} failed", stderr=err[-3000:], stdout=out[-2000:])
        return out

    current = parse_topics(tool(TOPICS, ["--describe", "--exclude-internal"], "describing the topics"))
    plan = []
    for topic in p["topics"]:
        try:
            for kind, detail in topic_changes(current.get(topic["name"]), topic):
                plan.append((topic, kind, detail))
        except ValueError as exc:
            module.fail_json(msg=str(exc))
    changes = [f"{t['name']}: {kind} {detail if kind != 'create' else ''}".strip() for t, kind, detail in plan]
    if module.check_mode or not plan:
        module.exit_json(changed=bool(plan), changes=changes, diff={"before": "", "after": "\n".join(changes) + "\n"})
    for topic, kind, detail in plan:
        name = topic["name"]
        if kind == "create":
            args = ["--create", "--topic", name, "--partitions", str(topic["partitions"]),
                    "--replication-factor", str(topic["replication_factor"])]  # fmt: skip
            for key, value in sorted((topic.get("configs") or {}).items()):
                args += ["--config", f"{key}={value}"]
            tool(TOPICS, args, f"creating topic {name}")
        elif kind == "delete":
            tool(TOPICS, ["--delete", "--topic", name], f"deleting topic {name}")
        elif kind == "partitions":
            tool(TOPICS, ["--alter", "--topic", name, "--partitions", str(detail)], f"adding partitions to {name}")
        elif kind == "configs":
            pairs = ",".join(f"{k}=[{v}]" if "," in v else f"{k}={v}" for k, v in sorted(detail.items()))
            tool(CONFIGS, ["--alter", "--entity-type", "topics", "--entity-name", name, "--add-config", pairs],
                 f"altering configs of {name}")  # fmt: skip
        elif kind == "replication_factor":
            raise_rf(module, tool, name, detail, p)
    module.exit_json(changed=True, changes=changes, diff={"before": "", "after": "\n".join(changes) + "\n"})


def raise_rf(module, tool, name, replication_factor, p):
    described = parse_topics(tool(TOPICS, ["--describe", "--topic", name], f"describing {name}"))[name]
    try:
        moves = raised_assignment(described["assignment"], replication_factor, p["brokers"])
    except ValueError as exc:
        module.fail_json(msg=f"topic {name}: {exc}")
    plan = {"version": 1, "partitions": [{"topic": name, "partition": part, "replicas": replicas}
                                         for part, replicas in sorted(moves.items())]}  # fmt: skip
    fd, path = tempfile.mkstemp(prefix="kafka-reassign-", suffix=".json")
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(plan, fh)
        tool(REASSIGN, ["--execute", "--reassignment-json-file", path, "--throttle", str(p["throttle"])],
             f"reassigning {name}")  # fmt: skip
        deadline = time.monotonic() + p["timeout"]
        while True:
            out = tool(REASSIGN, ["--verify", "--reassignment-json-file", path], f"verifying {name}")
            if "is still in progress" not in out:
                break  # --verify also removes the throttle once every partition is done
            if time.monotonic() > deadline:
                module.fail_json(msg=f"raising the replication factor of {name} did not finish in {p['timeout']} s",
                                 stdout=out[-2000:])  # fmt: skip
            time.sleep(2)
    finally:
        os.unlink(path)


if __name__ == "__main__":
    main()
