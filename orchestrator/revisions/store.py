"""Revisions: one record per role per apply, kept in SQLite under .harden/ (see the rollback docs)."""

from __future__ import annotations

import getpass
import hashlib
import json
import sqlite3
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from orchestrator.paths import REPO_ROOT, REPO_STATE_DIR

SCHEMA = """
CREATE TABLE IF NOT EXISTS revisions (
    env TEXT NOT NULL,
    role TEXT NOT NULL,
    number INTEGER NOT NULL,
    created_at REAL NOT NULL,
    user TEXT NOT NULL,
    git_commit TEXT NOT NULL,
    git_dirty INTEGER NOT NULL,
    action TEXT NOT NULL,
    hosts TEXT NOT NULL,
    vars_digest TEXT NOT NULL,
    vars_json TEXT NOT NULL,
    result TEXT NOT NULL,
    backups TEXT NOT NULL,
    data_format INTEGER NOT NULL DEFAULT 1,
    role_digest TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (env, role, number)
)
"""


@dataclass(frozen=True)
class Revision:
    env: str
    role: str
    number: int
    created_at: float
    user: str
    git_commit: str
    git_dirty: bool
    action: str
    hosts: list[str]
    vars_digest: str
    vars_json: str
    result: str
    backups: dict[str, str]
    data_format: int = 1
    role_digest: str = ""

    @property
    def public_vars(self) -> dict[str, dict[str, Any]]:
        data: dict[str, dict[str, Any]] = json.loads(self.vars_json)
        return data


def git_state(repo: Path = REPO_ROOT) -> tuple[str, bool]:
    try:
        commit = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown", True
    return commit, dirty


def role_files(role: str, tree: Path = REPO_ROOT) -> list[Path]:
    """The files that make up a role's content: the role, its playbook, and the shared pki issuer."""
    files = sorted(p for p in (tree / "roles" / role).rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    extra = [tree / "playbooks" / f"{role}.yml", tree / "roles" / "pki" / "tasks" / "issue.yml"]
    return files + [p for p in extra if p.is_file() and p not in files]


def content_digest(role: str, tree: Path = REPO_ROOT) -> str:
    """SHA-256 over the role's files (paths and bytes), as they are in ``tree`` now."""
    h = hashlib.sha256()
    for path in role_files(role, tree):
        h.update(str(path.relative_to(tree)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def public_vars(models: Mapping[str, BaseModel]) -> dict[str, dict[str, Any]]:
    """Each host's role variables. A secret variable holds no secret: it is recorded as what the
    inventory said (its `vault:` reference and/or `generate` spec), so a rollback resolves the same
    Vault key again instead of generating a new password at the default path."""
    return {host: model.model_dump(mode="json") for host, model in sorted(models.items())}


def vars_digest(public: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(public, sort_keys=True).encode()).hexdigest()


def open_db(path: Path) -> sqlite3.Connection:
    """The revisions database (the audit history lives there too). Two harden processes at once
    (two environments applied side by side) wait for each other's short writes, instead of
    failing with "database is locked" after sqlite's default 5 s."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    return sqlite3.connect(path, timeout=60)


class RevisionStore:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or REPO_STATE_DIR / "revisions.db"
        self._db = open_db(self.path)
        self._db.execute(SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(revisions)")}
        if "data_format" not in columns:  # databases from before data formats were recorded
            self._db.execute("ALTER TABLE revisions ADD COLUMN data_format INTEGER NOT NULL DEFAULT 1")
        if "role_digest" not in columns:
            self._db.execute("ALTER TABLE revisions ADD COLUMN role_digest TEXT NOT NULL DEFAULT ''")

    def next_number(self, env: str, role: str) -> int:
        (last,) = self._db.execute(
            "SELECT COALESCE(MAX(number), 0) FROM revisions WHERE env=? AND role=?", (env, role)
        ).fetchone()
        return int(last) + 1

    def record(
        self,
        *,
        env: str,
        role: str,
        action: str,
        hosts: list[str],
        models: Mapping[str, BaseModel],
        result: str,
        backups: Mapping[str, str] | None = None,
        history_max: int = 10,
        data_format: int = 1,
        role_digest: str | None = None,
        git: tuple[str, bool] | None = None,
        public: dict[str, dict[str, Any]] | None = None,
    ) -> Revision:
        commit, dirty = git or git_state()
        public = public if public is not None else public_vars(models)
        rev = Revision(
            env=env,
            role=role,
            number=self.next_number(env, role),
            created_at=time.time(),
            user=getpass.getuser(),
            git_commit=commit,
            git_dirty=dirty,
            action=action,
            hosts=sorted(hosts),
            vars_digest=vars_digest(public),
            vars_json=json.dumps(public, sort_keys=True),
            result=result,
            backups=dict(backups or {}),
            data_format=data_format,
            role_digest=role_digest if role_digest is not None else content_digest(role),
        )
        self._append(rev, history_max)
        return rev

    def _append(self, rev: Revision, history_max: int) -> None:
        with self._db:
            self._db.execute(
                "INSERT INTO revisions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    rev.env,
                    rev.role,
                    rev.number,
                    rev.created_at,
                    rev.user,
                    rev.git_commit,
                    int(rev.git_dirty),
                    rev.action,
                    json.dumps(rev.hosts),
                    rev.vars_digest,
                    rev.vars_json,
                    rev.result,
                    json.dumps(rev.backups),
                    rev.data_format,
                    rev.role_digest,
                ),
            )
            self._db.execute(
                "DELETE FROM revisions WHERE env=? AND role=? AND number <= ?",
                (rev.env, rev.role, rev.number - history_max),
            )

    def forget(self, env: str) -> None:
        """Drop an environment's revisions (the lab's, when `harden lab down` destroys its hosts)."""
        with self._db:
            self._db.execute("DELETE FROM revisions WHERE env=?", (env,))

    def history(self, env: str, role: str | None = None) -> list[Revision]:
        query = "SELECT * FROM revisions WHERE env=?" + (" AND role=?" if role else "") + " ORDER BY role, number"
        rows = self._db.execute(query, (env, role) if role else (env,)).fetchall()
        return [
            Revision(
                env=r[0],
                role=r[1],
                number=r[2],
                created_at=r[3],
                user=r[4],
                git_commit=r[5],
                git_dirty=bool(r[6]),
                action=r[7],
                hosts=json.loads(r[8]),
                vars_digest=r[9],
                vars_json=r[10],
                result=r[11],
                backups=json.loads(r[12]),
                data_format=int(r[13]),
                role_digest=str(r[14]),
            )
            for r in rows
        ]


class VaultRevisionStore(RevisionStore):
    """Revisions in Vault KV (secret/data/harden/revisions/<env>/<role>), shared by CI and every operator.

    Writes use check-and-set on the secret's version, so two concurrent applies cannot lose a revision.
    """

    MOUNT = "secret"

    def __init__(self, client: Any) -> None:  # an authenticated hvac client
        self._client = client

    def _path(self, env: str, role: str) -> str:
        return f"harden/revisions/{env}/{role}"

    def _read(self, env: str, role: str) -> tuple[list[Revision], int]:
        import hvac.exceptions

        try:
            resp = self._client.secrets.kv.v2.read_secret_version(
                path=self._path(env, role), mount_point=self.MOUNT, raise_on_deleted_version=True
            )
        except hvac.exceptions.InvalidPath:
            return [], 0
        items = json.loads(resp["data"]["data"]["revisions"])
        return [Revision(**item) for item in items], int(resp["data"]["metadata"]["version"])

    def next_number(self, env: str, role: str) -> int:
        revisions, _ = self._read(env, role)
        return max((r.number for r in revisions), default=0) + 1

    def _append(self, rev: Revision, history_max: int) -> None:
        import dataclasses

        import hvac.exceptions

        for _ in range(5):
            revisions, version = self._read(rev.env, rev.role)
            number = max((r.number for r in revisions), default=0) + 1
            kept = [r for r in revisions if r.number > number - history_max]
            entry = dataclasses.replace(rev, number=number)
            payload = json.dumps([dataclasses.asdict(r) for r in [*kept, entry]])
            try:
                self._client.secrets.kv.v2.create_or_update_secret(
                    path=self._path(rev.env, rev.role),
                    mount_point=self.MOUNT,
                    secret={"revisions": payload},
                    cas=version,
                )
                return
            except hvac.exceptions.InvalidRequest:  # another writer came first: read again
                continue
        raise RuntimeError(f"could not record revision of {rev.role} in Vault after 5 attempts")

    def history(self, env: str, role: str | None = None) -> list[Revision]:
        import hvac.exceptions

        if role is None:
            try:
                listed = self._client.secrets.kv.v2.list_secrets(path=f"harden/revisions/{env}", mount_point=self.MOUNT)
                roles = sorted(listed["data"]["keys"])
            except hvac.exceptions.InvalidPath:
                roles = []
        else:
            roles = [role]
        return [r for name in roles for r in self._read(env, name)[0]]
