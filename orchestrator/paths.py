"""Well-known locations inside the repository and on the controller."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ROLES_DIR = REPO_ROOT / "roles"
PLAYBOOKS_DIR = REPO_ROOT / "playbooks"
INVENTORIES_DIR = REPO_ROOT / "inventories"
TEMPLATES_DIR = REPO_ROOT / "templates"
ANSIBLE_CFG = REPO_ROOT / "ansible.cfg"
STATE_DIR = REPO_ROOT / ".harden"
RUNS_DIR = STATE_DIR / "runs"


def display_path(path: Path) -> str:
    """A path relative to the repository when it lives inside it, else absolute."""
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)
