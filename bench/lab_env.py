"""Apply the lab with one variable changed, from a copy of its inventory (the repository stays as it is)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from orchestrator.paths import INVENTORIES_DIR

HARDEN = str(Path(sys.executable).with_name("harden"))


def apply_lab_with(workdir: Path, group: str, line: str, *harden_args: str) -> Path:
    """Copy inventories/lab to workdir/lab (same name, same state), append line to group_vars/GROUP.yml, apply."""
    env_dir = workdir / "lab"
    shutil.rmtree(env_dir, ignore_errors=True)
    shutil.copytree(INVENTORIES_DIR / "lab", env_dir)
    group_vars = env_dir / "group_vars" / f"{group}.yml"
    group_vars.write_text(group_vars.read_text() + line + "\n")
    subprocess.run([HARDEN, "apply", "--env", str(env_dir), *harden_args], check=True, capture_output=True)
    return env_dir
