"""Run every provider's checks against the live environment, and keep the result."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from orchestrator.audit.model import Finding, Score, finding, score
from orchestrator.audit.providers import Provider, providers
from orchestrator.paths import REPO_STATE_DIR
from orchestrator.revisions.store import git_state, open_db
from orchestrator.validation import Environment


@dataclass(frozen=True)
class AuditReport:
    env: str
    findings: list[Finding]
    score: Score
    seconds: float
    commit: str
    roles: tuple[str, ...] = ()  # the roles audited (--role); empty: every role of the environment


def run_provider(provider: Provider, env: Environment) -> list[Finding]:
    """The provider's findings; a provider that fails fails each of its checks, with the reason.
    A check the provider did not judge is failed too: a report never silently drops a check."""
    try:
        found = provider.run(env)
    except Exception as exc:
        reason = f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
        return [finding(c, False, (provider.name, reason)) for c in provider.checks]
    judged = {f.check.id for f in found}
    missing = [finding(c, False, (provider.name, "not judged")) for c in provider.checks if c.id not in judged]
    return found + missing


# Providers read side by side: each waits mostly on a host or a service (ssh, a status command,
# Vault). Four at a time, so that a host sees few SSH connections start at once (sshd's
# MaxStartups drops some beyond 10); bench/audit.md measures it against one at a time.
WORKERS = 4


def audit(env: Environment, roles: tuple[str, ...] = (), workers: int = WORKERS) -> AuditReport:
    """Every check of the environment, or (``roles``) those of the named roles and the cross-role
    ones about them: secrets of those roles, and the hosts. The findings keep the providers' order
    whatever order they finish in."""
    started = time.monotonic()
    seen = env.scoped(roles)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        results = list(pool.map(lambda provider: run_provider(provider, seen), providers(seen)))
    findings = [f for found in results for f in found]
    commit, _ = git_state()
    kept = tuple(seen.settings.roles) if roles else ()
    return AuditReport(env.name, findings, score(findings), time.monotonic() - started, commit, kept)


SCHEMA = """
CREATE TABLE IF NOT EXISTS audits (
    env TEXT NOT NULL,
    created_at REAL NOT NULL,
    git_commit TEXT NOT NULL,
    score REAL NOT NULL,
    areas TEXT NOT NULL,
    failed TEXT NOT NULL,
    checks INTEGER NOT NULL,
    roles TEXT NOT NULL DEFAULT '[]'
)
"""


@dataclass(frozen=True)
class AuditRecord:
    created_at: float
    commit: str
    score: float
    areas: dict[str, float]
    failed: list[str]
    checks: int
    roles: list[str]  # empty: the whole environment


class AuditHistory:
    """Each audit's score, per area, with the checks that failed: beside the revisions (.harden/revisions.db)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or REPO_STATE_DIR / "revisions.db"
        self._db = open_db(self.path)
        self._db.execute(SCHEMA)
        # a history from before partial audits (--role): every record in it is a whole one
        with contextlib.suppress(sqlite3.OperationalError):  # the column is there
            self._db.execute("ALTER TABLE audits ADD COLUMN roles TEXT NOT NULL DEFAULT '[]'")

    def record(self, report: AuditReport) -> None:
        failed = sorted(f.check.id for f in report.findings if not f.passed)
        with self._db:
            self._db.execute(
                "INSERT INTO audits (env, created_at, git_commit, score, areas, failed, checks, roles) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    report.env,
                    time.time(),
                    report.commit,
                    report.score.percent,
                    json.dumps(report.score.by_area),
                    json.dumps(failed),
                    len(report.findings),
                    json.dumps(list(report.roles)),
                ),
            )

    def history(self, env: str, last: int = 20) -> list[AuditRecord]:
        rows = self._db.execute(
            "SELECT created_at, git_commit, score, areas, failed, checks, roles FROM audits WHERE env=? "
            "ORDER BY created_at DESC LIMIT ?",
            (env, last),
        ).fetchall()
        return [
            AuditRecord(r[0], r[1], r[2], json.loads(r[3]), json.loads(r[4]), r[5], json.loads(r[6]))
            for r in reversed(rows)
        ]
