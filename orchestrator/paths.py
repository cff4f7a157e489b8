"""Well-known locations inside the repository and on the controller."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ROLES_DIR = REPO_ROOT / "roles"
PLAYBOOKS_DIR = REPO_ROOT / "playbooks"
INVENTORIES_DIR = REPO_ROOT / "inventories"
TEMPLATES_DIR = REPO_ROOT / "templates"
ANSIBLE_CFG = REPO_ROOT / "ansible.cfg"
# Two different state directories, named apart:
# - REPO_STATE_DIR, the repository's .harden/: run artifacts and the fact cache (no secret);
# - env_state_dir(env), ~/.harden/<env>/ on the operator's machine: the secret-zero file and the CA
#   certificate (revisions live in REPO_STATE_DIR/revisions.db, or in Vault).
REPO_STATE_DIR = REPO_ROOT / ".harden"
RUNS_DIR = REPO_STATE_DIR / "runs"
OPERATOR_STATE_ROOT = Path.home() / ".harden"
# Local artifacts the roles install from (air-gapped style); `harden lab artifacts` fills it.
ARTIFACTS_DIR = Path("/var/cache/harden/artifacts")


def facts_dir(env: str) -> Path:
    """The environment's fact cache, REPO_STATE_DIR/facts/<env>/: every role run of the environment
    reuses the facts an earlier one gathered (for fact_caching_timeout, ansible.cfg), and two
    environments that name their hosts alike never share them."""
    path = REPO_STATE_DIR / "facts" / env
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def display_path(path: Path) -> str:
    """A path relative to the repository when it lives inside it, else absolute."""
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def env_state_dir(env: str) -> Path:
    """The operator's state for an environment, outside the repository: ~/.harden/<env>/ (0700)."""
    path = OPERATOR_STATE_ROOT / env
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    os.chmod(path.parent, 0o700)
    return path
