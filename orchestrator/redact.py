"""Remove secrets from anything the orchestrator prints or writes."""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "********"
# "password: x", "requirepass x", "PASSWORD=x", "auth-pass x", "token": "x" ...
_PAIR_RE = re.compile(
    r"(?P<key>\b[\w.-]*(?:password|passwd|secret|token|api[_-]?key|private[_-]?key)[\w.-]*\b"
    r"[\"']?\s*[:=]\s*[\"']?"
    r"|\b(?:requirepass|masterauth|auth-pass|sentinel-pass|masterpass)\s+[\"']?"
    r"|\buser\s+\S+\s+(?:\S+\s+)*?>)"
    r"(?P<value>[^\s\"',}]+)",
    re.IGNORECASE,
)
_URL_CRED_RE = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://[^:/@\s]+:)(?P<value>[^@\s]+)(?=@)", re.IGNORECASE)


class Redactor:
    """Masks known secret values verbatim and anything that looks like a credential pair."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # longest first, so a secret containing another is masked whole
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def add(self, value: str) -> None:
        if value and len(value) >= 4 and value not in self._secrets:
            self._secrets.append(value)
            self._secrets.sort(key=len, reverse=True)

    def __call__(self, text: str) -> str:
        if not text:
            return text
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        text = _URL_CRED_RE.sub(lambda m: m.group("scheme") + MASK, text)
        return _PAIR_RE.sub(lambda m: m.group("key") + (m.group("value") if m.group("value") == MASK else MASK), text)
