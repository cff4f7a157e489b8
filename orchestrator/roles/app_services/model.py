"""Variables of the `app_services` role: the platform's compose projects, run by Podman under systemd."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationInfo, model_validator

from orchestrator.models.base import Secret, StrictModel

MANIFEST_SUFFIX = ".vault.json"  # next to the compose file, as `harden secrets import` writes it


class AppSecret(StrictModel):
    """One variable of a service's secrets env file: where its value lives in Vault."""

    service: str = Field(..., pattern=r"^[a-z0-9][a-z0-9_.-]*$", description="The service that reads it.")
    variable: str = Field(..., pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="Its environment variable.")
    value: Secret = Field(..., description="Its Vault reference (generate: created there when missing).")


def read_manifest(path: Path) -> list[dict[str, Any]]:
    """The secrets of ``path`` (service -> variable -> reference, as `harden secrets import` writes
    it; a reference may also be {vault: ..., generate: {...}}), as AppSecret values."""
    try:
        found = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path.name}: not readable JSON ({exc})") from None
    if not isinstance(found, dict) or not all(isinstance(v, dict) for v in found.values()):
        raise ValueError(f"{path.name}: expected an object of services, each an object of variables")
    out = []
    for service, variables in sorted(found.items()):
        for variable, ref in sorted(variables.items()):
            if isinstance(ref, str) and not ref.startswith("vault:"):  # never repeat the value
                expected = "a Vault reference ('vault:<mount>/data/<path>#<key>'), never the secret itself"
                raise ValueError(f"{path.name}: {service}.{variable}: {expected}")
            out.append({"service": service, "variable": variable, "value": ref})
    return out


class AppProject(StrictModel):
    """A compose project the app hosts run, after `harden compose fix` (its services' limits, health
    checks and options come from the file)."""

    name: str = Field(
        ...,
        pattern=r"^[a-z0-9][a-z0-9_.-]{0,30}$",
        description="Project name: it prefixes the containers, units, networks and volumes.",
    )
    compose: str = Field(
        ...,
        pattern=r"^[^/\s][^\s]*\.ya?ml$",
        description="The hardened compose file, relative to the environment's directory (e.g. compose/platform.yml).",
    )
    variables: dict[str, str] = Field(
        {},
        description="Values for the file's ${NAME}; APP_BACKEND_ADDRESS is each host's own address unless set here.",
    )
    content: str | None = Field(
        None,
        description="Not set by hand: harden reads the file into it at validation, so that each revision keeps "
        "the file it deployed and a rollback deploys that file again.",
    )
    secrets: list[AppSecret] = Field(
        [],
        description="Not set by hand: read at validation from the file's manifest (<compose>.vault.json, "
        "written by `harden secrets import`): the Vault reference of each variable of each service's "
        "env_file. References only; the values go to the hosts encrypted (systemd-creds).",
    )

    @model_validator(mode="before")
    @classmethod
    def _read(cls, data: Any, info: ValidationInfo) -> Any:
        directory = (info.context or {}).get("environment_dir")
        if directory is not None and isinstance(data, dict) and isinstance(data.get("compose"), str):
            # validating the environment: the file as it is now (a revision's values keep theirs)
            path = Path(directory) / data["compose"]
            manifest = path.with_name(path.name + MANIFEST_SUFFIX)
            data = {
                **data,
                "content": path.read_text() if path.is_file() else None,  # the spec names a missing file
                "secrets": read_manifest(manifest) if manifest.is_file() else [],
            }
        return data


class ImageArchive(StrictModel):
    """A container image the hosts load from a local archive (`podman save` or `docker save`),
    as an air-gapped shop keeps them."""

    name: str = Field(
        ...,
        pattern=r"^(localhost|[a-z0-9-]+\.[a-z0-9.-]+(:[0-9]+)?)/[^\s@]+:[^\s@/]+$",
        description="The image's full name:tag as Podman lists it after loading (localhost/app:1.0 for a "
        "name without a registry).",
    )
    archive: str = Field(..., pattern=r"^/[^\s]+$", description="Controller path of the archive.")
    sha256: str | None = Field(
        None, pattern=r"^[0-9a-f]{64}$", description="Expected sha256 of the archive (checked before loading)."
    )


class AppServicesVars(StrictModel):
    app_services_projects: list[AppProject] = Field(
        default_factory=list, description="The compose projects every host of the group runs."
    )
    app_services_images: list[ImageArchive] = Field(
        default_factory=list,
        description="Images loaded from local archives; others are pulled by Podman from the registries it knows.",
    )
    app_services_storage_driver: Literal["overlay", "vfs"] = Field(
        "overlay", description="Podman's storage driver (vfs where overlay cannot run, such as inside a container)."
    )
    app_services_cgroup_manager: Literal["systemd", "cgroupfs"] = Field(
        "systemd",
        description="Who creates each container's cgroup: cgroupfs for cgroup v1 inside a container, where "
        "systemd put every container in one memory cgroup (docs/compose.md, the lab's trial).",
    )
    app_services_container_keyring: bool = Field(
        True, description="A session keyring per container (off where seccomp refuses keyctl, as in nspawn)."
    )
    app_services_health_timeout: int = Field(
        180, ge=10, le=3600, description="Seconds a service may take to report healthy after a (re)start."
    )
