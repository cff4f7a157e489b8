"""Errors the CLI turns into one-line messages instead of tracebacks."""

from __future__ import annotations

from dataclasses import dataclass


class HardenError(Exception):
    """An error a human can act on; the CLI prints it without a traceback."""


@dataclass(frozen=True, order=True)
class ConfigIssue:
    """One problem in an environment's configuration: where it is and which rule it breaks."""

    file: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.message}"


class ConfigError(HardenError):
    def __init__(self, issues: list[ConfigIssue]) -> None:
        self.issues = sorted(set(issues))
        super().__init__("\n".join(str(i) for i in self.issues))
