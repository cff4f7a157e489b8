"""The playbooks run as AWX or an ops shell would run them: plain `ansible-playbook -i
inventories/<env>`, no harden in between. Shared by tests/integration/secrets/test_without_harden.py
and bench/overhead.py.

Secrets then come from Vault through community.hashi_vault (plugins/lookup/harden_secret.py),
with the connection and the AppRole in ANSIBLE_HASHI_VAULT_* environment variables, as an AWX
credential injects them. Here the AppRole is harden's own (the secret-zero file), and Vault is
reached through the same SSH tunnel harden uses in the lab.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from orchestrator.paths import REPO_ROOT
from orchestrator.runner import strategy_environment
from orchestrator.secrets.vault_session import ca_file, init_file, node_url, vault_nodes
from orchestrator.validation import Environment

ANSIBLE_PLAYBOOK = str(Path(sys.executable).with_name("ansible-playbook"))
RECAP = re.compile(
    r"^(?P<host>\S+)\s+:\s+ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)\s+"
    r"failed=(?P<failed>\d+)\s+skipped=(?P<skipped>\d+)",
    re.MULTILINE,
)


@contextlib.contextmanager
def vault_environment(env: Environment) -> Iterator[dict[str, str]]:
    """community.hashi_vault's settings for the environment's Vault, while a tunnel to it is open."""
    approle = json.loads(init_file(env.name).read_text())["harden_approle"]
    ca = ca_file(env)
    assert ca is not None and approle["role_id"] and approle["secret_id"]
    with node_url(env, vault_nodes(env)[0]) as url:
        yield {
            "ANSIBLE_HASHI_VAULT_ADDR": url,
            "ANSIBLE_HASHI_VAULT_AUTH_METHOD": "approle",
            "ANSIBLE_HASHI_VAULT_ROLE_ID": approle["role_id"],
            "ANSIBLE_HASHI_VAULT_SECRET_ID": approle["secret_id"],
            "ANSIBLE_HASHI_VAULT_CA_CERT": str(ca),
        }


def plain_environment(vault: dict[str, str], strategy: str) -> dict[str, str]:
    """A shell's environment: none of the ANSIBLE_* settings harden gives its runs (the
    repository's ansible.cfg, found in the working directory, is all Ansible reads), the strategy
    the environment's harden.yml names, and Vault's connection."""
    bin_dir = str(Path(sys.executable).parent)
    return {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
        **strategy_environment(strategy),
        **vault,
    }


@dataclass(frozen=True)
class PlainRun:
    returncode: int
    seconds: float
    recap: dict[str, dict[str, int]]  # host -> ok, changed, unreachable, failed, skipped
    output: str

    @property
    def changed(self) -> int:
        return sum(c["changed"] for c in self.recap.values())

    @property
    def failed(self) -> int:
        return sum(c["failed"] + c["unreachable"] for c in self.recap.values())


def run_playbooks(
    env_dir: Path, playbooks: Sequence[str], environ: dict[str, str], *, forks: int, check: bool = False
) -> PlainRun:
    command = [ANSIBLE_PLAYBOOK, "-i", str(env_dir), "--forks", str(forks), *(["--check", "--diff"] if check else [])]
    started = time.monotonic()
    done = subprocess.run(
        [*command, *(str(REPO_ROOT / "playbooks" / p) for p in playbooks)],
        cwd=REPO_ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    seconds = time.monotonic() - started
    recap = {
        m["host"]: {k: int(m[k]) for k in ("ok", "changed", "unreachable", "failed", "skipped")}
        for m in RECAP.finditer(done.stdout)
    }
    return PlainRun(done.returncode, seconds, recap, done.stdout + done.stderr)
