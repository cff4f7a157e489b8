"""Plan and apply: run each selected role's playbook in order and collect the results."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml
from pydantic import BaseModel

from orchestrator.batch import Split, is_guard, write_playbook
from orchestrator.errors import HardenError
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
    for host, derived in (spec.derived_vars(env) if spec.derived_vars else {}).items():
        hosts.setdefault(host, {}).update(derived)
    return hosts


def _host_vars_fit(into: dict[str, dict[str, Any]], more: dict[str, dict[str, Any]]) -> bool:
    """Whether ``more`` gives no host's variable another value than ``into`` does."""
    return not any(
        name in into.get(host, {}) and into[host][name] != value
        for host, values in more.items()
        for name, value in values.items()
    )


def ansible_inventory(env: Environment, hosts: dict[str, dict[str, Any]], path: Path) -> Path | list[Path]:
    """The validated hosts file, plus a second source with role_host_vars() when there are any.
    Nothing secret: secret variables come through the secret channel."""
    if not hosts:
        return env.inventory.ansible_source
    path.write_text(
        "# Written by harden: the roles' variables as validated, for hosts outside a role's main group"
        " and for variables that hold models\n" + yaml.safe_dump({"all": {"hosts": hosts}}, sort_keys=True)
    )
    return [env.inventory.ansible_source, path]


@dataclass
class _Batch:
    specs: list[RoleSpec] = field(default_factory=list)
    channel: SecretChannel = field(default_factory=SecretChannel)
    host_vars: dict[str, dict[str, Any]] = field(default_factory=dict)


def _batches(
    env: Environment,
    selected: list[RoleSpec],
    channel_for: Callable[[RoleSpec], SecretChannel],
    redactor: Redactor | None,
    together: bool = True,
) -> Iterator[_Batch]:
    """The selected roles, in order, one run each, or (``together``) grouped into as few runs as
    their inputs allow. A role starts a new run when its secrets cannot be read yet (Vault is
    applied by a role earlier in this run: the run goes first, then the secrets are read again,
    and an error then is the role's), or when its secrets or validated variables would give a name
    another value than a role before it."""
    batch = _Batch()
    for spec in selected:
        try:
            channel = channel_for(spec)
        except HardenError:
            if not batch.specs:
                raise
            yield batch
            batch = _Batch()
            channel = channel_for(spec)
        if redactor is not None:
            for value in channel.values():
                redactor.add(value)
        host_vars = role_host_vars(env, spec)
        fits = together and _host_vars_fit(batch.host_vars, host_vars) and batch.channel.fits(channel)
        if batch.specs and not fits:
            yield batch
            batch = _Batch()
        for host, values in host_vars.items():
            batch.host_vars.setdefault(host, {}).update(values)
        batch.channel.merge(channel)
        batch.specs.append(spec)
    if batch.specs:
        yield batch


def _run(
    env: Environment, batch: _Batch, run_dir: Path, *, check: bool, limit: str | None, hook: ProgressHook
) -> list[RunResult]:
    """Run one role with its own playbook, or several in one process behind guards (batch.py)."""
    names = [spec.name for spec in batch.specs]
    ident = "+".join(names)
    hosts = {spec.name: len(spec.hosts(env.inventory)) for spec in batch.specs}
    single = len(batch.specs) == 1
    if single:
        hook.start_role(ident, hosts[ident])
        playbook, handler = batch.specs[0].playbook, hook.__call__
    else:
        split = Split(
            names,
            on_start=lambda role: hook.start_role(role, hosts[role]),
            on_finish=lambda role, ok: hook.finish_role(ok),
        )

        def handler(event: dict[str, Any]) -> None:
            split(event)
            if not is_guard(event):
                hook(event)

        playbook = str(write_playbook(run_dir / f"{ident}.yml", [(s.name, s.playbook) for s in batch.specs]))
    with batch.channel:
        result = run_playbook(
            run_dir=run_dir,
            role=ident,
            playbook=playbook,
            inventory=ansible_inventory(env, batch.host_vars, run_dir / f"{ident}.validated-vars.yml"),
            check=check,
            limit=limit,
            forks=env.settings.forks,
            extravars={**base_extravars(env), **batch.channel.extravars()},
            envvars=batch.channel.envvars(),
            on_event=handler,
            strategy=env.settings.ansible_strategy,
            facts=facts_dir(env.name),
        )
    if single:
        hook.finish_role(result.ok)
        return [result]
    return split.results(result)


def _record(execution: Execution, spec: RoleSpec, result: RunResult) -> None:
    execution.runs.append(result)
    execution.plan.add(results_from_events(spec.name, result.events))
    if not result.ok:
        execution.plan.failures.append(
            RunFailure(spec.name, result.status, result.rc, str(result.artifact_dir), result.tail())
        )


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
    """A plan runs each role on its own (a role that fails in check mode hides no host from the
    next); an apply runs the roles in as few processes as their inputs allow (orchestrator/batch.py)
    and stops after the first role that failed."""
    hook: ProgressHook = progress or _Silent()
    selected = env.roles(roles)
    run_dir = new_run_dir(env.name, "plan" if check else "apply")
    execution = Execution(plan=Plan(env=env.name), run_dir=run_dir)
    channels = channel_for or (lambda spec: SecretChannel())
    for batch in _batches(env, selected, channels, redactor, together=not check):
        results = _run(env, batch, run_dir, check=check, limit=limit, hook=hook)
        for spec, result in zip(batch.specs, results, strict=False):
            _record(execution, spec, result)
            if on_role_done is not None:
                on_role_done(spec, result)
        failed = [r.role for r in results if not r.ok]
        if not check and failed:
            execution.stopped_after = failed[0]
            break
    if redactor is not None:
        execution.plan = redact_plan(execution.plan, redactor)
    return execution
