"""The roles harden knows, found by discovery: every subpackage here that defines ``SPEC``.

Like Patroni's ``patroni/dcs`` and its dynamic loader, there is no list to edit: a new package
``orchestrator/roles/<name>/`` with a ``SPEC`` is a new role. ``ROLES`` is ordered so that every
role comes after the roles it requires (then by name), which is the order of ``site.yml``.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from orchestrator.roles.spec import RoleSpec


def _discover() -> list[RoleSpec]:
    specs = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if not info.ispkg:
            continue
        module: ModuleType = importlib.import_module(f"{__name__}.{info.name}")
        spec = getattr(module, "SPEC", None)
        if isinstance(spec, RoleSpec):
            if spec.name != info.name:
                raise RuntimeError(f"orchestrator/roles/{info.name}: SPEC.name is {spec.name!r}, not {info.name!r}")
            specs.append(spec)
    return specs


def dependency_order(specs: list[RoleSpec]) -> list[RoleSpec]:
    """Topological order by ``requires``, ``before`` and ``last`` (ties by name); an unknown or
    circular name is an error."""
    by_name = {s.name: s for s in specs}
    after: dict[str, set[str]] = {s.name: set(s.requires) for s in specs}
    for spec in specs:
        unknown = [r for r in (*spec.requires, *spec.before) if r not in by_name]
        if unknown:
            raise RuntimeError(f"role {spec.name} names unknown role {unknown[0]!r} in requires or before")
        for later in spec.before:
            after[later].add(spec.name)
        if spec.last:
            after[spec.name] |= {s.name for s in specs if not s.last}
    ordered: list[RoleSpec] = []
    done: set[str] = set()
    pending = sorted(by_name)
    while pending:
        ready = [n for n in pending if after[n] <= done]
        if not ready:
            raise RuntimeError(f"circular requires between roles: {', '.join(pending)}")
        name = ready[0]
        ordered.append(by_name[name])
        done.add(name)
        pending.remove(name)
    return ordered


def requirements(role: str) -> list[str]:
    """Every role that ``role`` needs, directly or not, in dependency order (``role`` not included)."""
    needed: set[str] = set()
    stack = list(ROLES[role].requires)
    while stack:
        name = stack.pop()
        if name not in needed:
            needed.add(name)
            stack.extend(ROLES[name].requires)
    return [name for name in ROLES if name in needed]


def with_requirements(*roles: str) -> list[str]:
    """The roles and everything they need, in dependency order."""
    wanted = set(roles).union(*(requirements(r) for r in roles))
    return [name for name in ROLES if name in wanted]


ROLES: dict[str, RoleSpec] = {spec.name: spec for spec in dependency_order(_discover())}
ROLE_PREFIXES = tuple(spec.prefix for spec in ROLES.values())


def role_for_variable(name: str) -> RoleSpec | None:
    # longest prefix wins, so that e.g. "redis_sentinel_" is not taken for a shorter role prefix
    matches = [s for s in ROLES.values() if name.startswith(s.prefix)]
    return max(matches, key=lambda s: len(s.prefix)) if matches else None


__all__ = [
    "ROLES",
    "ROLE_PREFIXES",
    "RoleSpec",
    "dependency_order",
    "requirements",
    "role_for_variable",
    "with_requirements",
]
