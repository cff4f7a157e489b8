"""KvStore's check-and-set writes against a fake KV v2 whose reads can lag behind its writes."""

from __future__ import annotations

from typing import Any

import hvac.exceptions
import pytest

from orchestrator.errors import HardenError
from orchestrator.secrets import kv
from orchestrator.secrets.kv import KvRef, KvStore


class LaggingKv:
    """One KV v2 secret. ``lag`` reads after each write still return the version before it, as an
    OpenBao standby serving reads from its own copy does (openbao#3877)."""

    def __init__(self, lag: int) -> None:
        self.versions: list[dict[str, str]] = []
        self.lag = lag
        self._stale_reads_left = 0
        self.refused = 0
        self.secrets = self
        self.kv = self
        self.v2 = self

    def read_secret_version(self, path: str, mount_point: str, raise_on_deleted_version: bool) -> dict[str, Any]:
        seen = len(self.versions)
        if self._stale_reads_left:
            self._stale_reads_left -= 1
            seen -= 1
        if seen == 0:
            raise hvac.exceptions.InvalidPath()
        return {"data": {"data": dict(self.versions[seen - 1]), "metadata": {"version": seen}}}

    def create_or_update_secret(self, path: str, mount_point: str, secret: dict[str, str], cas: int) -> None:
        if cas != len(self.versions):
            self.refused += 1
            raise hvac.exceptions.InvalidRequest("check-and-set parameter did not match the current version")
        self.versions.append(dict(secret))
        self._stale_reads_left = self.lag


REF_A = KvRef.parse("vault:secret/data/harden/roles/kafka#a")
REF_B = KvRef.parse("vault:secret/data/harden/roles/kafka#b")


@pytest.fixture(autouse=True)
def no_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kv.time, "sleep", lambda _s: None)


def test_a_stale_read_is_read_again_and_keeps_every_key() -> None:
    fake = LaggingKv(lag=3)
    store = KvStore(fake)
    assert store.put_if_missing(REF_A, "1") == "1"
    assert store.put_if_missing(REF_B, "2") == "2"
    assert fake.refused == 3  # three stale reads, each refused by check-and-set, never a lost key
    assert fake.versions[-1] == {"a": "1", "b": "2"}


def test_an_existing_key_is_kept_and_put_replaces_it() -> None:
    store = KvStore(LaggingKv(lag=0))
    store.put_if_missing(REF_A, "1")
    assert store.put_if_missing(REF_A, "other") == "1"
    store.put(REF_A, "3")
    assert store.read(REF_A) == "3"


def test_a_read_that_never_catches_up_is_named_with_vault_message() -> None:
    store = KvStore(LaggingKv(lag=100))
    store.put_if_missing(REF_A, "1")
    with pytest.raises(HardenError) as caught:
        store.put_if_missing(REF_B, "2")
    assert "check-and-set parameter did not match" in str(caught.value)
    assert "vault_standby_reads" in str(caught.value)


def test_a_kafka_cluster_id_never_starts_with_a_dash() -> None:
    """A fresh lab's cluster id began with "-": kafka-storage format took it for an option."""
    from orchestrator.models.base import GenerateSpec
    from orchestrator.secrets.kv import generate_value

    ids = [generate_value(GenerateSpec(charset="kafka_uuid")) for _ in range(3000)]
    assert all(len(i) == 22 and not i.startswith("-") for i in ids)
