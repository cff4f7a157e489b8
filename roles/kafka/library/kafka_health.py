#!/usr/bin/python
"""Ansible module: is the cluster safe for the next restart? Waits until it is, or fails with why not."""

from __future__ import annotations

DOCUMENTATION = r"""
module: kafka_health
short_description: Wait until no partition is under-replicated or offline and the KRaft quorum is caught up
description:
  - Healthy means, all at once, under-replicated partitions = 0, offline (unavailable) partitions
    = 0, a quorum leader, and every voter within max_voter_lag records of it.
  - Polls until healthy or timeout; then fails with the last reason. Read-only: runs in check mode.
options:
  home: {description: Kafka home., type: str, required: true}
  bootstrap: {description: host:port of the SASL_SSL listener., type: str, required: true}
  command_config: {description: The admin client's properties file., type: str, required: true}
  voters: {description: Node ids of the controllers., type: list, elements: int, required: true}
  timeout: {description: Seconds to wait., type: int, default: 180}
  max_voter_lag: {description: Records a voter may trail the leader by., type: int, default: 50}
author: harden maintainers
"""

import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.kafka_tools import (
    ADMIN_OPTIONS,
    QUORUM,
    TOPICS,
    admin_args,
    parse_quorum_replication,
    parse_quorum_status,
    parse_topics,
    run_tool,
)


def observe(p):
    """(status dict, reason or None)."""
    base = admin_args(p["bootstrap"], p["command_config"])
    status = {"under_replicated": None, "offline": None, "leader": None, "voter_lag": {}}
    rc, out, err = run_tool(p["home"], QUORUM, [*base, "describe", "--status"], timeout=60)
    if rc != 0:
        return status, f"the quorum could not be described: {err.strip().splitlines()[-1:] or rc}"
    quorum = parse_quorum_status(out)
    status["leader"] = quorum["leader"]
    if quorum["leader"] is None:
        return status, "the controller quorum has no leader"
    rc, out, err = run_tool(p["home"], QUORUM, [*base, "describe", "--replication"], timeout=60)
    if rc != 0:
        return status, "the quorum's replication could not be described"
    rows = {r["node"]: r for r in parse_quorum_replication(out)}
    status["voter_lag"] = {str(v): rows[v]["lag"] if v in rows else None for v in p["voters"]}
    missing = [v for v in p["voters"] if v not in rows]
    if missing:
        return status, f"voter {missing[0]} is not in the quorum"
    lagging = [v for v in p["voters"] if rows[v]["lag"] > p["max_voter_lag"]]
    if lagging:
        return status, f"voter {lagging[0]} trails the quorum leader by {rows[lagging[0]]['lag']} records"
    for flag, key in (("--under-replicated-partitions", "under_replicated"), ("--unavailable-partitions", "offline")):
        rc, out, err = run_tool(p["home"], TOPICS, [*base, "--describe", flag], timeout=60)
        if rc != 0:
            return status, f"topics could not be described ({flag})"
        status[key] = sum(len(t["assignment"]) for t in parse_topics(out).values())
    if status["offline"]:
        return status, f"{status['offline']} partitions are offline"
    if status["under_replicated"]:
        return status, f"{status['under_replicated']} partitions are under-replicated"
    return status, None


def main():
    module = AnsibleModule(
        argument_spec={
            **ADMIN_OPTIONS,
            "voters": {"type": "list", "elements": "int", "required": True},
            "timeout": {"type": "int", "default": 180},
            "max_voter_lag": {"type": "int", "default": 50},
        },
        supports_check_mode=True,
    )
    p = module.params
    started = time.monotonic()
    while True:
        status, reason = observe(p)
        if reason is None:
            module.exit_json(changed=False, waited=round(time.monotonic() - started, 1), **status)
        if time.monotonic() - started > p["timeout"]:
            module.fail_json(msg=f"Kafka is not healthy after {p['timeout']} s: {reason}", **status)
        time.sleep(2)


if __name__ == "__main__":
    main()
