"""What every `harden` command shares: options, the one confirmation, and the status interface.

Like Patroni's ctl.py: option objects are declared once and reused; one helper asks before a
destructive verb on a protected environment; every role with live state answers `status` the
same way (``--env``, ``--format text|json``; exit 0 healthy, 3 degraded, 1 down or error), which
`harden audit` will read.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import click
from rich.console import Console
from rich.table import Table

ENV_HELP = "Environment: a name under inventories/ or a path to an inventory directory."

env_option = click.option("--env", "env_name", required=True, help=ENV_HELP)
yes_option = click.option("--yes", is_flag=True, help="Do not ask for confirmation on protected environments.")


def format_option(*choices: str) -> Callable[[Any], Any]:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default=choices[0],
        show_default=True,
        help="Output format.",
    )


def confirm_on_protected(env: Any, question: str, yes: bool) -> None:
    """The one confirmation for changes to a protected environment; --yes answers it."""
    if env.settings.protected and not yes:
        click.confirm(f"{env.name} is protected. {question}", abort=True)


Verdict = Literal["healthy", "degraded", "down"]
EXIT_CODES: dict[str, int] = {"healthy": 0, "degraded": 3, "down": 1}
STATUS_EPILOG = (
    "Exit 0: healthy. Exit 3: degraded (it serves, but something needs an operator). "
    "Exit 1: down, or the status could not be read."
)


@dataclass
class StatusReport:
    """A role's live state: one row per member, the verdict and the reasons for it."""

    title: str
    columns: tuple[str, ...]
    rows: Sequence[Sequence[str]]
    verdict: Verdict
    reasons: list[str] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)  # extra, machine-readable (json only)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]

    def as_json(self) -> str:
        doc = asdict(self)
        doc["rows"] = [dict(zip(self.columns, row, strict=True)) for row in self.rows]
        doc["exit"] = self.exit_code
        return json.dumps(doc, indent=2, default=str)


def print_status(report: StatusReport, fmt: str, exit_code: int | None = None) -> None:
    """Print the report and exit with its code (or ``exit_code``, for a verb that only shows it)."""
    if fmt == "json":
        click.echo(report.as_json())
    else:
        table = Table(*report.columns, title=report.title)
        for row in report.rows:
            table.add_row(*row)
        console = Console()
        if not console.is_terminal:  # piped or logged (CI): rich would wrap at 80 columns
            console = Console(width=160)
        console.print(table)
        click.echo(report.verdict + (": " + "; ".join(report.reasons) if report.reasons else ""))
    sys.exit(report.exit_code if exit_code is None else exit_code)


def status_command(
    group: click.Group,
    what: str,
    report: str | Callable[[Any], StatusReport],
    more_help: str = "",
    by_role: bool = False,
) -> None:
    """Add the common `status` verb to a role's CLI group. ``report`` is a function of the
    validated environment, or its dotted path ("orchestrator.roles.vault.ops:report"), imported
    only when the command runs (the ops modules pull in clients that --help does not need).
    ``by_role``: a report about every role takes --role (repeatable) to see only those."""
    examples = "\b\nExamples:\n  harden ... status --env staging\n  harden ... status --env staging --format json"
    if by_role:
        examples += "\n  harden ... status --env staging --role kafka"

    @group.command("status", help=f"Show {what}.\n\n{more_help}\n\n{STATUS_EPILOG}\n\n{examples}")
    @env_option
    @format_option("text", "json")
    def _status(env_name: str, fmt: str, roles: tuple[str, ...] = ()) -> None:
        from orchestrator.validation import validate_environment

        if isinstance(report, str):
            module, _, name = report.partition(":")
            func = getattr(importlib.import_module(module), name)
        else:
            func = report
        print_status(func(validate_environment(env_name).scoped(roles)), fmt)

    if by_role:
        click.option("--role", "roles", multiple=True, help="Only this role (repeatable).")(_status)
