"""Live progress for apply and plan, fed by ansible-runner events."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from orchestrator.plan import RESULT_EVENTS


class RoleProgress:
    """One bar per role over (tasks started x hosts), with the current task's name."""

    def __init__(self, console: Console, enabled: bool = True) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.fields[role]:<15}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[current]}"),
            console=console,
            disable=not enabled,
            transient=False,
        )
        self._task: TaskID | None = None
        self._hosts = 1

    def __enter__(self) -> RoleProgress:
        self._progress.__enter__()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.__exit__(exc_type, exc, tb)

    def start_role(self, role: str, hosts: int) -> None:
        self._hosts = max(hosts, 1)
        self._task = self._progress.add_task("", total=None, role=role, current="starting")

    def finish_role(self, ok: bool) -> None:
        if self._task is not None:
            total = self._progress.tasks[-1].completed
            self._progress.update(self._task, total=total, completed=total, current="done" if ok else "[red]failed")

    def __call__(self, event: dict[str, Any]) -> None:
        if self._task is None:
            return
        kind = event.get("event")
        data = event.get("event_data", {})
        if kind == "playbook_on_task_start":
            current = self._progress.tasks[-1]
            total = (current.total or 0) + self._hosts
            self._progress.update(self._task, total=total, current=str(data.get("task", ""))[:60])
        elif kind in RESULT_EVENTS:
            self._progress.advance(self._task)
