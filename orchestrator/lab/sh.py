"""Run machine commands for the lab, turning failures into readable errors."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence

from orchestrator.errors import HardenError


def run(cmd: Sequence[str], *, check: bool = True, input_text: str | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(list(cmd), capture_output=True, text=True, input=input_text)
    if check and proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise HardenError(f"{' '.join(cmd)} failed ({proc.returncode}): {detail[-1] if detail else 'no output'}")
    return proc
