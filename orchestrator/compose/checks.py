"""What `harden compose check` finds in a compose project: one check per finding ID.

IDs are stable (waivers and CI gates name them). Each check reads one service as docker compose
reads it (short and long syntax) and says what it found, never a secret's value. ``FIXABLE``
lists the IDs `harden compose fix` resolves; the others need an operator (see the messages).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from orchestrator.compose.policy import DIGEST_RE, TITLES, ComposePolicy
from orchestrator.secrets.compose_import import find_secrets


@dataclass(frozen=True, order=True)
class Finding:
    service: str
    id: str
    message: str
    waived: str = ""  # the policy's reason, when the service waives this ID

    @property
    def title(self) -> str:
        return TITLES[self.id]


FIXABLE = frozenset(TITLES) - {"HR-APP-03"}  # secrets go to Vault first: `harden secrets import`

Check = Callable[[str, Mapping[str, Any], ComposePolicy], Iterator[str]]
CHECKS: dict[str, Check] = {}


def check(finding_id: str) -> Callable[[Check], Check]:
    def register(func: Check) -> Check:
        CHECKS[finding_id] = func
        return func

    return register


@dataclass(frozen=True)
class PublishedPort:
    host_ip: str  # "" when published on every address
    published: str  # "" when Docker picks the host port
    target: str
    protocol: str = "tcp"


def parse_ports(service: Mapping[str, Any]) -> list[PublishedPort]:
    """The service's `ports`, short ("127.0.0.1:8080:80/tcp") or long syntax."""
    out: list[PublishedPort] = []
    for entry in service.get("ports") or []:
        if isinstance(entry, Mapping):
            out.append(
                PublishedPort(
                    str(entry.get("host_ip") or ""),
                    str(entry.get("published") or ""),
                    str(entry.get("target") or ""),
                    str(entry.get("protocol") or "tcp"),
                )
            )
            continue
        text, _, protocol = str(entry).partition("/")
        if text.startswith("["):  # [::1]:8080:80
            host_ip, _, rest = text[1:].partition("]:")
            published, _, target = rest.rpartition(":")
        else:
            parts = text.rsplit(":", 2)
            target = parts[-1]
            published = parts[-2] if len(parts) > 1 else ""
            host_ip = parts[0] if len(parts) > 2 else ""
        out.append(PublishedPort(host_ip, published, target, protocol or "tcp"))
    return out


def container_port(name: str, service: Mapping[str, Any], policy: ComposePolicy) -> int | None:
    """The port its health endpoint listens on: the policy's, else the first published or exposed one."""
    if policy.service(name).port:
        return policy.service(name).port
    targets = [p.target for p in parse_ports(service)] + [str(e).partition("/")[0] for e in service.get("expose") or []]
    for target in targets:
        first = target.partition("-")[0]
        if first.isdigit():
            return int(first)
    return None


def data_role(service: Mapping[str, Any], policy: ComposePolicy) -> str | None:
    """The harden role that runs this service's image instead of compose, if any."""
    image = str(service.get("image") or "")
    repo = image.partition("@")[0]
    repo = repo.rsplit(":", 1)[0] if ":" in repo.rsplit("/", 1)[-1] else repo
    base = repo.rsplit("/", 1)[-1]
    return policy.data_services.get(base)


def _deploy_resources(service: Mapping[str, Any], kind: str) -> Mapping[str, Any]:
    deploy = service.get("deploy") or {}
    resources = (deploy.get("resources") or {}) if isinstance(deploy, Mapping) else {}
    value = resources.get(kind) if isinstance(resources, Mapping) else None
    return value if isinstance(value, Mapping) else {}


@check("HR-APP-01")
def _limits(name: str, service: Mapping[str, Any], policy: ComposePolicy) -> Iterator[str]:
    limits = _deploy_resources(service, "limits")
    reservations = _deploy_resources(service, "reservations")
    missing = [
        what
        for what, present in (
            ("memory limit", "memory" in limits or "mem_limit" in service),
            ("CPU limit", "cpus" in limits or "cpus" in service),
            ("pids limit", "pids" in limits or "pids_limit" in service),
            ("memory reservation", "memory" in reservations or "mem_reservation" in service),
        )
        if not present
    ]
    if missing:
        yield "no " + ", no ".join(missing)


def _health_test(service: Mapping[str, Any]) -> str | None:
    health = service.get("healthcheck")
    if not isinstance(health, Mapping) or health.get("disable"):
        return None
    test = health.get("test")
    if test is None:
        return None
    return " ".join(str(t) for t in test) if isinstance(test, list) else str(test)


@check("HR-APP-02")
def _healthcheck(name: str, service: Mapping[str, Any], policy: ComposePolicy) -> Iterator[str]:
    if data_role(service, policy):
        return  # HR-APP-11 says where it goes
    test = _health_test(service)
    if test is None:
        yield "no healthcheck"
    elif test.strip() == "NONE":
        yield "healthcheck disabled"
    elif policy.health.live_path not in test and policy.health.ready_path not in test:
        yield f"healthcheck calls neither {policy.health.ready_path} nor {policy.health.live_path}"


SECRET_FLAG_RE = re.compile(r"^--?[a-z0-9-]*(pass|password|secret|token|key)[a-z0-9-]*$", re.I)


def command_secrets(service: Mapping[str, Any]) -> Iterator[str]:
    """Flags of `command` and `entrypoint` that carry a literal secret (--requirepass s3cret)."""
    for key in ("command", "entrypoint"):
        value = service.get(key)
        args = str(value).split() if isinstance(value, str) else [str(a) for a in value or []]
        for i, arg in enumerate(args):
            flag, eq, inline = arg.partition("=")
            if not SECRET_FLAG_RE.match(flag):
                continue
            literal = inline if eq else (args[i + 1] if i + 1 < len(args) else "")
            if literal and not literal.startswith(("$", "-")):
                yield f"{key}: {flag}"


@check("HR-APP-03")
def _secret(name: str, service: Mapping[str, Any], policy: ComposePolicy) -> Iterator[str]:
    for item in find_secrets({"services": {name: service}}):
        yield f"{item.variable}: {item.reason} (run `harden secrets import` to move it to Vault)"
    for where in command_secrets(service):
        yield f"{where} has a literal value: read it from the environment (${{VAR}}), which an env file sets"


@check("HR-APP-04")
def _ports(name: str, service: Mapping[str, Any], policy: ComposePolicy) -> Iterator[str]:
    for port in parse_ports(service):
        where = f"{port.published or '(any)'}->{port.target}/{port.protocol}"
        if name not in policy.routed:
            yield f"{where} is published, and the edge does not route to it (routed: {name} if it should)"
        elif port.host_ip != policy.backend_address:
            yield f"{where} is published on {port.host_ip or 'every address'}, not only {policy.backend_address}"


@check("HR-APP-05")
def _root(name: str, service: Mapping[str, Any], policy: ComposePolicy) -> Iterator[str]:
    user = str(service.get("user") or "")
    if user.partition(":")[0] in ("", "0", "root"):
        yield "no user set: runs as the image's user, root in most images" if not user else f"user {user}"


@check("HR-APP-06")
def _read_only(name: str, service: Mapping[str, Any], policy: ComposePolicy) -> Iterator[str]:
    if service.get("read_only") is not True:
        yield "read_only is not true"


NNP_RE = re.compile(r"^no-new-privileges(:true|=true)?$")


@check("HR-APP-07")
def _no_new_privileges(name: str, service: Mapping[str, Any], policy: ComposePolicy) -> Iterator[str]:
    if not any(NNP_RE.match(str(opt)) for opt in service.get("security_opt") or []):
        yield "security_opt lacks no-new-privileges:true"


@check("HR-APP-08")
def _capabilities(name: str, service: Mapping[str, Any], policy: ComposePolicy) -> Iterator[str]:
    if service.get("privileged") is True:
        yield "privileged: true"
    if "ALL" not in [str(c).upper() for c in service.get("cap_drop") or []]:
        yield "cap_drop lacks ALL"


@check("HR-APP-09")
def _logs(name: str, service: Mapping[str, Any], policy: ComposePolicy) -> Iterator[str]:
    logging = service.get("logging")
    if not isinstance(logging, Mapping):
        yield "no logging options: Docker's json-file default never rotates"
        return
    driver = str(logging.get("driver") or "json-file")
    options = logging.get("options") or {}
    if driver in ("json-file", "local") and "max-size" not in options:
        yield f"{driver} without max-size"


@check("HR-APP-10")
def _image(name: str, service: Mapping[str, Any], policy: ComposePolicy) -> Iterator[str]:
    image = str(service.get("image") or "")
    if not image:
        if service.get("build"):
            yield "built locally: no pinned image (push it and pin it: services.<name>.image)"
        return
    if DIGEST_RE.search(image):
        return
    repo = image.rsplit("/", 1)[-1]
    tag = repo.partition(":")[2]
    if not tag or tag == "latest":
        yield f"{image}: {'latest' if tag else 'no tag (latest)'}, and no digest"
    else:
        yield f"{image}: no digest (a tag can be moved)"


@check("HR-APP-11")
def _data_service(name: str, service: Mapping[str, Any], policy: ComposePolicy) -> Iterator[str]:
    role = data_role(service, policy)
    if role:
        yield f"runs {service.get('image')}: the {role} role runs it, replicated and backed up"


@check("HR-APP-12")
def _restart(name: str, service: Mapping[str, Any], policy: ComposePolicy) -> Iterator[str]:
    restart = str(service.get("restart") or "no")
    if restart == "no":
        yield "no restart policy: a container killed for its memory stays down"


# A data service only has the findings that say where it goes (its other settings are moot).
DATA_SERVICE_IDS = frozenset({"HR-APP-03", "HR-APP-11"})


def check_project(compose: Mapping[str, Any], policy: ComposePolicy) -> list[Finding]:
    """Every finding of every service, waived ones marked with the policy's reason."""
    findings: list[Finding] = []
    for name, service in (compose.get("services") or {}).items():
        service = service or {}
        is_data = data_role(service, policy) is not None
        waive = policy.service(name).waive
        for finding_id, func in CHECKS.items():
            if is_data and finding_id not in DATA_SERVICE_IDS:
                continue
            for message in func(name, service, policy):
                findings.append(Finding(name, finding_id, message, waive.get(finding_id, "")))
    return findings
