"""Turn ansible-runner event streams into a plan: what would change, per role, host and task.

A plan is built as the events stream in and keeps what it shows: per-host counts of every status,
and the changed, failed and unreachable results, each kept once for all the hosts where it is the
same (a template that changes the same way on 1,000 hosts is one diff with 1,000 host names), once
each host's own address and name in its diff are placeholders. The ok and skipped results are
counted and dropped, so memory grows with what the report prints (the distinct changes, the host
names, each host's counts), not with hosts x tasks (bench/plan_scale.md).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Iterator
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
SHOWN = ("changed", "failed", "unreachable")  # the statuses a plan keeps results of; the rest are counted


@dataclass(frozen=True)
class TaskResult:
    """One task on one host, as an event reports it (transient: a Plan keeps Outcomes)."""

    role: str
    host: str
    task: str
    action: str
    status: str  # ok, changed, failed, unreachable, skipped
    diff: str = ""
    message: str = ""
    address: str = ""  # the address Ansible reached the host at (ansible_host)


HOST_MARK, ADDRESS_MARK = "<host>", "<address>"
PLACEHOLDER_NOTES = {ADDRESS_MARK: "each host's own address", HOST_MARK: "each host's own inventory name"}


def _is_distinct_name(host: str) -> bool:
    """A host name that cannot be an ordinary word of a file (web-0042, db1, edge.example): only
    such names are replaced, so that a host called "app" leaves /etc/app/ alone."""
    return len(host) >= 4 and any(not c.isalpha() for c in host)


def _replace_whole(text: str, value: str, mark: str, joiners: str) -> tuple[str, int]:
    """``text`` with each occurrence of ``value`` that is not part of a longer word replaced by
    ``mark``; a word goes on through letters, digits, "_" and ``joiners`` (without a regex: a pattern
    per host would be compiled again for every result once Python's cache of 512 is full)."""

    def word(at: int) -> bool:
        return 0 <= at < len(text) and (text[at].isalnum() or text[at] == "_")

    def joined(at: int, step: int) -> bool:  # a word character there, or a joiner then one
        return word(at) or (0 <= at < len(text) and text[at] in joiners and word(at + step))

    parts, start, count = [], 0, 0
    i = text.find(value)
    while i >= 0:
        end = i + len(value)
        if joined(i - 1, -1) or joined(end, 1):
            i = text.find(value, i + 1)
            continue
        parts.append(text[start:i] + mark)
        start, count = end, count + 1
        i = text.find(value, end)
    return "".join(parts) + text[start:], count


def host_neutral(text: str, host: str, address: str) -> tuple[str, tuple[str, ...]]:
    """``text`` with the host's own address and name as placeholders, and the placeholders used.

    A template that differs on every host only by the host's own address or name is one change
    across the fleet: with the placeholders, the plan keeps it once with its host names, instead
    of once per host (bench/plan_scale.md)."""
    used: list[str] = []
    if address and address != host and address in text:
        text, n = _replace_whole(text, address, ADDRESS_MARK, ".")  # 10.0.0.1 is not in 10.0.0.10
        if n:
            used.append(ADDRESS_MARK)
    if host in text and _is_distinct_name(host):
        text, n = _replace_whole(text, host, HOST_MARK, "-")  # db-1 is not in db-10 nor in db-1-old
        if n:
            used.append(HOST_MARK)
    return text, tuple(used)


@dataclass
class Outcome:
    """One task's result, the same (status, diff, message) on every host in ``hosts``."""

    role: str
    task: str
    action: str
    status: str  # changed, failed, unreachable
    diff: str = ""
    message: str = ""
    hosts: list[str] = field(default_factory=list)
    placeholders: tuple[str, ...] = ()  # in the diff, standing for each host's own values

    @property
    def key(self) -> tuple[str, str, str, str, str, str]:
        return (self.role, self.task, self.action, self.status, self.diff, self.message)


@dataclass(slots=True)
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


class Plan:
    """What a run would change (or changed), built incrementally by ``add``."""

    def __init__(self, env: str, results: Iterable[TaskResult] = (), failures: Iterable[RunFailure] = ()) -> None:
        self.env = env
        self.outcomes: list[Outcome] = []
        self.failures: list[RunFailure] = list(failures)
        self._counts: dict[tuple[str, str], HostCounts] = {}
        self._index: dict[tuple[str, str, str, str, str, str], Outcome] = {}
        self._names: dict[str, str] = {}  # one string per host name, however many results name it
        self.add(results)

    def add(self, results: Iterable[TaskResult]) -> None:
        """Count each result; keep the shown ones, merged into the outcome they repeat."""
        for r in results:
            host = self._names.setdefault(r.host, r.host)
            counts = self._counts.get((r.role, host))
            if counts is None:
                counts = self._counts[(r.role, host)] = HostCounts()
            setattr(counts, r.status, getattr(counts, r.status) + 1)
            if r.status in SHOWN:
                # diffs only: an unreachable host's message is listed per host, with its own address
                diff, marks = host_neutral(r.diff, host, r.address)
                self._keep(Outcome(r.role, r.task, r.action, r.status, diff, r.message, [host], marks))

    def _keep(self, outcome: Outcome) -> None:
        kept = self._index.get(outcome.key)
        if kept is None:
            self._index[outcome.key] = outcome
            self.outcomes.append(outcome)
        else:
            kept.hosts.extend(outcome.hosts)
            if outcome.placeholders != kept.placeholders:
                kept.placeholders = tuple(dict.fromkeys(kept.placeholders + outcome.placeholders))

    def merge(self, other: Plan) -> None:
        """Add another plan of the same environment (a rollback's steps after its apply)."""
        for key, c in other._counts.items():
            mine = self._counts.setdefault(key, HostCounts())
            for name in HostCounts.__slots__:
                setattr(mine, name, getattr(mine, name) + getattr(c, name))
        for outcome in other.outcomes:
            self._keep(Outcome(**{**outcome.__dict__, "hosts": list(outcome.hosts)}))
        self.failures.extend(other.failures)

    @property
    def changes(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "changed"]

    @property
    def errors(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status in ("failed", "unreachable")]

    @property
    def change_count(self) -> int:
        """Changed task results, one per host (a change on 3 hosts counts 3)."""
        return sum(len(o.hosts) for o in self.changes)

    @property
    def error_count(self) -> int:
        return sum(len(o.hosts) for o in self.errors)

    def roles(self) -> list[str]:
        """Every role with a result, in name order."""
        return sorted({role for role, _ in self._counts} | {o.role for o in self.outcomes})

    def roles_changed(self) -> list[str]:
        return sorted({o.role for o in self.changes})

    def hosts_changed(self) -> list[str]:
        return sorted({h for o in self.changes for h in o.hosts})

    def counts(self) -> dict[tuple[str, str], HostCounts]:
        return dict(self._counts)

    def summary(self) -> str:
        n, m, k = self.change_count, len(self.roles_changed()), len(self.hosts_changed())
        line = f"{n} change{'s' * (n != 1)} in {m} role{'s' * (m != 1)} on {k} host{'s' * (k != 1)}"
        if self.errors:
            e = self.error_count
            line += f", {e} error{'s' * (e != 1)}"
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


def _task_diff(res: dict[str, Any]) -> str:
    """The task's diff; a loop's is each changed item's, in order (its result holds only theirs)."""
    if "diff" not in res and isinstance(res.get("results"), list):
        items = [i for i in res["results"] if isinstance(i, dict) and i.get("changed")]
        return "\n".join(d for d in (render_diff(i.get("diff"), i.get("dest") or i.get("path")) for i in items) if d)
    return render_diff(res.get("diff"), res.get("dest") or res.get("path"))


CENSORED_KEY = "censored"  # ansible-runner's whole result of a no_log task: its `changed` is dropped too


def _result(role: str, data: dict[str, Any], kind: str, res: dict[str, Any]) -> TaskResult:
    return TaskResult(
        role=role,
        host=str(data.get("host", "?")),
        task=str(data.get("task", "?")),
        action=str(data.get("task_action", "")),
        status=kind,
        address=str(data.get("remote_addr") or ""),
        diff=_task_diff(res) if kind == "changed" else "",
        message=_message(res, unreachable=kind == "unreachable") if kind in ("failed", "unreachable") else "",
    )


def results_from_events(role: str, events: Iterable[dict[str, Any]]) -> Iterator[TaskResult]:
    """One result per task event, as the events stream in (a diff is rendered only for a change).

    ansible-runner replaces the whole result of a ``no_log`` task with ``{"censored": ...}``,
    `changed` included, so such a task's change shows only in Ansible's own per-host count
    (playbook_on_stats). Those results wait for it: on a host whose count exceeds the changes
    seen, as many hidden tasks changed. When all of them did, each is a change; otherwise each
    change is named as one of them (which one, the output does not say)."""
    hidden: dict[str, list[dict[str, Any]]] = {}  # per host, its censored ok results, in order
    seen: dict[str, int] = {}  # per host, the changes its results showed
    for event in events:
        name = str(event.get("event"))
        data = event.get("event_data", {})
        if name == "playbook_on_stats":
            for host, found in sorted(hidden.items()):
                yield from _hidden_changes(
                    role, found, int((data.get("changed") or {}).get(host, 0)) - seen.get(host, 0)
                )
            hidden.clear()
            seen.clear()
            continue
        kind = RESULT_EVENTS.get(name)
        if kind is None:
            continue
        res = data.get("res") or {}
        if kind == "ok" and res.get("changed"):
            kind = "changed"
        if kind == "failed" and data.get("ignore_errors"):
            kind = "ok"
        host = str(data.get("host", "?"))
        if kind == "ok" and set(res) == {CENSORED_KEY}:
            hidden.setdefault(host, []).append(data)
            continue
        if kind == "changed":
            seen[host] = seen.get(host, 0) + 1
        yield _result(role, data, kind, res)
    for found in hidden.values():  # no count came (the run was cut short): as shown
        yield from _hidden_changes(role, found, 0)


def _hidden_changes(role: str, found: list[dict[str, Any]], changed: int) -> Iterator[TaskResult]:
    if changed <= 0 or changed >= len(found):
        for data in found:
            yield _result(role, data, "changed" if changed > 0 else "ok", {})
        return
    names = ", ".join(dict.fromkeys(str(d.get("task", "?")) for d in found))
    for i, data in enumerate(found):
        if i < changed:
            yield _result(role, {**data, "task": f"one of these tasks, whose output is hidden (no_log): {names}"},
                          "changed", {})  # fmt: skip
        else:
            yield _result(role, data, "ok", {})


def redact_plan(plan: Plan, redactor: Redactor) -> Plan:
    clean = Plan(
        env=plan.env,
        failures=[RunFailure(f.role, f.status, f.rc, f.artifact_dir, redactor(f.tail)) for f in plan.failures],
    )
    clean._counts = plan.counts()
    for o in plan.outcomes:
        clean._keep(
            Outcome(
                o.role, o.task, o.action, o.status, redactor(o.diff), redactor(o.message), list(o.hosts), o.placeholders
            )
        )
    return clean


def plan_to_json(plan: Plan) -> str:
    """The report: the summary, per-host counts, and each shown outcome with the hosts it is on.
    Encoded piece by piece: one json.dumps of the whole would hold a token list as large as every
    host name and count together, several times the text it returns (bench/plan_scale.md)."""

    def each(items: Iterable[Any]) -> str:
        return ",".join(json.dumps(item, separators=(",", ":")) for item in items)

    head = {
        "env": plan.env,
        "summary": plan.summary(),
        "changes": plan.change_count,
        "errors": plan.error_count,
        "failed": bool(plan.failures),
        "failures": [f.__dict__ for f in plan.failures],
    }
    counts = (
        {"role": role, "host": host, **{name: getattr(c, name) for name in HostCounts.__slots__}}
        for (role, host), c in sorted(plan.counts().items())
    )
    opening = json.dumps(head, separators=(",", ":"))[:-1]
    return f'{opening},"results":[{each(o.__dict__ for o in plan.outcomes)}],"counts":[{each(counts)}]}}'
