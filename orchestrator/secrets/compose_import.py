"""`harden secrets import`: move hardcoded secrets out of a docker-compose file into Vault.

Secrets are environment entries whose names look secret, and URLs with embedded credentials.
Each goes to ``secret/data/<service>#<VARIABLE>``. The rewritten compose file no longer holds
them: each such service reads an env file (``secrets/<service>.env``) that `harden secrets
render` writes at deploy time, and a manifest (references only, no values) says what goes where.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from orchestrator.errors import ConfigError, ConfigIssue
from orchestrator.secrets.kv import KvRef

SECRET_NAME_RE = re.compile(
    r"(PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL|_PASS$|_AUTH$)", re.I
)
URL_CREDENTIALS_RE = re.compile(r"^[a-z][a-z0-9+.-]*://[^:/@\s]*:[^@\s]+@", re.I)
ENV_DIR = "secrets"


@dataclass(frozen=True)
class FoundSecret:
    service: str
    variable: str
    value: str
    reason: str  # "secret name" or "credentials in URL"

    @property
    def ref(self) -> KvRef:
        return KvRef(mount="secret", path=self.service, key=self.variable)


def _environment(service: dict[str, Any]) -> dict[str, Any]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        pairs = (item.split("=", 1) if "=" in item else (item, None) for item in env)
        return {k: v for k, v in pairs}
    return dict(env)


def find_secrets(compose: dict[str, Any]) -> list[FoundSecret]:
    found: list[FoundSecret] = []
    for name, service in (compose.get("services") or {}).items():
        for var, value in _environment(service or {}).items():
            if value is None or str(value) == "" or "${" in str(value):
                continue  # unset, or already taken from the environment at deploy time
            text = str(value)
            if SECRET_NAME_RE.search(var):
                found.append(FoundSecret(name, var, text, "secret name"))
            elif URL_CREDENTIALS_RE.match(text):
                found.append(FoundSecret(name, var, text, "credentials in URL"))
    return found


def load_compose(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError([ConfigIssue(str(path), "(file)", f"invalid YAML: {exc}")]) from None
    if not isinstance(data, dict) or not isinstance(data.get("services"), dict):
        raise ConfigError([ConfigIssue(str(path), "services", "not a docker-compose file (no services mapping)")])
    return data


def rewrite(compose: dict[str, Any], found: list[FoundSecret]) -> dict[str, Any]:
    """The compose file without the secrets; affected services read secrets/<service>.env."""
    out: dict[str, Any] = yaml.safe_load(yaml.safe_dump(compose))  # deep copy
    by_service: dict[str, set[str]] = {}
    for item in found:
        by_service.setdefault(item.service, set()).add(item.variable)
    for name, variables in by_service.items():
        service = out["services"][name]
        env = service.get("environment")
        if isinstance(env, list):
            service["environment"] = [e for e in env if e.split("=", 1)[0] not in variables]
        elif isinstance(env, dict):
            service["environment"] = {k: v for k, v in env.items() if k not in variables}
        if not service.get("environment"):
            service.pop("environment", None)
        env_files = service.get("env_file") or []
        env_files = [env_files] if isinstance(env_files, str) else list(env_files)
        target = f"./{ENV_DIR}/{name}.env"
        if target not in env_files:
            env_files.append(target)
        service["env_file"] = env_files
    return out


def manifest(found: list[FoundSecret]) -> dict[str, dict[str, str]]:
    """Service -> variable -> Vault reference. Holds no secret value."""
    out: dict[str, dict[str, str]] = {}
    for item in found:
        out.setdefault(item.service, {})[item.variable] = str(item.ref)
    return out


def render_env_file(values: dict[str, str]) -> str:
    lines = []
    for var, value in sorted(values.items()):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "$$")
        lines.append(f'{var}="{escaped}"')
    return "\n".join(lines) + "\n"
