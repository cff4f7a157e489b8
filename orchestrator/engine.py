"""Plan and apply: run each selected role's playbook in order and collect the results."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

from orchestrator.paths import env_state_dir
from orchestrator.plan import Plan, RunFailure, redact_plan, results_from_events
from orchestrator.redact import Redactor
from orchestrator.roles import RoleSpec
from orchestrator.runner import RunResult, new_run_dir, run_playbook
from orchestrator.secrets.channel import SecretChannel
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


def ansible_inventory(env: Environment, spec: RoleSpec, run_dir: Path) -> Path | list[Path]:
    """The validated hosts file, plus, when the role has hosts outside its main group (a Sentinel
    on a host that runs no Redis), a second source giving those hosts the role's variables as
    harden validated them. Nothing secret: secret variables come through the secret channel."""
    outside = spec.outside_vars_group(env.inventory)
    if not outside:
        return env.inventory.ansible_source
    secret = secret_fields(spec)
    hosts = {
        host: {
            name: sourced.value
            for name, sourced in env.inventory.role_vars_for(host, spec.vars_group, spec.prefix).items()
            if name in spec.model.model_fields and name not in secret
        }
        for host in outside
    }
    path = run_dir / f"{spec.name}.outside-hosts.yml"
    path.write_text(
        "# Written by harden: the role's variables for hosts outside its group "
        + spec.vars_group
        + "\n"
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
