"""Before a role is applied, keep the files it manages on each host (for `harden rollback`)."""

from __future__ import annotations

from pathlib import Path

from orchestrator.paths import PLAYBOOKS_DIR
from orchestrator.roles import RoleSpec
from orchestrator.runner import run_playbook
from orchestrator.validation import Environment

BACKUP_ROOT = "/var/lib/harden/backups"


def backup_file(role: str, number: int) -> str:
    return f"{BACKUP_ROOT}/{role}/{number}.tar.gz"


def snapshot(env: Environment, spec: RoleSpec, run_dir: Path, number: int, limit: str | None) -> dict[str, str]:
    """Archive the role's managed paths on every host; returns host -> archive path."""
    if not spec.managed_paths:
        return {}
    path = backup_file(spec.name, number)
    run_playbook(
        run_dir=run_dir,
        role=f"{spec.name}-snapshot-{number}",
        playbook=str(PLAYBOOKS_DIR / "_snapshot.yml"),
        inventory=env.inventory.path,
        check=False,
        limit=limit,
        forks=env.settings.forks,
        extravars={
            "harden_snapshot_hosts": spec.host_pattern or spec.group,
            "harden_snapshot_role": spec.name,
            "harden_snapshot_file": path,
            "harden_snapshot_paths": list(spec.managed_paths),
        },
    )
    return dict.fromkeys(spec.hosts(env.inventory), path)
