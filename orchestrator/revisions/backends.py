"""Pick where an environment's revisions live (harden.yml `revisions_backend`)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

from orchestrator.revisions.store import Revision, RevisionStore, VaultRevisionStore
from orchestrator.secrets.vault_session import admin_client
from orchestrator.validation import Environment

T = TypeVar("T")


class SharedRevisionStore(RevisionStore):
    """Revisions in Vault KV; each call opens its own short session (Vault may restart during an apply).

    Before Vault exists (its own bootstrap apply) revisions go to the local SQLite store, with a warning.
    """

    def __init__(self, env: Environment) -> None:
        self._env = env
        self._local: RevisionStore | None = None

    def _with(self, action: Callable[[RevisionStore], T]) -> T:
        with admin_client(self._env) as client:
            if client is not None:
                return action(VaultRevisionStore(client))
        if self._local is None:
            print("warning: Vault is not reachable; revisions are kept locally in .harden/", file=sys.stderr)
            self._local = RevisionStore()
        return action(self._local)

    def next_number(self, env: str, role: str) -> int:
        return self._with(lambda store: store.next_number(env, role))

    def record(self, **kwargs: Any) -> Revision:
        return self._with(lambda store: store.record(**kwargs))

    def history(self, env: str, role: str | None = None) -> list[Revision]:
        return self._with(lambda store: store.history(env, role))


def open_store(env: Environment) -> RevisionStore:
    return SharedRevisionStore(env) if env.settings.revisions_backend == "vault" else RevisionStore()
