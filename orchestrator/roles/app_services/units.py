"""What each app host runs, derived on the controller from the environment's compose files.

Validation (the spec's topology check) and the run (derived variables) read the same files the
same way: the file must parse, `harden compose check` with the environment's compose-policy.yml
must leave no open finding, and every service must translate to `podman run`
(orchestrator/compose/podman.py). So `harden validate` refuses a project before any host is
touched, naming the file and the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator.compose.podman import (
    CREDENTIALS_DIR,
    ServiceUnit,
    credential_path,
    edge_network_name,
    network_name,
    project_target,
    project_units,
    unit_text,
)
from orchestrator.compose.policy import POLICY_FILE
from orchestrator.errors import ConfigError, ConfigIssue
from orchestrator.inventory import Inventory
from orchestrator.roles.app_services.model import MANIFEST_SUFFIX, read_manifest
from orchestrator.roles.spec import TopologyIssue

if TYPE_CHECKING:
    from orchestrator.validation import Environment

BACKEND_VARIABLE = "APP_BACKEND_ADDRESS"
CHECK_ADDRESS = "192.0.2.1"  # TEST-NET-1: stands in for each host's address while validating


def _project(
    inv_path: Path, project: Mapping[str, Any], address: str, content: str | None = None
) -> tuple[str, list[ServiceUnit]]:
    """The file's text (``content`` when given: a revision's) and its units; ConfigError names
    the file and the key. The policy is the environment's as it is now, also for a rollback."""
    from orchestrator.compose import document
    from orchestrator.compose.checks import check_project
    from orchestrator.compose.policy import load_policy
    from orchestrator.compose.report import open_findings
    from orchestrator.paths import display_path

    path = inv_path / str(project["compose"])
    source = display_path(path)
    if content is None and not path.is_file():
        raise ConfigError([ConfigIssue(source, "(file)", "no such file")])
    text = path.read_text() if content is None else content
    doc = document.loads(text, source)
    policy_file = inv_path / POLICY_FILE
    policy = load_policy(policy_file if policy_file.is_file() else None)
    left = open_findings(check_project(doc, policy))
    if left:
        raise ConfigError(
            [
                ConfigIssue(source, f"services.{f.service}", f"{f.id} {f.title}: run `harden compose fix` first")
                for f in left
            ]
        )
    variables = {BACKEND_VARIABLE: address, **dict(project.get("variables") or {})}
    units = project_units(str(project["name"]), doc, source, variables)
    secrets = project.get("secrets")
    if secrets is None:  # the inventory's values, before the model read the manifest
        manifest = path.with_name(path.name + MANIFEST_SUFFIX)
        try:
            secrets = read_manifest(manifest) if manifest.is_file() else []
        except ValueError as exc:
            raise ConfigError([ConfigIssue(f"{source}{MANIFEST_SUFFIX}", "(file)", str(exc))]) from None
    _check_secrets(units, list(secrets), source)
    return text, units


def _has_ref(value: Any) -> bool:
    if isinstance(value, Mapping):
        value = value.get("vault")
    return isinstance(value, str) and value.startswith("vault:")


def _check_secrets(units: list[ServiceUnit], secrets: list[Mapping[str, Any]], source: str) -> None:
    """Each env file is ``<service>.env`` of a service in the manifest, and the manifest names
    no service that reads none (`harden secrets import` writes both that way)."""

    manifest = f"{source}{MANIFEST_SUFFIX}"
    in_manifest = {str(s["service"]) for s in secrets}
    read = {name.removesuffix(".env") for unit in units for name in unit.env_files}
    issues = [
        ConfigIssue(
            source,
            f"services.{unit.service}.env_file",
            f"{name}: {manifest} has no service {name.removesuffix('.env')!r}: harden renders env files only from "
            "Vault (`harden secrets import` writes the manifest)",
        )
        for unit in units
        for name in unit.env_files
        if name.removesuffix(".env") not in in_manifest
    ]
    issues += [
        ConfigIssue(manifest, service, f"no service reads {service}.env (an env_file entry in {source})")
        for service in sorted(in_manifest - read)
    ]
    issues += [
        ConfigIssue(manifest, f"{s['service']}.{s['variable']}", "needs its Vault reference ('vault:...')")
        for s in secrets
        if not _has_ref(s.get("value"))
    ]
    if issues:
        raise ConfigError(issues)


def check_projects(inv: Inventory, values: Mapping[str, Any]) -> list[TopologyIssue]:
    issues: list[TopologyIssue] = []
    for i, project in enumerate(values.get("app_services_projects") or []):
        if not isinstance(project, Mapping) or "compose" not in project or "name" not in project:
            continue  # the model reports it
        try:
            _project(inv.path, project, CHECK_ADDRESS)
        except ConfigError as exc:
            for issue in exc.issues:
                if issue.file.endswith(POLICY_FILE):
                    continue  # validation reports the policy's own errors (validation._check_compose_policy)
                issues.append((f"app_services_projects[{i}].compose", f"{issue.file}: {issue.key}: {issue.message}"))
    names = [p.get("name") for p in values.get("app_services_projects") or [] if isinstance(p, Mapping)]
    if len(names) != len(set(names)):
        issues.append(("app_services_projects", "each project needs its own name"))
    return issues


def host_projects(env: Environment) -> dict[str, list[tuple[Any, str, list[ServiceUnit]]]]:
    """Per app host: each project (its model), the file's text and the services it runs there."""
    from orchestrator.roles.baseline.firewall import host_address

    found: dict[str, list[tuple[Any, str, list[ServiceUnit]]]] = {}
    for host, model in env.role_vars.get("app_services", {}).items():
        found[host] = []
        for project in model.app_services_projects:  # type: ignore[attr-defined]
            text, services = _project(
                env.inventory.path, project.model_dump(), host_address(env, host), project.content
            )
            found[host].append((project, text, services))
    return found


def host_vars(env: Environment) -> dict[str, dict[str, Any]]:
    """Per app host: each project's file, networks and target, and each service's unit."""
    found: dict[str, dict[str, Any]] = {}
    for host, deployed in host_projects(env).items():
        projects, units = [], []
        for project, text, services in deployed:
            networks = [{"name": network_name(project.name), "internal": True}]
            if any("--publish" in s.args for s in services):
                networks.append({"name": edge_network_name(project.name), "internal": False})
            projects.append(
                {"name": project.name, "compose": text, "target": project_target(project.name), "networks": networks}
            )
            units += [
                {"project": project.name, "service": s.service, "unit": s.unit, "container": s.container,
                 "image": s.image, "text": unit_text(s, project.compose),
                 "credentials": [{"name": name, "service": name.removesuffix(".env"),
                                  "path": credential_path(project.name, name)} for name in s.env_files]}
                for s in services
            ]  # fmt: skip
        found[host] = {
            "_app_services_projects": projects,
            "_app_services_units": units,
            "_app_services_credentials_dir": CREDENTIALS_DIR,
        }
    return found
