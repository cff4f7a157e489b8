"""The CPU probe behind the suite's shard split: one line per test, and a per-module summary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.cpu_probe import summary

REPO = Path(__file__).parents[2]


def test_each_test_gets_a_line_with_its_wall_time_and_busy_fraction(tmp_path: Path) -> None:
    (tmp_path / "test_two.py").write_text(
        "import time\n\ndef test_spins():\n    end = time.monotonic() + 0.3\n    while time.monotonic() < end:\n"
        "        pass\n\ndef test_sleeps():\n    time.sleep(0.3)\n"
    )
    probe = tmp_path / "probe.jsonl"
    env = {**os.environ, "HARDEN_CPU_PROBE": str(probe), "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.cpu_probe", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = [json.loads(raw) for raw in probe.read_text().splitlines()]
    assert [line["id"].split("::")[1] for line in lines] == ["test_spins", "test_sleeps"]
    for line in lines:
        assert line["wall"] >= 0.3 and 0.0 <= line["busy"] <= 1.0, line
    assert lines[0]["busy"] > 0.0  # a spinning test keeps at least part of one CPU busy


def test_the_summary_weights_each_test_by_its_time() -> None:
    lines = [
        {"id": "a.py::x", "wall": 30.0, "busy": 1.0},
        {"id": "a.py::y", "wall": 10.0, "busy": 0.2},
        {"id": "b.py::z", "wall": 5.0, "busy": None},
    ]
    assert summary(lines) == [("a.py", 40.0, 0.8), ("b.py", 5.0, 0.0)]  # type: ignore[arg-type]
