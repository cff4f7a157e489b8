"""Validate an environment against the role models before any host is touched."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from orchestrator.errors import ConfigError, ConfigIssue, HardenError
from orchestrator.inventory import Inventory, load_inventory, load_yaml
from orchestrator.models.base import SecretSpec
from orchestrator.models.environment import EnvironmentSettings
from orchestrator.paths import display_path
from orchestrator.roles import ROLES, RoleSpec, role_for_variable

SETTINGS_FILE = "harden.yml"
SECRET_NAME_RE = re.compile(r"(password|passwd|secret|token|api_?key|private_?key|passphrase|_pass$)", re.I)
# Connection variables Ansible itself understands; anything else must belong to a role.
ANSIBLE_VARS_RE = re.compile(r"^ansible_[a-z0-9_]+$")


@dataclass(frozen=True)
class Environment:
    """A validated environment: its inventory, its settings and each role's variables per host."""

    inventory: Inventory
    settings: EnvironmentSettings
    role_vars: dict[str, dict[str, BaseModel]]  # role -> host -> validated model

    @property
    def name(self) -> str:
        return self.inventory.name

    def roles(self, selected: tuple[str, ...] = ()) -> list[RoleSpec]:
        """The environment's roles (or the selected ones), each after the roles it requires."""
        return [s for s in ROLES.values() if s.name in self.settings.roles and (not selected or s.name in selected)]

    def scoped(self, selected: tuple[str, ...]) -> Environment:
        """The environment as a report of the selected roles sees it (``harden audit --role``):
        only those roles, with their variables; every host and setting else. No selection: itself."""
        for role in selected:
            if role not in ROLES:
                raise HardenError(f"--role {role}: unknown role (known: {', '.join(ROLES)})")
            if role not in self.settings.roles:
                raise HardenError(f"--role {role}: not enabled in {self.name}'s harden.yml")
        if not selected:
            return self
        kept = [r for r in self.settings.roles if r in selected]
        return dataclasses.replace(self, settings=self.settings.model_copy(update={"roles": kept}))


def secret_fields(spec: RoleSpec) -> set[str]:
    """The role's variables that hold secrets (resolved from Vault, never in the inventory)."""
    return {name for name, field in spec.model.model_fields.items() if field.annotation is SecretSpec}


def _loc_to_key(loc: tuple[int | str, ...]) -> str:
    key = ""
    for part in loc:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key


def _message(err: Any) -> str:
    msg = str(err["msg"])
    if err["type"] == "extra_forbidden":
        return "unknown key"
    if err["type"] == "missing":
        return "required key is missing"
    return msg.removeprefix("Value error, ")


def model_issues(exc: ValidationError, source: str) -> list[ConfigIssue]:
    """A model's validation errors as `file: key: message` issues of ``source``."""
    return [ConfigIssue(source, _loc_to_key(e["loc"]) or "(top level)", _message(e)) for e in exc.errors()]


def load_settings(inv: Inventory) -> EnvironmentSettings:
    path = inv.path / SETTINGS_FILE
    source = display_path(path)
    if not path.is_file():
        raise ConfigError([ConfigIssue(source, "(file)", "missing: every environment declares its roles here")])
    data = load_yaml(path) or {}
    try:
        return EnvironmentSettings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(model_issues(exc, source)) from None


# Variables that name a file or directory holding a secret (ansible_ssh_private_key_file): a path
# is not the secret itself.
PATH_NAME_RE = re.compile(r"_(file|path|dir)$")


def _is_literal_secret(value: Any) -> bool:
    """Anything but a Vault reference: a Jinja lookup (a file on the controller, a variable) too."""
    return (
        isinstance(value, str | int)
        and not isinstance(value, bool)
        and str(value) != ""
        and not (isinstance(value, str) and value.startswith("vault:"))
    )


def _scan_literal_secrets(name: str, value: Any, source: str, trail: str) -> list[ConfigIssue]:
    """Any value under a secret-looking key must be a Vault reference or a generate spec."""
    issues: list[ConfigIssue] = []
    if isinstance(value, dict):
        if SECRET_NAME_RE.search(name) and ("generate" in value or "vault" in value):
            return issues
        for k, v in value.items():
            issues += _scan_literal_secrets(str(k), v, source, f"{trail}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            issues += _scan_literal_secrets(name, v, source, f"{trail}[{i}]")
    elif SECRET_NAME_RE.search(name) and not PATH_NAME_RE.search(name) and _is_literal_secret(value):
        issues.append(
            ConfigIssue(source, trail, "literal secret in the inventory; use a 'vault:' reference or generate")
        )
    return issues


def _check_variable_names(inv: Inventory, settings: EnvironmentSettings) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    for name, sourced in inv.all_var_sources():
        spec = role_for_variable(name)
        if spec is None or name not in spec.model.model_fields:
            # role fields are checked by their model, which knows which of them are secrets
            issues += _scan_literal_secrets(name, sourced.value, sourced.file, name)
        if ANSIBLE_VARS_RE.match(name):
            continue
        if spec is None:
            issues.append(ConfigIssue(sourced.file, name, "unknown variable: not an ansible_* or role variable"))
        elif name not in spec.model.model_fields:
            issues.append(ConfigIssue(sourced.file, name, f"unknown key for role {spec.name}"))
        elif spec.name not in settings.roles:
            issues.append(ConfigIssue(sourced.file, name, f"role {spec.name} is not enabled in {SETTINGS_FILE} roles"))
    return issues


def _validate_role(
    inv: Inventory, spec: RoleSpec, settings_file: str, protected: bool = False
) -> tuple[dict[str, BaseModel], list[ConfigIssue]]:
    if not inv.group_hosts(spec.vars_group):
        return {}, [ConfigIssue(settings_file, "roles", f"role {spec.name} needs hosts in group {spec.vars_group!r}")]
    issues: list[ConfigIssue] = []
    models: dict[str, BaseModel] = {}
    for host in spec.hosts(inv):
        own = {
            k: v
            for k, v in inv.role_vars_for(host, spec.vars_group, spec.prefix).items()
            if k in spec.model.model_fields
        }
        values = {k: v.value for k, v in own.items()}
        try:
            context = {"protected": protected, "environment_dir": inv.path}
            models[host] = spec.model.model_validate(values, context=context)
        except ValidationError as exc:
            for err in exc.errors():
                ctx = err.get("ctx") or {}
                key = str(ctx.get("key") or _loc_to_key(err["loc"]))
                top = key.split(".")[0].split("[")[0]
                source = own[top].file if top in own else _default_source(inv, spec)
                issues.append(ConfigIssue(source, key, _message(err)))
            continue
        if spec.topology:
            for key, message in spec.topology(inv, values):
                if key in own:
                    source = own[key].file
                elif key.startswith("groups."):
                    source = display_path(inv.path / "hosts.yml")
                else:  # a default: name the file where the override belongs
                    source = _default_source(inv, spec)
                issue = ConfigIssue(source, key, message)
                if issue not in issues:
                    issues.append(issue)
    return models, issues


def _default_source(inv: Inventory, spec: RoleSpec) -> str:
    return display_path(inv.path / "group_vars" / f"{spec.vars_group}.yml")


def _check_compose_policy(inv: Inventory) -> list[ConfigIssue]:
    """The app services policy (`harden compose check`), when the environment has one."""
    from orchestrator.compose.policy import POLICY_FILE, load_policy

    path = inv.path / POLICY_FILE
    if not path.is_file():
        return []
    try:
        load_policy(path)
    except ConfigError as exc:
        return exc.issues
    return []


def validate_environment(env: str) -> Environment:
    """Load and validate; raise ConfigError listing every problem found."""
    inv = load_inventory(env)
    settings = load_settings(inv)
    settings_file = display_path(inv.path / SETTINGS_FILE)
    issues = _check_variable_names(inv, settings)
    role_vars: dict[str, dict[str, BaseModel]] = {}
    for role in settings.roles:
        spec = ROLES[role]
        missing = [r for r in spec.requires if r not in settings.roles]
        if missing:
            issues.append(ConfigIssue(settings_file, "roles", f"role {role} requires {', '.join(missing)}: add it"))
        if not spec.exists:
            issues.append(ConfigIssue(settings_file, "roles", f"role {role} is not implemented in roles/ yet"))
        if spec.lab_only and settings.protected:
            issues.append(
                ConfigIssue(
                    settings_file, "roles", f"role {role} stands in for a public service in the lab only: remove it"
                )
            )
        role_vars[role], role_issues = _validate_role(inv, spec, settings_file, settings.protected)
        issues += role_issues
    issues += _check_compose_policy(inv)
    if issues:
        raise ConfigError(issues)
    return Environment(inventory=inv, settings=settings, role_vars=role_vars)
