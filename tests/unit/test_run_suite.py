"""`make test` runs the lab modules in two shards: every module in exactly one of them, but the
plan on never-configured hosts in both."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import run_suite

INTEGRATION = Path(__file__).parents[1] / "integration"


def test_each_second_shard_entry_is_a_module_that_exists() -> None:
    assert run_suite.SECOND_SHARD and run_suite.EVERY_SHARD
    for entry in (*run_suite.SECOND_SHARD, *run_suite.EVERY_SHARD):
        path = INTEGRATION / entry
        assert path.is_dir() or path.with_suffix(".py").is_file() or path.is_file(), entry


def test_the_shards_split_the_modules_without_overlap() -> None:
    first, second = run_suite.shard_args(False), run_suite.shard_args(True)
    ignored = {a.removeprefix("--ignore=") for a in first if a.startswith("--ignore=")}
    every = {str(run_suite.INTEGRATION / p) for p in run_suite.EVERY_SHARD}
    assert first[0] == str(run_suite.INTEGRATION)  # everything, but what the second shard runs
    assert ignored == set(second) - every
    assert every <= set(second) and not every & ignored  # and these in both


def test_the_shards_fresh_plans_cover_every_lab_role() -> None:
    """Each shard plans its own roles on never-configured hosts; together, every role of the lab."""
    from types import SimpleNamespace

    from orchestrator.validation import validate_environment
    from tests.integration.lab.test_fresh_plan import ROLE_MODULES, planned_roles

    lab_roles = validate_environment("lab").settings.roles
    second = {m.removeprefix("roles/") for m in run_suite.SECOND_SHARD if m.startswith("roles/")}
    modules = {p.name for p in ROLE_MODULES.iterdir() if p.is_dir() and p.name != "__pycache__"}

    def session(dirs: set[str]) -> pytest.Session:
        items = [SimpleNamespace(fspath=ROLE_MODULES / d / "test_x.py") for d in dirs]
        items.append(SimpleNamespace(fspath=ROLE_MODULES.parent / "revisions" / "test_rollback.py"))
        return SimpleNamespace(items=items)  # type: ignore[return-value]

    first_plan = planned_roles(session(modules - second), lab_roles)
    second_plan = planned_roles(session(second), lab_roles)
    assert set(first_plan) | set(second_plan) == set(lab_roles)
    assert "kafka" not in first_plan and "postgres_ha" not in second_plan  # each plans only its own
    assert set(planned_roles(session(modules), lab_roles)) == set(lab_roles)  # one session, every module
