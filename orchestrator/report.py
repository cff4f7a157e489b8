"""Render a plan as text, markdown (PR comments, split into self-contained chunks) or JSON."""

from __future__ import annotations

import re
from collections.abc import Sequence

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from orchestrator.paths import TEMPLATES_DIR
from orchestrator.plan import PLACEHOLDER_NOTES, Outcome, Plan, plan_to_json
from orchestrator.publish import marker

MARKDOWN_CHUNK_LIMIT = 65_000
_TRUNCATION_NOTE = "\n... (diff truncated: {omitted} more lines; run `harden plan` locally for all of it)"

_jinja = Environment(
    loader=FileSystemLoader(str(TEMPLATES_DIR)),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    autoescape=False,
)


_SSH_PREFIX = re.compile(r"^(Task failed: )?(Failed to connect to the host via ssh: )?")


# a PR comment names this many hosts of one outcome, then says how many more (the JSON has them all)
MARKDOWN_HOSTS_SHOWN = 20


def unreachable_only(plan: Plan, role: str) -> list[tuple[str, str]]:
    """The role's unreachable hosts with ssh's reason, in host order, when being unreachable is all
    that went wrong in its run."""
    errors = [o for o in plan.errors if o.role == role]
    if not errors or any(o.status != "unreachable" for o in errors):
        return []
    return sorted((host, unreachable_reason(o)) for o in errors for host in o.hosts)


def unreachable_reason(outcome: Outcome) -> str:
    return _SSH_PREFIX.sub("", outcome.message).strip() or "unreachable"


def _failure_text(plan: Plan) -> list[str]:
    lines = []
    for f in plan.failures:
        unreachable = unreachable_only(plan, f.role)
        if unreachable:  # one line per host, not ansible's recap
            lines.append(f"\n!! {f.role}: {len(unreachable)} host(s) unreachable")
            lines.extend(f"   {host}: {reason}" for host, reason in unreachable)
            continue
        lines.append(f"\n!! {f.role}: the run {f.status} (exit {f.rc}); artifacts in {f.artifact_dir}")
        lines.extend("   " + line for line in f.tail.splitlines())
    return lines


def render_text(plan: Plan) -> str:
    lines = [f"Plan for {plan.env}: {plan.summary()}", *_failure_text(plan)]
    listed = {f.role for f in plan.failures if unreachable_only(plan, f.role)}  # their hosts are listed above
    for role in plan.roles():
        shown = ("changed",) if role in listed else ("changed", "failed", "unreachable")
        outcomes = [o for o in plan.outcomes if o.role == role and o.status in shown]
        if not outcomes:
            if role not in listed:  # with unreachable hosts, "no changes" is not known
                lines.append(f"\n== {role}: no changes")
            continue
        lines.append(f"\n== {role}")
        for o in outcomes:
            marker = "~" if o.status == "changed" else "!"
            hosts = ", ".join(sorted(o.hosts))
            lines.append(f"  {marker} {hosts}: {o.task} [{o.status}]" + (f": {o.message}" if o.message else ""))
            lines.extend("      " + d for d in o.diff.splitlines())
            if o.placeholders:
                lines.append(f"      ({placeholder_note(o)})")
    return "\n".join(lines) + "\n"


def placeholder_note(o: Outcome) -> str:
    return "; ".join(f"{mark}: {PLACEHOLDER_NOTES[mark]}" for mark in o.placeholders)


def _hosts(o: Outcome) -> str:
    named = ", ".join(f"`{h}`" for h in sorted(o.hosts)[:MARKDOWN_HOSTS_SHOWN])
    more = len(o.hosts) - MARKDOWN_HOSTS_SHOWN
    return named + (f" and {more} more host{'s' * (more != 1)}" if more > 0 else "")


def _error_item(o: Outcome) -> str:
    return f"- :x: {_hosts(o)} **{o.task}**: {o.status}" + (f": {o.message}" if o.message else "") + "\n\n"


def _change_item(o: Outcome) -> str:
    diff = f"\n```diff\n{o.diff}\n```\n" if o.diff else ""
    note = f"\n_{placeholder_note(o)}_\n" if o.placeholders else ""
    return f"- {_hosts(o)} **{o.task}** ({o.action})\n{diff}{note}\n"


def _role_section(role: str, items: Sequence[str], changes: int, errors: int, hosts: int, part: int = 0) -> str:
    return _jinja.get_template("plan_role.md.j2").render(
        role=role, items="".join(items), changes=changes, errors=errors, hosts=hosts, part=part
    )


def _fit_diff(result: Outcome, budget: int) -> Outcome:
    """Shorten one task's diff so that its section fits in a chunk on its own."""
    if len(result.diff) <= budget:
        return result
    kept: list[str] = []
    size = 0
    lines = result.diff.splitlines()
    for line in lines:
        if size + len(line) + 1 > budget:
            break
        kept.append(line)
        size += len(line) + 1
    diff = "\n".join(kept) + _TRUNCATION_NOTE.format(omitted=len(lines) - len(kept))
    return Outcome(**{**result.__dict__, "diff": diff})


# the <details> line and its closing tag, around a role's items
_SECTION_OVERHEAD = 400


def _role_sections(plan: Plan, budget: int) -> list[str]:
    """Markdown sections, one per role, split by task when a role alone exceeds the budget.
    Each item is rendered once and measured: the split is linear in the number of results."""
    by_role: dict[str, tuple[list[Outcome], list[Outcome]]] = {}
    for r in plan.outcomes:
        if r.status == "changed":
            by_role.setdefault(r.role, ([], []))[0].append(r)
        elif r.status in ("failed", "unreachable"):
            by_role.setdefault(r.role, ([], []))[1].append(r)
    sections: list[str] = []
    for role in sorted(by_role):
        changes, errors = by_role[role]
        error_items = [_error_item(r) for r in errors]
        change_items = [_change_item(_fit_diff(r, budget - 2_000)) for r in changes]
        if sum(map(len, error_items)) + sum(map(len, change_items)) + _SECTION_OVERHEAD <= budget:
            hosts = len({h for r in [*changes, *errors] for h in r.hosts})
            n_changes, n_errors = sum(len(r.hosts) for r in changes), sum(len(r.hosts) for r in errors)
            sections.append(_role_section(role, [*error_items, *change_items], n_changes, n_errors, hosts))
            continue
        part, current, size = 1, list(error_items), sum(map(len, error_items)) + _SECTION_OVERHEAD
        current_results: list[Outcome] = list(errors)
        for change, item in zip(changes, change_items, strict=True):
            if len(current) > len(error_items if part == 1 else []) and size + len(item) > budget:
                sections.append(_part(role, current, current_results, part))
                part, current, size, current_results = part + 1, [], _SECTION_OVERHEAD, []
            current.append(item)
            current_results.append(change)
            size += len(item)
        sections.append(_part(role, current, current_results, part))
    return sections


def _part(role: str, items: list[str], results: list[Outcome], part: int) -> str:
    changes = sum(len(r.hosts) for r in results if r.status == "changed")
    errors = sum(len(r.hosts) for r in results if r.status != "changed")
    hosts = len({h for r in results for h in r.hosts})
    return _role_section(role, items, changes, errors, hosts, part)


def render_markdown(plan: Plan, limit: int = MARKDOWN_CHUNK_LIMIT) -> list[str]:
    """Chunks under ``limit`` characters, each a complete comment with its own header."""
    header_budget = 400
    sections = _role_sections(plan, limit - header_budget)
    if plan.failures:
        fence = "~~~~" if "```" in "".join(f.tail for f in plan.failures) else "```"
        blocks = []
        for f in plan.failures:
            unreachable = unreachable_only(plan, f.role)
            if unreachable:
                hosts = "".join(f"- `{host}`: {reason}\n" for host, reason in unreachable)
                blocks.append(f"### :x: `{f.role}`: {len(unreachable)} host(s) unreachable\n\n{hosts}")
            else:
                blocks.append(
                    f"### :x: `{f.role}`: the plan run {f.status} (exit {f.rc})\n\nArtifacts: `{f.artifact_dir}`\n\n"
                    f"{fence}\n{f.tail[-4000:]}\n{fence}\n"
                )
        sections.insert(0, "\n".join(blocks))
    if not sections:
        sections = ["No changes. Infrastructure matches the configuration.\n"]
    groups: list[list[str]] = [[]]
    for section in sections:
        if groups[-1] and sum(map(len, groups[-1])) + len(section) > limit - header_budget:
            groups.append([])
        groups[-1].append(section)
    total, summary = len(groups), plan.summary()
    return [
        _jinja.get_template("plan_header.md.j2").render(
            env=plan.env, summary=summary, index=i, total=total, marker=marker(plan.env, i)
        )
        + "\n".join(group)
        for i, group in enumerate(groups, start=1)
    ]


def plan_error_markdown(env: str, message: str) -> str:
    """The one comment posted when there is no plan: validation refused the environment."""
    return (
        _jinja.get_template("plan_header.md.j2").render(
            env=env, summary="harden plan failed", index=1, total=1, marker=marker(env, 1)
        )
        + f"\n:x: {message}\n"
    )


def render(plan: Plan, fmt: str) -> list[str]:
    if fmt == "markdown":
        return render_markdown(plan)
    if fmt == "json":
        return [plan_to_json(plan) + "\n"]
    return [render_text(plan)]
