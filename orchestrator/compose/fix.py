"""`harden compose fix`: rewrite a compose file so that `harden compose check` finds nothing it can fix.

Why a rewritten file and not an override file: an override merges into the base file and cannot
take anything out of it. Literal secrets would stay in the base, and published ports would still
be published (lists merge; only compose >= 2.24's ``!reset`` removes them). So the file itself
is rewritten, round-trip: comments, key order and quoting survive, and only the keys a finding
names change. Each fixer runs only for an unwaived finding, which makes a second run a no-op.

What it cannot fix is listed with what to do: literal secrets (`harden secrets import` moves
them to Vault first), an image without a pinned digest in the policy, a health check whose port
nobody declared.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString as Quoted

from orchestrator.compose import document
from orchestrator.compose.checks import Finding, check_project, container_port, data_role, parse_ports
from orchestrator.compose.policy import ComposePolicy

Service = MutableMapping[str, Any]


@dataclass
class FixResult:
    before: str
    after: str
    fixed: list[Finding] = field(default_factory=list)
    unfixed: list[tuple[Finding, str]] = field(default_factory=list)  # the finding, and what to do
    removed: list[str] = field(default_factory=list)  # data services handed to their roles
    services: int = 0  # in the fixed file

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def diff(self, name: str) -> str:
        return "".join(
            difflib.unified_diff(
                self.before.splitlines(keepends=True), self.after.splitlines(keepends=True), name, f"{name} (fixed)"
            )
        )


class CannotFix(Exception):
    """The finding stays: the message says what the operator must do."""


def _seq(items: list[Any]) -> CommentedSeq:
    return CommentedSeq(items)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _mapping(parent: Service, key: str) -> Service:
    """parent[key] as a mapping to add keys to: created when absent, and when the file left it
    empty (`deploy:` alone in YAML is null)."""
    value = parent.get(key)
    if not isinstance(value, MutableMapping):
        value = parent[key] = CommentedMap()
    return value


def _fix_limits(name: str, service: Service, policy: ComposePolicy) -> None:
    limits, reservations = policy.limits_of(name), policy.reservations_of(name)
    resources = _mapping(_mapping(service, "deploy"), "resources")
    have_limits = _mapping(resources, "limits")
    have_reservations = _mapping(resources, "reservations")
    if "cpus" not in have_limits and "cpus" not in service:
        have_limits["cpus"] = str(limits.cpus)
    if "memory" not in have_limits and "mem_limit" not in service:
        have_limits["memory"] = limits.memory
    if "pids" not in have_limits and "pids_limit" not in service:
        have_limits["pids"] = limits.pids
    if "memory" not in have_reservations and "mem_reservation" not in service:
        have_reservations["memory"] = reservations.memory
        if "cpus" not in have_reservations:
            have_reservations["cpus"] = str(reservations.cpus)


def _fix_healthcheck(name: str, service: Service, policy: ComposePolicy) -> None:
    port = container_port(name, service, policy)
    if port is None:
        raise CannotFix(f"no port known for its health endpoint: set services.{name}.port in the policy")
    health = policy.health
    url = f"http://127.0.0.1:{port}{health.ready_path}"
    check = CommentedMap()
    test = _seq([part.replace("{url}", url) for part in health.command])
    test.fa.set_flow_style()  # one line, as compose files write it
    check["test"] = test
    check["interval"] = health.interval
    check["timeout"] = health.timeout
    check["retries"] = health.retries
    check["start_period"] = health.start_period
    service["healthcheck"] = check


def _fix_ports(name: str, service: Service, policy: ComposePolicy) -> None:
    ports = parse_ports(service)
    if name in policy.routed:
        rebound = []
        for p in ports:
            suffix = "" if p.protocol == "tcp" else f"/{p.protocol}"
            rebound.append(Quoted(f"{policy.backend_address}:{p.published}:{p.target}{suffix}"))
        service["ports"] = _seq(rebound)
        return
    expose = _as_list(service.get("expose"))
    for p in ports:
        target = p.target if p.protocol == "tcp" else f"{p.target}/{p.protocol}"
        if target not in [str(e) for e in expose]:
            expose.append(Quoted(target))  # quoted, as compose advises for anything with a colon or digits
    del service["ports"]
    service["expose"] = _seq(expose)


def _fix_user(name: str, service: Service, policy: ComposePolicy) -> None:
    service["user"] = Quoted(policy.user_of(name))  # unquoted, YAML 1.1 reads 10001:10001 as base 60


def _fix_read_only(name: str, service: Service, policy: ComposePolicy) -> None:
    service["read_only"] = True
    tmpfs = _as_list(service.get("tmpfs"))
    for path in policy.service(name).writable:
        if path not in [str(t).partition(":")[0] for t in tmpfs]:
            tmpfs.append(path)
    if tmpfs:
        service["tmpfs"] = _seq(tmpfs)


def _fix_no_new_privileges(name: str, service: Service, policy: ComposePolicy) -> None:
    opts = _as_list(service.get("security_opt"))
    service["security_opt"] = _seq([*opts, "no-new-privileges:true"])


def _fix_capabilities(name: str, service: Service, policy: ComposePolicy) -> None:
    service.pop("privileged", None)
    drop = _as_list(service.get("cap_drop"))
    if "ALL" not in [str(c).upper() for c in drop]:
        service["cap_drop"] = _seq(["ALL", *drop])


def _fix_logs(name: str, service: Service, policy: ComposePolicy) -> None:
    logging = service.get("logging")
    if not isinstance(logging, MutableMapping):
        logging = service["logging"] = CommentedMap()
        logging["driver"] = policy.logging.driver
    options = _mapping(logging, "options")
    options["max-size"] = policy.logging.max_size
    options.setdefault("max-file", str(policy.logging.max_file))


def _fix_image(name: str, service: Service, policy: ComposePolicy) -> None:
    pinned = policy.service(name).image
    if not pinned:
        raise CannotFix(f"pin it: services.{name}.image in the policy, as name:tag@sha256:<digest> from your registry")
    service["image"] = pinned


def _fix_restart(name: str, service: Service, policy: ComposePolicy) -> None:
    service["restart"] = policy.restart


def _cannot_fix_secret(name: str, service: Service, policy: ComposePolicy) -> None:
    raise CannotFix("run `harden secrets import --compose FILE --env E` first: it moves the value to Vault")


FIXERS: dict[str, Callable[[str, Service, ComposePolicy], None]] = {
    "HR-APP-01": _fix_limits,
    "HR-APP-02": _fix_healthcheck,
    "HR-APP-03": _cannot_fix_secret,
    "HR-APP-04": _fix_ports,
    "HR-APP-05": _fix_user,
    "HR-APP-06": _fix_read_only,
    "HR-APP-07": _fix_no_new_privileges,
    "HR-APP-08": _fix_capabilities,
    "HR-APP-09": _fix_logs,
    "HR-APP-10": _fix_image,
    "HR-APP-12": _fix_restart,
}


def _remove_service(doc: Any, name: str) -> None:
    """Drop a data service and every depends_on that names it (its volumes stay declared)."""
    del doc["services"][name]
    for other in doc["services"].values():
        if not isinstance(other, MutableMapping) or "depends_on" not in other:
            continue
        deps = other["depends_on"]
        if isinstance(deps, MutableMapping):
            deps.pop(name, None)
        else:
            while name in deps:
                deps.remove(name)
        if not deps:
            del other["depends_on"]


def fix_text(text: str, source: str, policy: ComposePolicy) -> FixResult:
    """The fixed compose text, with what was fixed and what was not (and why)."""
    doc = document.loads(text, source)
    result = FixResult(before=text, after=text)
    findings = [f for f in check_project(doc, policy) if not f.waived]
    for finding in findings:
        if finding.id == "HR-APP-11" and finding.service in doc["services"]:
            role = data_role(doc["services"][finding.service], policy)
            _remove_service(doc, finding.service)
            result.removed.append(f"{finding.service} (run by the {role} role)")
            result.fixed.append(finding)
    done: set[tuple[str, str]] = set()
    for finding in findings:
        if finding.service not in doc["services"] or finding.id == "HR-APP-11":
            continue
        service = doc["services"][finding.service]
        if service is None:
            service = doc["services"][finding.service] = CommentedMap()
        try:
            if (finding.service, finding.id) not in done:
                FIXERS[finding.id](finding.service, service, policy)
                done.add((finding.service, finding.id))
            result.fixed.append(finding)
        except CannotFix as why:
            result.unfixed.append((finding, str(why)))
    result.services = len(doc["services"])
    result.after = document.dumps(doc) if result.fixed else text
    return result
