"""Vault KV version 2 references and the read / create-if-missing operations on them."""

from __future__ import annotations

import base64
import secrets
import string
import time
from dataclasses import dataclass
from typing import Any

from orchestrator.errors import HardenError
from orchestrator.models.base import VAULT_REF_RE, GenerateSpec

CHARSETS = {
    "alnum": string.ascii_letters + string.digits,
    "hex": "0123456789abcdef",
    "urlsafe": string.ascii_letters + string.digits + "-_",
}


@dataclass(frozen=True)
class KvRef:
    """``vault:<mount>/data/<path>#<key>``: one key of one KV v2 secret."""

    mount: str
    path: str
    key: str

    @classmethod
    def parse(cls, text: str) -> KvRef:
        match = VAULT_REF_RE.match(text)
        if not match:
            raise HardenError(f"not a Vault reference: {text!r}")
        mount, _, path = match.group("path").partition("/data/")
        return cls(mount=mount, path=path, key=match.group("key"))

    def __str__(self) -> str:
        return f"vault:{self.mount}/data/{self.path}#{self.key}"


def generate_value(spec: GenerateSpec) -> str:
    if spec.charset == "kafka_uuid":  # what `kafka-storage random-uuid` prints: a Uuid in base64url,
        while True:  # never starting with "-", which Kafka's tools read as an option (as Uuid.randomUuid)
            value = base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("=")
            if not value.startswith("-"):
                return value
    alphabet = CHARSETS[spec.charset]
    return "".join(secrets.choice(alphabet) for _ in range(spec.length))


class KvStore:
    """Reads and writes KV v2 secrets through an authenticated hvac client."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def read_all(self, ref: KvRef) -> tuple[dict[str, Any], int]:
        """The secret's keys and its current version (0 when it does not exist)."""
        import hvac.exceptions

        try:
            resp = self._client.secrets.kv.v2.read_secret_version(
                path=ref.path, mount_point=ref.mount, raise_on_deleted_version=True
            )
        except hvac.exceptions.InvalidPath:
            return {}, 0
        data = resp["data"]
        return dict(data.get("data") or {}), int(data["metadata"]["version"])

    def read(self, ref: KvRef) -> str | None:
        value = self.read_all(ref)[0].get(ref.key)
        return None if value is None else str(value)

    def put_if_missing(self, ref: KvRef, value: str) -> str:
        """Store value under ref unless the key exists; return what Vault holds afterwards.

        Uses check-and-set on the secret's version, so two writers never overwrite each other. A
        refused check-and-set is read again after a pause: another writer came first, or the read
        was served by a node that had not yet seen the last write.
        """
        return self._check_and_set(ref, value, keep_existing=True)

    def put(self, ref: KvRef, value: str) -> None:
        """Set the key, keeping the secret's other keys (used by `secrets import`)."""
        self._check_and_set(ref, value, keep_existing=False)

    def _check_and_set(self, ref: KvRef, value: str, *, keep_existing: bool, attempts: int = 8) -> str:
        """Read the secret, then write it back with the key set, on the condition that its version
        is still the one read; never a blind overwrite of another writer's keys."""
        import hvac.exceptions

        refused = ""
        for attempt in range(attempts):
            current, version = self.read_all(ref)
            if ref.key in current and (keep_existing or current[ref.key] == value):
                return str(current[ref.key])
            try:
                self._client.secrets.kv.v2.create_or_update_secret(
                    path=ref.path, mount_point=ref.mount, secret={**current, ref.key: value}, cas=version
                )
                return value
            except hvac.exceptions.InvalidRequest as exc:  # the version moved on since the read
                refused = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                time.sleep(min(0.1 * 2**attempt, 2.0))
        raise HardenError(
            f"{ref}: Vault refused {attempts} check-and-set writes ({refused}): another writer, or a node "
            "serving reads that lag behind the active node (vault_standby_reads)"
        )

    def remove_key(self, ref: KvRef) -> None:
        """Drop one key from the secret (a new version without it); nothing when it is absent."""
        current, version = self.read_all(ref)
        if ref.key not in current:
            return
        rest = {k: v for k, v in current.items() if k != ref.key}
        self._client.secrets.kv.v2.create_or_update_secret(
            path=ref.path, mount_point=ref.mount, secret=rest, cas=version
        )
