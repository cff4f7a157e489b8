"""Lookup plugin: read a secret the harden orchestrator holds in memory for this run.

The orchestrator keeps resolved secrets in an anonymous memory file (memfd) and passes only its
/proc path in HARDEN_SECRETS. Nothing secret is written to disk, to extra vars or to the
environment files ansible-runner keeps.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: harden_secret
short_description: Secret values handed over by the harden orchestrator
description:
  - Returns the value of a secret variable for a host, as resolved by the orchestrator from Vault.
options:
  _terms:
    description: Variable names.
    required: true
  host:
    description: Inventory host the value is for.
    type: str
  default:
    description: Value when the orchestrator did not provide the secret.
    type: raw
"""

import json
import os
from typing import Any

from ansible.errors import AnsibleError
from ansible.plugins.lookup import LookupBase

_MISSING = object()


class LookupModule(LookupBase):
    def run(self, terms: list[str], variables: dict[str, Any] | None = None, **kwargs: Any) -> list[Any]:
        host = kwargs.get("host")
        default = kwargs.get("default", _MISSING)
        path = os.environ.get("HARDEN_SECRETS")
        data: dict[str, dict[str, Any]] = {}
        if path:
            try:
                target = os.readlink(path)
                if not target.startswith("/memfd:harden-secrets"):  # the number now names another file
                    raise AnsibleError(f"harden_secret: {path} is no longer the orchestrator's secret channel")
                with open(path, encoding="utf-8") as fh:
                    data = json.load(fh)
            except OSError as exc:
                raise AnsibleError(f"harden_secret: cannot read the orchestrator's secrets: {exc.strerror}") from None
        out = []
        for term in terms:
            entry = data.get(term, {})
            value = entry.get(host, entry.get("*", default)) if host else entry.get("*", default)
            if value is _MISSING:
                raise AnsibleError(f"harden_secret: {term} was not provided (run through `harden`)")
            out.append(value)
        return out
