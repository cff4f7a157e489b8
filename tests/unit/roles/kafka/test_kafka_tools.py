"""The pure parts of roles/kafka/module_utils/kafka_tools.py: argfiles, parsers, topic convergence."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from orchestrator.paths import ROLES_DIR


def _load() -> ModuleType:
    path = ROLES_DIR / "kafka" / "module_utils" / "kafka_tools.py"
    spec = importlib.util.spec_from_file_location("harden_test_kafka_tools", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["harden_test_kafka_tools"] = module
    spec.loader.exec_module(module)
    return module


KT = _load()

# The text layout of `kafka-topics --describe` (tab-separated fields).
DESCRIBE = (
    "Topic: orders.events\tTopicId: 3yQ0\tPartitionCount: 2\tReplicationFactor: 1\t"
    "Configs: min.insync.replicas=2,retention.ms=604800000,cleanup.policy=compact,delete\n"
    "\tTopic: orders.events\tPartition: 0\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: \tLastKnownElr: \n"
    "\tTopic: orders.events\tPartition: 1\tLeader: none\tReplicas: 2\tIsr: \tElr: \tLastKnownElr: \n"
)


def test_an_argfile_line_survives_spaces_quotes_and_backslashes() -> None:
    assert KT.argfile_line('SCRAM-SHA-512=[password=a b"c\\d]') == '"SCRAM-SHA-512=[password=a b\\"c\\\\d]"'


def test_topics_are_parsed_with_their_partitions_and_configs() -> None:
    topic = KT.parse_topics(DESCRIBE)["orders.events"]
    assert (topic["partitions"], topic["replication_factor"]) == (2, 1)
    assert topic["configs"] == {
        "min.insync.replicas": "2",
        "retention.ms": "604800000",
        "cleanup.policy": "compact,delete",
    }
    assert topic["assignment"] == {0: [1], 1: [2]}
    assert topic["leaders"] == {0: 1, 1: -1}
    assert topic["isr"] == {0: [1], 1: []}


def test_quorum_status_and_replication() -> None:
    status = KT.parse_quorum_status(
        "ClusterId:              oVqvzdoBaNJXOOYejsXr4g\nLeaderId:               2\nLeaderEpoch:            7\n"
        "HighWatermark:          1234\nMaxFollowerLag:         0\nMaxFollowerLagTimeMs:   0\n"
        'CurrentVoters:          [{"id": 1, "directoryId": null}, {"id": 2}, {"id": 3}]\nCurrentObservers:       []\n'
    )
    assert status == {"leader": 2, "epoch": 7, "high_watermark": 1234, "max_lag": 0, "voters": [1, 2, 3]}
    assert KT.parse_quorum_status("LeaderId: -1\n")["leader"] is None
    rows = KT.parse_quorum_replication(
        "NodeId  DirectoryId             LogEndOffset  Lag  LastFetchTimestamp  LastCaughtUpTimestamp  Status\n"
        "2       pbvuBlaTTwKRxS5NLJwRFQ  1234          0    1733300000000       1733300000000          Leader\n"
        "1       QK1pVjoOTmqLbXd3nKm3Ow  1230          4    1733300000000       1733300000000          Follower\n"
    )
    assert rows == [{"node": 2, "lag": 0, "status": "Leader"}, {"node": 1, "lag": 4, "status": "Follower"}]


def test_acls_listed_and_desired_compare_as_tuples() -> None:
    listed = KT.parse_acls(
        "Current ACLs for resource `ResourcePattern(resourceType=TOPIC, name=orders., patternType=PREFIXED)`: \n"
        " \t(principal=User:orders, host=*, operation=WRITE, permissionType=ALLOW)\n"
        "\t(principal=User:orders, host=*, operation=DESCRIBE, permissionType=ALLOW) \n\n"
    )
    wanted = KT.desired_acls([{"name": "orders", "topic_prefixes": ["orders."], "operations": ["write"]}])
    assert listed == wanted
    reader = KT.desired_acls([{"name": "analytics", "topic_prefixes": ["clicks."], "operations": ["read"]}])
    assert ("GROUP", "analytics", "PREFIXED", "User:analytics", "*", "READ", "ALLOW") in reader
    assert not any(acl[5] == "WRITE" for acl in reader)
    assert KT.acl_args(("TOPIC", "orders.", "PREFIXED", "User:orders", "*", "WRITE", "ALLOW"), "--add") == [
        "--add", "--allow-principal", "User:orders", "--allow-host", "*", "--operation", "Write",
        "--topic", "orders.", "--resource-pattern-type", "prefixed",
    ]  # fmt: skip


def test_acl_batches_add_exactly_the_wanted_acls_in_few_runs() -> None:
    users = [
        {"name": "orders", "topic_prefixes": ["orders.", "returns."]},
        {"name": "audit", "topic_prefixes": ["orders.", "payments."], "operations": ["read"]},
        {"name": "payments", "topic_prefixes": ["payments."], "operations": ["write"]},
    ]
    wanted = KT.desired_acls(users)
    batches = KT.acl_add_batches(sorted(wanted))
    assert wanted and len(batches) == 5  # per user: its topics (one set of operations), and its group
    added = set()
    for batch in batches:
        args = KT.acl_batch_args(batch)
        principal = args[args.index("--allow-principal") + 1]
        ops = [args[i + 1].upper() for i, a in enumerate(args) if a == "--operation"]
        kind = "TOPIC" if "--topic" in args else "GROUP"
        names = [args[i + 1] for i, a in enumerate(args) if a in ("--topic", "--group")]
        assert args[0] == "--add" and args[-2:] == ["--resource-pattern-type", "prefixed"]
        added |= {(kind, n, "PREFIXED", principal, "*", op, "ALLOW") for n in names for op in ops}
    assert added == wanted  # the command adds the cross product of a run's names and operations


def test_raising_the_replication_factor_keeps_current_replicas_first() -> None:
    changes = KT.raised_assignment({0: [1], 1: [2], 2: [3]}, 3, [1, 2, 3])
    assert {p: r[0] for p, r in changes.items()} == {0: 1, 1: 2, 2: 3}  # the leader's data stays put
    assert all(sorted(r) == [1, 2, 3] for r in changes.values())
    assert KT.raised_assignment({0: [1, 2, 3]}, 3, [1, 2, 3]) == {}
    with pytest.raises(ValueError, match="only 2 brokers"):
        KT.raised_assignment({0: [1]}, 3, [1, 2])


def test_topic_changes_grow_but_never_shrink() -> None:
    current = KT.parse_topics(DESCRIBE)["orders.events"]
    desired = {"name": "orders.events", "partitions": 3, "replication_factor": 3, "configs": {"retention.ms": 1}}
    assert KT.topic_changes(current, desired) == [
        ("partitions", 3),
        ("replication_factor", 3),
        ("configs", {"retention.ms": "1"}),
    ]
    assert KT.topic_changes(None, desired) == [("create", "orders.events")]
    assert KT.topic_changes(None, {**desired, "state": "absent"}) == []
    assert KT.topic_changes(current, {**desired, "state": "absent"}) == [("delete", "orders.events")]
    with pytest.raises(ValueError, match="partitions cannot decrease"):
        KT.topic_changes(current, {**desired, "partitions": 1})
    same = {"name": "orders.events", "partitions": 2, "replication_factor": 1, "configs": {"retention.ms": "604800000"}}
    assert KT.topic_changes(current, same) == []


def test_health_counts_internal_topics_and_durability_only_application_ones() -> None:
    quorum = {"leader": 1, "epoch": 1, "high_watermark": 5, "max_lag": 0, "voters": [1, 2]}
    replication = [{"node": 1, "lag": 0, "status": "Leader"}, {"node": 2, "lag": 0, "status": "Follower"}]
    internal = {
        "partitions": 1,
        "replication_factor": 1,
        "configs": {},
        "assignment": {0: [1, 2]},
        "leaders": {0: 1},
        "isr": {0: [1]},
    }
    topics = {"__consumer_offsets": internal}
    ids = {1: "1", 2: "2"}
    assert KT.health_reasons(quorum, replication, topics, ids, {**ids, 3: "3"}) == [
        "broker node 3 is not registered",  # names that are the ids themselves (the Ansible module)
        "topic __consumer_offsets: 1 partitions under-replicated",
    ]
    assert KT.durability_reasons(topics, 2) == []
    assert KT.partition_counts(internal) == (0, 1)


def test_every_tool_starts_from_the_same_java_command() -> None:
    argv = KT.java_command("/opt/kafka/current", KT.TOPICS)
    assert argv[0] == "java" and argv[-1] == KT.TOPICS and "/opt/kafka/current/libs/*" in argv
    assert [name for name, _tool, _args in KT.HEALTH_READS] == ["status", "replication", "topics"]


def test_a_tool_that_does_not_answer_in_time_is_a_failed_read_with_its_reason(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """kafka_health retries a failed read until its own deadline; a timeout used to escape as a
    traceback, which Ansible reported only as "No start of json char found"."""
    seen: list[str] = []

    def slow(argv: list[str], **kwargs: object) -> None:
        seen.append(argv[1].removeprefix("@"))
        raise KT.subprocess.TimeoutExpired(argv, kwargs["timeout"])

    monkeypatch.setattr(KT.subprocess, "run", slow)
    real_mkstemp = KT.tempfile.mkstemp
    monkeypatch.setattr(KT.tempfile, "mkstemp", lambda prefix, dir: real_mkstemp(prefix=prefix, dir=tmp_path))
    archives = tmp_path / "archives"
    rc, out, err = KT.run_tool("/opt/kafka", KT.QUORUM, ["describe", "--status"], timeout=60, archives=str(archives))
    assert (rc, out) == (KT.TIMED_OUT, "") and err == "MetadataQuorumCommand gave no answer within 60 s"
    assert seen and not Path(seen[0]).exists()  # the argument file is removed all the same
    assert list(archives.iterdir()) == []  # no lock left, no archive of a run that failed


def _tool_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rc: int) -> list[list[str]]:
    """Fake java: records each run's argument file and writes what -XX:ArchiveClassesAtExit names."""
    runs: list[list[str]] = []

    def java(argv: list[str], **kwargs: object) -> object:
        lines = [line.strip('"') for line in Path(argv[1].removeprefix("@")).read_text().splitlines()]
        runs.append(lines)
        for line in lines:
            if line.startswith("-XX:ArchiveClassesAtExit="):
                Path(line.split("=", 1)[1]).write_bytes(b"classes")
        return KT.subprocess.CompletedProcess(argv, rc, "out", "")

    monkeypatch.setattr(KT.subprocess, "run", java)
    real_mkstemp = KT.tempfile.mkstemp
    monkeypatch.setattr(KT.tempfile, "mkstemp", lambda prefix, dir: real_mkstemp(prefix=prefix, dir=tmp_path))
    return runs


def test_the_first_run_archives_the_tools_classes_and_later_runs_map_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    runs = _tool_run(tmp_path, monkeypatch, 0)
    archives = tmp_path / "archives"
    for _ in range(2):
        assert KT.run_tool("/opt/kafka", KT.TOPICS, ["--describe"], archives=str(archives)) == (0, "out", "")
    archive = KT.class_archive("/opt/kafka", str(archives))
    assert [p.name for p in archives.iterdir()] == [Path(archive).name]  # renamed; the lock is gone
    assert f"-XX:ArchiveClassesAtExit={archive}.tmp" in runs[0]
    assert f"-XX:SharedArchiveFile={archive}" in runs[1] and "-Xshare:auto" in runs[1]
    for run in runs:  # the JVM's warnings never reach the stdout a module parses
        assert run[: len(KT.QUIET_JVM)] == KT.QUIET_JVM and run[-1] == "--describe"


def test_a_failed_run_keeps_no_archive_and_a_run_beside_the_writer_runs_without(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    runs = _tool_run(tmp_path, monkeypatch, 1)
    archives = tmp_path / "archives"
    assert KT.run_tool("/opt/kafka", KT.TOPICS, ["--describe"], archives=str(archives))[0] == 1
    assert list(archives.iterdir()) == []
    archive = KT.class_archive("/opt/kafka", str(archives))
    Path(archive + ".lock").write_text("")  # another run is writing it
    KT.run_tool("/opt/kafka", KT.TOPICS, ["--describe"], archives=str(archives))
    assert not any("Archive" in a or "SharedArchive" in a for a in runs[1])
    old = KT.time.time() - KT._LOCK_STALE_S - 1
    KT.os.utime(archive + ".lock", (old, old))  # that run died: its lock is taken over
    KT.run_tool("/opt/kafka", KT.TOPICS, ["--describe"], archives=str(archives))
    assert f"-XX:ArchiveClassesAtExit={archive}.tmp" in runs[2]
