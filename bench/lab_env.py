"""The lab's inventory with one variable changed, in a copy (the repository stays as it is).

The copy keeps the name `lab`, so it is the same environment: same hosts, state and history.
Used by bench/ to compare settings, and by the rollback tests to make a second revision.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from orchestrator.paths import INVENTORIES_DIR

HARDEN = str(Path(sys.executable).with_name("harden"))


def copy_lab_with(workdir: Path, group: str, line: str) -> Path:
    """Copy inventories/lab to workdir/lab and append line to group_vars/GROUP.yml."""
    env_dir = workdir / "lab"
    shutil.rmtree(env_dir, ignore_errors=True)
    shutil.copytree(INVENTORIES_DIR / "lab", env_dir)
    group_vars = env_dir / "group_vars" / f"{group}.yml"
    group_vars.write_text(group_vars.read_text() + line + "\n")
    return env_dir


def apply_lab_with(workdir: Path, group: str, line: str, *harden_args: str) -> Path:
    env_dir = copy_lab_with(workdir, group, line)
    subprocess.run([HARDEN, "apply", "--env", str(env_dir), *harden_args], check=True, capture_output=True)
    return env_dir
