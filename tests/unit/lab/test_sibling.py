"""A lab copied to run beside the original: the suite's second shard drives such a copy."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from orchestrator.errors import HardenError
from orchestrator.lab.config import load_lab_config
from orchestrator.lab.sibling import copy_lab, move_addresses
from orchestrator.validation import validate_environment


def test_every_address_and_the_ssh_config_move_to_the_copy(tmp_path: Path) -> None:
    source = load_lab_config("lab")
    copied = copy_lab(source, tmp_path / "lab2", "10.78.0.0/24")
    lab2 = load_lab_config(str(copied))
    assert lab2.env == "lab2" and lab2.settings.gateway == "10.78.0.1"
    assert source.hosts  # the comparison below has hosts to compare
    assert [(h.name, h.address.replace("10.78.", "10.77.")) for h in lab2.hosts] == [
        (h.name, h.address) for h in source.hosts
    ]
    texts = {p: p.read_text() for p in copied.rglob("*") if p.is_file()}
    assert texts and not [p for p, text in texts.items() if "10.77." in text or "/run/harden-lab/lab/" in text]
    common = (copied / "group_vars" / "all.yml").read_text()
    assert f"-F {lab2.ssh_config}" in common and str(lab2.ssh_config).startswith("/run/harden-lab/lab2/")
    env = validate_environment(str(copied))  # the copy is a whole valid environment
    assert env.settings.roles == validate_environment("lab").settings.roles


def test_only_addresses_of_the_source_network_move() -> None:
    old, new = ipaddress.IPv4Network("10.77.0.0/24"), ipaddress.IPv4Network("10.78.0.0/24")
    text = "a: 10.77.0.21/32 b: https://10.77.0.21:14000 c: 127.0.0.1 d: 10.77.1.5 e: 110.77.0.2 f: 1.10.77.0.2"
    assert move_addresses(text, old, new) == (
        "a: 10.78.0.21/32 b: https://10.78.0.21:14000 c: 127.0.0.1 d: 10.77.1.5 e: 110.77.0.2 f: 1.10.77.0.2"
    )


@pytest.mark.parametrize(
    ("name", "network", "why"),
    [("lab2", "10.77.0.0/25", "/24"), ("lab2", "10.77.0.0/24", "overlap"), ("lab", "10.78.0.0/24", "other than")],
)
def test_a_copy_that_would_collide_is_refused(tmp_path: Path, name: str, network: str, why: str) -> None:
    with pytest.raises(HardenError, match=why):
        copy_lab(load_lab_config("lab"), tmp_path / name, network)
