"""Plan and apply: run each selected role's playbook in order and collect the results."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml
from pydantic import BaseModel

from orchestrator.paths import env_state_dir, facts_dir
from orchestrator.plan import Plan, RunFailure, redact_plan, results_from_events
from orchestrator.redact import Redactor
from orchestrator.roles import RoleSpec
from orchestrator.runner import RunResult, new_run_dir, run_playbook
from orchestrator.secrets.channel import SecretChannel
from orchestrator.secrets.resolver import has_secrets
from orchestrator.validation import Environment, secret_fields


@dataclass
class Execution:
    plan: Plan
    runs: list[RunResult] = field(default_factory=list)
    run_dir: Path | None = None
    stopped_after: str | None = None  # role whose failure stopped an apply

    @property
    def failed(self) -> bool:
        return any(not r.ok for r in self.runs)


class ProgressHook(Protocol):
    """What the engine tells the display: a role starts, an event arrives, a role ends."""

    def start_role(self, role: str, hosts: int) -> None: ...
    def finish_role(self, ok: bool) -> None: ...
    def __call__(self, event: dict[str, Any]) -> None: ...


class _Silent:
    def start_role(self, role: str, hosts: int) -> None:
        pass

    def finish_role(self, ok: bool) -> None:
        pass

    def __call__(self, event: dict[str, Any]) -> None:
        pass


def base_extravars(env: Environment) -> dict[str, str]:
    """What every role run gets from the orchestrator; nothing secret."""
    return {
        "harden_env": env.name,
        "harden_env_protected": "true" if env.settings.protected else "false",
        "harden_state_dir": str(env_state_dir(env.name)),
    }


def _structured(value: Any) -> bool:
    return isinstance(value, BaseModel) or (isinstance(value, list) and any(isinstance(v, BaseModel) for v in value))


def role_host_vars(env: Environment, spec: RoleSpec) -> dict[str, dict[str, Any]]:
    """Per host, the role's non-secret variables that Ansible must get as harden validated them:

    - every variable, on a host outside the role's main group (a Sentinel on a host that runs no
      Redis): group_vars of the main group do not reach it;
    - on every host, each variable that holds models (a list of topics, limits): the group_vars
      give it as written, and only the validated value has the model's defaults filled in for
      each item (defaults/main.yml can only default the whole variable).
    """
    secret = secret_fields(spec)
    outside = set(spec.outside_vars_group(env.inventory))
    validated = env.role_vars.get(spec.name, {})
    hosts: dict[str, dict[str, Any]] = {}
    for host in spec.hosts(env.inventory):
        values: dict[str, Any] = {}
        if host in outside:
            values = {
                name: sourced.value
                for name, sourced in env.inventory.role_vars_for(host, spec.vars_group, spec.prefix).items()
                if name in spec.model.model_fields and name not in secret
            }
        model = validated.get(host)
        if model is not None:
            for name in type(model).model_fields:
                value = getattr(model, name)
                if name not in secret and _structured(value) and not has_secrets(value):
                    values[name] = model.model_dump(mode="json", include={name})[name]
        if values:
            hosts[host] = values
    return hosts


def ansible_inventory(env: Environment, spec: RoleSpec, run_dir: Path) -> Path | list[Path]:
    """The validated hosts file, plus a second source with role_host_vars() when there are any.
    Nothing secret: secret variables come through the secret channel."""
    hosts = role_host_vars(env, spec)
    if not hosts:
        return env.inventory.ansible_source
    path = run_dir / f"{spec.name}.validated-vars.yml"
    path.write_text(
        "# Written by harden: the role's variables as validated, for hosts outside its group "
        + spec.vars_group
        + " and for variables that hold models\n"
        + yaml.safe_dump({"all": {"hosts": hosts}}, sort_keys=True)
    )
    return [env.inventory.ansible_source, path]


def execute(
    env: Environment,
    *,
    check: bool,
    roles: tuple[str, ...] = (),
    limit: str | None = None,
    progress: ProgressHook | None = None,
    redactor: Redactor | None = None,
    on_role_done: Callable[[RoleSpec, RunResult], None] | None = None,
    channel_for: Callable[[RoleSpec], SecretChannel] | None = None,
) -> Execution:
    hook: ProgressHook = progress or _Silent()
    selected = env.roles(roles)
    run_dir = new_run_dir(env.name, "plan" if check else "apply")
    execution = Execution(plan=Plan(env=env.name), run_dir=run_dir)
    for spec in selected:
        hosts = spec.hosts(env.inventory)
        hook.start_role(spec.name, len(hosts))
        channel = channel_for(spec) if channel_for else SecretChannel()
        if redactor is not None:
            for value in channel.values():
                redactor.add(value)
        with channel:
            result = run_playbook(
                run_dir=run_dir,
                role=spec.name,
                playbook=spec.playbook,
                inventory=ansible_inventory(env, spec, run_dir),
                check=check,
                limit=limit,
                forks=env.settings.forks,
                extravars={**base_extravars(env), **channel.extravars()},
                envvars=channel.envvars(),
                on_event=hook,
                strategy=env.settings.ansible_strategy,
                facts=facts_dir(env.name),
            )
        hook.finish_role(result.ok)
        execution.runs.append(result)
        execution.plan.results.extend(results_from_events(spec.name, result.events))
        if not result.ok:
            execution.plan.failures.append(
                RunFailure(spec.name, result.status, result.rc, str(result.artifact_dir), result.tail())
            )
        if on_role_done is not None:
            on_role_done(spec, result)
        if not check and not result.ok:
            execution.stopped_after = spec.name
            break
    if redactor is not None:
        execution.plan = redact_plan(execution.plan, redactor)
    return execution
