"""`make lint`: role variables that are declared but never used.

A public variable (a field of the role's model, ``<role>_*``) must be read somewhere in
``roles/<role>/`` (tasks, handlers, templates, private vars, library calls); a private variable
(``_<role>_*``, defined in ``vars/main.yml``) must be read somewhere other than its own definition.
Run: ``python -m orchestrator.unused_vars``; exit 1 and one line per variable when any is unused.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

from orchestrator.paths import ROLES_DIR, display_path
from orchestrator.roles import ROLES

GENERATED = ("meta/argument_specs.yml", "defaults/main.yml", "README.md")


def _sources(role_dir: Path) -> dict[Path, str]:
    return {
        p: p.read_text(errors="replace")
        for p in sorted(role_dir.rglob("*"))
        if p.is_file() and not any(str(p).endswith(g) for g in GENERATED) and "__pycache__" not in p.parts
    }


def unused_variables(roles_dir: Path = ROLES_DIR) -> list[str]:
    found: list[str] = []
    for spec in ROLES.values():
        role_dir = roles_dir / spec.name
        if not role_dir.is_dir():
            continue
        sources = _sources(role_dir)
        text = "\n".join(sources.values())
        for name in spec.model.model_fields:
            if not re.search(rf"\b{re.escape(name)}\b", text):
                found.append(f"{display_path(role_dir)}: {name}: declared in the model but never used by the role")
        vars_file = role_dir / "vars" / "main.yml"
        private = yaml.safe_load(vars_file.read_text()) if vars_file.is_file() else None
        for name in private or {}:
            uses = sum(len(re.findall(rf"\b{re.escape(str(name))}\b", body)) for body in sources.values())
            if uses <= 1:  # only its own definition
                found.append(f"{display_path(vars_file)}: {name}: defined but never used")
    return found


if __name__ == "__main__":
    problems = unused_variables()
    for line in problems:
        print(line)
    sys.exit(1 if problems else 0)
