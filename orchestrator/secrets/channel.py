"""Hand secrets to Ansible without writing them anywhere: an anonymous memory file per run.

ansible-runner writes extra vars and environment variables to disk (``env/`` and the
``command`` artifact), so neither may carry a secret. Instead each secret variable is passed as
a lookup template, and the lookup plugin reads the value from this memfd through /proc.
"""

from __future__ import annotations

import fcntl
import json
import os
from types import TracebackType
from typing import Any

ANY_HOST = "*"
MEMFD_NAME = "harden-secrets"  # the lookup plugin checks /proc/<pid>/fd/<n> still names it
HIGH_FD = 512


def lookup_template(name: str) -> str:
    """What a secret variable is set to for Ansible: the harden_secret lookup of its value (from
    this channel, or from Vault when harden is not the caller: plugins/inventory/harden.py)."""
    return "{{ query('harden_secret', '%s', host=inventory_hostname) | first }}" % name  # noqa: UP031


class SecretChannel:
    def __init__(self) -> None:
        self._values: dict[str, dict[str, Any]] = {}
        self._secrets: dict[tuple[str, str], list[str]] = {}
        self._fd: int | None = None

    def put(self, name: str, value: Any, host: str = ANY_HOST, secrets: list[str] | None = None) -> None:
        """Hold ``value`` for ``name``. ``secrets``: which of its strings are secret (default:
        all): a list of users holds names and prefixes too, which are not."""
        self._values.setdefault(name, {})[host] = value
        self._secrets[(name, host)] = _strings(value) if secrets is None else list(secrets)

    def fits(self, other: SecretChannel) -> bool:
        """Whether ``other`` gives no name another value than this channel holds."""
        return not any(
            host in self._values.get(name, {}) and self._values[name][host] != value
            for name, by_host in other._values.items()
            for host, value in by_host.items()
        )

    def merge(self, other: SecretChannel) -> None:
        """Take ``other``'s values too (one channel for roles that run in one process)."""
        if not self.fits(other):
            raise ValueError("two values for one secret name: these roles cannot share a channel")
        for name, by_host in other._values.items():
            self._values.setdefault(name, {}).update(by_host)
        self._secrets.update(other._secrets)

    def names(self) -> list[str]:
        return sorted(self._values)

    def values(self) -> list[str]:
        """Every secret string held, for redaction and leak tests."""
        return [v for found in self._secrets.values() for v in found]

    def extravars(self) -> dict[str, str]:
        """Per variable, the template that reads it back; safe to write to disk."""
        return {name: lookup_template(name) for name in self._values}

    def envvars(self) -> dict[str, str]:
        if self._fd is None:
            raise RuntimeError("SecretChannel used outside its with-block")
        return {"HARDEN_SECRETS": f"/proc/{os.getpid()}/fd/{self._fd}"}

    def __enter__(self) -> SecretChannel:
        fd = os.memfd_create(MEMFD_NAME, os.MFD_CLOEXEC)
        # Ansible reads it back by number, /proc/<pid>/fd/<n>, while other code in this process
        # opens and closes files: keep it far above the numbers those reuse, so that a stray close
        # elsewhere cannot hand its number to another file (the lookup checks it reads the memfd).
        try:
            self._fd = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, HIGH_FD)
            os.close(fd)
        except OSError:  # a soft open-files limit below HIGH_FD
            self._fd = fd
        data = json.dumps(self._values).encode()
        written = 0
        while written < len(data):
            written += os.write(self._fd, data[written:])
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _strings(value: Any) -> list[str]:
    """Every string in a value (nested dicts and lists)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []
