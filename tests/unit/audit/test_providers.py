"""Each check judged on recorded evidence: one passing and one failing case each; and the checks
every role gets from its spec, found by discovery."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orchestrator.audit import providers as p
from orchestrator.audit.model import Check
from orchestrator.audit.run import run_provider
from orchestrator.roles import ROLES
from orchestrator.validation import validate_environment

PG = ROLES["postgres_ha"]


def test_every_role_with_a_status_gets_a_health_check_and_every_unit_a_limits_check() -> None:
    env = validate_environment("lab")
    found = {c.id: c for prov in p.providers(env) for c in prov.checks}
    for name in ("vault", "postgres_ha", "redis_sentinel", "kafka", "search", "edge"):
        assert f"HR-{p.code(ROLES[name])}-01" in found, name  # each has orchestrator/roles/<role>/ops.py:report
    assert {"HR-PG-01", "HR-PG-02", "HR-REDIS-01", "HR-VAULT-02", "HR-SEC-01", "HR-HOST-01"} <= set(found)
    assert "HR-PKI-01" not in found  # pki has no live state
    assert "HR-BASELINE-02" not in found  # sshd and journald are the system's, with no limits of harden's
    assert len(found) == len([c for prov in p.providers(env) for c in prov.checks])  # IDs are unique


def test_a_partial_audit_has_the_checks_of_its_roles_and_of_the_hosts() -> None:
    from orchestrator.secrets.age import role_refs

    env = validate_environment("lab").scoped(("kafka", "search"))
    found = {c.id for prov in p.providers(env) for c in prov.checks}
    assert {"HR-KAFKA-01", "HR-SEARCH-01", "HR-SEC-01", "HR-HOST-01", "HR-HOST-03"} <= found
    assert not any(c.startswith(("HR-PG-", "HR-REDIS-", "HR-VAULT-")) for c in found), found
    refs = {role for role, _, _ in role_refs(env)}
    assert refs == {"kafka", "search"}  # the secrets checks read only these roles' references
    assert env.scoped(()) is env


def test_health_passes_only_when_healthy() -> None:
    check = p.health_check(PG)
    ok = p.judge_health(check, "harden pg status --env lab", "healthy", [])
    bad = p.judge_health(check, "harden pg status --env lab", "degraded", ["data-2: not streaming (stopped)"])
    assert ok.passed and not bad.passed
    assert bad.evidence[0].value == "degraded: data-2: not streaming (stopped)"
    assert "harden apply --env lab --role postgres_ha" in bad.fix("lab")


DROP_IN = "/etc/systemd/system/patroni.service.d/harden-limits.conf"
UNIT = {"MemoryMax": "infinity", "TasksMax": "1024", "LimitNOFILE": "65536", "LimitCORE": "0", "DropInPaths": DROP_IN}


def test_limits_pass_with_every_limit_and_fail_on_one_unlimited() -> None:
    check = p.limits_check(PG)
    ok = p.judge_limits(check, {"data-1 patroni": UNIT, "data-2 patroni": UNIT})
    assert ok.passed and len(ok.evidence) == 2
    bad = p.judge_limits(check, {"data-1 patroni": UNIT, "data-2 patroni": {**UNIT, "TasksMax": "infinity"}})
    assert not bad.passed and "wrong: TasksMax=infinity" in bad.evidence[1].value
    assert not p.judge_limits(check, {"data-1 patroni": {**UNIT, "DropInPaths": ""}}).passed  # limits not applied
    cores = p.judge_limits(check, {"data-1 patroni": {**UNIT, "LimitCORE": "infinity"}})
    assert not cores.passed
    assert not p.judge_limits(check, {}).passed  # nothing running is not a pass


def test_secrets_in_vault_fail_when_one_is_missing() -> None:
    refs: list[tuple[str, Any]] = [("redis_sentinel", "vault:secret/data/harden/roles/redis_sentinel#admin_password")]
    assert p.judge_secrets_in_vault(refs, set()).passed
    missing = p.judge_secrets_in_vault(refs, {refs[0][1]})
    assert not missing.passed and refs[0][1] in missing.evidence[1].value


def test_artifacts_fail_when_a_secret_is_found() -> None:
    assert p.judge_artifacts(120, []).passed
    leaked = p.judge_artifacts(120, ["runs/x/artifacts/redis_sentinel/stdout"])
    assert not leaked.passed and "runs/x/artifacts/redis_sentinel/stdout" in leaked.evidence[1].value


WANTED = {"passwordauthentication": "no", "permitrootlogin": "without-password", "maxauthtries": "3"}


def test_sshd_judges_the_effective_settings_of_every_host() -> None:
    good = {"passwordauthentication": "no", "permitrootlogin": "without-password", "maxauthtries": "3", "port": "22"}
    assert p.judge_sshd({"data-1": good, "data-2": good}, WANTED).passed
    drifted = p.judge_sshd({"data-1": good, "data-2": {**good, "passwordauthentication": "yes"}}, WANTED)
    assert not drifted.passed and "passwordauthentication yes (want no)" in drifted.evidence[1].value
    assert not p.judge_sshd({}, WANTED).passed


def test_a_provider_that_fails_or_skips_a_check_fails_it() -> None:
    a = Check("HR-T-01", "a", "ha", 1, "fix a")
    b = Check("HR-T-02", "b", "ha", 1, "fix b")

    def broken(env: Any) -> list[Any]:
        raise RuntimeError("no route to host")

    failed = run_provider(p.Provider("t", (a, b), broken), None)  # type: ignore[arg-type]
    assert [f.passed for f in failed] == [False, False]
    assert failed[0].evidence[0].value == "RuntimeError: no route to host"
    partial = run_provider(p.Provider("t", (a, b), lambda env: [p.finding(a, True)]), None)  # type: ignore[arg-type]
    assert [(f.check.id, f.passed) for f in partial] == [("HR-T-01", True), ("HR-T-02", False)]
    assert partial[1].evidence[0].value == "not judged"


RULESET = """table inet harden {
	chain input {
		type filter hook input priority filter; policy drop;
		ip saddr { 10.77.0.21 } tcp dport 22 accept
		ip saddr { 10.77.0.12, 10.77.0.13 } tcp dport 2379 accept
	}
}"""


def test_the_firewall_check_wants_policy_drop_and_every_declared_port() -> None:
    assert p.judge_firewall({"data-1": RULESET}, {"data-1": [22, 2379]}).passed
    missing = p.judge_firewall({"data-1": RULESET}, {"data-1": [22, 2379, 8200]})
    assert not missing.passed and "not open: [8200]" in str(missing.evidence)
    assert not p.judge_firewall({"data-1": RULESET.replace("policy drop", "policy accept")}, {"data-1": [22]}).passed
    assert not p.judge_firewall({"data-1": None}, {"data-1": [22]}).passed
    assert not p.judge_firewall({}, {}).passed


def test_every_role_with_tls_ports_gets_a_tls_check_with_each_listening_endpoint() -> None:
    env = validate_environment("lab")
    found = {c.id for prov in p.providers(env) for c in prov.checks}
    for name in ("vault", "postgres_ha", "redis_sentinel", "kafka", "search", "edge", "lab_acme"):
        assert f"HR-{p.code(ROLES[name])}-03" in found, name
    pg = p.tls_endpoints(env, PG)
    mine = [e for e in pg if e.host == "data-1"]
    assert [e.label for e in mine] == [
        "data-1 postgres_ha_port 10.77.0.11:5432",
        "data-1 postgres_ha_restapi_port 10.77.0.11:8008",
        "data-1 postgres_ha_etcd_client_port 10.77.0.11:2379",
        "data-1 postgres_ha_etcd_peer_port 10.77.0.11:2380",
    ]  # HAProxy's ports are off in the lab
    script = p.tls_script("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", mine[:2])
    assert "-connect 10.77.0.11:5432 -starttls postgres -verify_ip 10.77.0.11" in script
    assert "-connect 10.77.0.11:8008 -verify_ip 10.77.0.11" in script
    assert "MIIB" in script and script.count(p.TLS_MARK) == 2
    # the edge's internal entry point listens where edge_internal_address says (loopback by default)
    assert [e.label for e in p.tls_endpoints(env, ROLES["edge"])] == ["edge-1 edge_internal_port 127.0.0.1:8443"]


def test_tls_passes_only_when_every_endpoint_verifies_and_lasts_14_days() -> None:
    import datetime

    check = p.tls_check(PG)
    now = datetime.datetime(2026, 12, 7, tzinfo=datetime.UTC)
    ok = "Verify return code: 0 (ok)\nnotAfter=Jan  8 10:00:00 2028 GMT"
    soon = "Verify return code: 0 (ok)\nnotAfter=Dec 17 10:00:00 2026 GMT"
    wrong_name = "Verify return code: 62 (hostname mismatch)\nnotAfter=Jan  8 10:00:00 2028 GMT"
    plain = "no handshake: 40C7:error:0A00010B:SSL routines:ssl3_get_record:wrong version number"
    labels = ["data-1 a 10.77.0.11:1", "data-2 a 10.77.0.12:1"]
    good = p.judge_tls(check, {labels[0]: ok, labels[1]: ok}, labels, now)
    assert good.passed and good.evidence[0].value == "verified, 397 days left"
    for bad_text, said in ((soon, "10 days left (want 14)"), (wrong_name, "62 (hostname mismatch)"), (plain, "wrong")):
        bad = p.judge_tls(check, {labels[0]: ok, labels[1]: bad_text}, labels, now)
        assert not bad.passed and said in bad.evidence[1].value, bad.evidence
    unread = p.judge_tls(check, {labels[0]: ok}, labels, now)
    assert not unread.passed and "not read" in unread.evidence[1].value
    assert p.judge_tls(check, {}, [], now).passed  # no TLS port anywhere: nothing to judge


SERVICE_POLICY = """# service billing reads only its own secrets
path "secret/data/billing" {
  capabilities = ["read"]
}

path "secret/data/billing/*" {
  capabilities = ["read"]
}

path "secret/metadata/billing/*" {
  capabilities = ["list"]
}
"""


def test_a_service_policy_passes_only_when_it_reaches_no_role_secret() -> None:
    paths = p.role_secret_paths()
    assert "secret/data/harden/roles/postgres_ha" in paths and "secret/metadata/harden/roles/vault" in paths
    assert p.policy_reaches(SERVICE_POLICY, paths) == []
    wide = SERVICE_POLICY + 'path "secret/data/+/roles/*" {\n  capabilities = ["read", "list"]\n}\n'
    assert p.policy_reaches(wide, paths) == ["path \"secret/data/+/roles/*\" ['list', 'read']"]
    everything = 'path "secret/*" { capabilities = ["read"] }'
    denied = 'path "secret/*" { capabilities = ["deny"] }'
    assert p.policy_reaches(everything, paths) and not p.policy_reaches(denied, paths)
    ok = p.judge_service_policies({"billing": SERVICE_POLICY, "orders": None}, paths)
    assert ok.passed and ok.evidence[1].value == "no such policy: the service reads nothing"
    bad = p.judge_service_policies({"billing": SERVICE_POLICY, "orders": everything}, paths)
    assert not bad.passed and "reaches the roles' secrets" in bad.evidence[1].value


def test_a_failover_drill_passes_when_recent_and_under_30_s(tmp_path: Path) -> None:
    from orchestrator.audit.drills import Drill, DrillLog

    command = p.drill_command(PG)
    assert command == "harden pg switchover"  # found in orchestrator/roles/postgres_ha/ops.py
    assert p.drill_command(ROLES["redis_sentinel"]) is None
    check = p.drill_check(PG, command)
    assert (
        check.id == "HR-PG-04"
        and check.fix.format(env="lab") == "harden pg switchover --env lab takes one (and records it)"
    )
    now = 1_800_000_000.0
    log = DrillLog(tmp_path / "revisions.db")
    assert log.last("lab", "postgres_ha") is None
    assert not p.judge_drill(check, None, 30, now).passed
    log.record("lab", Drill("postgres_ha", "switchover", 41.0, now - 86400, "data-1 -> data-2"))
    log.record("lab", Drill("postgres_ha", "switchover", 6.2, now - 3600, "data-2 -> data-3"))
    log.record("staging", Drill("postgres_ha", "switchover", 50.0, now, "db1 -> db2"))
    last = log.last("lab", "postgres_ha")
    assert last is not None and last.detail == "data-2 -> data-3"  # the newest of this environment
    ok = p.judge_drill(check, last, 30, now)
    assert ok.passed and ok.evidence[0].value == "switchover data-2 -> data-3: 6.2 s, 0.0 days ago"
    slow = p.judge_drill(check, Drill("postgres_ha", "switchover", 31.0, now, "a -> b"), 30, now)
    assert not slow.passed and "(want under 30 s)" in slow.evidence[0].value
    old = p.judge_drill(check, Drill("postgres_ha", "switchover", 6.0, now - 31 * 86400, "a -> b"), 30, now)
    assert not old.passed and "(want 30 days at most)" in old.evidence[0].value


def test_a_failed_ssh_connection_is_tried_again_and_a_failed_script_is_not(monkeypatch: Any) -> None:
    env = validate_environment("lab")
    calls: list[int] = []

    def answers(codes: list[int]) -> Any:
        def run(argv: list[str], **kwargs: Any) -> Any:
            calls.append(len(calls))
            return p.subprocess.CompletedProcess(argv, codes[len(calls) - 1], "out", "")

        return run

    monkeypatch.setattr(p.time, "sleep", lambda s: None)
    monkeypatch.setattr(p.subprocess, "run", answers([p.SSH_FAILED, p.SSH_FAILED, 0]))
    assert p.run_on(env, "data-1", "true").returncode == 0 and len(calls) == 3
    calls.clear()
    monkeypatch.setattr(p.subprocess, "run", answers([1]))  # the script ran and failed: its result stands
    assert p.run_on(env, "data-1", "false").returncode == 1 and len(calls) == 1
    calls.clear()
    monkeypatch.setattr(p.subprocess, "run", answers([p.SSH_FAILED] * p.SSH_ATTEMPTS))
    assert p.run_on(env, "data-1", "true").returncode == p.SSH_FAILED and len(calls) == p.SSH_ATTEMPTS
