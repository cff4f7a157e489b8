"""Turn ansible-runner event streams into a plan: what would change, per role, host and task."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml

from orchestrator.redact import Redactor

RESULT_EVENTS = {
    "runner_on_ok": "ok",
    "runner_on_failed": "failed",
    "runner_on_unreachable": "unreachable",
    "runner_on_skipped": "skipped",
}


@dataclass(frozen=True)
class TaskResult:
    role: str
    host: str
    task: str
    action: str
    status: str  # ok, changed, failed, unreachable, skipped
    diff: str = ""
    message: str = ""


@dataclass
class HostCounts:
    ok: int = 0
    changed: int = 0
    failed: int = 0
    unreachable: int = 0
    skipped: int = 0


@dataclass(frozen=True)
class RunFailure:
    """A role run that did not succeed, whatever its task events say (no host matched, a syntax error)."""

    role: str
    status: str
    rc: int
    artifact_dir: str
    tail: str  # the last lines ansible-playbook printed


@dataclass
class Plan:
    env: str
    results: list[TaskResult] = field(default_factory=list)
    failures: list[RunFailure] = field(default_factory=list)

    @property
    def changes(self) -> list[TaskResult]:
        return [r for r in self.results if r.status == "changed"]

    @property
    def errors(self) -> list[TaskResult]:
        return [r for r in self.results if r.status in ("failed", "unreachable")]

    def roles_changed(self) -> list[str]:
        return sorted({r.role for r in self.changes})

    def hosts_changed(self) -> list[str]:
        return sorted({r.host for r in self.changes})

    def counts(self) -> dict[tuple[str, str], HostCounts]:
        table: dict[tuple[str, str], HostCounts] = {}
        for r in self.results:
            c = table.setdefault((r.role, r.host), HostCounts())
            setattr(c, r.status, getattr(c, r.status) + 1)
        return table

    def summary(self) -> str:
        n, m, k = len(self.changes), len(self.roles_changed()), len(self.hosts_changed())
        line = f"{n} change{'s' * (n != 1)} in {m} role{'s' * (m != 1)} on {k} host{'s' * (k != 1)}"
        if self.errors:
            line += f", {len(self.errors)} error{'s' * (len(self.errors) != 1)}"
        if self.failures:
            line = f"FAILED ({', '.join(f.role for f in self.failures)}): " + line
        return line


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return yaml.safe_dump(value, sort_keys=True, default_flow_style=False)


def render_diff(diff: Any, target: str | None = None) -> str:
    """Ansible's diff results (dict or list of dicts) as one unified diff text.

    ``target`` (the task's dest or path) names both sides when Ansible's own headers do not.
    """
    parts: list[str] = []
    for item in diff if isinstance(diff, list) else [diff]:
        if not isinstance(item, dict):
            continue
        if "prepared" in item:
            parts.append(str(item["prepared"]).rstrip("\n"))
            continue
        if "before" not in item and "after" not in item:
            continue
        before, after = _as_text(item.get("before")), _as_text(item.get("after"))
        if before == after:
            continue
        from_header = str(item.get("before_header") or target or "before")
        to_header = str(item.get("after_header") or target or "after")
        if "/ansible-local-" in to_header or "/ansible-tmp-" in to_header:
            # a rendered template's temporary file: name the destination, else the template
            to_header = target or f"after (rendered from {to_header.rsplit('/', 1)[-1]})"
        if from_header == "before" and target:
            from_header = target
        lines = difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=from_header,
            tofile=to_header,
        )
        parts.append("".join(line if line.endswith("\n") else line + "\n" for line in lines).rstrip("\n"))
    return "\n".join(p for p in parts if p)


def _meaningful_lines(text: str) -> list[str]:
    """Lines with words in them: ssh's ``@@@@`` banners carry none."""
    return [ln.strip() for ln in text.splitlines() if any(c.isalnum() for c in ln)]


def _message(res: dict[str, Any], unreachable: bool = False) -> str:
    """The first line of Ansible's message, plus the last line of output when that says more.

    An unreachable host's message is ssh's stderr, whose verdict ("Host key verification failed.") is its last line,
    after a banner; that line is kept, after Ansible's first words ("Failed to connect to the host via ssh:").
    """
    msg = str(res.get("msg") or res.get("reason") or "").strip()
    if unreachable:
        lines = _meaningful_lines(msg)
        if len(lines) > 1:
            head = msg.splitlines()[0].split(":", 1)[0]
            return f"{head}: {lines[-1]}"[:500]
    detail = ""
    for key in ("stderr", "stdout"):
        lines = [ln.strip() for ln in str(res.get(key) or "").splitlines() if ln.strip()]
        if lines:
            detail = lines[-1]
            break
    first = msg.splitlines()[0] if msg else ""
    text = f"{first}: {detail}" if first and detail and detail not in first else (first or detail)
    return text[:500]


def results_from_events(role: str, events: Iterable[dict[str, Any]]) -> list[TaskResult]:
    out: list[TaskResult] = []
    for event in events:
        kind = RESULT_EVENTS.get(str(event.get("event")))
        if kind is None:
            continue
        data = event.get("event_data", {})
        res = data.get("res") or {}
        if kind == "ok" and res.get("changed"):
            kind = "changed"
        if kind == "failed" and data.get("ignore_errors"):
            kind = "ok"
        out.append(
            TaskResult(
                role=role,
                host=str(data.get("host", "?")),
                task=str(data.get("task", "?")),
                action=str(data.get("task_action", "")),
                status=kind,
                diff=render_diff(res.get("diff"), res.get("dest") or res.get("path")) if kind == "changed" else "",
                message=_message(res, unreachable=kind == "unreachable") if kind in ("failed", "unreachable") else "",
            )
        )
    return out


def redact_plan(plan: Plan, redactor: Redactor) -> Plan:
    return Plan(
        env=plan.env,
        results=[
            TaskResult(
                role=r.role,
                host=r.host,
                task=r.task,
                action=r.action,
                status=r.status,
                diff=redactor(r.diff),
                message=redactor(r.message),
            )
            for r in plan.results
        ],
        failures=[RunFailure(f.role, f.status, f.rc, f.artifact_dir, redactor(f.tail)) for f in plan.failures],
    )


def plan_to_json(plan: Plan) -> str:
    return json.dumps(
        {
            "env": plan.env,
            "summary": plan.summary(),
            "changes": len(plan.changes),
            "errors": len(plan.errors),
            "failed": bool(plan.failures),
            "failures": [f.__dict__ for f in plan.failures],
            "results": [r.__dict__ for r in plan.results if r.status != "skipped"],
        },
        separators=(",", ":"),  # compact: json uses its C encoder only without indent
    )
