"""The lab the tests and benches drive, and its inventory with one variable changed, in a copy
(the repository stays as it is).

The lab is inventories/lab, or another lab environment named by HARDEN_LAB_ENV (a name under
inventories/ or a directory): the suite's second shard runs against a copy of the lab on its own
network (tests/run_suite.py).

A changed copy keeps the lab's name, so it is the same environment: same hosts, state and history.
Used by bench/ to compare settings, and by the rollback tests to make a second revision.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from orchestrator.inventory import resolve_env_path

HARDEN = str(Path(sys.executable).with_name("harden"))
# what --env gets, the inventory directory, and the environment's name (its state's key)
LAB = os.environ.get("HARDEN_LAB_ENV", "lab")
LAB_DIR = resolve_env_path(LAB)
LAB_NAME = LAB_DIR.name


def copy_lab_with(workdir: Path, group: str, line: str) -> Path:
    """Copy the lab's inventory to workdir/<its name> and append line to group_vars/GROUP.yml."""
    env_dir = workdir / LAB_NAME
    shutil.rmtree(env_dir, ignore_errors=True)
    shutil.copytree(LAB_DIR, env_dir)
    group_vars = env_dir / "group_vars" / f"{group}.yml"
    group_vars.write_text(group_vars.read_text() + line + "\n")
    return env_dir


def apply_lab_with(workdir: Path, group: str, line: str, *harden_args: str) -> Path:
    env_dir = copy_lab_with(workdir, group, line)
    subprocess.run([HARDEN, "apply", "--env", str(env_dir), *harden_args], check=True, capture_output=True)
    return env_dir
