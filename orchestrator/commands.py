"""What `harden plan` and `harden apply` do, between parsing (cli.py) and running (engine.py)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from orchestrator.clikit import confirm_on_protected
from orchestrator.engine import Execution, execute
from orchestrator.errors import HardenError
from orchestrator.plan import Plan
from orchestrator.progress import RoleProgress
from orchestrator.redact import Redactor
from orchestrator.report import plan_error_markdown, render, render_markdown
from orchestrator.revisions.backends import open_store
from orchestrator.roles import ROLES, requirements, with_requirements
from orchestrator.runner import RunResult
from orchestrator.secrets.role_secrets import channel_for_role
from orchestrator.validation import Environment, validate_environment

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2


def _check_roles(env: Environment, roles: tuple[str, ...]) -> None:
    env.scoped(roles)  # raises for a role that is unknown or not enabled


def check_requirements(env: Environment, env_name: str, roles: tuple[str, ...]) -> None:
    """--role X runs only X: every role X requires must be in the selection or have been applied
    successfully in this environment before. Otherwise refuse, before any host is touched, and
    say what to run (documented in docs/adding-a-role.md, "Dependencies")."""
    if not roles:
        return
    store = None
    for role in roles:
        for needed in requirements(role):
            if needed in roles:
                continue
            store = store or open_store(env)
            if not any(rev.result == "success" for rev in store.history(env.name, needed)):
                command = " ".join(f"--role {r}" for r in with_requirements(*roles))
                raise HardenError(
                    f"--role {role} requires {needed}, which has never been applied successfully in {env.name}: "
                    f"run `harden apply --env {env_name} {command}` (no host was touched)"
                )


def _write_report(chunks: list[str], output: Path | None) -> None:
    if output is None:
        click.echo("\n".join(chunks), nl=False)
        return
    for i, chunk in enumerate(chunks, start=1):
        target = output if i == 1 else output.with_name(f"{output.name}.{i}")
        target.write_text(chunk)
        click.echo(f"wrote {target}", err=True)


def summary_table(plan: Plan) -> Table:
    table = Table("role", "host", "ok", "changed", "failed", "unreachable", "skipped", title=plan.summary())
    for (role, host), c in sorted(plan.counts().items()):
        table.add_row(
            role,
            host,
            str(c.ok),
            str(c.changed),
            f"[red]{c.failed}" if c.failed else "0",
            f"[red]{c.unreachable}" if c.unreachable else "0",
            str(c.skipped),
        )
    return table


def run_plan(
    env_name: str,
    roles: tuple[str, ...],
    limit: str | None,
    fmt: str,
    output: Path | None,
    console: Console,
    post: str | None = None,
) -> int:
    try:
        env = validate_environment(env_name)
        _check_roles(env, roles)
        check_requirements(env, env_name, roles)
    except HardenError as exc:
        if post:  # the pull request shows why there is no plan
            _post(post, Path(env_name).name, [plan_error_markdown(Path(env_name).name, str(exc))])
        raise
    with RoleProgress(console, enabled=console.is_terminal) as progress:
        execution = execute(
            env,
            check=True,
            roles=roles,
            limit=limit,
            progress=progress,
            redactor=Redactor(),
            channel_for=lambda spec: channel_for_role(env, spec, check=True),
        )
    _write_report(render(execution.plan, fmt), output)
    if post:
        _post(post, env.name, render_markdown(execution.plan))
    return _exit_code(execution)


def _post(forge_name: str, env: str, chunks: list[str]) -> None:
    from orchestrator.publish import sync
    from orchestrator.publish.forge import from_environment

    posted = sync(from_environment(forge_name), env, chunks)
    click.echo(f"posted the plan for {env} to {forge_name}: {posted}", err=True)


def _exit_code(execution: Execution) -> int:
    if execution.failed or execution.plan.errors:
        return EXIT_ERROR
    return EXIT_CHANGES if execution.plan.changes else EXIT_OK


def run_apply(
    env_name: str,
    roles: tuple[str, ...],
    limit: str | None,
    yes: bool,
    console: Console,
    vault_keys: list[str] | None = None,
) -> int:
    env = validate_environment(env_name)
    _check_roles(env, roles)
    check_requirements(env, env_name, roles)
    confirm_on_protected(env, f"Apply {', '.join(r.name for r in env.roles(roles))}?", yes)
    store = open_store(env)

    succeeded: list[str] = []

    def record(spec_name: str, result: RunResult) -> None:
        spec = ROLES[spec_name]
        if result.ok:
            succeeded.append(spec_name)
        store.record(
            env=env.name,
            role=spec_name,
            action="apply",
            hosts=spec.hosts(env.inventory),
            models=env.role_vars.get(spec_name, {}),
            result="success" if result.ok else f"failed ({result.status})",
            history_max=env.settings.history_max,
            data_format=spec.data_format,
        )

    with RoleProgress(console, enabled=True) as progress:
        execution = execute(
            env,
            check=False,
            roles=roles,
            limit=limit,
            progress=progress,
            redactor=Redactor(),
            on_role_done=lambda spec, result: record(spec.name, result),
            channel_for=lambda spec: channel_for_role(env, spec, check=False, vault_keys=vault_keys),
        )
    console.print(summary_table(execution.plan))
    for err in execution.plan.errors:
        console.print(f"[red]{err.role} {', '.join(err.hosts)}: {err.task}: {err.message}")
    if execution.stopped_after:
        console.print(f"[red]stopped after {execution.stopped_after} failed; later roles were not applied")
    for name in succeeded if limit is None else []:
        hook = ROLES[name].after_apply
        for line in hook(env) if hook else []:
            console.print(line, soft_wrap=True)
    return EXIT_ERROR if execution.failed else EXIT_OK


def run_rollback(env_name: str, role: str, to: int | None, dry_run: bool, yes: bool, console: Console) -> int:
    from orchestrator.revisions.rollback import choose, rollback

    env = validate_environment(env_name)
    _check_roles(env, (role,))
    choice = choose(open_store(env), env, role, to)
    if not dry_run and not yes:
        click.confirm(
            f"Roll {role} in {env.name} back from revision {choice.current.number} to {choice.target.number}?",
            abort=True,
        )
    _, plan = rollback(env, role, to, dry_run=dry_run)
    click.echo("\n".join(render(plan, "text")), nl=False)
    if plan.errors:
        return EXIT_ERROR
    verb = "would roll" if dry_run else "rolled"
    console.print(f"{verb} {role} back to revision {choice.target.number} ({plan.summary()})")
    return EXIT_OK


def run_audit(
    env_name: str,
    fmt: str,
    min_score: float | None,
    show_history: bool,
    console: Console,
    roles: tuple[str, ...] = (),
) -> int:
    """Exit 0, or 1 when the score is below ``min_score`` (or the environment is invalid)."""
    from orchestrator.audit import render
    from orchestrator.audit.run import AuditHistory, audit

    env = validate_environment(env_name)
    env.scoped(roles)  # refuses an unknown role, before the history is opened
    history = AuditHistory()
    if show_history:
        records = history.history(env.name)
        if fmt == "json":
            click.echo(json.dumps([dataclasses.asdict(r) for r in records], indent=2))
        else:
            console.print(render.history_table(env.name, records))
        return EXIT_OK
    report = audit(env, roles)
    history.record(report)
    if fmt == "json":
        click.echo(render.as_json(report, min_score))
    elif fmt == "markdown":
        click.echo(render.as_markdown(report, min_score), nl=False)
    else:
        render.as_text(report, console, min_score)
    return EXIT_ERROR if min_score is not None and report.score.percent < min_score else EXIT_OK
