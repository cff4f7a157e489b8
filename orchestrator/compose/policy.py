"""The policy a compose project is checked and fixed against: limits, health checks, users, logs.

Defaults fit the platform's app services (JVM and Node services of a few hundred MiB). Each
service can override them, and can waive a finding by its ID with a reason, which the report
shows instead of the finding. A policy file holds the fields of `ComposePolicy` in YAML.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import AfterValidator, Field, ValidationError

from orchestrator.errors import ConfigError, ConfigIssue
from orchestrator.models.base import StrictModel

POLICY_FILE = "compose-policy.yml"  # in an environment's directory: `harden compose check --env E` reads it
MEMORY_RE = r"^[0-9]+[kmg]?b?$"  # compose's byte values: 512m, 1g, 1073741824
DURATION_RE = r"^([0-9]+(ms|s|m|h))+$"
DIGEST_RE = re.compile(r"@sha256:[0-9a-f]{64}$")


def _pinned(image: str) -> str:
    if not DIGEST_RE.search(image):
        raise ValueError(f"{image!r} is not pinned: expected name:tag@sha256:<64 hex digits>")
    return image


# Finding IDs: stable, so waivers and CI gates can name them (checks.py finds each one).
TITLES = {
    "HR-APP-01": "no resource limits",
    "HR-APP-02": "no health check on the health endpoints",
    "HR-APP-03": "literal secret",
    "HR-APP-04": "port published past the edge",
    "HR-APP-05": "runs as root",
    "HR-APP-06": "writable root filesystem",
    "HR-APP-07": "no-new-privileges missing",
    "HR-APP-08": "capabilities not dropped",
    "HR-APP-09": "unbounded logs",
    "HR-APP-10": "image not pinned",
    "HR-APP-11": "data service run by compose",
    "HR-APP-12": "no restart policy",
}


def _known_ids(waive: dict[str, str]) -> dict[str, str]:
    for finding_id, reason in waive.items():
        if finding_id not in TITLES:
            raise ValueError(f"unknown finding {finding_id!r} (known: {', '.join(TITLES)})")
        if not reason.strip():
            raise ValueError(f"{finding_id}: a waiver needs its reason")
    return waive


class Resources(StrictModel):
    cpus: float = Field(..., gt=0, le=256, description="CPUs (deploy.resources.*.cpus); 0.5 is half of one.")
    memory: str = Field(..., pattern=MEMORY_RE, description="Memory, compose syntax: 512m, 2g.")


class Limits(Resources):
    pids: int = Field(..., ge=16, le=1048576, description="Processes and threads (deploy.resources.limits.pids).")


class Health(StrictModel):
    live_path: str = Field("/health/live", pattern=r"^/", description="Liveness endpoint of every app service.")
    ready_path: str = Field(
        "/health/ready", pattern=r"^/", description="Readiness endpoint: what the healthcheck calls."
    )
    command: list[str] = Field(
        ["CMD", "curl", "-fsS", "-o", "/dev/null", "{url}"],
        min_length=2,
        description="The healthcheck test; {url} becomes http://127.0.0.1:<port><ready_path>.",
    )
    interval: str = Field("10s", pattern=DURATION_RE, description="Time between checks.")
    timeout: str = Field("3s", pattern=DURATION_RE, description="A check slower than this fails.")
    retries: int = Field(3, ge=1, le=100, description="Failures in a row before the service is unhealthy.")
    start_period: str = Field(
        "60s", pattern=DURATION_RE, description="Start-up time during which failures do not count."
    )


class Logging(StrictModel):
    driver: str = Field("json-file", description="Log driver; json-file and local rotate with the options below.")
    max_size: str = Field("10m", pattern=MEMORY_RE, description="Size of one log file before rotation.")
    max_file: int = Field(3, ge=1, le=100, description="Rotated files kept.")


class ServicePolicy(StrictModel):
    limits: Limits | None = Field(None, description="Overrides the default limits for this service.")
    reservations: Resources | None = Field(None, description="Overrides the default reservations.")
    port: int | None = Field(None, ge=1, le=65535, description="Container port of its health endpoint.")
    user: str | None = Field(None, pattern=r"^[0-9]+(:[0-9]+)?$", description="uid[:gid] it runs as.")
    image: Annotated[str, AfterValidator(_pinned)] | None = Field(
        None, description="The pinned image it runs: name:tag@sha256:<digest> (from your registry)."
    )
    writable: list[str] = Field(
        ["/tmp"], description="Paths that stay writable (tmpfs) when the root filesystem is read-only."
    )
    waive: Annotated[dict[str, str], AfterValidator(_known_ids)] = Field(
        {}, description="Finding ID -> reason: accepted risks, shown as waived instead of failing."
    )


DATA_SERVICES = {"postgres": "postgres_ha", "redis": "redis_sentinel", "kafka": "kafka", "elasticsearch": "search"}


class ComposePolicy(StrictModel):
    limits: Limits = Field(Limits(cpus=1.0, memory="768m", pids=512), description="Default limits of every service.")
    reservations: Resources = Field(
        Resources(cpus=0.25, memory="384m"), description="Default reservations of every service."
    )
    user: str = Field("10001:10001", pattern=r"^[0-9]+(:[0-9]+)?$", description="Default non-root uid:gid.")
    health: Health = Field(Health(), description="Health check of every app service.")
    logging: Logging = Field(Logging(), description="Log rotation of every service.")
    restart: str = Field(
        "unless-stopped",
        pattern=r"^(always|unless-stopped|on-failure(:[0-9]+)?)$",
        description="Restart policy: a service killed for exceeding its memory comes back.",
    )
    routed: list[str] = Field(
        [], description="Services the edge routes to: they publish their ports, on backend_address only."
    )
    backend_address: str = Field(
        "127.0.0.1",
        description=(
            "Host address a routed service's ports bind to, where the edge reaches them: an address, or a compose "
            "variable (${APP_BACKEND_ADDRESS}) set per app host."
        ),
    )
    data_services: dict[str, str] = Field(
        DATA_SERVICES,
        description="Image name -> the harden role that runs it instead of compose (its service is removed).",
    )
    services: dict[str, ServicePolicy] = Field({}, description="Per-service overrides, by compose service name.")

    def service(self, name: str) -> ServicePolicy:
        return self.services.get(name) or ServicePolicy()

    def limits_of(self, name: str) -> Limits:
        return self.service(name).limits or self.limits

    def reservations_of(self, name: str) -> Resources:
        return self.service(name).reservations or self.reservations

    def user_of(self, name: str) -> str:
        return self.service(name).user or self.user


def policy_for(env: str | None, path: Path | None) -> tuple[ComposePolicy, str]:
    """The policy ``--policy`` names, else the environment's compose-policy.yml, else the defaults;
    and where it came from, for the report."""
    from orchestrator.inventory import resolve_env_path
    from orchestrator.paths import display_path

    if path is None and env is not None:
        candidate = resolve_env_path(env) / POLICY_FILE
        if candidate.is_file():
            path = candidate
        else:
            return ComposePolicy(), f"the defaults ({display_path(candidate)} does not exist)"
    if path is None:
        return ComposePolicy(), "the defaults"
    return load_policy(path), display_path(path)


def load_policy(path: Path | None) -> ComposePolicy:
    """The policy in ``path`` (YAML), or the defaults; errors name the file and the key."""
    if path is None:
        return ComposePolicy()
    from orchestrator.paths import display_path

    source = display_path(path)
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError([ConfigIssue(source, "(file)", f"cannot read: {exc}")]) from None
    if not isinstance(data, dict):
        raise ConfigError([ConfigIssue(source, "(top level)", "expected a mapping of policy fields")])
    try:
        return ComposePolicy.model_validate(data)
    except ValidationError as exc:
        from orchestrator.validation import model_issues  # the same file: key: message as validate

        raise ConfigError(model_issues(exc, source)) from None
