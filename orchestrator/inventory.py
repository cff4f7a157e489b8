"""Load an environment's Ansible inventory directory, remembering which file set each variable.

An environment is a plain Ansible inventory directory: ``hosts.yml`` plus ``group_vars/`` and
``host_vars/``. Ansible merges variables for us at run time; the orchestrator needs the same
merge *and* the origin of every value, so that validation errors can name the file and key.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from orchestrator.errors import ConfigError, ConfigIssue, HardenError
from orchestrator.paths import INVENTORIES_DIR, display_path

HOSTS_FILE_NAMES = ("hosts.yml", "hosts.yaml")
VARS_SUFFIXES = (".yml", ".yaml")
# The other files an environment directory may hold: harden's settings, the lab's recipe, and the
# inventory plugin's file for Ansible run without harden (plugins/inventory/harden.py).
# Ansible is given the hosts file alone (group_vars/ and host_vars/ beside it), never the directory.
ENVIRONMENT_FILES = ("harden.yml", "lab.yml", "inventory.harden.yml", "compose-policy.yml")
# harden's own directories: compose/ holds the app services' compose files (role app_services
# reads and checks the ones its projects name)
ENVIRONMENT_DIRS = ("compose",)
VARS_DIRS = ("group_vars", "host_vars")


@dataclass(frozen=True)
class SourcedValue:
    """A variable's value and the file that defined it."""

    value: Any
    file: str


@dataclass
class Group:
    name: str
    parents: set[str] = field(default_factory=set)
    hosts: set[str] = field(default_factory=set)
    vars: dict[str, SourcedValue] = field(default_factory=dict)


@dataclass
class Inventory:
    """The parsed environment: groups, hosts and every variable with its source file."""

    path: Path
    name: str
    groups: dict[str, Group]
    host_vars: dict[str, dict[str, SourcedValue]]
    hosts_file: Path | None = None

    @property
    def ansible_source(self) -> Path:
        """What Ansible is given: the validated hosts file (it finds group_vars/ and host_vars/ beside it)."""
        return self.hosts_file or self.path / HOSTS_FILE_NAMES[0]

    @property
    def hosts(self) -> list[str]:
        return sorted(self.host_vars)

    def group_hosts(self, group: str) -> list[str]:
        """Hosts in a group, including hosts of its child groups."""
        if group == "all":
            return self.hosts
        members: set[str] = set()
        for name, grp in self.groups.items():
            if name == group or group in self._ancestors(name):
                members |= grp.hosts
        return sorted(members)

    def host_groups(self, host: str) -> list[str]:
        """Every group the host belongs to, ordered as Ansible applies their variables."""
        direct = {name for name, grp in self.groups.items() if host in grp.hosts}
        closure = set(direct)
        for name in direct:
            closure |= self._ancestors(name)
        closure.add("all")
        return sorted(closure, key=lambda g: (0 if g == "all" else 1, self._depth(g), g))

    def effective_vars(self, host: str) -> dict[str, SourcedValue]:
        """Variables for a host after Ansible's precedence: all < parent groups < child groups < host."""
        merged: dict[str, SourcedValue] = {}
        for group in self.host_groups(host):
            if group in self.groups:
                merged.update(self.groups[group].vars)
        merged.update(self.host_vars.get(host, {}))
        return merged

    def role_vars_for(self, host: str, vars_group: str, prefix: str) -> dict[str, SourcedValue]:
        """A role's variables for one of its hosts. A host outside the role's main group (a Sentinel
        on a host that runs no Redis) also gets that group's variables, below its own groups' and
        its host variables; harden hands them to Ansible (see engine.outside_hosts_inventory)."""
        merged: dict[str, SourcedValue] = {}
        if host not in self.group_hosts(vars_group):
            chain = [*sorted(self._ancestors(vars_group) - {"all"}, key=lambda g: (self._depth(g), g)), vars_group]
            merged.update({k: v for k, v in self.groups["all"].vars.items()})
            for group in chain:
                if group in self.groups:
                    merged.update(self.groups[group].vars)
        merged.update(self.effective_vars(host))
        return {k: v for k, v in merged.items() if k.startswith(prefix)}

    def all_var_sources(self) -> Iterator[tuple[str, SourcedValue]]:
        """Every variable definition in the environment, group and host level."""
        for grp in self.groups.values():
            yield from grp.vars.items()
        for hvars in self.host_vars.values():
            yield from hvars.items()

    def _ancestors(self, group: str) -> set[str]:
        seen: set[str] = set()
        stack = list(self.groups.get(group, Group(group)).parents)
        while stack:
            parent = stack.pop()
            if parent not in seen:
                seen.add(parent)
                stack.extend(self.groups.get(parent, Group(parent)).parents)
        return seen

    def _depth(self, group: str) -> int:
        parents = self.groups.get(group, Group(group)).parents - {"all"}
        return 1 + max((self._depth(p) for p in parents), default=0)


def resolve_env_path(env: str) -> Path:
    """``--env`` is a name under ``inventories/`` or a path to an inventory directory."""
    candidate = Path(env)
    if candidate.is_dir():
        return candidate.resolve()
    named = INVENTORIES_DIR / env
    if named.is_dir():
        return named.resolve()
    known = ", ".join(sorted(p.name for p in INVENTORIES_DIR.iterdir() if p.is_dir()))
    raise HardenError(f"environment {env!r} not found: not a directory and not one of: {known}")


def load_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(unknown line)"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([ConfigIssue(display_path(path), where, f"invalid YAML: {problem}")]) from None


def load_inventory(env: str) -> Inventory:
    path = resolve_env_path(env)
    hosts_file = next((path / n for n in HOSTS_FILE_NAMES if (path / n).is_file()), None)
    if hosts_file is None:
        raise ConfigError([ConfigIssue(display_path(path), "hosts.yml", "missing inventory file")])
    unread = _unread_files(path, hosts_file)
    if unread:
        raise ConfigError(unread)
    inv = Inventory(path=path, name=path.name, groups={"all": Group("all")}, host_vars={}, hosts_file=hosts_file)
    data = load_yaml(hosts_file) or {}
    if not isinstance(data, dict) or "all" not in data:
        raise ConfigError([ConfigIssue(display_path(hosts_file), "all", "top level must be the 'all' group")])
    _parse_group(inv, "all", data["all"] or {}, parent=None, source=display_path(hosts_file), trail="all")
    _load_vars_dir(inv, path / "group_vars", is_group=True)
    _load_vars_dir(inv, path / "host_vars", is_group=False)
    return inv


def _unread_files(path: Path, hosts_file: Path) -> list[ConfigIssue]:
    """Files Ansible would load but harden validate does not read: each is an error, so that what
    reaches the hosts is exactly what was validated."""
    issues = []
    for entry in sorted(path.iterdir()):
        if entry.name.startswith(".") or entry == hosts_file or entry.name in ENVIRONMENT_FILES:
            continue
        if entry.is_dir() and entry.name in ENVIRONMENT_DIRS:
            continue
        if entry.is_dir() and entry.name in VARS_DIRS:
            for file in sorted(p for p in entry.rglob("*") if p.is_file() and not p.name.startswith(".")):
                if file.suffix not in VARS_SUFFIXES:
                    issues.append(
                        ConfigIssue(
                            display_path(file),
                            "(file name)",
                            "Ansible would load this vars file but harden does not validate it: "
                            "name it .yml (or remove it)",
                        )
                    )
            continue
        issues.append(
            ConfigIssue(
                display_path(entry),
                "(file name)",
                f"not part of an environment (hosts.yml, {', '.join(ENVIRONMENT_FILES)}, "
                f"{', '.join(d + '/' for d in ENVIRONMENT_DIRS)}, group_vars/, host_vars/): "
                "move its content there, or remove it",
            )
        )
    return issues


def _parse_group(inv: Inventory, name: str, body: Any, parent: str | None, source: str, trail: str) -> None:
    if not isinstance(body, dict):
        raise ConfigError([ConfigIssue(source, trail, "a group must be a mapping")])
    unknown = set(body) - {"hosts", "children", "vars"}
    if unknown:
        raise ConfigError(
            [ConfigIssue(source, f"{trail}.{sorted(unknown)[0]}", "unknown key (expected hosts, children, vars)")]
        )
    group = inv.groups.setdefault(name, Group(name))
    if parent is not None:
        group.parents.add(parent)
    for key, value in (body.get("vars") or {}).items():
        group.vars[key] = SourcedValue(value, source)
    for host, hvars in (body.get("hosts") or {}).items():
        group.hosts.add(host)
        bucket = inv.host_vars.setdefault(host, {})
        if hvars is not None and not isinstance(hvars, dict):
            raise ConfigError([ConfigIssue(source, f"{trail}.hosts.{host}", "host variables must be a mapping")])
        for key, value in (hvars or {}).items():
            bucket[key] = SourcedValue(value, source)
    for child, child_body in (body.get("children") or {}).items():
        _parse_group(inv, child, child_body or {}, parent=name, source=source, trail=f"{trail}.children.{child}")


def _vars_files(base: Path) -> Iterator[tuple[str, Path]]:
    if not base.is_dir():
        return
    for entry in sorted(base.iterdir()):
        if entry.is_file() and entry.suffix in VARS_SUFFIXES:
            yield entry.stem, entry
        elif entry.is_dir():
            for sub in sorted(entry.rglob("*")):
                if sub.is_file() and sub.suffix in VARS_SUFFIXES:
                    yield entry.name, sub


def _load_vars_dir(inv: Inventory, base: Path, *, is_group: bool) -> None:
    for owner, file in _vars_files(base):
        data = load_yaml(file) or {}
        source = display_path(file)
        if not isinstance(data, Mapping):
            raise ConfigError([ConfigIssue(source, "(top level)", "a vars file must be a mapping")])
        if is_group:
            if owner not in inv.groups:
                raise ConfigError([ConfigIssue(source, "(file name)", f"group {owner!r} is not in hosts.yml")])
            target = inv.groups[owner].vars
        else:
            if owner not in inv.host_vars:
                raise ConfigError([ConfigIssue(source, "(file name)", f"host {owner!r} is not in hosts.yml")])
            target = inv.host_vars[owner]
        for key, value in data.items():
            target[str(key)] = SourcedValue(value, source)
