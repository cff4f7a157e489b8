"""The lab tests in two shards at once, each against its own lab: `make test` after lint and the
unit tests.

Part of a lab test's time is waiting: on a failover's timers, on a service's start. One pytest
process at a time leaves the machine's cores partly idle; two keep them busy nearly all the time
(so a third shard would gain little: what would is less work per test). The modules are split in
two, and each shard drives its own lab: shard `lab` the bundled inventory, shard `lab2` a copy of
it on its own network (orchestrator/lab/sibling.py), named to the tests by HARDEN_LAB_ENV
(bench/lab_env.py). Each shard applies the roles its modules require, once, as a lone pytest
would. Every module runs in exactly one shard, but those of EVERY_SHARD in both, and a unit test
checks that.

    python -m tests.run_suite [PYTEST_ARGS...]      (the same extra arguments to both shards)

Each shard's lines are printed as they come, prefixed with its name: one line per test (pytest -v),
since a relay of whole lines would hold -q's dots back until a line of them is full. The exit
status is the first non-zero status of the two (or 0).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from orchestrator.lab.config import load_lab_config
from orchestrator.lab.sibling import copy_lab
from orchestrator.paths import REPO_ROOT, REPO_STATE_DIR

INTEGRATION = Path("tests/integration")
# The second shard's modules (directories or files under tests/integration); everything else runs
# in the first shard. Keep the two shards' times (each prints its own at the end) close.
SECOND_SHARD = ("roles/vault", "roles/kafka", "roles/search", "roles/edge", "roles/app_services")
# Modules each shard runs on its own lab, about the shard's roles (tests/integration/conftest.py,
# shard_roles): their plan on never-configured hosts; once applied, their audit, the search for
# their secrets in logs and artifacts, and their secrets' ages.
EVERY_SHARD = (
    "lab/test_fresh_plan.py",
    "audit/test_applied_roles.py",
    "secrets/test_no_leaks.py",
    "secrets/test_secret_ages.py",
)
SECOND_LAB_NETWORK = "10.78.0.0/24"


def shard_args(second: bool) -> list[str]:
    """The paths (and --ignore options) that select one shard's modules."""
    if second:
        return [str(INTEGRATION / p) for p in (*EVERY_SHARD, *SECOND_SHARD)]
    return [str(INTEGRATION), *(f"--ignore={INTEGRATION / p}" for p in SECOND_SHARD)]


def _relay(name: str, proc: subprocess.Popen[str]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        sys.stdout.write(f"[{name}] {line}")
        sys.stdout.flush()


def main(extra: list[str]) -> int:
    second_env = copy_lab(load_lab_config("lab"), REPO_STATE_DIR / "shards" / "lab2", SECOND_LAB_NETWORK)
    pytest = str(Path(sys.executable).with_name("pytest"))
    shards = {"lab": (False, {}), "lab2": (True, {"HARDEN_LAB_ENV": str(second_env)})}
    procs: dict[str, tuple[subprocess.Popen[str], threading.Thread, float]] = {}
    for name, (second, env) in shards.items():
        argv = [pytest, "-v", "-o", f"cache_dir=.pytest_cache/{name}", *extra, *shard_args(second)]
        proc = subprocess.Popen(
            argv,
            cwd=REPO_ROOT,
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        relay = threading.Thread(target=_relay, args=(name, proc), daemon=True)
        relay.start()
        procs[name] = (proc, relay, time.monotonic())
    codes = {}
    for name, (proc, relay, started) in procs.items():
        codes[name] = proc.wait()
        relay.join()
        print(f"[{name}] exited {codes[name]} after {time.monotonic() - started:.0f} s", flush=True)
    return next((code for code in codes.values() if code != 0), 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
