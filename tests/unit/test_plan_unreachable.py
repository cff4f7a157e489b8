"""`harden plan` where no host answers: a real ansible run against closed loopback ports prints one
line per unreachable host and exits 1 (no traffic leaves 127.0.0.0/8)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from orchestrator.paths import INVENTORIES_DIR

HARDEN = str(Path(sys.executable).with_name("harden"))


def test_plan_of_unreachable_staging_names_each_host_once(tmp_path: Path) -> None:
    env = tmp_path / "staging"
    shutil.copytree(INVENTORIES_DIR / "staging", env)
    hosts = yaml.safe_load((env / "hosts.yml").read_text())
    names = []
    for group in ("data", "ops", "edge"):
        for name in hosts["all"]["children"][group]["hosts"]:
            hosts["all"]["children"][group]["hosts"][name] = {"ansible_host": "127.0.0.2", "ansible_port": 1}
            names.append(name)
    (env / "hosts.yml").write_text(yaml.safe_dump(hosts))
    done = subprocess.run(
        [HARDEN, "plan", "--env", str(env), "--role", "baseline"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert len(names) == 5
    assert f"!! baseline: {len(names)} host(s) unreachable\n" in done.stdout, done.stdout
    for name in names:
        assert done.stdout.count(name) == 1, done.stdout
        assert f"   {name}: ssh: connect to host 127.0.0.2 port 1: Connection refused" in done.stdout
    assert "PLAY RECAP" not in done.stdout
