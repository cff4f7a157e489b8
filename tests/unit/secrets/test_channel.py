"""The memfd secret channel and the lookup plugin that reads it back."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest
from ansible.errors import AnsibleError

from orchestrator.paths import REPO_ROOT
from orchestrator.secrets.channel import HIGH_FD, SecretChannel

_spec = importlib.util.spec_from_file_location("harden_secret", REPO_ROOT / "plugins" / "lookup" / "harden_secret.py")
assert _spec is not None and _spec.loader is not None
LOOKUP = importlib.util.module_from_spec(_spec)
sys.modules["harden_secret"] = LOOKUP
_spec.loader.exec_module(LOOKUP)


def _lookup(monkeypatch: pytest.MonkeyPatch, path: str, name: str, host: str) -> object:
    monkeypatch.setenv("HARDEN_SECRETS", path)
    return LOOKUP.LookupModule().run([name], host=host)[0]


def test_values_come_back_per_host_from_a_high_descriptor(monkeypatch: pytest.MonkeyPatch) -> None:
    channel = SecretChannel()
    channel.put("token", "s3cr3t")
    channel.put("port", 6379, host="data-1")
    with channel:
        path = channel.envvars()["HARDEN_SECRETS"]
        assert int(path.rsplit("/", 1)[1]) >= HIGH_FD  # far from the numbers other code reuses
        assert _lookup(monkeypatch, path, "token", "data-2") == "s3cr3t"
        assert _lookup(monkeypatch, path, "port", "data-1") == 6379


def test_a_descriptor_number_reused_by_another_file_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    channel = SecretChannel()
    channel.put("token", "s3cr3t")
    with channel:
        path = channel.envvars()["HARDEN_SECRETS"]
        number = int(path.rsplit("/", 1)[1])
    other = tmp_path / "other"
    other.write_text("\n")
    fd = os.open(other, os.O_RDONLY)
    os.dup2(fd, number)  # what a stray close elsewhere followed by an open would do
    try:
        with pytest.raises(AnsibleError, match="no longer the orchestrator's secret channel"):
            _lookup(monkeypatch, path, "token", "data-1")
    finally:
        os.close(number)
        os.close(fd)
