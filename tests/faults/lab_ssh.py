"""Run commands and long-running clients on lab hosts over SSH; secrets travel on stdin only."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from orchestrator.lab.config import LabConfig
from orchestrator.lab.manager import ssh_command

CLIENT_HOST = "ops-1"


def ssh(lab: LabConfig, host: str, command: str, stdin: str | None = None, check: bool = True) -> str:
    proc = subprocess.run(
        ssh_command(lab, lab.host(host), command), input=stdin, capture_output=True, text=True, timeout=300
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"{host}: {command!r}: {proc.stderr.strip()}")
    return proc.stdout


def run_client_during(
    lab: LabConfig, script: Path, cfg: dict[str, Any], seconds: float, fault: Callable[[], None], fault_after: float
) -> dict[str, Any]:
    """Copy ``script`` to the app host, run it with ``cfg`` on stdin, inject ``fault`` after ``fault_after`` s."""
    ssh(lab, CLIENT_HOST, f"cat > /root/{script.name}", stdin=script.read_text())
    result: dict[str, str] = {}

    def client() -> None:
        result["out"] = ssh(lab, CLIENT_HOST, f"python3 /root/{script.name}", stdin=json.dumps(cfg))

    thread = threading.Thread(target=client)
    thread.start()
    time.sleep(fault_after)
    fault()
    thread.join(timeout=seconds + 120)
    if "out" not in result:
        raise AssertionError(f"{script.name} on {CLIENT_HOST} did not finish")
    data: dict[str, Any] = json.loads(result["out"])
    return data


def nft(lab: LabConfig, host: str, script: str, check: bool = True) -> None:
    """nft in a host's network namespace, from the machine: a fault injected outside the host."""
    proc = subprocess.run(
        ["ip", "netns", "exec", lab.netns(lab.host(host)), "nft", "-f", "-"],
        input=script,
        capture_output=True,
        text=True,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"nft on {host}: {proc.stderr.strip()}")


def heal(lab: LabConfig, host: str) -> None:
    """Remove the fault table that nft() scripts create (``table inet harden_fault``)."""
    nft(lab, host, "delete table inet harden_fault\n", check=False)
