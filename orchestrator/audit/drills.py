"""Failover drills: each measured change of leader, kept beside the revisions (.harden/revisions.db),
for `harden audit`'s failover check (the platform's criterion: a database failover under 30 s).

A role whose ops module names ``DRILL`` (the command that takes a drill, `harden pg switchover`)
records each one it measures, and gets the check HR-<code>-04 by discovery
(orchestrator/audit/providers.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from orchestrator.paths import REPO_STATE_DIR
from orchestrator.revisions.store import open_db

FAILOVER_BOUND_S = 30.0  # the platform's success criterion

SCHEMA = """
CREATE TABLE IF NOT EXISTS drills (
    env TEXT NOT NULL,
    role TEXT NOT NULL,
    kind TEXT NOT NULL,
    seconds REAL NOT NULL,
    created_at REAL NOT NULL,
    detail TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class Drill:
    role: str
    kind: str  # what was measured: "switchover"
    seconds: float  # from the request to a new leader that serves
    created_at: float
    detail: str  # "data-1 -> data-2"


class DrillLog:
    def __init__(self, path: Path | None = None) -> None:
        self._db = open_db(path or REPO_STATE_DIR / "revisions.db")
        self._db.execute(SCHEMA)

    def record(self, env: str, drill: Drill) -> None:
        with self._db:
            self._db.execute(
                "INSERT INTO drills VALUES (?, ?, ?, ?, ?, ?)",
                (env, drill.role, drill.kind, drill.seconds, drill.created_at, drill.detail),
            )

    def last(self, env: str, role: str) -> Drill | None:
        row = self._db.execute(
            "SELECT role, kind, seconds, created_at, detail FROM drills WHERE env=? AND role=? "
            "ORDER BY created_at DESC LIMIT 1",
            (env, role),
        ).fetchone()
        return Drill(*row) if row else None


def record(env: str, role: str, kind: str, seconds: float, detail: str) -> Drill:
    drill = Drill(role, kind, seconds, time.time(), detail)
    DrillLog().record(env, drill)
    return drill
