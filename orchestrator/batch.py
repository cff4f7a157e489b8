"""Several roles in one ansible-playbook process, with apply's rule kept: stop after the first
role that failed or lost a host.

One process per role paid Ansible's start-up, an inventory parse and new connections to every
host for each role (bench/overhead.md). A batch is one generated playbook: before each role's
own playbook, a guard play that fails when any host failed or was unreachable in an earlier
play. The guard has ``max_fail_percentage: 0``, and a play that breaks that way ends the whole
playbook, so no later role starts. Its events are split back into one result per role by the
guards' play names, and the guards' own events are no role's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from orchestrator.runner import Event, RunResult

GUARD_PREFIX = "harden: before role "
GUARD_TASK = "No host failed or was unreachable in an earlier role"


def guard_play(role: str) -> dict[str, Any]:
    return {
        "name": GUARD_PREFIX + role,
        "hosts": "all",
        "gather_facts": False,
        # a failed guard breaks its play, and a broken play ends the playbook
        "max_fail_percentage": 0,
        "tasks": [
            {
                "name": GUARD_TASK,
                "run_once": True,
                "ansible.builtin.assert": {
                    # hosts failed or unreachable in an earlier play are removed from later plays
                    "that": ["ansible_play_hosts_all | difference(ansible_play_hosts) | length == 0"],
                    "fail_msg": (
                        "{{ ansible_play_hosts_all | difference(ansible_play_hosts) | join(', ') }} failed or "
                        f"was unreachable in an earlier role: {role} and the roles after it are not applied"
                    ),
                    "quiet": True,
                },
            }
        ],
    }


def write_playbook(path: Path, roles: Sequence[tuple[str, str]]) -> Path:
    """``roles``: (name, absolute path of its playbook), in order. Nothing secret is written."""
    plays: list[dict[str, Any]] = []
    for name, playbook in roles:
        plays.append(guard_play(name))
        plays.append({"name": f"role {name}", "ansible.builtin.import_playbook": playbook})
    path.write_text(
        "# Written by harden apply: the selected roles in one run, each after a guard (orchestrator/batch.py)\n"
        + yaml.safe_dump(plays, sort_keys=False)
    )
    return path


def _play(event: Event) -> str:
    return str(event.get("event_data", {}).get("play", ""))


def is_guard(event: Event) -> bool:
    """An event of a guard play: no role's, and nothing the display shows."""
    return _play(event).startswith(GUARD_PREFIX)


@dataclass
class Split:
    """The batch's events, told apart per role as they arrive (also for the live display)."""

    roles: list[str]
    on_start: Callable[[str], None] = lambda role: None
    on_finish: Callable[[str, bool], None] = lambda role, ok: None
    events: dict[str, list[Event]] = field(default_factory=dict)
    passed: list[str] = field(default_factory=list)  # roles whose guard passed: they ran
    failed_guard: str | None = None  # the role whose guard failed: the one before it failed
    _current: str | None = None

    def __call__(self, event: Event) -> None:
        play = _play(event)
        if play.startswith(GUARD_PREFIX):
            role = play[len(GUARD_PREFIX) :]
            if event.get("event") == "runner_on_ok":
                if self._current is not None:
                    self.on_finish(self._current, True)
                self.passed.append(role)
                self._current = role
                self.on_start(role)
            elif event.get("event") in ("runner_on_failed", "runner_on_unreachable"):
                self.failed_guard = role
            return
        if self._current is not None and event.get("event") != "playbook_on_stats":
            self.events.setdefault(self._current, []).append(event)

    def results(self, batch: RunResult) -> list[RunResult]:
        """One result per role that ran, in order. When the run succeeded, every role did. When it
        failed, the roles whose guard passed ran, and the last of them is the one that failed (the
        first role, if the run stopped before its guard)."""
        if batch.ok:
            ran, failed = list(self.roles), None
        else:
            ran = self.passed or self.roles[:1]
            failed = ran[-1]
        out = [
            RunResult(
                role=role,
                status="successful" if role != failed else (batch.status if batch.status != "successful" else "failed"),
                rc=0 if role != failed else (batch.rc or 2),
                artifact_dir=batch.artifact_dir,
                events=self.events.get(role, []),
            )
            for role in ran
        ]
        if self._current is not None:
            self.on_finish(self._current, failed is None)
        return out
