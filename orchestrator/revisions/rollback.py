"""`harden rollback`: bring one role back to an earlier revision, touching nothing else.

A rollback re-applies the role as it was at revision N: the role's content at N's git commit
and N's variables (secrets are resolved from Vault as always; they never change). It then runs
the role's own rollback steps (``roles/<role>/tasks/rollback.yml``, for what re-applying cannot
undo), checks health (each role's health tasks run as part of it), and records a new revision.
"""

from __future__ import annotations

import contextlib
import dataclasses
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from orchestrator.engine import base_extravars
from orchestrator.errors import HardenError
from orchestrator.paths import REPO_ROOT, facts_dir
from orchestrator.plan import Plan, redact_plan, results_from_events
from orchestrator.redact import Redactor
from orchestrator.revisions.backends import open_store
from orchestrator.revisions.store import Revision, RevisionStore, content_digest
from orchestrator.roles import ROLES, RoleSpec
from orchestrator.runner import new_run_dir, run_playbook
from orchestrator.secrets.role_secrets import channel_for_role
from orchestrator.validation import Environment


@dataclass(frozen=True)
class RollbackChoice:
    current: Revision
    target: Revision


def choose(store: RevisionStore, env: Environment, role: str, to: int | None) -> RollbackChoice:
    """The revision to go back to, or a clear reason why it cannot be restored."""
    if role not in ROLES:
        raise HardenError(f"--role {role}: unknown role")
    history = store.history(env.name, role)
    if not history:
        raise HardenError(f"{role} has no revisions in {env.name}: nothing to roll back to")
    current = history[-1]
    if to is None:
        earlier = [r for r in history[:-1] if r.result == "success"]
        if not earlier:
            raise HardenError(f"{role} has no successful revision before {current.number}")
        target = earlier[-1]
    else:
        found = [r for r in history if r.number == to]
        if not found:
            kept = ", ".join(str(r.number) for r in history)
            raise HardenError(f"revision {to} of {role} is not kept (history_max); kept: {kept}")
        target = found[0]
    if target.number == current.number:
        raise HardenError(f"revision {target.number} is already the current one")
    if target.result != "success":
        raise HardenError(f"revision {target.number} did not apply successfully ({target.result})")
    if target.data_format != ROLES[role].data_format:
        raise HardenError(
            f"revision {target.number} predates a data format change of {role} "
            f"({target.data_format} -> {ROLES[role].data_format}): it cannot be restored"
        )
    return RollbackChoice(current=current, target=target)


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(REPO_ROOT), *args], capture_output=True, text=True)


@contextlib.contextmanager
def role_tree(target: Revision) -> Iterator[Path]:
    """A checkout holding the role exactly as it was applied at the target revision."""
    if target.role_digest and content_digest(target.role) == target.role_digest:
        yield REPO_ROOT  # the role is byte-for-byte what was applied then
        return
    if target.git_dirty:
        raise HardenError(
            f"revision {target.number} was applied from uncommitted changes to {target.role}, "
            "which are gone: its content cannot be restored exactly"
        )
    if _git("cat-file", "-e", f"{target.git_commit}^{{commit}}").returncode != 0:
        raise HardenError(f"revision {target.number}'s commit {target.git_commit[:12]} is not in this repository")
    with tempfile.TemporaryDirectory(prefix="harden-rollback-") as tmp:
        tree = Path(tmp) / "tree"
        added = _git("worktree", "add", "--detach", str(tree), target.git_commit)
        if added.returncode != 0:
            raise HardenError(f"git worktree for {target.git_commit[:12]}: {added.stderr.strip()}")
        try:
            yield tree
        finally:
            _git("worktree", "remove", "--force", str(tree))


def _run(
    env: Environment,
    spec: RoleSpec,
    target: Revision,
    tree: Path,
    *,
    check: bool,
    playbook: str,
    extra: dict[str, str] | None = None,
) -> Plan:
    # the target's variables; secrets it refers to are resolved again (they never change)
    context = {"protected": env.settings.protected}
    models = {host: spec.model.model_validate(values, context=context) for host, values in target.public_vars.items()}
    channel = channel_for_role(env, spec, check=check, models=models)
    resolved = set(channel.names())
    for host, variables in target.public_vars.items():
        for name, value in variables.items():
            if name not in resolved:
                channel.put(name, value, host)
    # what the orchestrator derives: from the environment as it is now, with this role's values
    # those of the revision (baseline's firewall rules follow the ports of the roles the
    # environment runs; app_services' units follow the compose files the revision kept)
    as_then = dataclasses.replace(env, role_vars={**env.role_vars, spec.name: dict(models)})
    for host, variables in (spec.derived_vars(as_then) if spec.derived_vars else {}).items():
        for name, value in variables.items():
            channel.put(name, value, host, secrets=[])  # addresses and ports: nothing secret
    run_dir = new_run_dir(env.name, "rollback-plan" if check else "rollback")
    with channel:
        result = run_playbook(
            run_dir=run_dir,
            role=spec.name,
            playbook=playbook,
            inventory=env.inventory.ansible_source,
            check=check,
            limit=None,
            forks=env.settings.forks,
            extravars={**base_extravars(env), **(extra or {}), **channel.extravars()},
            envvars=channel.envvars(),
            tree=tree,
            strategy=env.settings.ansible_strategy,
            facts=facts_dir(env.name),
        )
    plan = Plan(env=env.name, results=results_from_events(spec.name, result.events))
    if not result.ok and not plan.errors:
        raise HardenError(f"rollback of {spec.name} failed ({result.status}); see {result.artifact_dir}")
    return redact_plan(plan, Redactor(channel.values()))


def rollback(env: Environment, role: str, to: int | None, *, dry_run: bool) -> tuple[RollbackChoice, Plan]:
    store = open_store(env)
    choice = choose(store, env, role, to)
    spec = ROLES[role]
    with role_tree(choice.target) as tree:
        plan = _run(env, spec, choice.target, tree, check=dry_run, playbook=str(tree / "playbooks" / f"{role}.yml"))
        steps = tree / "roles" / role / "tasks" / "rollback.yml"
        if not plan.errors and steps.is_file():
            steps_plan = _run(
                env,
                spec,
                choice.target,
                tree,
                check=dry_run,
                playbook=str(REPO_ROOT / "playbooks" / "_rollback_steps.yml"),
                extra={"harden_rollback_role": role, "harden_rollback_hosts": spec.host_pattern},
            )
            plan.merge(steps_plan)
    if not dry_run:
        store.record(
            env=env.name,
            role=role,
            action=f"rollback to {choice.target.number}",
            hosts=spec.hosts(env.inventory),
            models={},
            public=choice.target.public_vars,
            git=(choice.target.git_commit, choice.target.git_dirty),
            result="success" if not plan.errors else "failed",
            history_max=env.settings.history_max,
            data_format=choice.target.data_format,
            role_digest=choice.target.role_digest,
        )
    return choice, plan
