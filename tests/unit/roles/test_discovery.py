"""Roles are found by discovery: a throwaway role, added in a copy of the tree, shows up everywhere
(order, validation, CLI group, argument_specs, defaults, meta, playbook, site.yml, README row, the
tests' role lists) with no edit outside its two folders, only `make generate`."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator.paths import REPO_ROOT
from orchestrator.roles import ROLES, dependency_order
from orchestrator.roles.spec import RoleSpec

TREE = ("orchestrator", "roles", "playbooks", "inventories", "plugins", "tests", "README.md", "ansible.cfg")

TOY_SPEC = """
from pydantic import Field

from orchestrator.models.base import StrictModel
from orchestrator.roles.spec import RoleSpec


class ToyVars(StrictModel):
    toy_greeting: str = Field("hello", description="What the toy says.")


SPEC = RoleSpec(
    name="toy",
    summary="A throwaway role that proves discovery",
    model=ToyVars,
    groups=("toy_hosts", "ops"),
    requires=("vault",),
    cli_name="toy",
)
"""

TOY_CLI = '''
import click

from orchestrator.clikit import StatusReport, status_command


@click.group()
def group() -> None:
    """Operate the toy.

    \\b
    Examples:
      harden toy status --env lab
    """


status_command(group, "the toy", lambda env: StatusReport("toy", ("host",), [], "healthy"))
'''

PROBE = """
import json
from click.testing import CliRunner
from orchestrator.cli import main
from orchestrator.models.environment import EnvironmentSettings
from orchestrator.roles import ROLES, with_requirements
from tests.unit.test_validation import ALL_ROLES

EnvironmentSettings.model_validate({"roles": ["baseline", "pki", "vault", "toy"]})
print(json.dumps({
    "order": list(ROLES),
    "requirements": with_requirements("toy"),
    "test_list": ALL_ROLES,
    "cli": CliRunner().invoke(main, ["toy", "status", "--help"]).output,
}))
"""


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def _run(tree: Path, *args: str) -> str:
    proc = subprocess.run([sys.executable, *args], cwd=tree, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_a_throwaway_role_is_discovered_everywhere(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    for name in TREE:
        src = REPO_ROOT / name
        if src.is_dir():
            shutil.copytree(src, tree / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, tree / name)
    before = _digests(tree)

    # the whole of the new role: its Python package and its Ansible role
    package = tree / "orchestrator" / "roles" / "toy"
    package.mkdir()
    (package / "__init__.py").write_text(TOY_SPEC)
    (package / "cli.py").write_text(TOY_CLI)
    (tree / "roles" / "toy" / "tasks").mkdir(parents=True)
    (tree / "roles" / "toy" / "tasks" / "main.yml").write_text(
        '---\n- name: Greet\n  ansible.builtin.debug:\n    msg: "{{ toy_greeting }}"\n'
    )
    own = ("orchestrator/roles/toy/", "roles/toy/")

    _run(tree, "-m", "orchestrator.codegen")
    after = _digests(tree)
    outside = sorted(p for p in after if before.get(p) != after[p] and not p.startswith(own))
    # what `make generate` writes outside the role's folders; nothing there is edited by hand
    assert outside == ["README.md", "playbooks/site.yml", "playbooks/toy.yml"]

    probe = json.loads(_run(tree, "-c", PROBE))
    order = probe["order"]
    assert "toy" in order and order.index("toy") > order.index("vault")  # after what it requires
    assert probe["requirements"] == ["baseline", "pki", "vault", "toy"]
    assert "toy" in probe["test_list"]
    assert "Show the toy." in probe["cli"] and "--format [text|json]" in probe["cli"]

    specs = (tree / "roles" / "toy" / "meta" / "argument_specs.yml").read_text()
    assert "toy_greeting" in specs and "A throwaway role that proves discovery" in specs
    assert "toy_greeting: hello" in (tree / "roles" / "toy" / "defaults" / "main.yml").read_text()
    assert "A throwaway role" in (tree / "roles" / "toy" / "meta" / "main.yml").read_text()
    assert "hosts: toy_hosts:ops" in (tree / "playbooks" / "toy.yml").read_text()
    site = (tree / "playbooks" / "site.yml").read_text()
    assert site.index("import_playbook: vault.yml") < site.index("import_playbook: toy.yml")
    row = next(line for line in (tree / "README.md").read_text().splitlines() if "[`toy`]" in line)
    assert "`toy_hosts`, `ops`" in row and "`vault`" in row


def _spec(name: str, *requires: str) -> RoleSpec:
    return RoleSpec(name=name, summary=name, model=ROLES["baseline"].model, groups=("all",), requires=requires)


def test_order_puts_every_role_after_what_it_requires() -> None:
    order = [s.name for s in dependency_order([_spec("c", "b"), _spec("a"), _spec("b", "a"), _spec("d")])]
    assert order == ["a", "b", "c", "d"]
    names = list(ROLES)
    assert names, "no role discovered"
    for spec in ROLES.values():
        assert all(names.index(r) < names.index(spec.name) for r in spec.requires), spec.name


def test_before_orders_without_requiring() -> None:
    # "z" runs before "a" when both run, though nothing requires it; alone, "a" needs nothing
    first = RoleSpec(name="z", summary="z", model=ROLES["baseline"].model, groups=("all",), before=("a",))
    assert [s.name for s in dependency_order([_spec("a"), first, _spec("b")])] == ["b", "z", "a"]
    for spec in ROLES.values():
        names = list(ROLES)
        assert all(names.index(spec.name) < names.index(later) for later in spec.before), spec.name


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        ([_spec("a", "b"), _spec("b", "a")], "circular requires between roles: a, b"),
        ([_spec("a", "nope")], "role a names unknown role 'nope' in requires or before"),
    ],
)
def test_bad_requires_are_errors(specs: list[RoleSpec], message: str) -> None:
    with pytest.raises(RuntimeError, match=message):
        dependency_order(specs)
