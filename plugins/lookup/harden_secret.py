"""Lookup plugin: read a secret the harden orchestrator holds in memory for this run.

The orchestrator keeps resolved secrets in an anonymous memory file (memfd) and passes only its
/proc path in HARDEN_SECRETS. Nothing secret is written to disk, to extra vars or to the
environment files ansible-runner keeps.

Without harden (AWX, ansible-navigator, plain ansible-playbook: no HARDEN_SECRETS), the
environment's inventory.harden.yml names where Vault holds each secret of the variable
(harden_secret_references), and the values are read through community.hashi_vault with the
connection and AppRole its ANSIBLE_HASHI_VAULT_* environment variables give (docs/awx.md).
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
import re
from typing import Any

from ansible.errors import AnsibleError
from ansible.plugins.lookup import LookupBase

_MISSING = object()
REFERENCES_VAR = "harden_secret_references"
REF_MARK = "__harden_vault_ref__"  # orchestrator/secrets/resolver.py
LOGIN_MARK = "__harden_vault_login__"
REF_RE = re.compile(r"^vault:(?P<mount>.+?)/data/(?P<path>.+)#(?P<key>[^#]+)$")


class LookupModule(LookupBase):
    def run(self, terms: list[str], variables: dict[str, Any] | None = None, **kwargs: Any) -> list[Any]:
        host = kwargs.get("host")
        default = kwargs.get("default", _MISSING)
        path = os.environ.get("HARDEN_SECRETS")
        if not path and variables is not None and REFERENCES_VAR in variables:
            return [self._from_vault(term, variables, default) for term in terms]
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

    # -- without harden: read from Vault through community.hashi_vault --------------------------

    def _from_vault(self, term: str, variables: dict[str, Any], default: Any) -> Any:
        references = self._templar.template(variables[REFERENCES_VAR])
        if term not in references:
            if default is _MISSING:
                raise AnsibleError(f"harden_secret: {term} is not a secret variable of this host")
            return default
        skeleton = references[term]
        wanted: dict[str, set[str]] = {}  # mount -> paths
        _collect(skeleton, wanted)
        found: dict[tuple[str, str], dict[str, Any]] = {}
        if wanted:
            kv2 = self._vault_lookup("community.hashi_vault.vault_kv2_get")
            for mount, paths in sorted(wanted.items()):
                ordered = sorted(paths)
                # one login per mount, then every path of it
                for secret_path, answer in zip(
                    ordered, kv2.run(ordered, variables, engine_mount_point=mount), strict=True
                ):
                    found[(mount, secret_path)] = answer["secret"]
        return self._fill(skeleton, found, variables)

    def _vault_lookup(self, name: str) -> Any:
        from ansible.plugins.loader import lookup_loader

        plugin = lookup_loader.get(name, loader=self._loader, templar=self._templar)
        if plugin is None:
            raise AnsibleError(
                f"harden_secret: {name} is not installed (ansible-galaxy collection install community.hashi_vault)"
            )
        return plugin

    def _fill(self, value: Any, found: dict[tuple[str, str], dict[str, Any]], variables: dict[str, Any]) -> Any:
        if isinstance(value, dict) and REF_MARK in value:
            ref = REF_RE.match(value[REF_MARK])
            if ref is None:
                raise AnsibleError(f"harden_secret: not a Vault reference: {value[REF_MARK]!r}")
            secret = found[(ref["mount"], ref["path"])]
            if ref["key"] not in secret:
                raise AnsibleError(
                    f"harden_secret: {value[REF_MARK]} does not exist in Vault: run `harden apply` once "
                    "(it generates the role's secrets), or write it there"
                )
            return secret[ref["key"]]
        if isinstance(value, dict) and LOGIN_MARK in value:
            login = self._vault_lookup("community.hashi_vault.vault_login").run([], variables)
            return login[0]["auth"]["client_token"]
        if isinstance(value, dict):
            return {k: self._fill(v, found, variables) for k, v in value.items()}
        if isinstance(value, list):
            return [self._fill(v, found, variables) for v in value]
        return value


def _collect(value: Any, wanted: dict[str, set[str]]) -> None:
    """The KV v2 secrets (mount, path) a skeleton refers to."""
    if isinstance(value, dict) and REF_MARK in value:
        ref = REF_RE.match(value[REF_MARK])
        if ref is not None:
            wanted.setdefault(ref["mount"], set()).add(ref["path"])
    elif isinstance(value, dict):
        for item in value.values():
            _collect(item, wanted)
    elif isinstance(value, list):
        for item in value:
            _collect(item, wanted)
