"""Runs last (marker lab_down, see conftest): `harden lab down` leaves no mounts, namespaces, cgroups or processes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.lab_env import LAB
from orchestrator.lab.config import LabConfig
from tests.integration.conftest import harden


@pytest.mark.lab_down
def test_lab_down_leaves_nothing_behind(lab: LabConfig) -> None:
    if os.environ.get("HARDEN_LAB_REUSE") == "1":
        return
    harden("lab", "down", "--env", LAB, check=True)
    # with a trailing slash: a second lab beside this one (lab2) has paths that start like this one's
    state, runtime = f"{lab.state_dir}/", f"{lab.runtime_dir}/"
    mounts = Path("/proc/self/mounts").read_text()
    assert state not in mounts
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
            if state in cmdline or runtime in cmdline:
                leftovers.append(cmdline)
    assert leftovers == []
    assert not lab.runtime_dir.exists()
