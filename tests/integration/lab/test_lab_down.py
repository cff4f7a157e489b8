"""Runs last (marker lab_down, see conftest): `harden lab down` leaves no mounts, namespaces, cgroups or processes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from orchestrator.lab.config import LabConfig
from tests.integration.conftest import harden


@pytest.mark.lab_down
def test_lab_down_leaves_nothing_behind(lab: LabConfig) -> None:
    if os.environ.get("HARDEN_LAB_REUSE") == "1":
        return
    harden("lab", "down", check=True)
    mounts = Path("/proc/self/mounts").read_text()
    assert str(lab.state_dir) not in mounts
    netns = Path("/run/netns")
    assert not [n for n in (os.listdir(netns) if netns.is_dir() else []) if n.startswith(f"hl-{lab.env}-")]
    for hierarchy in Path("/sys/fs/cgroup").iterdir():
        assert not (hierarchy / "harden-lab" / lab.env).exists(), hierarchy
    leftovers = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if str(lab.state_dir) in cmdline or str(lab.runtime_dir) in cmdline:
                leftovers.append(cmdline)
    assert leftovers == []
    assert not lab.runtime_dir.exists()
