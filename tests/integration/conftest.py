"""The real lab, brought up once per test session (root and systemd-nspawn required)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.lab_env import LAB
from orchestrator.lab.artifacts import gather
from orchestrator.lab.config import LabConfig, load_lab_config
from orchestrator.lab.manager import down, ssh_command, up
from orchestrator.paths import REPO_ROOT
from orchestrator.roles import ROLES, dependency_order, with_requirements
from orchestrator.runner import ansible_environment
from orchestrator.validation import Environment

HARDEN = str(Path(sys.executable).with_name("harden"))
# After a data host loses power and comes back (and is unsealed), Vault has one active node that
# every standby follows within this bound (tests/integration/roles/vault/ measures it on data-1).
VAULT_RECOVERY_BOUND = 60.0


@pytest.fixture(autouse=True)
def _fault_leaves_shared_services_healthy(request: pytest.FixtureRequest) -> Iterator[None]:
    """A fault test that leaves Vault broken fails itself (in its teardown), not the next test."""
    yield
    if request.node.get_closest_marker("fault") is None:
        return
    from orchestrator.roles.vault.ops import HEALTHY, wait_healthy
    from orchestrator.secrets.vault_session import ca_file
    from orchestrator.validation import validate_environment

    env = validate_environment(LAB)
    if "vault" not in env.settings.roles or ca_file(env) is None:
        return
    verdict, reasons, waited = wait_healthy(env, timeout=VAULT_RECOVERY_BOUND)
    assert verdict == HEALTHY, f"this fault left Vault {verdict} for {waited:.0f}s: {'; '.join(reasons)}"


IN_CI = os.environ.get("CI") == "true"


INTEGRATION_DIR = Path(__file__).parent
ROLE_MODULES = INTEGRATION_DIR / "roles"


def shard_roles(session: pytest.Session, lab_roles: list[str]) -> list[str]:
    """The roles this session is about, in dependency order: those whose modules
    (tests/integration/roles/<role>/) it runs, the lab's roles without a module of their own (pki,
    lab_acme: cheap), and what they require. In tests/run_suite.py's shards, each shard's own roles;
    one session over every module: every role of the lab. The modules about several roles that run
    in both shards (run_suite.EVERY_SHARD) plan, audit and search for leaks of these."""
    collected = {
        Path(str(item.fspath)).relative_to(ROLE_MODULES).parts[0]
        for item in session.items
        if ROLE_MODULES in Path(str(item.fspath)).parents
    }
    without_module = {r for r in lab_roles if not (ROLE_MODULES / r).is_dir()}
    return [r for r in with_requirements(*(collected | without_module)) if r in lab_roles]


def _rank(item: pytest.Item, order: list[str]) -> tuple[int, int]:
    """lab/ first (its plan on never-configured hosts comes before any apply); then roles/<role>/
    in the roles' dependency order; then the modules that span roles
    (revisions/, secrets/); tests marked lab_down last, whatever their file is called."""
    if item.get_closest_marker("lab_down"):
        return (3, 0)
    parts = Path(str(item.fspath)).relative_to(INTEGRATION_DIR).parts
    if parts[0] == "lab":
        return (0, 0)
    if parts[0] == "roles":
        if parts[1] not in order:
            raise pytest.UsageError(f"tests/integration/roles/{parts[1]}: no role of that name is discovered")
        return (1, order.index(parts[1]))
    return (2, 0)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Order the lab tests by _rank; within a rank, as collected (sorted() is stable)."""
    order = [spec.name for spec in dependency_order(list(ROLES.values()))]
    integration = [item for item in items if INTEGRATION_DIR in Path(str(item.fspath)).parents]
    others = [item for item in items if item not in integration]
    items[:] = others + sorted(integration, key=lambda item: _rank(item, order))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Under CI=true a skipped lab test is a failure: the suite must never pass empty."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if IN_CI and report.skipped and "tests/integration" in str(item.fspath):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, which must run every lab test: {report.longrepr}"


@pytest.fixture(scope="session")
def lab() -> Iterator[LabConfig]:
    if os.geteuid() != 0:
        pytest.skip("the lab needs root")
    gather()  # the local artifacts the roles install (bao, traefik, Patroni, Kafka)
    config = load_lab_config(LAB)
    if os.environ.get("HARDEN_LAB_REUSE") != "1":
        down(config)  # every session starts from never-configured hosts
    up(config)
    yield config
    if os.environ.get("HARDEN_LAB_REUSE") != "1":
        down(config)


def lab_ssh(config: LabConfig, host: str, command: str, check: bool = True) -> str:
    proc = subprocess.run(ssh_command(config, config.host(host), command), capture_output=True, text=True, timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError(f"{host}: {command!r} failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc.stdout


def harden(*args: str, check: bool = False, input_text: str | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [HARDEN, *args], capture_output=True, text=True, cwd=REPO_ROOT, input=input_text, timeout=1800
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"harden {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc


# Roles a fixture applied successfully in this session. A required role is applied once per
# session; every test leaves the roles it breaks healthy again (fault tests restore what they
# broke, and the Vault check above fails the test that does not).
_APPLIED: set[str] = set()


def apply_roles(*roles: str, only_missing: bool = False) -> subprocess.CompletedProcess[str]:
    """Apply these roles and the roles they require that no fixture applied yet in this session
    (a fixture never applies the others). With only_missing, the named roles too are applied only
    if no fixture did yet (a module that needs them converged but does not test their apply)."""
    wanted = set(roles)
    selected = [r for r in with_requirements(*roles) if (r in wanted and not only_missing) or r not in _APPLIED]
    assert roles
    if not selected:
        return subprocess.CompletedProcess(["harden", "apply"], 0, "all applied earlier in this session\n", "")
    applied = harden("apply", "--env", LAB, *(arg for role in selected for arg in ("--role", role)))
    if applied.returncode == 0:
        _APPLIED.update(selected)
    return applied


def assert_units_have_limits(lab: LabConfig, env: Environment, role: str) -> None:
    """Every unit the role's spec declares, wherever it runs, has the ServiceLimits drop-in from
    roles/common: no core dumps, bounded tasks and open files."""
    spec = ROLES[role]
    checked: dict[str, int] = {unit: 0 for unit in spec.units}
    for host in spec.hosts(env.inventory):
        for unit in spec.units:
            state = lab_ssh(lab, host, f"systemctl is-active {unit} || true").strip()
            if state != "active":
                continue
            props = lab_ssh(lab, host, f"systemctl show {unit} -p LimitCORE -p TasksMax -p DropInPaths")
            assert "LimitCORE=0" in props and "harden-limits.conf" in props, (host, unit, props)
            assert "TasksMax=infinity" not in props, (host, unit, props)
            checked[unit] += 1
    assert any(checked.values()), checked  # haproxy, say, runs only when enabled


def harden_bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def ansible_env() -> dict[str, str]:
    return {**os.environ, **ansible_environment()}
