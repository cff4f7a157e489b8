"""The audit as text, markdown (a PR comment, like `harden plan`) or JSON."""

from __future__ import annotations

import json
import time
from dataclasses import asdict

from rich.console import Console
from rich.table import Table

from orchestrator.audit.model import AREAS, Finding
from orchestrator.audit.run import AuditRecord, AuditReport

MARKER = "<!-- harden-audit:{env} -->"


def _evidence(f: Finding) -> str:
    return "; ".join(f"{e.source}: {e.value}" for e in f.evidence)


def scope(roles: tuple[str, ...] | list[str]) -> str:
    return "roles " + ", ".join(roles) if roles else "every role"


def summary(report: AuditReport, min_score: float | None = None) -> str:
    passed = sum(1 for f in report.findings if f.passed)
    where = f"{report.env} ({scope(report.roles)})" if report.roles else report.env
    line = f"{where}: readiness {report.score.percent:.0f}% ({passed} of {len(report.findings)} checks passed)"
    if min_score is not None:
        line += f", minimum {min_score:.0f}%: " + ("met" if report.score.percent >= min_score else "NOT met")
    return line


def as_text(report: AuditReport, console: Console, min_score: float | None = None) -> None:
    table = Table("id", "area", "weight", "result", "check", "evidence", "fix", title=summary(report, min_score))
    for f in report.findings:
        table.add_row(
            f.check.id,
            f.check.area,
            str(f.check.weight),
            "pass" if f.passed else "[red]FAIL",
            f.check.title,
            _evidence(f),
            f.fix(report.env),
        )
    console.print(table)
    areas = ", ".join(f"{AREAS[a]} {p:.0f}%" for a, p in report.score.by_area.items())
    console.print(f"by area: {areas}; {report.seconds:.1f} s, commit {report.commit}")


def as_markdown(report: AuditReport, min_score: float | None = None) -> str:
    failed = [f for f in report.findings if not f.passed]
    lines = [MARKER.format(env=report.env), f"### harden audit: {summary(report, min_score)}", ""]
    lines += ["| area | score |", "| --- | --- |"]
    lines += [f"| {AREAS[a]} | {p:.0f}% |" for a, p in report.score.by_area.items()]
    if failed:
        lines += ["", "**Failing checks**", "", "| id | check | evidence | fix |", "| --- | --- | --- | --- |"]
        lines += [
            f"| {f.check.id} | {f.check.title} | {_evidence(f).replace('|', '/')} | `{f.fix(report.env)}` |"
            for f in failed
        ]
    lines += ["", f"<details><summary>All {len(report.findings)} checks</summary>", ""]
    lines += ["| id | result | check | evidence |", "| --- | --- | --- | --- |"]
    lines += [
        f"| {f.check.id} | {'pass' if f.passed else 'FAIL'} | {f.check.title} | {_evidence(f).replace('|', '/')} |"
        for f in report.findings
    ]
    lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def as_json(report: AuditReport, min_score: float | None = None) -> str:
    return json.dumps(
        {
            "env": report.env,
            "score": round(report.score.percent, 1),
            "by_area": {a: round(p, 1) for a, p in report.score.by_area.items()},
            "roles": list(report.roles),
            "min_score": min_score,
            "seconds": round(report.seconds, 1),
            "commit": report.commit,
            "checks": [
                {
                    **asdict(f.check),
                    "passed": f.passed,
                    "evidence": [asdict(e) for e in f.evidence],
                    "fix": f.fix(report.env),
                }
                for f in report.findings
            ],
        },
        indent=2,
    )


def history_table(env: str, records: list[AuditRecord]) -> Table:
    """One row per audit; the trend compares an audit with the previous one of the same scope (a
    partial audit, --role, scores other checks than a whole one)."""
    table = Table("when", "commit", "scope", "score", "checks", "failed", title=f"{env}: readiness over time")
    previous: dict[tuple[str, ...], float] = {}
    for r in records:
        last = previous.get(tuple(r.roles))
        trend = "" if last is None else (" ↑" if r.score > last else (" ↓" if r.score < last else " ="))
        table.add_row(
            time.strftime("%Y-%m-%d %H:%M", time.localtime(r.created_at)),
            r.commit,
            scope(r.roles),
            f"{r.score:.0f}%{trend}",
            str(r.checks),
            ", ".join(r.failed) or "-",
        )
        previous[tuple(r.roles)] = r.score
    return table
