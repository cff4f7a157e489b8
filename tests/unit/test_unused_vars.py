"""`make lint`'s unused-variable check: it passes on the repository and catches an unused variable."""

from __future__ import annotations

from pathlib import Path

from orchestrator.roles import ROLES
from orchestrator.unused_vars import unused_variables


def test_the_roles_use_every_variable_they_declare() -> None:
    assert ROLES
    assert unused_variables() == []


def test_an_unused_public_or_private_variable_is_reported(tmp_path: Path) -> None:
    fields = list(ROLES["pki"].model.model_fields)
    used, unused = fields[:-1], fields[-1]
    role = tmp_path / "pki"
    (role / "tasks").mkdir(parents=True)
    (role / "vars").mkdir()
    (role / "tasks" / "main.yml").write_text("\n".join(f"# {{{{ {name} }}}}" for name in used) + "\n")
    (role / "vars" / "main.yml").write_text("_pki_used: 1\n_pki_lonely: 2\n_pki_other: '{{ _pki_used }}'\n")
    found = unused_variables(tmp_path)
    assert [line.split(": ")[1] for line in found] == [unused, "_pki_lonely", "_pki_other"]
