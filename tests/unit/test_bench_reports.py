"""Every committed bench report has the tables its script prints now: a script whose columns
changed fails here until its report is regenerated (`make bench`)."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from bench.tables import header
from orchestrator.paths import REPO_ROOT

SCRIPTS = sorted(p.stem for p in (REPO_ROOT / "bench").glob("*.py") if "\nOUT = " in p.read_text())


def test_the_benches_are_found() -> None:
    assert len(SCRIPTS) >= 8, SCRIPTS


@pytest.mark.parametrize("name", SCRIPTS)
def test_the_committed_report_has_the_scripts_tables(name: str) -> None:
    module = importlib.import_module(f"bench.{name}")
    report: Path = module.OUT
    assert module.TABLES, f"bench/{name}.py declares no TABLES"
    text = report.read_text()
    for columns in module.TABLES:
        assert header(columns)[0] in text, f"{report.name}: no table {header(columns)[0]}: run `python -m bench.{name}`"
    assert f"python -m bench.{name}" in text or f"bench/{name}.py" in text, f"{report.name} does not name its command"


def _described_numbers() -> list[tuple[str, str]]:
    """(role variable, description) for every description that quotes a measurement."""
    from orchestrator.roles import ROLES

    found = []
    for spec in ROLES.values():
        for name, field in spec.model.model_fields.items():
            text = field.description or ""
            if "bench/" in text or "measured" in text or "median" in text or re.search(r"\d\.\d+ s\b", text):
                found.append((name, text))
    return found


def test_every_measured_number_in_a_model_names_its_bench_report() -> None:
    described = _described_numbers()
    assert described, "no model quotes a measurement: this test would check nothing"
    for name, text in described:
        reports = [w.strip("().,;:`") for w in text.split() if w.strip("().,;:`").startswith("bench/")]
        assert reports, f"{name}: {text!r} quotes a measurement without its bench report"
        for report in reports:
            assert (REPO_ROOT / report).is_file(), f"{name}: {report} does not exist"
        measured = " ".join((REPO_ROOT / r).read_text() for r in reports)
        for number in re.findall(r"(\d+\.\d+) s\b", text):  # each quoted time is in the report
            assert number in measured, f"{name}: {number} s is not in {', '.join(reports)}"
