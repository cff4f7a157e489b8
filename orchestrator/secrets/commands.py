"""What `harden secrets import` and `harden secrets render` do."""

from __future__ import annotations

import json
import os
from pathlib import Path

from orchestrator.errors import HardenError
from orchestrator.secrets.compose_import import (
    FoundSecret,
    find_secrets,
    load_compose,
    manifest,
    render_env_file,
    rewrite_text,
)
from orchestrator.secrets.kv import KvRef, KvStore
from orchestrator.secrets.vault_session import admin_client
from orchestrator.validation import validate_environment


def default_output(compose: Path) -> Path:
    return compose.with_name(compose.stem + ".harden" + compose.suffix)


def import_compose(compose_path: Path, env_name: str, output: Path | None, dry_run: bool) -> list[FoundSecret]:
    compose = load_compose(compose_path)
    found = find_secrets(compose)
    if dry_run or not found:
        return found
    env = validate_environment(env_name)
    with admin_client(env) as client:
        if client is None:
            raise HardenError("Vault is not reachable, initialised and unsealed with credentials (harden vault status)")
        store = KvStore(client)
        for item in found:
            store.put(item.ref, item.value)
    target = output or default_output(compose_path)
    target.write_text(rewrite_text(compose, found))
    manifest_path = target.with_name(target.name + ".vault.json")
    manifest_path.write_text(json.dumps(manifest(found), indent=2, sort_keys=True) + "\n")
    return found


def write_private(path: Path, text: str) -> None:
    """Replace ``path`` with a new file of mode 0600: never through a symlink, never keeping an
    existing file's looser mode (a fresh file is renamed over the old one)."""
    if path.is_symlink():
        raise HardenError(f"{path} is a symlink: refusing to write secrets through it")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.chmod(tmp, 0o600)  # whatever the umask
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def render(env_name: str, manifest_path: Path, directory: Path) -> list[Path]:
    """Write one env file per service from Vault, mode 0600, for `docker compose up`."""
    refs: dict[str, dict[str, str]] = json.loads(manifest_path.read_text())
    env = validate_environment(env_name)
    written = []
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    with admin_client(env) as client:
        if client is None:
            raise HardenError("Vault is not reachable, initialised and unsealed with credentials (harden vault status)")
        store = KvStore(client)
        for service, variables in sorted(refs.items()):
            values = {}
            for var, ref in variables.items():
                value = store.read(KvRef.parse(ref))
                if value is None:
                    raise HardenError(f"{ref} (for {service} {var}) is missing in Vault")
                values[var] = value
            path = directory / f"{service}.env"
            write_private(path, render_env_file(values))
            written.append(path)
    return written
