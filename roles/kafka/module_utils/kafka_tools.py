"""Kafka's own command-line tools, run without a shell script and without a secret on argv.

Kafka's jars ship no scripts, so the role's modules start the tools' main classes with ``java``.
Every argument goes through a Java ``@argfile`` (mode 0600, removed afterwards): passwords given
to a tool (``--add-scram``, ``--add-config SCRAM-SHA-512=[password=...]``) never show in ps.
The parsers below read the tools' text output; they are pure and unit-tested.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time

STORAGE_TOOL = "kafka.tools.StorageTool"
TOPICS = "org.apache.kafka.tools.TopicCommand"
CONFIGS = "org.apache.kafka.tools.ConfigCommand"
ACLS = "org.apache.kafka.tools.AclCommand"
QUORUM = "org.apache.kafka.tools.MetadataQuorumCommand"
REASSIGN = "org.apache.kafka.tools.reassign.ReassignPartitionsCommand"
# WARN and above, to stderr (the role writes it)
TOOLS_LOG4J = "/etc/kafka/tools-log4j2.properties"


def argfile_line(arg):
    """One argument as a Java @argfile line: quoted, with backslashes and quotes escaped."""
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'


def java_command(home, main_class, heap="128m"):
    """The argv that starts one tool's main class with the role's jars; the role's modules, harden
    kafka status and the lab's clients all start tools this way."""
    return [
        "java",
        f"-Xmx{heap}",
        "-XX:+UseSerialGC",
        # a tool lives seconds: with the C1 compiler alone it takes about 0.6 of the CPU time of
        # the tiered default, 0.4 with run_tool's class-data archive too (bench/kafka_tools.md); a
        # broker's host pays it at every health poll of a rolling restart
        "-XX:TieredStopAtLevel=1",
        f"-Dlog4j2.configurationFile={TOOLS_LOG4J}",
        "-cp",
        f"{home}/libs/*",
        main_class,
    ]


TIMED_OUT = 124  # run_tool's status for a tool that did not finish in time (as timeout(1) exits)


# Class data of the tools, archived by the JVM at the first run (JDK 13+ dynamic CDS) and mapped
# by every later one: a tool loads Kafka's classes from the archive instead of its jars. One archive
# per Kafka home and java binary (a new Kafka version or JDK makes a new one; an archive the JVM
# finds unusable is skipped, and its warning goes to stderr). bench/kafka_tools.md measures it.
CLASS_ARCHIVES = "/var/cache/harden-kafka-tools"
_LOCK_STALE_S = 600


def class_archive(home, cache=CLASS_ARCHIVES):
    """The archive path for this Kafka home and this host's java binary."""
    java = os.path.realpath(shutil.which("java") or "java")
    try:
        stamp = os.stat(java).st_mtime_ns
    except OSError:
        stamp = 0
    key = hashlib.sha256(f"{os.path.realpath(home)}\0{java}\0{stamp}".encode()).hexdigest()[:16]
    return os.path.join(cache, f"tools-{key}.jsa")


def archive_flags(archive):
    """(JVM flags, the lock this run holds or None): map the archive if it exists; else, if no
    other run is writing it, write it at this run's exit (to a temporary name, renamed when the
    tool succeeded: a half-written archive is never mapped)."""
    if os.path.exists(archive):
        return [f"-XX:SharedArchiveFile={archive}", "-Xshare:auto"], None
    lock = archive + ".lock"
    try:
        os.makedirs(os.path.dirname(archive), mode=0o755, exist_ok=True)
        if os.path.exists(lock) and time.time() - os.path.getmtime(lock) > _LOCK_STALE_S:
            os.unlink(lock)  # a run that died while writing
        os.close(os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except OSError:
        return [], None  # another run is writing it, or the cache cannot be written: run without
    return [f"-XX:ArchiveClassesAtExit={archive}.tmp"], lock


def _settle_archive(archive, lock, ok):
    try:
        if ok and os.path.exists(archive + ".tmp"):
            os.replace(archive + ".tmp", archive)
        elif os.path.exists(archive + ".tmp"):
            os.unlink(archive + ".tmp")
    finally:
        os.unlink(lock)


# The JVM's own warnings (an unusable class archive, say) to stderr: a tool's stdout is parsed
QUIET_JVM = ["-Xlog:disable", "-Xlog:all=warning:stderr"]


def run_tool(home, main_class, args, heap="128m", timeout=300, archives=CLASS_ARCHIVES):
    """Run one tool; returns (rc, stdout, stderr). ``home`` holds libs/. ``archives``: where the
    class-data archive is kept (None: this run neither maps nor writes one)."""
    archive = class_archive(home, archives) if archives else None
    flags, lock = archive_flags(archive) if archive else ([], None)
    fd, path = tempfile.mkstemp(prefix="kafka-args-", dir="/run")
    done = None
    try:
        with os.fdopen(fd, "w") as fh:
            jvm = java_command(home, main_class, heap)[1:]
            fh.write("\n".join(argfile_line(a) for a in [*QUIET_JVM, *flags, *jvm, *args]) + "\n")
        done = subprocess.run(
            ["java", "@" + path], capture_output=True, text=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        # a failed read with its reason, as for any other failure (a module's traceback said only
        # "No start of json char found")
        return TIMED_OUT, "", f"{main_class.rsplit('.', 1)[-1]} gave no answer within {timeout} s"
    finally:
        os.unlink(path)
        if lock is not None:
            _settle_archive(archive, lock, done is not None and done.returncode == 0)
    return done.returncode, done.stdout, done.stderr


# The three reads that health is decided from, as (name, tool, arguments after the admin ones).
HEALTH_READS = (
    ("status", QUORUM, ["describe", "--status"]),
    ("replication", QUORUM, ["describe", "--replication"]),
    ("topics", TOPICS, ["--describe"]),
)


def node_ids(brokers, controllers):
    """The role's node ids: positions in the sorted union of both groups, from 1. The role's
    templates get them from this function too (filter_plugins/kafka_nodes.py)."""
    return {host: i for i, host in enumerate(sorted(set(brokers) | set(controllers)), start=1)}


def health_reasons(quorum, replication, topics, voters, brokers, max_voter_lag=50):
    """Why the cluster is not safe to touch (empty: it is): the quorum has no leader, a voter is
    missing or trails the leader by more than ``max_voter_lag`` records, a broker is not registered,
    a partition (internal topics included) is offline or under-replicated. ``voters`` and ``brokers``
    map node ids to the names used in the reasons."""
    reasons = []
    if quorum["leader"] is None:
        reasons.append("the controller quorum has no leader")
    rows = {r["node"]: r for r in replication}

    def label(node, name):
        return f"node {node}" if name == str(node) else f"{name} (node {node})"

    for node, name in voters.items():
        row = rows.get(node)
        if row is None:
            reasons.append(f"controller {label(node, name)} is not in the quorum")
        elif row["lag"] > max_voter_lag:
            reasons.append(f"controller {label(node, name)} trails the quorum leader by {row['lag']} records")
    for node, name in brokers.items():
        if node not in rows:
            reasons.append(f"broker {label(node, name)} is not registered")
    for topic_name, topic in sorted(topics.items()):
        offline, under = partition_counts(topic)
        if offline:
            reasons.append(f"topic {topic_name}: {offline} partitions offline")
        elif under:
            reasons.append(f"topic {topic_name}: {under} partitions under-replicated")
    return reasons


def partition_counts(topic):
    """(offline, under-replicated) partitions of one parsed topic."""
    offline = sum(leader < 0 for leader in topic["leaders"].values())
    under = sum(len(isr) < len(topic["assignment"].get(p, [])) for p, isr in topic["isr"].items())
    return offline, under


def durability_reasons(topics, min_isr_default):
    """Application topics below the durability rules: replication factor 3 and min ISR 2."""
    reasons = []
    for name, topic in sorted(topics.items()):
        if name.startswith("__"):
            continue
        isr = int(topic["configs"].get("min.insync.replicas", min_isr_default))
        if topic["replication_factor"] < 3 or isr < 2:
            reasons.append(f"topic {name}: replication factor {topic['replication_factor']}, min ISR {isr}")
    return reasons


# The options every admin module takes: where the tools are, and how to reach a broker as admin.
ADMIN_OPTIONS = {
    "home": {"type": "str", "required": True},
    "bootstrap": {"type": "str", "required": True},
    "command_config": {"type": "str", "required": True},
}


def admin_args(bootstrap, command_config):
    return ["--bootstrap-server", bootstrap, "--command-config", command_config]


# --- kafka-topics --describe -------------------------------------------------------------------

def _fields(line):
    """'Key: value' segments, separated by tabs."""
    fields = {}
    for segment in line.split("\t"):
        key, sep, value = segment.partition(":")
        if sep and key.strip():
            fields[key.strip()] = value.strip()
    return fields


def _ids(text):
    return [int(x) for x in text.split(",") if x.strip()]


def parse_topics(stdout):
    """`--describe` output -> {topic: {partitions, replication_factor, configs, assignment: {p: replicas},
    leaders: {p: leader}, isr: {p: [ids]}}}."""
    topics = {}
    for line in stdout.splitlines():
        if not line.strip() or "Topic:" not in line:
            continue
        fields = _fields(line)
        name = fields.get("Topic")
        if name is None:
            continue
        if "Partition" in fields:
            topic = topics.setdefault(name, _empty_topic())
            p = int(fields["Partition"])
            topic["assignment"][p] = _ids(fields.get("Replicas", ""))
            topic["isr"][p] = _ids(fields.get("Isr", ""))
            leader = fields.get("Leader", "none")
            topic["leaders"][p] = int(leader) if leader.lstrip("-").isdigit() else -1
        else:
            topic = topics.setdefault(name, _empty_topic())
            topic["partitions"] = int(fields.get("PartitionCount", 0))
            topic["replication_factor"] = int(fields.get("ReplicationFactor", 0))
            topic["configs"] = parse_config_list(fields.get("Configs", ""))
    return topics


def _empty_topic():
    return {"partitions": 0, "replication_factor": 0, "configs": {}, "assignment": {}, "leaders": {}, "isr": {}}


def parse_config_list(text):
    """'a=1,b=x' -> {'a': '1', 'b': 'x'} (values Kafka prints never hold a comma followed by 'key=')."""
    configs = {}
    for part in re.split(r",(?=[\w.-]+=)", text.strip()):
        if "=" in part:
            key, _, value = part.partition("=")
            configs[key.strip()] = value.strip()
    return configs


# --- kafka-metadata-quorum describe ------------------------------------------------------------


def parse_quorum_status(stdout):
    """`describe --status` -> {'leader': int|None, 'epoch': int, 'high_watermark': int, 'max_lag': int,
    'voters': [ids]}."""
    values = {}
    for line in stdout.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            values[key.strip()] = value.strip()
    leader = values.get("LeaderId", "")
    return {
        "leader": int(leader) if leader.lstrip("-").isdigit() and int(leader) >= 0 else None,
        "epoch": int(values.get("LeaderEpoch", "0") or 0),
        "high_watermark": int(values.get("HighWatermark", "0") or 0),
        "max_lag": int(values.get("MaxFollowerLag", "0") or 0),
        "voters": [int(x) for x in re.findall(r'"id":\s*(\d+)', values.get("CurrentVoters", ""))],
    }


def parse_quorum_replication(stdout):
    """`describe --replication` -> [{'node': id, 'lag': int, 'status': 'Leader'|'Follower'|'Observer'}]."""
    rows = []
    lines = [line.split() for line in stdout.splitlines() if line.strip()]
    if not lines or lines[0][0] != "NodeId":
        return rows
    header = lines[0]
    for cells in lines[1:]:
        if len(cells) < len(header):
            continue
        row = dict(zip(header, cells, strict=False))
        rows.append({"node": int(row["NodeId"]), "lag": int(row["Lag"]), "status": cells[-1]})
    return rows


# --- kafka-acls --list -------------------------------------------------------------------------

_RESOURCE = re.compile(r"ResourcePattern\(resourceType=(\w+), name=(.*?), patternType=(\w+)\)")
_ENTRY = re.compile(r"\(principal=(.*?), host=(.*?), operation=(\w+), permissionType=(\w+)\)")


def parse_acls(stdout):
    """`--list` -> a set of (resource_type, name, pattern_type, principal, host, operation, permission)."""
    acls = set()
    resource = None
    for line in stdout.splitlines():
        found = _RESOURCE.search(line)
        if found:
            resource = found.groups()
            continue
        entry = _ENTRY.search(line)
        if entry and resource is not None:
            acls.add((*resource, *entry.groups()))
    return acls


def desired_acls(users):
    """Least privilege from the role's users: prefixed topics and consumer groups only."""
    acls = set()
    for user in users:
        principal = f"User:{user['name']}"
        ops = set(user.get("operations") or ["read", "write"])
        for prefix in user["topic_prefixes"]:
            wanted = {"DESCRIBE"}
            if "read" in ops:
                wanted.add("READ")
            if "write" in ops:
                wanted.add("WRITE")
            for op in wanted:
                acls.add(("TOPIC", prefix, "PREFIXED", principal, "*", op, "ALLOW"))
        if "read" in ops:
            group = user.get("group_prefix") or user["name"]
            acls.add(("GROUP", group, "PREFIXED", principal, "*", "READ", "ALLOW"))
    return acls


def acl_args(acl, action):
    """AclCommand arguments that add (or remove) one ACL tuple."""
    resource_type, name, pattern, principal, host, operation, permission = acl
    flag = {"TOPIC": "--topic", "GROUP": "--group", "CLUSTER": "--cluster", "TRANSACTIONAL_ID": "--transactional-id"}
    args = [action, "--force"] if action == "--remove" else [action]
    allow = "--allow-principal" if permission == "ALLOW" else "--deny-principal"
    host_flag = "--allow-host" if permission == "ALLOW" else "--deny-host"
    args += [allow, principal, host_flag, host, "--operation", operation.title().replace("_", "")]
    if resource_type == "CLUSTER":
        args.append("--cluster")
    else:
        args += [flag[resource_type], name]
    args += ["--resource-pattern-type", pattern.lower()]
    return args


def acl_add_batches(acls):
    """The ACL tuples to add, as few AclCommand runs as add exactly them: one per principal,
    resource type, pattern, host and permission, and per set of operations, naming every resource
    that wants that same set (the command adds each resource with each operation). Each run is a
    JVM that takes seconds to start; a new cluster's users need two runs each instead of one per
    ACL."""
    wanted = {}
    for resource_type, name, pattern, principal, host, operation, permission in acls:
        key = (resource_type, pattern, principal, host, permission)
        wanted.setdefault(key, {}).setdefault(name, set()).add(operation)
    batches = []
    for key, names in sorted(wanted.items()):
        by_ops = {}
        for name, ops in names.items():
            by_ops.setdefault(tuple(sorted(ops)), []).append(name)
        for ops, same in sorted(by_ops.items()):
            batches.append((key, sorted(same), list(ops)))
    return batches


def acl_batch_args(batch):
    """AclCommand arguments that add one batch of acl_add_batches()."""
    (resource_type, pattern, principal, host, permission), names, operations = batch
    flag = {"TOPIC": "--topic", "GROUP": "--group", "CLUSTER": "--cluster", "TRANSACTIONAL_ID": "--transactional-id"}
    allow = "--allow-principal" if permission == "ALLOW" else "--deny-principal"
    host_flag = "--allow-host" if permission == "ALLOW" else "--deny-host"
    args = ["--add", allow, principal, host_flag, host]
    for operation in operations:
        args += ["--operation", operation.title().replace("_", "")]
    if resource_type == "CLUSTER":
        args.append("--cluster")
    else:
        for name in names:
            args += [flag[resource_type], name]
    args += ["--resource-pattern-type", pattern.lower()]
    return args


# --- topics as code ----------------------------------------------------------------------------


def raised_assignment(assignment, replication_factor, brokers):
    """Each partition's replicas, keeping the current ones in order and adding brokers round-robin
    (least used first) until ``replication_factor``. Returns {partition: [ids]} of what changes."""
    load = {b: 0 for b in brokers}
    for replicas in assignment.values():
        for b in replicas:
            if b in load:
                load[b] += 1
    changes = {}
    for p in sorted(assignment):
        replicas = list(assignment[p])
        while len(replicas) < replication_factor:
            candidates = sorted((b for b in brokers if b not in replicas), key=lambda b: (load[b], b))
            if not candidates:
                raise ValueError(
                    f"partition {p}: only {len(brokers)} brokers for replication factor {replication_factor}"
                )
            replicas.append(candidates[0])
            load[candidates[0]] += 1
        if replicas != assignment[p]:
            changes[p] = replicas
    return changes


def topic_changes(current, desired):
    """What converging one desired topic needs, against ``current`` (parse_topics of it, or None).

    Returns a list of (kind, detail): create, partitions, configs, replication_factor, delete.
    Raises ValueError for what apply never does (fewer partitions, a lower replication factor)."""
    name = desired["name"]
    if desired.get("state", "present") == "absent":
        return [("delete", name)] if current is not None else []
    if current is None:
        return [("create", name)]
    changes = []
    if desired["partitions"] < current["partitions"]:
        raise ValueError(
            f"topic {name}: partitions cannot decrease ({current['partitions']} -> {desired['partitions']}); "
            "Kafka cannot remove partitions: create a new topic and move the consumers"
        )
    if desired["partitions"] > current["partitions"]:
        changes.append(("partitions", desired["partitions"]))
    if desired["replication_factor"] < current["replication_factor"]:
        raise ValueError(
            f"topic {name}: the replication factor is {current['replication_factor']}, and apply never lowers it "
            f"(asked {desired['replication_factor']})"
        )
    if desired["replication_factor"] > current["replication_factor"]:
        changes.append(("replication_factor", desired["replication_factor"]))
    wanted = {k: str(v) for k, v in (desired.get("configs") or {}).items()}
    differing = {k: v for k, v in wanted.items() if current["configs"].get(k) != v}
    if differing:
        changes.append(("configs", differing))
    return changes
