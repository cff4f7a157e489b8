"""Reach a service port on an environment's host: directly, or through an SSH tunnel.

Environments whose controller has no route to the hosts (the lab, or a bastion setup) set
``vault_tunnel: true`` in harden.yml; the tunnel uses the inventory's own SSH settings.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import socket
import subprocess
import time
from collections.abc import Iterator

from orchestrator.errors import HardenError
from orchestrator.validation import Environment


def ssh_prefix(env: Environment, host: str) -> tuple[str, list[str]]:
    """The host's address and an ssh command (without remote command) built from its inventory vars."""
    v = {k: s.value for k, s in env.inventory.effective_vars(host).items()}
    address = str(v.get("ansible_host", host))
    ssh = ["ssh", "-o", "BatchMode=yes", "-o", "ExitOnForwardFailure=yes"]
    ssh += shlex.split(str(v.get("ansible_ssh_common_args", "")))
    if "ansible_port" in v:
        ssh += ["-p", str(v["ansible_port"])]
    target = f"{v['ansible_user']}@{address}" if "ansible_user" in v else address
    return address, [*ssh, target]


def marked_sections(out: str, mark: str) -> dict[str, str]:
    """The output of a remote script that prints ``<mark><name>`` before each part: name -> its lines."""
    sections: dict[str, list[str]] = {}
    current = None
    for line in out.splitlines():
        if line.startswith(mark):
            current = line.removeprefix(mark)
            sections[current] = []
        elif current is not None:
            sections[current].append(line)
    return {k: "\n".join(v) for k, v in sections.items()}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """End the tunnel and its ProxyCommand children."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=3)
            return
        except subprocess.TimeoutExpired:
            continue


@contextlib.contextmanager
def reach(env: Environment, ssh: list[str], address: str, port: int) -> Iterator[tuple[str, int]]:
    """(host, port) to connect to for address:port on the environment's network."""
    if not env.settings.vault_tunnel:
        yield address, port
        return
    local = _free_port()
    cmd = [*ssh[:-1], "-N", "-L", f"127.0.0.1:{local}:{address}:{port}", ssh[-1]]
    proc = subprocess.Popen(
        cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace").strip() if proc.stderr else ""
                raise HardenError(f"SSH tunnel to {address}:{port} failed: {err}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", local)) == 0:
                    break
            time.sleep(0.05)
        yield "127.0.0.1", local
    finally:
        _stop_group(proc)
