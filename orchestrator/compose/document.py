"""Compose files read and written round-trip (ruamel.yaml): comments, key order and quoting survive.

`harden compose fix` and `harden secrets import` rewrite a file the user owns, so a rewrite
changes only what it must. The layout written is compose's usual one: two-space mappings, list
dashes indented under their key.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from orchestrator.errors import ConfigError, ConfigIssue


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096  # never fold a long line the user wrote on one
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def loads(text: str, source: str) -> Any:
    """A compose document; an error names the file (and the line) when it is not one."""
    try:
        data = _yaml().load(text)
    except YAMLError as exc:
        raise ConfigError([ConfigIssue(source, "(file)", f"invalid YAML: {exc}")]) from None
    if not isinstance(data, dict) or not isinstance(data.get("services"), dict):
        raise ConfigError([ConfigIssue(source, "services", "not a docker-compose file (no services mapping)")])
    return data


def load(path: Path) -> Any:
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError([ConfigIssue(str(path), "(file)", f"cannot read: {exc.strerror}")]) from None
    return loads(text, str(path))


def dumps(doc: Any) -> str:
    out = io.StringIO()
    _yaml().dump(doc, out)
    return out.getvalue()
