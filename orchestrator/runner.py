"""Run one role's playbook through ansible-runner's Python API.

Run artifacts go under ``.harden/runs/<run-id>/`` (mode 0700). Nothing secret is passed through
``extravars`` or ``envvars``: ansible-runner writes both to disk (``env/`` and the ``command``
artifact). Secrets reach Ansible only through :mod:`orchestrator.secrets.channel`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.paths import ANSIBLE_CFG, REPO_ROOT, REPO_STATE_DIR, ROLES_DIR, RUNS_DIR

Event = dict[str, Any]
EventHandler = Callable[[Event], None]


@dataclass
class RunResult:
    role: str
    status: str
    rc: int
    artifact_dir: Path
    events: list[Event] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.rc == 0 and self.status == "successful"

    def tail(self, lines: int = 12) -> str:
        """The last lines ansible-playbook printed (its stdout artifact)."""
        stdout = self.artifact_dir / "stdout"
        try:
            text = stdout.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join([line for line in text.splitlines() if line.strip()][-lines:])


# The newest run directories kept under .harden/runs; older ones are removed when a run starts.
RUNS_KEPT = 200
# What ansible-playbook may see of the operator's environment. ansible-runner seeds the run with
# os.environ and writes it to artifacts/<role>/command: CI tokens and cloud keys must not land there.
ENVIRONMENT_ALLOWED = ("HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TERM", "TZ", "TMPDIR", "SSH_AUTH_SOCK")
ENVIRONMENT_ALLOWED_PREFIXES = ("LC_",)


def prune_runs(keep: int = RUNS_KEPT) -> list[Path]:
    """Remove all but the ``keep`` newest run directories; returns what was removed."""
    if not RUNS_DIR.is_dir():
        return []
    runs = sorted((p for p in RUNS_DIR.iterdir() if p.is_dir()), key=lambda p: p.name, reverse=True)
    for old in runs[keep:]:
        shutil.rmtree(old, ignore_errors=True)
    return runs[keep:]


def new_run_dir(env: str, action: str) -> Path:
    """A fresh private data directory for one harden command, mode 0700."""
    for parent in (REPO_STATE_DIR, RUNS_DIR):
        parent.mkdir(mode=0o700, exist_ok=True)
        os.chmod(parent, 0o700)
    prune_runs(RUNS_KEPT - 1)
    run_id = f"{time.strftime('%Y%m%dT%H%M%S')}-{env}-{action}-{secrets.token_hex(3)}"
    path = RUNS_DIR / run_id
    path.mkdir(mode=0o700)
    return path


@contextlib.contextmanager
def only_allowed_environment() -> Iterator[None]:
    """While ansible-runner builds a run, os.environ holds only allow-listed names (restored after)."""
    saved = dict(os.environ)
    keep = {k: v for k, v in saved.items() if k in ENVIRONMENT_ALLOWED or k.startswith(ENVIRONMENT_ALLOWED_PREFIXES)}
    os.environ.clear()
    os.environ.update(keep)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def ansible_environment(extra: Mapping[str, str] | None = None, tree: Path = REPO_ROOT) -> dict[str, str]:
    """Environment for ansible-playbook; ``tree`` is the checkout whose roles run (rollback uses older ones)."""
    bin_dir = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin")
    env = {
        "PATH": path if bin_dir in path.split(os.pathsep) else f"{bin_dir}{os.pathsep}{path}",
        "ANSIBLE_CONFIG": str(tree / ANSIBLE_CFG.name),
        "ANSIBLE_ROLES_PATH": str(tree / ROLES_DIR.name),
        "ANSIBLE_LOCAL_TEMP": str(REPO_STATE_DIR / "tmp"),
        "ANSIBLE_FILTER_PLUGINS": str(tree / "plugins" / "filter"),
        "ANSIBLE_LOOKUP_PLUGINS": str(REPO_ROOT / "plugins" / "lookup"),  # the channel reader of this version
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        # ansible-runner sets this to False when it is unset, and an environment variable beats
        # ansible.cfg: host keys are checked, always (a host that answers with another key is refused)
        "ANSIBLE_HOST_KEY_CHECKING": "True",
    }
    if extra:
        env.update(extra)
    return env


STRATEGIES = ("linear", "mitogen")


def strategy_environment(strategy: str) -> dict[str, str]:
    """What ansible-playbook needs to run with ``strategy`` (an environment's ``ansible_strategy``)."""
    if strategy == "linear":
        return {"ANSIBLE_STRATEGY": "linear"}
    if strategy == "mitogen":
        import ansible_mitogen  # the plugins ship inside the package: no path is hard-coded

        plugins = Path(ansible_mitogen.__file__).parent / "plugins" / "strategy"
        return {"ANSIBLE_STRATEGY_PLUGINS": str(plugins), "ANSIBLE_STRATEGY": "mitogen_linear"}
    raise ValueError(f"unknown ansible strategy {strategy!r} (known: {', '.join(STRATEGIES)})")


def run_playbook(
    *,
    run_dir: Path,
    role: str,
    playbook: str,
    inventory: Path | list[Path],
    check: bool,
    limit: str | None,
    forks: int,
    extravars: Mapping[str, Any] | None = None,
    envvars: Mapping[str, str] | None = None,
    on_event: EventHandler | None = None,
    facts: Path,
    tree: Path = REPO_ROOT,
    strategy: str = "linear",
) -> RunResult:
    import ansible_runner  # imported lazily: it is slow to import and validate never needs it

    events: list[Event] = []

    def handle(event: Event) -> bool:
        events.append(event)
        if on_event is not None:
            on_event(event)
        return True

    cmdline = "--check --diff" if check else "--diff"
    # built before the operator's environment is hidden
    environment = ansible_environment({**strategy_environment(strategy), **(envvars or {})}, tree)
    with only_allowed_environment():
        runner = ansible_runner.run(
            private_data_dir=str(run_dir),
            ident=role,
            playbook=playbook,
            inventory=[str(i) for i in inventory] if isinstance(inventory, list) else str(inventory),
            cmdline=cmdline,
            limit=limit,
            forks=forks,
            extravars=dict(extravars or {}),
            envvars=environment,
            event_handler=handle,
            quiet=True,
            json_mode=False,
            project_dir=str(tree),
            # ansible-runner points the jsonfile cache at the run's artifacts (a fresh cache, so
            # facts gathered again by every role run) unless given a directory: an absolute path
            # is used as it is
            fact_cache=str(facts),
        )
    return RunResult(
        role=role,
        status=str(runner.status),
        rc=int(runner.rc if runner.rc is not None else 1),
        artifact_dir=Path(runner.config.artifact_dir),
        events=events,
    )
