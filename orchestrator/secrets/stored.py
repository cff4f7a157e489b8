"""Read one role secret back from Vault, for operations commands (status, failover, switchover)."""

from __future__ import annotations

from typing import Any

from orchestrator.errors import HardenError
from orchestrator.secrets.kv import KvRef, KvStore
from orchestrator.secrets.resolver import default_ref, legacy_ref
from orchestrator.secrets.vault_session import admin_client
from orchestrator.validation import Environment


def read_stored_secret(env: Environment, role: str, model: Any, field: str) -> str:
    """The value of ``model.<field>`` as stored in Vault (where the role's apply put it)."""
    spec = getattr(model, field)
    ref = KvRef.parse(spec.vault) if spec.vault else default_ref(role, field)
    with admin_client(env) as client:
        if client is None:
            raise HardenError("Vault is not reachable with credentials (harden vault status)")
        store = KvStore(client)
        value = store.read(ref)
        legacy = legacy_ref(ref)
        if value is None and legacy is not None:  # not migrated yet: the next apply moves it
            value = store.read(legacy)
    if value is None:
        raise HardenError(f"{ref} is missing: apply the {role} role first")
    return value
