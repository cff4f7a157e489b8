"""`make test` runs the lab modules in two shards: every module in exactly one of them, but
those about the shard's own roles (EVERY_SHARD) in both."""

from __future__ import annotations

from pathlib import Path

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


def test_each_shards_roles_and_both_together_cover_every_lab_role() -> None:
    """Each shard plans, audits and searches for the secrets of its own roles (conftest.shard_roles);
    together, every role of the lab and every role with checks; neither applies a role for that
    which only the other one tests."""
    from types import SimpleNamespace

    from orchestrator.audit.providers import providers
    from orchestrator.roles import ROLES
    from orchestrator.validation import validate_environment
    from tests.integration.conftest import ROLE_MODULES, shard_roles

    env = validate_environment("lab")
    lab_roles = env.settings.roles
    second = {m.removeprefix("roles/") for m in run_suite.SECOND_SHARD if m.startswith("roles/")}
    modules = {p.name for p in ROLE_MODULES.iterdir() if p.is_dir() and p.name != "__pycache__"}

    def roles_of(dirs: set[str]) -> set[str]:
        items = [SimpleNamespace(fspath=ROLE_MODULES / d / "test_x.py") for d in dirs]
        items.append(SimpleNamespace(fspath=ROLE_MODULES.parent / "revisions" / "test_rollback.py"))
        return set(shard_roles(SimpleNamespace(items=items), lab_roles))  # type: ignore[arg-type]

    first_roles, second_roles = roles_of(modules - second), roles_of(second)
    assert first_roles | second_roles == set(lab_roles)
    assert "kafka" not in first_roles and "postgres_ha" not in second_roles  # each only its own
    assert roles_of(modules) == set(lab_roles)  # one session, every module
    checked = {p.name.split(" ")[0] for p in providers(env)} & set(ROLES)  # roles named by their providers
    assert {"postgres_ha", "kafka", "app_services", "lab_acme"} <= checked
    assert checked <= first_roles | second_roles
