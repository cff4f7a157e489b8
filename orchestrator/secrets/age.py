"""`harden secrets status`: how old each secret of each role is, read from Vault's KV history.

KV v2 versions a whole path, not a key: a role's path holds several secrets, and writing one makes
a version of all. A secret's age is therefore counted from the oldest version of the unbroken run,
back from the current one, in which its key holds the current value. Identifiers kept in Vault
that the service shows to every client (generate.confidential false: Kafka's cluster id) are
listed, and never count as too old: changing one would make a new cluster, not a safer one.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from orchestrator.clikit import StatusReport, Verdict
from orchestrator.models.base import GenerateSpec
from orchestrator.secrets.kv import KvRef
from orchestrator.secrets.resolver import Resolver, has_secrets
from orchestrator.validation import Environment

COLUMNS = ("role", "secret", "age (days)", "since", "state")
# created_time and the version's keys (None: deleted or destroyed), newest first
History = list[tuple[str, dict[str, Any] | None]]


@dataclass(frozen=True)
class SecretAge:
    role: str
    ref: str
    since: datetime.datetime | None  # when the current value was written; None: not in Vault
    identifier: bool = False


class _Collect(Resolver):
    """Resolves nothing: notes each reference, and whether it is an identifier."""

    def __init__(self) -> None:
        super().__init__(None, check=True)
        self.found: dict[KvRef, bool] = {}

    def value(self, ref: KvRef, generate: GenerateSpec | None) -> str:
        self.found[ref] = generate is not None and not generate.confidential
        return ""


def role_refs(env: Environment) -> list[tuple[str, KvRef, bool]]:
    """(role, reference, identifier) of every secret the environment's roles use, in Vault KV."""
    out: dict[tuple[str, KvRef], bool] = {}
    for role in env.settings.roles:
        collect = _Collect()
        for model in env.role_vars.get(role, {}).values():
            for field in type(model).model_fields:
                value = getattr(model, field)
                if has_secrets(value):
                    collect.resolve(role, field, value)
        out.update({(role, ref): identifier for ref, identifier in collect.found.items()})
    return sorted(((role, ref, ident) for (role, ref), ident in out.items()), key=lambda r: (r[0], str(r[1])))


def parse_time(text: str) -> datetime.datetime:
    """Vault's RFC 3339 time, nanoseconds and all."""
    seconds = text.rstrip("Z").split(".")[0]
    return datetime.datetime.fromisoformat(seconds).replace(tzinfo=datetime.UTC)


def value_since(history: History, key: str) -> datetime.datetime | None:
    """When the key got its current value (``history`` newest first); None if the newest version
    lacks the key."""
    if not history or history[0][1] is None or key not in (history[0][1] or {}):
        return None
    current = history[0][1][key]
    since = history[0][0]
    for created, data in history[1:]:
        if data is None or data.get(key) != current:
            break
        since = created
    return parse_time(since)


def vault_history(client: Any) -> Callable[[KvRef], History]:
    """A reader of a path's versions, newest first, each read once."""
    import hvac.exceptions

    cache: dict[tuple[str, str], History] = {}

    def read(ref: KvRef) -> History:
        where = (ref.mount, ref.path)
        if where in cache:
            return cache[where]
        kv = client.secrets.kv.v2
        try:
            meta = kv.read_secret_metadata(path=ref.path, mount_point=ref.mount)["data"]
        except hvac.exceptions.InvalidPath:
            cache[where] = []
            return []
        history: History = []
        for number in sorted(map(int, meta["versions"]), reverse=True):
            info = meta["versions"][str(number)]
            if info.get("destroyed") or info.get("deletion_time"):
                history.append((info["created_time"], None))
                continue
            version = kv.read_secret_version(path=ref.path, mount_point=ref.mount, version=number)
            history.append((info["created_time"], dict(version["data"]["data"] or {})))
        cache[where] = history
        return history

    return read


def ages(env: Environment, history: Callable[[KvRef], History]) -> list[SecretAge]:
    return [
        SecretAge(role, str(ref), value_since(history(ref), ref.key), identifier)
        for role, ref, identifier in role_refs(env)
    ]


def judge(found: Iterable[SecretAge], max_days: int, now: datetime.datetime, title: str) -> StatusReport:
    """Healthy: every secret is in Vault and younger than ``max_days``. Degraded: one is missing
    or older (identifiers never are)."""
    rows: list[tuple[str, ...]] = []
    reasons: list[str] = []
    for item in found:
        if item.since is None:
            rows.append((item.role, item.ref, "-", "-", "missing"))
            reasons.append(f"{item.role}: {item.ref} is not in Vault: harden apply --role {item.role} creates it")
            continue
        days = (now - item.since).total_seconds() / 86400
        state = "identifier" if item.identifier else ("too old" if days > max_days else "ok")
        rows.append((item.role, item.ref, f"{days:.1f}", item.since.strftime("%Y-%m-%d %H:%M"), state))
        if state == "too old":
            reasons.append(f"{item.role}: {item.ref} is {days:.0f} days old (secrets_max_age_days: {max_days})")
    verdict: Verdict = "degraded" if reasons else "healthy"
    return StatusReport(title, COLUMNS, rows, verdict, reasons)


def report(env: Environment) -> StatusReport:
    from orchestrator.secrets.vault_session import admin_client

    title = f"{env.name}: secrets (max age {env.settings.secrets_max_age_days} days)"
    with admin_client(env) as client:
        if client is None:
            return StatusReport(title, COLUMNS, [], "down", ["Vault is not reachable, initialised and unsealed"])
        found = ages(env, vault_history(client))
    return judge(found, env.settings.secrets_max_age_days, datetime.datetime.now(datetime.UTC), title)
