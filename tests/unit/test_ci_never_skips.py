"""Under CI=true, a lab test that skips fails the run (the integration suite can never pass empty)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CONFTEST = Path(__file__).parent.parent / "integration" / "conftest.py"


@pytest.mark.parametrize(("ci", "expected_rc"), [("true", 1), ("", 0)])
def test_a_skipped_lab_test_fails_only_under_ci(tmp_path: Path, ci: str, expected_rc: int) -> None:
    suite = tmp_path / "tests" / "integration"
    suite.mkdir(parents=True)
    shutil.copy(CONFTEST, suite / "conftest.py")
    (suite / "test_needs_root.py").write_text("import pytest\n\ndef test_x():\n    pytest.skip('the lab needs root')\n")
    env = {**os.environ, "CI": ci, "PYTHONPATH": str(CONFTEST.parents[2])}  # the conftest imports bench/
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(suite)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == expected_rc, proc.stdout + proc.stderr
