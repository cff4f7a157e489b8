"""Resolve every secret a role's variables refer to, from Vault, into the in-memory channel."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from orchestrator.errors import HardenError
from orchestrator.models.base import GenerateSpec, SecretSpec
from orchestrator.secrets.channel import SecretChannel
from orchestrator.secrets.kv import KvRef, KvStore, generate_value

# Where each role's own secrets live: secret/data/harden/roles/<role>. No service policy covers
# it (a service may not be named "harden"), so an app's AppRole never reads a role's passwords.
ROLE_SECRETS_PATH = "harden/roles"
# Where they lived before (the service path of the same name, which the app AppRole could read):
# found there, a secret is moved on the next apply.
LEGACY_SERVICE_OF_ROLE = {"postgres_ha": "postgres", "redis_sentinel": "redis"}


def role_secrets_path(role: str) -> str:
    return f"{ROLE_SECRETS_PATH}/{role}"


def default_ref(role: str, trail: str) -> KvRef:
    key = trail.removeprefix(f"{role}_").replace(".", "_")
    return KvRef(mount="secret", path=role_secrets_path(role), key=key)


def legacy_ref(ref: KvRef) -> KvRef | None:
    """The pre-move location of a role's default reference, if it had one."""
    prefix = f"{ROLE_SECRETS_PATH}/"
    if ref.mount != "secret" or not ref.path.startswith(prefix):
        return None
    old = LEGACY_SERVICE_OF_ROLE.get(ref.path.removeprefix(prefix))
    return None if old is None else KvRef(mount="secret", path=old, key=ref.key)


def _ref_of(role: str, trail: str, spec: SecretSpec) -> KvRef:
    return KvRef.parse(spec.vault) if spec.vault else default_ref(role, trail)


def has_secrets(value: Any) -> bool:
    if isinstance(value, SecretSpec):
        return True
    if isinstance(value, BaseModel):
        return any(has_secrets(getattr(value, f)) for f in type(value).model_fields)
    if isinstance(value, list):
        return any(has_secrets(v) for v in value)
    return False


def secret_strings(value: Any, resolved: Any) -> list[str]:
    """The plaintexts in ``resolved`` that stand where ``value`` has a secret (not the names,
    prefixes and other plain strings beside them)."""
    if isinstance(value, SecretSpec):
        return [resolved]
    if isinstance(value, BaseModel):
        return [s for f in type(value).model_fields for s in secret_strings(getattr(value, f), resolved[f])]
    if isinstance(value, list):
        return [s for v, r in zip(value, resolved, strict=True) for s in secret_strings(v, r)]
    return []


class Resolver:
    """Looks secrets up once per reference; generates missing ones (apply) or stands in (plan)."""

    def __init__(self, store: KvStore | None, *, check: bool) -> None:
        self._store = store
        self._check = check
        self._cache: dict[KvRef, str] = {}

    def value(self, ref: KvRef, generate: GenerateSpec | None) -> str:
        if ref in self._cache:
            return self._cache[ref]
        found = self._store.read(ref) if self._store else None
        legacy = legacy_ref(ref)
        if found is None and legacy is not None and self._store is not None:
            found = self._store.read(legacy)
            if found is not None and not self._check:  # migrate: a role's secret leaves the service path
                found = self._store.put_if_missing(ref, found)
                self._store.remove_key(legacy)
        if found is None:
            if generate is None:
                raise HardenError(f"{ref} does not exist in Vault and is not marked generate")
            fresh = generate_value(generate)
            # plan: a stand-in, never stored (and redacted like any secret); apply: stored once
            found = fresh if self._check or self._store is None else self._store.put_if_missing(ref, fresh)
        self._cache[ref] = found
        return found

    def resolve(self, role: str, trail: str, value: Any) -> Any:
        """The variable's value as the role needs it: secrets replaced by their plaintext.

        A list item with a ``name`` is addressed by that name, so reordering a list never
        moves a secret to another Vault key.
        """
        if isinstance(value, SecretSpec):
            return self.value(_ref_of(role, trail, value), value.generate)
        if isinstance(value, BaseModel):
            return {f: self.resolve(role, f"{trail}.{f}", getattr(value, f)) for f in type(value).model_fields}
        if isinstance(value, list):
            return [self.resolve(role, f"{trail}.{getattr(v, 'name', None) or i}", v) for i, v in enumerate(value)]
        return value


def fill_channel(channel: SecretChannel, role: str, models: Mapping[str, BaseModel], resolver: Resolver) -> None:
    for host, model in models.items():
        for field in type(model).model_fields:
            value = getattr(model, field)
            if has_secrets(value):
                resolved = resolver.resolve(role, field, value)
                channel.put(field, resolved, host, secrets=secret_strings(value, resolved))


# In a secret's place, for Ansible run without harden (plugins/inventory/harden.py): where the
# harden_secret lookup reads it from Vault itself. Names only, never a value.
REF_MARK = "__harden_vault_ref__"
LOGIN_MARK = "__harden_vault_login__"


class _References(Resolver):
    """Resolves each secret to its Vault reference instead of its value."""

    def __init__(self) -> None:
        super().__init__(None, check=True)

    def value(self, ref: KvRef, generate: GenerateSpec | None) -> Any:
        return {REF_MARK: str(ref)}


def references_in(skeleton: Any) -> list[KvRef]:
    """The Vault references a secret_references() value holds, in order."""
    if isinstance(skeleton, dict) and REF_MARK in skeleton:
        return [KvRef.parse(skeleton[REF_MARK])]
    items = skeleton.values() if isinstance(skeleton, dict) else skeleton if isinstance(skeleton, list) else []
    return [ref for item in items for ref in references_in(item)]


def secret_references(role: str, models: Mapping[str, BaseModel]) -> dict[str, dict[str, Any]]:
    """Per host, each secret variable of ``role`` with its secrets replaced by {REF_MARK: ref}."""
    refs = _References()
    out: dict[str, dict[str, Any]] = {}
    for host, model in models.items():
        for field in type(model).model_fields:
            value = getattr(model, field)
            if has_secrets(value):
                out.setdefault(host, {})[field] = refs.resolve(role, field, value)
    return out
