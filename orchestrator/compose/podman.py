"""A compose project as Podman runs it: one `podman run` per service, for one systemd unit each.

Why not a compose tool on the host: Debian 12's podman-compose 1.0.3 drops the pids limit (its
source reads ``cpus`` and ``memory`` from ``deploy.resources.limits``, never ``pids`` or
``pids_limit``), and Podman 4.3 has no Quadlet. So harden reads the hardened compose file on the
controller and writes what each service runs, flag by flag; a key it cannot carry over is an
error naming the file and the key, never dropped in silence.

What the translation keeps, per service: the image and its command, environment (values from
the file; secrets come from `env_file`: systemd decrypts each into the unit's ramfs), user,
read-only root with its tmpfs, capabilities, security options, the health check, the limits and
reservations, the ports published on an explicit address (the routed services), named volumes,
the restart policy (systemd's, so a service the kernel killed for its memory comes back), and
the order of `depends_on`. Every service of a project shares one internal network, where each is
found by its name; a service that publishes ports (to the edge) is on a second, routed network
as well, since Podman forwards no port into an internal one.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from orchestrator.compose.checks import parse_ports
from orchestrator.errors import ConfigError, ConfigIssue

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
# A service's secrets env file: encrypted on the host (systemd-creds, the host's key) under
# CREDENTIALS_DIR/<project>/<file>.cred; systemd decrypts it at each start into the unit's own
# credentials directory (%d: /run/credentials/<unit>, ramfs, mode 0400), where podman reads it.
CREDENTIALS_DIR = "/var/lib/harden-apps/credentials"
ENV_FILE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*\.env$")


class Specifier(str):
    """An argument systemd must expand (``%d/name.env``): written into the unit unquoted."""


def credential_path(project: str, name: str) -> str:
    return f"{CREDENTIALS_DIR}/{project}/{name}.cred"


# keys that need nothing on the podman command line
IGNORED = {"container_name", "expose", "networks"}
LOG_DRIVERS = {"json-file": "k8s-file", "local": "k8s-file", "k8s-file": "k8s-file", "journald": "journald"}


@dataclass(frozen=True)
class ServiceUnit:
    project: str
    service: str
    image: str
    args: list[str]  # `podman run` options, then the image, then the command
    after: list[str] = field(default_factory=list)  # units of the services it depends on
    restart: str = "on-failure"  # systemd's Restart=
    env_files: list[str] = field(default_factory=list)  # credential names: each file's base name

    @property
    def container(self) -> str:
        return f"{self.project}-{self.service}"

    @property
    def unit(self) -> str:
        return unit_name(self.project, self.service)


def unit_name(project: str, service: str) -> str:
    return f"harden-app-{project}-{service}.service"


def network_name(project: str) -> str:
    """The project's internal network (no route out): every service, found by its name."""
    return f"harden-{project}"


def edge_network_name(project: str) -> str:
    """The network of the services that publish ports (routed by the edge): not internal."""
    return f"harden-{project}-edge"


class _Issues:
    def __init__(self, source: str) -> None:
        self.source = source
        self.found: list[ConfigIssue] = []

    def add(self, key: str, message: str) -> None:
        self.found.append(ConfigIssue(self.source, key, message))


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return [value] if isinstance(value, (str, int)) else list(value)


def _environment(value: Any) -> list[str]:
    if isinstance(value, Mapping):
        return [f"{k}={'' if v is None else v}" for k, v in value.items()]
    return [str(item) for item in _list(value)]


def _healthcheck(check: Mapping[str, Any], key: str, issues: _Issues) -> list[str]:
    test = check.get("test")
    if check.get("disable") or (isinstance(test, list) and test[:1] == ["NONE"]):
        return ["--no-healthcheck"]
    if isinstance(test, str):
        args = ["--health-cmd", test]  # podman runs a string through /bin/sh -c, as compose does
    elif isinstance(test, list) and test[:1] == ["CMD"] and len(test) > 1:
        args = ["--health-cmd", json.dumps([str(t) for t in test[1:]])]
    elif isinstance(test, list) and test[:1] == ["CMD-SHELL"] and len(test) == 2:
        args = ["--health-cmd", str(test[1])]
    else:
        issues.add(f"{key}.test", "expected a string, or a list starting with CMD, CMD-SHELL or NONE")
        return []
    for name, flag in (("interval", "interval"), ("timeout", "timeout"), ("start_period", "start-period")):
        if check.get(name) is not None:
            args += [f"--health-{flag}", str(check[name])]
    if check.get("retries") is not None:
        args += ["--health-retries", str(check["retries"])]
    return args


def _resources(service: Mapping[str, Any], key: str, issues: _Issues) -> list[str]:
    deploy = service.get("deploy") or {}
    unknown = sorted(set(deploy) - {"resources"}) if isinstance(deploy, Mapping) else []
    for name in unknown:
        issues.add(f"{key}.deploy.{name}", "not carried over to Podman (only deploy.resources is)")
    resources = (deploy.get("resources") or {}) if isinstance(deploy, Mapping) else {}
    limits = resources.get("limits") or {}
    reservations = resources.get("reservations") or {}
    args: list[str] = []
    cpus = limits.get("cpus", service.get("cpus"))
    memory = limits.get("memory", service.get("mem_limit"))
    pids = limits.get("pids", service.get("pids_limit"))
    if cpus is not None:
        args += ["--cpus", str(cpus)]
    if memory is not None:
        args += ["--memory", str(memory)]
    if pids is not None:
        args += ["--pids-limit", str(pids)]
    reserved_memory = reservations.get("memory", service.get("mem_reservation"))
    if reserved_memory is not None:
        args += ["--memory-reservation", str(reserved_memory)]
    if reservations.get("cpus") is not None:  # a weight under contention: 1 CPU = 1024 shares
        args += ["--cpu-shares", str(max(2, round(float(reservations["cpus"]) * 1024)))]
    return args


def _restart(value: Any, key: str, issues: _Issues) -> str:
    policy = str(value or "no")
    if policy in ("always", "unless-stopped"):
        return "always"
    if policy == "no":
        return "no"
    if re.fullmatch(r"on-failure(:[0-9]+)?", policy):
        return "on-failure"
    issues.add(key, f"unknown restart policy {policy!r}")
    return "on-failure"


def _security_opt(value: str) -> str:
    # compose writes no-new-privileges:true; podman 4.3 takes the bare name
    return "no-new-privileges" if value in ("no-new-privileges:true", "no-new-privileges=true") else value


def _service(project: str, name: str, service: Mapping[str, Any], names: set[str], issues: _Issues) -> ServiceUnit:
    key = f"services.{name}"
    image = service.get("image")
    if not image:
        issues.add(f"{key}.image", "a service needs an image (build it in CI: the role runs images, it builds none)")
    # a service that publishes ports joins the project's edge network too: Podman forwards no
    # port into an internal network (measured in the lab: nothing answered)
    edge = ["--network", edge_network_name(project)] if service.get("ports") else []
    args = ["--name", f"{project}-{name}", *edge, "--network", network_name(project), "--network-alias", name]
    handled = {"image", "command", "entrypoint", "deploy", "cpus", "mem_limit", "pids_limit", "mem_reservation"}
    env_files: list[str] = []
    for option, value in service.items():
        where = f"{key}.{option}"
        if option in handled or option in IGNORED:
            continue
        if option == "environment":
            for item in _environment(value):
                args += ["--env", item]
        elif option == "env_file":
            for path in _list(value):
                base = str(path.get("path") if isinstance(path, Mapping) else path).rsplit("/", 1)[-1]
                if not ENV_FILE_RE.match(base) or base in env_files:
                    issues.add(where, f"{base!r}: each env file needs its own name, <letters, digits, _.->.env")
                    continue
                env_files.append(base)
                args += ["--env-file", Specifier(f"%d/{base}")]
        elif option == "user":
            args += ["--user", str(value)]
        elif option == "read_only":
            args += ["--read-only"] if value else []
        elif option == "tmpfs":
            for path in _list(value):
                args += ["--tmpfs", str(path)]
        elif option in ("cap_drop", "cap_add"):
            for cap in _list(value):
                args += [f"--{option.replace('_', '-')}", str(cap)]
        elif option == "security_opt":
            for opt in _list(value):
                args += ["--security-opt", _security_opt(str(opt))]
        elif option == "healthcheck":
            args += _healthcheck(value or {}, where, issues)
        elif option == "ports":
            for port in parse_ports(service):
                if not port.host_ip:
                    issues.add(
                        where,
                        f"{port.published}:{port.target} is published on every address: routed services "
                        "publish on the backend address only (harden compose fix writes it)",
                    )
                    continue
                suffix = "" if port.protocol == "tcp" else f"/{port.protocol}"
                args += ["--publish", f"{port.host_ip}:{port.published}:{port.target}{suffix}"]
        elif option == "volumes":
            for volume in _list(value):
                text = str(volume) if not isinstance(volume, Mapping) else ""
                source, _, rest = text.partition(":")
                if not rest or source.startswith((".", "/", "~")) or not NAME_RE.match(source):
                    issues.add(
                        where,
                        f"{text or volume!r}: only named volumes (name:/path[:ro]) are carried over; "
                        "put host files in place with a role",
                    )
                    continue
                args += ["--volume", f"{project}-{source}:{rest}"]
        elif option == "logging":
            driver = str((value or {}).get("driver", "json-file"))
            if driver not in LOG_DRIVERS:
                issues.add(f"{where}.driver", f"{driver!r}: Podman takes json-file (as k8s-file), local or journald")
                continue
            args += ["--log-driver", LOG_DRIVERS[driver]]
            size = ((value or {}).get("options") or {}).get("max-size")
            if size and LOG_DRIVERS[driver] == "k8s-file":
                args += ["--log-opt", f"max-size={size}"]
        elif option == "working_dir":
            args += ["--workdir", str(value)]
        elif option == "hostname":
            args += ["--hostname", str(value)]
        elif option == "stop_grace_period":
            args += ["--stop-timeout", str(_seconds(str(value), where, issues))]
        elif option == "labels":
            for label in _environment(value):
                args += ["--label", label]
        elif option in ("restart", "depends_on"):
            continue
        else:
            issues.add(where, "not carried over to Podman by the app_services role: remove it, or ask for it")
    args += _resources(service, key, issues)
    entrypoint = service.get("entrypoint")
    if entrypoint is not None:
        args += [
            "--entrypoint",
            entrypoint if isinstance(entrypoint, str) else json.dumps([str(e) for e in entrypoint]),
        ]
    command = service.get("command")
    run = [*args, str(image or "")]
    run += shlex.split(command) if isinstance(command, str) else [str(c) for c in _list(command)]
    depends = service.get("depends_on") or []
    after = []
    for other in depends if isinstance(depends, list) else list(depends):
        if other not in names:
            issues.add(f"{key}.depends_on", f"{other!r} is not a service of this file")
        else:
            after.append(unit_name(project, other))
    restart = _restart(service.get("restart"), f"{key}.restart", issues)
    return ServiceUnit(project, name, str(image or ""), run, sorted(after), restart, env_files)


def _seconds(value: str, key: str, issues: _Issues) -> int:
    match = re.fullmatch(r"(?:([0-9]+)m)?(?:([0-9]+)s)?", value)
    if not match or not value:
        issues.add(key, f"{value!r}: expected a duration such as 30s or 1m30s")
        return 10
    return int(match.group(1) or 0) * 60 + int(match.group(2) or 0)


VARIABLE_RE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}")


def _interpolate(value: Any, variables: Mapping[str, str], key: str, issues: _Issues) -> Any:
    """Compose's ${NAME} and ${NAME:-default} in every string, from the host's values; $$ is a $."""
    if isinstance(value, Mapping):
        return {k: _interpolate(v, variables, f"{key}.{k}" if key else str(k), issues) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, variables, key, issues) for v in value]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, default = match.group(1), match.group(2)
        if name in variables:
            return variables[name]
        if default is not None:
            return default
        issues.add(key, f"${{{name}}} has no value: give it in the project's variables (or --var)")
        return match.group(0)

    return VARIABLE_RE.sub(replace, value)


def project_units(
    project: str, compose: Mapping[str, Any], source: str, variables: Mapping[str, str] | None = None
) -> list[ServiceUnit]:
    """Every service of the file as a unit to run, after compose's ${...} interpolation from
    ``variables``; errors name the file and the key, all at once."""
    issues = _Issues(source)
    compose = _interpolate(compose, variables or {}, "", issues) if isinstance(compose, Mapping) else compose
    if not NAME_RE.match(project):
        issues.add("project", f"{project!r}: lower-case letters, digits, '.', '_' and '-'")
    services = compose.get("services") if isinstance(compose, Mapping) else None
    if not isinstance(services, Mapping) or not services:
        issues.add("services", "expected a mapping of at least one service")
        raise ConfigError(issues.found)
    units = []
    for name, service in services.items():
        if not NAME_RE.match(str(name)):
            issues.add(f"services.{name}", "service names: lower-case letters, digits, '.', '_' and '-'")
            continue
        units.append(_service(project, str(name), service or {}, set(services), issues))
    if issues.found:
        raise ConfigError(issues.found)
    return units


_PLAIN = re.compile(r"^[A-Za-z0-9_@+=:,./-]+$")


def systemd_quote(arg: str) -> str:
    """One word of an Exec= line: systemd splits on spaces, unquotes, and expands $VAR and %x."""
    if isinstance(arg, Specifier):
        return str(arg)
    escaped = arg.replace("%", "%%").replace("$", "$$")
    if _PLAIN.match(escaped):
        return escaped
    return "'" + escaped.replace("\\", "\\\\").replace("'", "\\'") + "'"


def unit_text(unit: ServiceUnit, source: str) -> str:
    """The service's systemd unit, as `podman generate systemd --new` writes one: the container
    is created at start and removed at stop, and systemd restarts it by the compose policy."""
    run = " ".join(systemd_quote(a) for a in unit.args)
    target = project_target(unit.project)
    requires = " ".join(["network-online.target", *unit.after])
    credentials = "".join(
        f"LoadCredentialEncrypted={name}:{credential_path(unit.project, name)}\n" for name in unit.env_files
    )
    return (
        f"# harden app_services: service {unit.service} of project {unit.project} ({source})\n"
        "[Unit]\n"
        f"Description=harden app {unit.project}/{unit.service}\n"
        f"Wants={requires}\n"
        f"After={requires}\n"
        f"PartOf={target}\n"
        "\n"
        "[Service]\n"
        "Environment=PODMAN_SYSTEMD_UNIT=%n\n"
        f"{credentials}"
        f"Restart={unit.restart}\n"
        "RestartSec=2\n"
        "TimeoutStartSec=180\n"
        "TimeoutStopSec=70\n"
        "ExecStartPre=/bin/rm -f %t/%n.ctr-id\n"
        "ExecStart=/usr/bin/podman run --cidfile=%t/%n.ctr-id --cgroups=no-conmon --rm --sdnotify=conmon "
        f"--replace -d {run}\n"
        "ExecStop=/usr/bin/podman stop --ignore -t 10 --cidfile=%t/%n.ctr-id\n"
        "ExecStopPost=/usr/bin/podman rm -f --ignore -t 10 --cidfile=%t/%n.ctr-id\n"
        "Type=notify\n"
        "NotifyAccess=all\n"
        "\n"
        "[Install]\n"
        f"WantedBy={target}\n"
    )


def project_target(project: str) -> str:
    """The target that starts and stops a project's services together."""
    return f"harden-app-{project}.target"
