#!/usr/bin/python
"""Ansible module: is the cluster safe for the next restart? Waits until it is, or fails with why not."""

from __future__ import annotations

DOCUMENTATION = r"""
module: kafka_health
short_description: Wait until no partition is under-replicated or offline and the KRaft quorum is caught up
description:
  - Healthy means, all at once, under-replicated partitions = 0, offline (unavailable) partitions
    = 0 (internal topics included), a quorum leader, every voter within max_voter_lag records of it,
    and every broker registered. The rules are kafka_tools.health_reasons, which harden kafka
    status uses too.
  - Polls until healthy or timeout; then fails with the last reason. Read-only: runs in check mode.
options:
  home: {description: Kafka home., type: str, required: true}
  bootstrap: {description: host:port of the SASL_SSL listener., type: str, required: true}
  command_config: {description: The admin client's properties file., type: str, required: true}
  voters: {description: Node ids of the controllers., type: list, elements: int, required: true}
  brokers: {description: Node ids of the brokers, each of which must be registered., type: list, elements: int, default: []}
  timeout: {description: Seconds to wait., type: int, default: 180}
  max_voter_lag: {description: Records a voter may trail the leader by., type: int, default: 50}
author: harden maintainers
"""

import time
from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.kafka_tools import (
    ADMIN_OPTIONS,
    HEALTH_READS,
    admin_args,
    health_reasons,
    parse_quorum_replication,
    parse_quorum_status,
    parse_topics,
    partition_counts,
    run_tool,
)


def observe(p):
    """(status dict, reason or None), from three tool runs (kafka_tools.HEALTH_READS), side by side:
    each is a JVM that takes seconds to start, and a rolling restart polls them after every node."""
    base = admin_args(p["bootstrap"], p["command_config"])
    status = {"under_replicated": None, "offline": None, "leader": None, "voter_lag": {}}
    outputs = {}
    with ThreadPoolExecutor(max_workers=len(HEALTH_READS)) as pool:
        runs = {
            name: pool.submit(run_tool, p["home"], tool, [*base, *args], timeout=60)
            for name, tool, args in HEALTH_READS
        }
        done = {name: run.result() for name, run in runs.items()}
    for name, (rc, out, err) in done.items():
        if rc != 0:
            return status, f"{name} could not be read: {(err.strip().splitlines() or [rc])[-1]}"
        outputs[name] = out
    quorum = parse_quorum_status(outputs["status"])
    replication = parse_quorum_replication(outputs["replication"])
    topics = parse_topics(outputs["topics"])
    lag = {r["node"]: r["lag"] for r in replication}
    status["leader"] = quorum["leader"]
    status["voter_lag"] = {str(v): lag.get(v) for v in p["voters"]}
    counts = [partition_counts(t) for t in topics.values()]
    status["offline"] = sum(c[0] for c in counts)
    status["under_replicated"] = sum(c[1] for c in counts)
    reasons = health_reasons(
        quorum,
        replication,
        topics,
        {v: str(v) for v in p["voters"]},
        {b: str(b) for b in p["brokers"]},
        p["max_voter_lag"],
    )
    return status, (reasons[0] if reasons else None)


def main():
    module = AnsibleModule(
        argument_spec={
            **ADMIN_OPTIONS,
            "voters": {"type": "list", "elements": "int", "required": True},
            "brokers": {"type": "list", "elements": "int", "default": []},
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
