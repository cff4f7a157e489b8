"""`harden secrets render` writes each env file as a fresh 0600 file, never through a symlink."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from orchestrator.errors import HardenError
from orchestrator.secrets.commands import write_private


def test_an_existing_loose_file_is_replaced_with_mode_0600(tmp_path: Path) -> None:
    target = tmp_path / "orders.env"
    target.write_text("OLD=1\n")
    target.chmod(0o644)
    write_private(target, "JWT=x\n")
    assert target.read_text() == "JWT=x\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_symlink_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("keep\n")
    link = tmp_path / "orders.env"
    link.symlink_to(elsewhere)
    with pytest.raises(HardenError, match="symlink"):
        write_private(link, "JWT=x\n")
    assert elsewhere.read_text() == "keep\n"
