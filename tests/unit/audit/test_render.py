"""The audit's formats, the CI gate and the history."""

from __future__ import annotations

import json
from pathlib import Path

from orchestrator.audit import render
from orchestrator.audit.model import Check, finding, score
from orchestrator.audit.run import AuditHistory, AuditReport

OK = finding(Check("HR-PG-01", "postgres_ha: healthy", "ha", 3, "harden apply --env {env} --role postgres_ha"), True)
BAD = finding(
    Check("HR-SEC-01", "secrets in Vault", "secrets", 1, "harden apply --env {env}"),
    False,
    ("Vault KV read", "2 of 3 | present"),
)


def _report() -> AuditReport:
    findings = [OK, BAD]
    return AuditReport("staging", findings, score(findings), 4.2, "abc1234")


def test_markdown_has_its_marker_the_score_and_each_failing_check_with_its_fix() -> None:
    text = render.as_markdown(_report(), min_score=80)
    assert text.startswith("<!-- harden-audit:staging -->\n")
    assert "readiness 75% (1 of 2 checks passed), minimum 80%: NOT met" in text
    assert "| HR-SEC-01 | secrets in Vault | Vault KV read: 2 of 3 / present | `harden apply --env staging` |" in text


def test_json_carries_every_check_with_its_evidence() -> None:
    doc = json.loads(render.as_json(_report()))
    assert doc["score"] == 75.0 and doc["by_area"] == {"secrets": 0.0, "ha": 100.0}
    assert [c["id"] for c in doc["checks"]] == ["HR-PG-01", "HR-SEC-01"]
    assert doc["checks"][1]["evidence"] == [{"source": "Vault KV read", "value": "2 of 3 | present"}]
    assert doc["checks"][1]["fix"] == "harden apply --env staging" and doc["checks"][0]["fix"] == ""


def test_history_keeps_each_audit_in_order(tmp_path: Path) -> None:
    history = AuditHistory(tmp_path / "revisions.db")
    history.record(_report())
    better = AuditReport("staging", [OK], score([OK]), 1.0, "def5678")
    history.record(better)
    records = history.history("staging")
    assert [(r.score, r.failed) for r in records] == [(75.0, ["HR-SEC-01"]), (100.0, [])]
    assert history.history("production") == []
    assert render.history_table("staging", records).row_count == 2


def test_a_partial_audit_says_its_roles_and_its_trend_compares_like_with_like(tmp_path: Path) -> None:
    history = AuditHistory(tmp_path / "revisions.db")
    history.record(_report())  # the whole environment, 75%
    partial = AuditReport("staging", [OK], score([OK]), 1.0, "def5678", ("postgres_ha",))
    assert render.summary(partial).startswith("staging (roles postgres_ha): readiness 100%")
    assert json.loads(render.as_json(partial))["roles"] == ["postgres_ha"]
    history.record(partial)
    history.record(_report())
    records = history.history("staging")
    assert [r.roles for r in records] == [[], ["postgres_ha"], []]
    table = render.history_table("staging", records)
    scopes, scores = table.columns[2]._cells, table.columns[3]._cells
    assert scopes == ["every role", "roles postgres_ha", "every role"]
    assert scores == ["75%", "100%", "75% ="]  # the third against the first, not the partial one


def test_a_history_from_before_partial_audits_reads_as_whole_audits(tmp_path: Path) -> None:
    import sqlite3

    db = sqlite3.connect(tmp_path / "revisions.db")
    db.execute(
        "CREATE TABLE audits (env TEXT NOT NULL, created_at REAL NOT NULL, git_commit TEXT NOT NULL, "
        "score REAL NOT NULL, areas TEXT NOT NULL, failed TEXT NOT NULL, checks INTEGER NOT NULL)"
    )
    db.execute("INSERT INTO audits VALUES ('staging', 1.0, 'abc', 50.0, '{}', '[]', 4)")
    db.commit()
    db.close()
    history = AuditHistory(tmp_path / "revisions.db")
    history.record(_report())
    assert [(r.score, r.roles) for r in history.history("staging")] == [(50.0, []), (75.0, [])]
    AuditHistory(tmp_path / "revisions.db")  # opened again: the column is there already
