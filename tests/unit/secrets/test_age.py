"""`harden secrets status`: a secret's age from its path's KV history, and the verdict."""

from __future__ import annotations

import datetime

from orchestrator.audit.providers import judge_secret_ages
from orchestrator.secrets.age import SecretAge, ages, judge, parse_time, role_refs, value_since
from orchestrator.secrets.kv import KvRef
from orchestrator.validation import validate_environment

NOW = datetime.datetime(2026, 12, 7, tzinfo=datetime.UTC)
T1, T2, T3 = "2026-01-01T10:00:00.123456789Z", "2026-06-01T10:00:00Z", "2026-12-01T10:00:00.5Z"


def test_a_key_s_age_counts_from_the_first_version_that_holds_its_current_value() -> None:
    # newest first: another key changed in T3, this one last in T2
    history = [(T3, {"a": "new", "b": "x2"}), (T2, {"a": "new", "b": "x1"}), (T1, {"a": "old", "b": "x1"})]
    assert value_since(history, "a") == parse_time(T2)
    assert value_since(history, "b") == parse_time(T3)
    assert value_since(history, "c") is None
    # a deleted version breaks the run: the value cannot be shown to have been there
    assert value_since([(T3, {"a": "v"}), (T2, None), (T1, {"a": "v"})], "a") == parse_time(T3)
    assert value_since([], "a") is None


def test_older_than_the_maximum_or_missing_is_degraded_and_an_identifier_never_is() -> None:
    old = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    found = [
        SecretAge("postgres_ha", "vault:secret/data/harden/roles/postgres_ha#x", old),
        SecretAge("kafka", "vault:secret/data/harden/roles/kafka#cluster_id", old, identifier=True),
        SecretAge("redis_sentinel", "vault:secret/data/harden/roles/redis_sentinel#y", None),
        SecretAge("edge", "vault:secret/data/harden/roles/edge#z", NOW - datetime.timedelta(days=3)),
    ]
    report = judge(found, 90, NOW, "t")
    assert report.verdict == "degraded"
    assert [r[-1] for r in report.rows] == ["too old", "identifier", "missing", "ok"]
    assert len(report.reasons) == 2 and "postgres_ha#x is 340 days old (secrets_max_age_days: 90)" in report.reasons[0]
    audit = judge_secret_ages(report)
    assert not audit.passed and "340 days old" in audit.evidence[0].value
    assert judge(found[1:2] + found[3:], 90, NOW, "t").verdict == "healthy"
    assert judge_secret_ages(judge(found[3:], 90, NOW, "t")).passed


def test_every_role_s_references_are_found_the_apps_ones_and_kafka_s_identifier() -> None:
    env = validate_environment("lab")
    refs = role_refs(env)
    roles = {role for role, _, _ in refs}
    assert {"postgres_ha", "redis_sentinel", "kafka", "search", "edge", "lab_acme", "app_services"} <= roles
    assert ("app_services", KvRef.parse("vault:secret/data/billing#api_token"), False) in refs
    assert [str(ref) for role, ref, ident in refs if ident] == ["vault:secret/data/harden/roles/kafka#cluster_id"]
    # an age per reference, in the references' order

    def history(ref: KvRef) -> list[tuple[str, dict[str, str] | None]]:
        return [(T3, {ref.key: "v"})]

    found = ages(env, history)
    assert [a.ref for a in found] == [str(r) for _, r, _ in refs] and all(a.since == parse_time(T3) for a in found)
