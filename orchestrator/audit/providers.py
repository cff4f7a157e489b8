"""Where the checks come from: each provider declares its checks and reads the evidence for them.

- every role with live state (``orchestrator/roles/<role>/ops.py`` defining ``report``, the
  status `harden <role> status` prints): its status is healthy (area ha);
- every role that declares systemd units (``RoleSpec.units``): each of them runs with its memory,
  task and core-dump limits, on every host (area limits);
- the secrets: every role's secrets are in Vault, and no secret is in harden's run artifacts;
- the hosts: sshd's effective settings (``sshd -T``), and host keys checked by every run.

Each provider reads once and judges all of its checks; the judging parts are pure functions,
tested on recorded evidence (tests/unit/audit/).
"""

from __future__ import annotations

import datetime
import importlib
import importlib.util
import re
import shlex
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from orchestrator.audit.model import Check, Finding, finding
from orchestrator.paths import REPO_STATE_DIR
from orchestrator.roles import ROLES, RoleSpec
from orchestrator.tunnel import marked_sections, ssh_prefix
from orchestrator.validation import Environment


@dataclass(frozen=True)
class Provider:
    name: str
    checks: tuple[Check, ...]
    run: Callable[[Environment], list[Finding]]


def code(spec: RoleSpec) -> str:
    """The role's part of its check IDs: HR-<code>-NN."""
    return spec.check_code or spec.name.upper()


# -- health: each role's own status ---------------------------------------------------------------


def ops_attribute(spec: RoleSpec, name: str) -> Any:
    """What the role's ops module (orchestrator/roles/<role>/ops.py) names ``name``, or None: how
    each kind of check finds the roles it applies to, with nothing to register."""
    module = f"orchestrator.roles.{spec.name}.ops"
    if importlib.util.find_spec(module) is None:
        return None
    return getattr(importlib.import_module(module), name, None)


def status_report(spec: RoleSpec) -> Callable[[Environment], Any] | None:
    report = ops_attribute(spec, "report")
    return report if callable(report) else None


def health_check(spec: RoleSpec) -> Check:
    cli = spec.cli_name or spec.name
    return Check(
        f"HR-{code(spec)}-01",
        f"{spec.name}: the live status is healthy",
        spec.status_area,
        3,
        f"harden {cli} status --env {{env}} names what is wrong; harden apply --env {{env}} --role {spec.name}",
    )


def judge_health(check: Check, source: str, verdict: str, reasons: list[str]) -> Finding:
    return finding(check, verdict == "healthy", (source, verdict + (": " + "; ".join(reasons) if reasons else "")))


def _health(spec: RoleSpec, report: Callable[[Environment], Any]) -> Provider:
    check = health_check(spec)

    def run(env: Environment) -> list[Finding]:
        source = f"harden {spec.cli_name or spec.name} status --env {env.name}"
        try:
            status = report(env)
        except Exception as exc:  # down, or not reachable: the status cannot be read
            return [finding(check, False, (source, f"unreadable: {' '.join(str(exc).split())[:300]}"))]
        return [judge_health(check, source, status.verdict, list(status.reasons))]

    return Provider(f"{spec.name} status", (check,), run)


# -- limits: every unit a role declares ----------------------------------------------------------

LIMIT_PROPERTIES = ("MemoryMax", "TasksMax", "LimitNOFILE", "LimitCORE", "DropInPaths")
MARK = "=== harden-unit:"
LIMITS_DROP_IN = "harden-limits.conf"  # roles/common, entry point limits


def has_limits(spec: RoleSpec) -> bool:
    """A role whose model declares ServiceLimits for its units (baseline's sshd and journald are
    the system's own, and get none)."""
    from orchestrator.models.limits import ServiceLimits

    return bool(spec.units) and any(f.annotation is ServiceLimits for f in spec.model.model_fields.values())


def limits_check(spec: RoleSpec) -> Check:
    return Check(
        f"HR-{code(spec)}-02",
        f"{spec.name}: every unit runs with harden's limits: tasks, open files, no core dumps (memory as declared)",
        "limits",
        2,
        f"set {spec.prefix}*_limits and harden apply --env {{env}} --role {spec.name}",
    )


def judge_limits(check: Check, shown: dict[str, dict[str, str]]) -> Finding:
    """``shown``: "host unit" -> systemctl show's properties, for the units active there. A unit
    passes with the limits drop-in of roles/common in effect, a finite TasksMax and LimitCORE=0;
    MemoryMax is shown as it is (a role may declare none: postgres_ha's Patroni, where an OOM kill
    of PostgreSQL is a failover)."""
    if not shown:
        return finding(check, False, ("systemctl is-active", "no unit of the role is running on any host"))
    evidence, ok = [], True
    for where, props in sorted(shown.items()):
        bad = []
        if LIMITS_DROP_IN not in props.get("DropInPaths", ""):
            bad.append(f"no {LIMITS_DROP_IN} drop-in")
        if props.get("TasksMax", "infinity") == "infinity":
            bad.append("TasksMax=infinity")
        if props.get("LimitCORE") != "0":
            bad.append(f"LimitCORE={props.get('LimitCORE', '?')}")
        ok = ok and not bad
        value = " ".join(f"{k}={props.get(k, '?')}" for k in LIMIT_PROPERTIES if k != "DropInPaths")
        evidence.append((f"{where}: systemctl show", value + (f" (wrong: {', '.join(bad)})" if bad else "")))
    return finding(check, ok, *evidence)


def _limits_script(units: Iterable[str]) -> str:
    props = " ".join(f"-p {p}" for p in LIMIT_PROPERTIES)
    lines = []
    for unit in map(shlex.quote, units):
        shown = f"echo '{MARK}'{unit}; systemctl show {unit} {props}"
        lines.append(f"if systemctl is-active --quiet {unit}; then {shown}; fi")
    return "\n".join(lines) + "\n"


SSH_FAILED = 255  # ssh's own status: the connection failed (the remote script never ran)
SSH_ATTEMPTS = 3


def run_on(env: Environment, host: str, script: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """A read-only shell script on a host, over the inventory's own SSH settings (host keys checked).
    A connection that fails is tried again (SSH_ATTEMPTS in all): the audit's providers read side
    by side, and sshd drops some of many connections that start at once (MaxStartups)."""
    _, ssh = ssh_prefix(env, host)

    def once() -> subprocess.CompletedProcess[str]:
        argv = [*ssh, "sh", "-s"]
        return subprocess.run(argv, input=script, capture_output=True, text=True, timeout=timeout, check=False)

    for attempt in range(1, SSH_ATTEMPTS):
        done = once()
        if done.returncode != SSH_FAILED:
            return done
        time.sleep(attempt)
    return once()


def _limits(spec: RoleSpec) -> Provider:
    check = limits_check(spec)

    def run(env: Environment) -> list[Finding]:
        shown: dict[str, dict[str, str]] = {}
        for host in spec.hosts(env.inventory):
            done = run_on(env, host, _limits_script(spec.units))
            for unit, text in marked_sections(done.stdout, MARK).items():
                shown[f"{host} {unit}"] = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
        return [judge_limits(check, shown)]

    return Provider(f"{spec.name} limits", (check,), run)


# -- TLS: the certificate each TLS port presents ------------------------------------------------

TLS_MIN_DAYS = 14
TLS_MARK = "=== harden-tls:"


def has_tls(spec: RoleSpec) -> bool:
    return any(p.tls for p in spec.ports)


def tls_check(spec: RoleSpec) -> Check:
    return Check(
        f"HR-{code(spec)}-03",
        f"{spec.name}: every TLS port presents a certificate of the internal CA, valid for the host's "
        f"address and for {TLS_MIN_DAYS} more days",
        "tls",
        3,
        f"harden apply --env {{env}} --role {spec.name} (pki re-issues a certificate pki_cert_renew_days "
        "before its end, and one with a wrong name or CA)",
    )


@dataclass(frozen=True)
class Endpoint:
    host: str
    name: str  # the port's variable (or name)
    address: str
    port: int
    tls: str  # spec.TLS or spec.STARTTLS_POSTGRES

    @property
    def label(self) -> str:
        return f"{self.host} {self.name} {self.address}:{self.port}"


def tls_endpoints(env: Environment, spec: RoleSpec, which: Callable[[Any], bool] | None = None) -> list[Endpoint]:
    """Every TLS port of the role (or every port ``which`` selects) on every host that listens on
    it (and has it enabled)."""
    from orchestrator.roles.baseline.firewall import host_address

    values = env.role_vars.get(spec.name, {})
    found = []
    for port in (p for p in spec.ports if (which(p) if which is not None else p.tls)):
        for host in sorted({h for g in port.groups or spec.groups for h in env.inventory.group_hosts(g)}):
            model = values.get(host)
            if model is None or (port.enabled_by and not getattr(model, port.enabled_by)):
                continue
            number = port.number or int(getattr(model, port.var))
            address = str(getattr(model, port.address_var)) if port.address_var else host_address(env, host)
            found.append(Endpoint(host, port.var, address, number, port.tls))
    return found


def tls_script(ca_pem: str, endpoints: Iterable[Endpoint]) -> str:
    """On the listening host: each endpoint's handshake, verified against the CA and the address
    (openssl s_client), and the end date of the certificate it presented."""
    lines = [
        "ca=$(mktemp); trap 'rm -f \"$ca\"' EXIT",
        "cat > \"$ca\" <<'HARDEN_CA'",
        ca_pem.strip(),
        "HARDEN_CA",
    ]
    for e in endpoints:
        starttls = f"-starttls {e.tls} " if e.tls != "tls" else ""
        lines += [
            f"echo {shlex.quote(TLS_MARK + e.label)}",
            f"out=$(timeout 10 openssl s_client -connect {e.address}:{e.port} {starttls}-verify_ip {e.address} "
            '-CAfile "$ca" </dev/null 2>&1)',
            'echo "$out" | grep -m1 "Verify return code" || echo "no handshake: $(echo "$out" | tail -n 1)"',
            'echo "$out" | openssl x509 -noout -enddate 2>/dev/null || true',
        ]
    return "\n".join(lines) + "\n"


def judge_tls(
    check: Check, shown: dict[str, str], expected: list[str], now: datetime.datetime, min_days: int = TLS_MIN_DAYS
) -> Finding:
    """``shown``: endpoint label -> the script's lines for it; ``expected``: every endpoint's label."""
    if not expected:
        return finding(check, True, ("role ports", "no TLS port on any host of this environment"))
    evidence, ok = [], True
    for label in expected:
        text = shown.get(label)
        if text is None:
            ok = False
            evidence.append((label, "not read (the host did not answer)"))
            continue
        lines = text.splitlines()
        verify = next((line for line in lines if not line.startswith("notAfter=")), "").strip()
        end = next((line.removeprefix("notAfter=") for line in lines if line.startswith("notAfter=")), "")
        if verify != "Verify return code: 0 (ok)" or not end:
            ok = False
            evidence.append((label, verify or "no certificate"))
            continue
        left = (datetime.datetime.strptime(end, "%b %d %H:%M:%S %Y %Z").replace(tzinfo=datetime.UTC) - now).days
        if left < min_days:
            ok = False
            evidence.append((label, f"verified, but it ends {end}: {left} days left (want {min_days})"))
        else:
            evidence.append((label, f"verified, {left} days left"))
    return finding(check, ok, *evidence)


def _tls(spec: RoleSpec) -> Provider:
    check = tls_check(spec)

    def run(env: Environment) -> list[Finding]:
        from orchestrator.secrets.vault_session import ca_file

        endpoints = tls_endpoints(env, spec)
        ca = ca_file(env)
        if ca is None and endpoints:
            return [finding(check, False, ("internal CA", "no copy on the controller: harden apply --role vault"))]
        pem = ca.read_text() if ca is not None else ""
        shown: dict[str, str] = {}
        for host in sorted({e.host for e in endpoints}):
            done = run_on(env, host, tls_script(pem, [e for e in endpoints if e.host == host]))
            shown.update(marked_sections(done.stdout, TLS_MARK))
        now = datetime.datetime.now(datetime.UTC)
        return [judge_tls(check, shown, [e.label for e in endpoints], now)]

    return Provider(f"{spec.name} tls", (check,), run)


# -- anonymous access: each port that declares a probe (orchestrator/audit/anonymous.py) --------


def anonymous_check(spec: RoleSpec) -> Check:
    return Check(
        f"HR-{code(spec)}-05",
        f"{spec.name}: every port refuses a client without credentials",
        "auth",
        3,
        f"harden apply --env {{env}} --role {spec.name} (the role turns authentication on everywhere)",
    )


def _anonymous(spec: RoleSpec) -> Provider:
    from orchestrator.audit import anonymous

    check = anonymous_check(spec)

    def run(env: Environment) -> list[Finding]:
        found = anonymous.targets(env, spec)
        shown: dict[str, str] = {}
        for host in sorted({e.host for e in found}):
            done = run_on(env, host, anonymous.script(spec, [e for e in found if e.host == host]))
            shown.update(marked_sections(done.stdout, anonymous.MARK))
        return [anonymous.judge(check, shown, [e.label for e in found])]

    return Provider(f"{spec.name} anonymous", (check,), run)


# -- the public TLS profile: each role whose ops module defines profile_targets ------------------


def profile_targets(spec: RoleSpec) -> Callable[[Environment], list[Any]] | None:
    found = ops_attribute(spec, "profile_targets")
    return found if callable(found) else None


def profile_check(spec: RoleSpec) -> Check:
    return Check(
        f"HR-{code(spec)}-06",
        f"{spec.name}: the public TLS endpoints meet Mozilla's intermediate profile (TLS 1.2 and 1.3, "
        "its TLS 1.2 suites only)",
        "tls",
        2,
        f"harden apply --env {{env}} --role {spec.name} (the role writes the profile's versions and suites)",
    )


def _profile(spec: RoleSpec, targets: Callable[[Environment], list[Any]]) -> Provider:
    from orchestrator.audit import tls_profile

    check = profile_check(spec)

    def run(env: Environment) -> list[Finding]:
        found = targets(env)
        shown = {}
        for target in found:
            shown[target.label] = run_on(env, target.host, tls_profile.command(target) + "\n").stdout
        return [tls_profile.judge(check, shown, [t.label for t in found])]

    return Provider(f"{spec.name} tls profile", (check,), run)


# -- failover drills: each role whose ops module names DRILL -----------------------------------


def drill_command(spec: RoleSpec) -> str | None:
    command = ops_attribute(spec, "DRILL")
    return command if isinstance(command, str) else None


def drill_check(spec: RoleSpec, command: str) -> Check:
    from orchestrator.audit.drills import FAILOVER_BOUND_S

    return Check(
        f"HR-{code(spec)}-04",
        f"{spec.name}: the last failover drill took under {FAILOVER_BOUND_S:.0f} s and is younger than "
        "failover_drill_max_age_days (harden.yml)",
        "failover",
        3,
        f"{command} --env {{env}} takes one (and records it)",
    )


def judge_drill(check: Check, drill: Any, max_days: int, now: float) -> Finding:
    """``drill``: the role's last Drill (orchestrator/audit/drills.py), or None."""
    from orchestrator.audit.drills import FAILOVER_BOUND_S

    if drill is None:
        return finding(check, False, ("failover drills (.harden/revisions.db)", "none recorded"))
    age_days = (now - drill.created_at) / 86400
    value = f"{drill.kind} {drill.detail}: {drill.seconds:.1f} s, {age_days:.1f} days ago"
    fast, recent = drill.seconds < FAILOVER_BOUND_S, age_days <= max_days
    if not fast:
        value += f" (want under {FAILOVER_BOUND_S:.0f} s)"
    if not recent:
        value += f" (want {max_days} days at most)"
    return finding(check, fast and recent, ("failover drills (.harden/revisions.db)", value))


def _drill(spec: RoleSpec, command: str) -> Provider:
    check = drill_check(spec, command)

    def run(env: Environment) -> list[Finding]:
        import time

        from orchestrator.audit.drills import DrillLog

        last = DrillLog().last(env.name, spec.name)
        return [judge_drill(check, last, env.settings.failover_drill_max_age_days, time.time())]

    return Provider(f"{spec.name} drill", (check,), run)


# -- secrets --------------------------------------------------------------------------------------

SECRETS_IN_VAULT = Check(
    "HR-SEC-01",
    "Every secret of every role is in Vault",
    "secrets",
    3,
    "harden apply --env {env} generates the missing ones; a reference to an entry of your own: harden secrets import",
)
NO_SECRET_IN_ARTIFACTS = Check(
    "HR-SEC-02",
    "No secret in harden's run artifacts (.harden: job events, command files, facts, revisions)",
    "secrets",
    3,
    "remove the runs that hold it (.harden/runs/...) and rotate the secret; report the task that logged it",
)


SECRETS_FRESH = Check(
    "HR-SEC-03",
    "No secret is older than secrets_max_age_days (harden.yml)",
    "secrets",
    2,
    "harden secrets status --env {env} names each one and its role: give it a new value",
)


NO_SERVICE_READS_ROLE_SECRETS = Check(
    "HR-SEC-04",
    "No service's Vault policy reaches a role's own secrets (app credentials cannot read infrastructure secrets)",
    "auth",
    3,
    "harden apply --env {env} --role vault writes each service's policy anew (its own path only): remove the "
    "grant the evidence names",
)
_POLICY_RULE = re.compile(r'path\s+"([^"]+)"\s*\{([^}]*)\}')


def policy_reaches(policy: str, paths: Iterable[str]) -> list[str]:
    """The rules of a Vault ACL policy (HCL, as Vault returns it) that grant anything on one of
    ``paths``: a rule's ``+`` matches one path segment, a trailing ``*`` any rest."""
    found = []
    for glob, body in _POLICY_RULE.findall(policy):
        capabilities = set(re.findall(r'"([a-z]+)"', body.split("capabilities", 1)[-1]))
        if not capabilities or "deny" in capabilities:
            continue
        pattern = re.escape(glob.rstrip("*")).replace(r"\+", "[^/]+") + (".*" if glob.endswith("*") else "")
        if any(re.fullmatch(pattern, path) for path in paths):
            found.append(f'path "{glob}" {sorted(capabilities)}')
    return found


def judge_service_policies(policies: dict[str, str | None], paths: list[str]) -> Finding:
    """``policies``: service -> its ACL policy (None: Vault has none by that name)."""
    if not policies:
        return finding(NO_SERVICE_READS_ROLE_SECRETS, True, ("vault_services", "no service has a policy"))
    evidence, ok = [], True
    for service, policy in sorted(policies.items()):
        if policy is None:
            evidence.append((f"sys/policies/acl/{service}", "no such policy: the service reads nothing"))
            continue
        reaching = policy_reaches(policy, paths)
        ok = ok and not reaching
        said = "reaches the roles' secrets: " + "; ".join(reaching) if reaching else "its own paths only"
        evidence.append((f"sys/policies/acl/{service}", said))
    return finding(NO_SERVICE_READS_ROLE_SECRETS, ok, *evidence)


def role_secret_paths() -> list[str]:
    """Where every role's own secrets live in KV v2, read (data) and listed (metadata)."""
    from orchestrator.secrets.resolver import role_secrets_path

    return [f"secret/{kind}/{role_secrets_path(r)}" for r in ROLES for kind in ("data", "metadata")]


def _service_policies(env: Environment, client: Any) -> dict[str, str | None]:
    import hvac.exceptions

    model = next(iter(env.role_vars.get("vault", {}).values()), None)
    policies: dict[str, str | None] = {}
    for service in getattr(model, "vault_services", []):
        try:
            policies[service] = client.sys.read_acl_policy(service)["data"]["policy"]
        except hvac.exceptions.InvalidPath:
            policies[service] = None
    return policies


def judge_secret_ages(report: Any) -> Finding:
    """``report``: the StatusReport of `harden secrets status` (orchestrator/secrets/age.py)."""
    counted = f"{len(report.rows)} secrets"
    if report.verdict == "healthy":
        return finding(SECRETS_FRESH, True, ("harden secrets status", f"{counted}, none older than allowed"))
    return finding(SECRETS_FRESH, False, ("harden secrets status", f"{counted}; " + "; ".join(report.reasons[:20])))


def _role_refs(env: Environment) -> list[tuple[str, Any]]:
    """(role, KvRef) of every secret the environment's roles use."""
    from orchestrator.secrets.age import role_refs

    return [(role, ref) for role, ref, _ in role_refs(env)]


def judge_secrets_in_vault(refs: list[tuple[str, Any]], missing: set[str]) -> Finding:
    if not refs:
        return finding(SECRETS_IN_VAULT, True, ("role variables", "no role of this environment has a secret"))
    evidence = (f"Vault KV read of {len(refs)} references", f"{len(refs) - len(missing)} present")
    if missing:
        return finding(SECRETS_IN_VAULT, False, evidence, ("missing", ", ".join(sorted(missing))))
    return finding(SECRETS_IN_VAULT, True, evidence)


def judge_artifacts(scanned: int, leaks: list[str]) -> Finding:
    evidence = (f"every file under {REPO_STATE_DIR.name}/ searched for each secret's value", f"{scanned} files")
    if leaks:
        return finding(NO_SECRET_IN_ARTIFACTS, False, evidence, ("found in", ", ".join(leaks[:20])))
    return finding(NO_SECRET_IN_ARTIFACTS, True, evidence)


def _secrets(env: Environment) -> list[Finding]:
    import datetime

    from orchestrator.secrets import age
    from orchestrator.secrets.kv import KvStore
    from orchestrator.secrets.vault_session import admin_client

    refs = _role_refs(env)
    values: list[str] = []
    missing: set[str] = set()
    with admin_client(env) as client:
        if client is None and refs:
            reason = ("Vault", "not reachable or not initialised: the secrets cannot be read")
            checks = (SECRETS_IN_VAULT, NO_SECRET_IN_ARTIFACTS, SECRETS_FRESH, NO_SERVICE_READS_ROLE_SECRETS)
            return [finding(c, False, reason) for c in checks]
        now = datetime.datetime.now(datetime.UTC)
        found = age.ages(env, age.vault_history(client)) if client is not None else []
        fresh = judge_secret_ages(age.judge(found, env.settings.secrets_max_age_days, now, "secrets"))
        policies = judge_service_policies(_service_policies(env, client) if client else {}, role_secret_paths())
        store = KvStore(client) if client is not None else None
        for _, ref in refs:
            value = store.read(ref) if store is not None else None
            if value is None:
                missing.add(str(ref))
            elif len(value) >= 8:
                values.append(value)
    leaks, scanned = [], 0
    for path in REPO_STATE_DIR.rglob("*"):
        if path.is_file() and path.stat().st_size < 50_000_000:
            blob = path.read_bytes()
            scanned += 1
            if any(v.encode() in blob for v in values):
                leaks.append(str(path.relative_to(REPO_STATE_DIR)))
    return [judge_secrets_in_vault(refs, missing), judge_artifacts(scanned, leaks), fresh, policies]


# -- the hosts ------------------------------------------------------------------------------------

SSHD = Check(
    "HR-HOST-01",
    "sshd's effective settings (sshd -T) refuse passwords and match baseline's",
    "hardening",
    2,
    "harden apply --env {env} --role baseline (a drop-in of the image may override it: see sshd -T)",
)
HOST_KEYS = Check(
    "HR-HOST-02",
    "Every harden run checks host keys",
    "hardening",
    2,
    "set host_key_checking = True in ansible.cfg (harden also sets ANSIBLE_HOST_KEY_CHECKING=True)",
)

FIREWALL = Check(
    "HR-HOST-03",
    "A host firewall drops what no role declares, and opens each declared port (table inet harden)",
    "hardening",
    2,
    "harden apply --env {env} --role baseline (baseline_firewall_enabled; its ports come from the role specs)",
)


def judge_firewall(rulesets: dict[str, str | None], wanted: dict[str, list[int]]) -> Finding:
    """``rulesets``: host -> ``nft list table inet harden`` (None: no such table); ``wanted``: host ->
    the ports its derived rules open."""
    if not rulesets:
        return finding(FIREWALL, False, ("nft", "no host answered"))
    evidence, ok = [], True
    for host, ruleset in sorted(rulesets.items()):
        if ruleset is None:
            ok = False
            evidence.append((f"{host}: nft", "no table inet harden: nothing is filtered"))
            continue
        missing = [p for p in wanted.get(host, []) if f"dport {p} " not in ruleset]
        dropping = "policy drop" in ruleset
        ok = ok and dropping and not missing
        what = "policy drop" if dropping else "policy is not drop"
        what += f", {len(wanted.get(host, []))} declared ports" + (f"; not open: {missing}" if missing else "")
        evidence.append((f"{host}: nft list table inet harden", what))
    return finding(FIREWALL, ok, *evidence)


# sshd -T prints a few values in their older spelling
SSHD_T_SPELLING = {"prohibit-password": "without-password"}


def judge_sshd(effective: dict[str, dict[str, str]], wanted: dict[str, str]) -> Finding:
    """``effective``: host -> sshd -T's settings (lower-case keys); ``wanted``: setting -> value."""
    if not effective:
        return finding(SSHD, False, ("sshd -T", "no host answered"))
    evidence, ok = [], True
    for host, settings in sorted(effective.items()):
        off = [f"{k} {settings.get(k, '(unset)')} (want {v})" for k, v in wanted.items() if settings.get(k) != v]
        ok = ok and not off
        evidence.append(
            (f"{host}: sshd -T", "; ".join(off) if off else ", ".join(f"{k} {v}" for k, v in wanted.items()))
        )
    return finding(SSHD, ok, *evidence)


def _hosts(env: Environment) -> list[Finding]:
    from orchestrator.runner import ansible_environment

    model = env.role_vars.get("baseline", {})
    first = next(iter(model.values()), None)
    wanted = {"passwordauthentication": "no", "permitemptypasswords": "no", "x11forwarding": "no"}
    if first is not None and getattr(first, "baseline_sshd_enabled", False):
        root = str(first.baseline_sshd_permit_root_login)  # type: ignore[attr-defined]
        wanted["permitrootlogin"] = SSHD_T_SPELLING.get(root, root)
        wanted["maxauthtries"] = str(first.baseline_sshd_max_auth_tries)  # type: ignore[attr-defined]
        for setting, name in (("kexalgorithms", "kex_algorithms"), ("ciphers", "ciphers"), ("macs", "macs")):
            wanted[setting] = ",".join(getattr(first, f"baseline_sshd_{name}"))
    effective: dict[str, dict[str, str]] = {}
    for host in env.inventory.hosts:
        done = run_on(env, host, "sshd -T 2>/dev/null || /usr/sbin/sshd -T\n")
        if done.returncode == 0:
            effective[host] = dict(line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)
    runner_env = ansible_environment()
    checked = runner_env.get("ANSIBLE_HOST_KEY_CHECKING") == "True"
    keys = finding(
        HOST_KEYS,
        checked,
        ("ansible-runner environment", f"ANSIBLE_HOST_KEY_CHECKING={runner_env.get('ANSIBLE_HOST_KEY_CHECKING')}"),
    )
    return [judge_sshd(effective, wanted), keys, _firewall(env)]


def _firewall(env: Environment) -> Finding:
    from orchestrator.roles.baseline.firewall import firewall_rules

    wanted = {
        h: [r["port"] for r in rules if r["any"] or r["v4"] or r["v6"] or r["names"]]
        for h, rules in firewall_rules(env).items()
    }
    rulesets: dict[str, str | None] = {}
    for host in env.inventory.hosts:
        done = run_on(env, host, "nft list table inet harden 2>/dev/null || echo harden:no-table\n")
        if done.returncode == 0:
            rulesets[host] = None if "harden:no-table" in done.stdout else done.stdout
    return judge_firewall(rulesets, wanted)


# -- all of them ----------------------------------------------------------------------------------


def providers(env: Environment) -> list[Provider]:
    """The providers for the environment's roles, in role order, then the cross-role ones."""
    found: list[Provider] = []
    for name in (n for n in ROLES if n in env.settings.roles):
        spec = ROLES[name]
        report = status_report(spec)
        if report is not None:
            found.append(_health(spec, report))
        if has_limits(spec):
            found.append(_limits(spec))
        if has_tls(spec):
            found.append(_tls(spec))
        if any(p.anonymous for p in spec.ports):
            found.append(_anonymous(spec))
        targets = profile_targets(spec)
        if targets is not None:
            found.append(_profile(spec, targets))
        command = drill_command(spec)
        if command is not None:
            found.append(_drill(spec, command))
    secrets = (SECRETS_IN_VAULT, NO_SECRET_IN_ARTIFACTS, SECRETS_FRESH, NO_SERVICE_READS_ROLE_SECRETS)
    found.append(Provider("secrets", secrets, _secrets))
    found.append(Provider("hosts", (SSHD, HOST_KEYS, FIREWALL), _hosts))
    return found
