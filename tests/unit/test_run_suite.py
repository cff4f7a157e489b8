"""`make test` runs the lab modules in two shards: every module in exactly one of them."""

from __future__ import annotations

from pathlib import Path

from tests import run_suite

INTEGRATION = Path(__file__).parents[1] / "integration"


def test_each_second_shard_entry_is_a_module_that_exists() -> None:
    assert run_suite.SECOND_SHARD
    for entry in run_suite.SECOND_SHARD:
        path = INTEGRATION / entry
        assert path.is_dir() or path.with_suffix(".py").is_file() or path.is_file(), entry


def test_the_shards_split_the_modules_without_overlap() -> None:
    first, second = run_suite.shard_args(False), run_suite.shard_args(True)
    ignored = {a.removeprefix("--ignore=") for a in first if a.startswith("--ignore=")}
    assert first[0] == str(run_suite.INTEGRATION)  # everything, but what the second shard runs
    assert ignored == set(second)
