"""Rows of the bench reports' tables."""

from __future__ import annotations

import statistics


def median_row(label: str, runs: list[float], base: float) -> str:
    """| label | median | ratio to base | each run |, in seconds to one decimal."""
    median = statistics.median(runs)
    return f"| {label} | {median:.1f} | {median / base:.1f}x | {', '.join(f'{r:.1f}' for r in runs)} |"


def header(columns: tuple[str, ...]) -> list[str]:
    """A table's header and separator rows. Each bench declares its columns in TABLES, and
    tests/unit/test_bench_reports.py checks the committed report has the same headers."""
    return ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
