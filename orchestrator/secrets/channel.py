"""Hand secrets to Ansible without writing them anywhere: an anonymous memory file per run.

ansible-runner writes extra vars and environment variables to disk (``env/`` and the
``command`` artifact), so neither may carry a secret. Instead each secret variable is passed as
a lookup template, and the lookup plugin reads the value from this memfd through /proc.
"""

from __future__ import annotations

import json
import os
from types import TracebackType
from typing import Any

ANY_HOST = "*"


class SecretChannel:
    def __init__(self) -> None:
        self._values: dict[str, dict[str, Any]] = {}
        self._fd: int | None = None

    def put(self, name: str, value: Any, host: str = ANY_HOST) -> None:
        self._values.setdefault(name, {})[host] = value

    def names(self) -> list[str]:
        return sorted(self._values)

    def values(self) -> list[str]:
        """Every secret string held, for redaction and leak tests."""
        found: list[str] = []

        def walk(v: Any) -> None:
            if isinstance(v, str):
                found.append(v)
            elif isinstance(v, dict):
                for item in v.values():
                    walk(item)
            elif isinstance(v, list):
                for item in v:
                    walk(item)

        walk(self._values)
        return found

    def extravars(self) -> dict[str, str]:
        """Per variable, the template that reads it back; safe to write to disk."""
        return {
            name: "{{ query('harden_secret', '%s', host=inventory_hostname) | first }}" % name  # noqa: UP031
            for name in self._values
        }

    def envvars(self) -> dict[str, str]:
        if self._fd is None:
            raise RuntimeError("SecretChannel used outside its with-block")
        return {"HARDEN_SECRETS": f"/proc/{os.getpid()}/fd/{self._fd}"}

    def __enter__(self) -> SecretChannel:
        self._fd = os.memfd_create("harden-secrets", os.MFD_CLOEXEC)
        os.write(self._fd, json.dumps(self._values).encode())
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
