"""Vault KV version 2 references and the read / create-if-missing operations on them."""

from __future__ import annotations

import base64
import secrets
import string
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
    if spec.charset == "kafka_uuid":  # what `kafka-storage random-uuid` prints: a Uuid in base64url
        return base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("=")
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

        Uses check-and-set on the secret's version, so two writers never overwrite each other.
        """
        import hvac.exceptions

        for _ in range(5):
            current, version = self.read_all(ref)
            if ref.key in current:
                return str(current[ref.key])
            try:
                self._client.secrets.kv.v2.create_or_update_secret(
                    path=ref.path, mount_point=ref.mount, secret={**current, ref.key: value}, cas=version
                )
                return value
            except hvac.exceptions.InvalidRequest:  # someone wrote in between: read again
                continue
        raise HardenError(f"{ref}: could not write after 5 attempts (concurrent writers?)")

    def put(self, ref: KvRef, value: str) -> None:
        """Set the key, keeping the secret's other keys (used by `secrets import`).

        Check-and-set on the version read; a standby may serve a read that lags the active node by
        a moment, so a version mismatch is read again and retried, never overwritten blindly.
        """
        import time

        import hvac.exceptions

        for attempt in range(10):
            current, version = self.read_all(ref)
            if current.get(ref.key) == value:
                return
            try:
                self._client.secrets.kv.v2.create_or_update_secret(
                    path=ref.path, mount_point=ref.mount, secret={**current, ref.key: value}, cas=version
                )
                return
            except hvac.exceptions.InvalidRequest:  # someone wrote in between, or a stale read
                time.sleep(0.1 * (attempt + 1))
        raise HardenError(f"{ref}: could not write after 10 attempts (concurrent writers?)")

    def remove_key(self, ref: KvRef) -> None:
        """Drop one key from the secret (a new version without it); nothing when it is absent."""
        current, version = self.read_all(ref)
        if ref.key not in current:
            return
        rest = {k: v for k, v in current.items() if k != ref.key}
        self._client.secrets.kv.v2.create_or_update_secret(
            path=ref.path, mount_point=ref.mount, secret=rest, cas=version
        )
