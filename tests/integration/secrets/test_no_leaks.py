"""Role secrets stay with harden: no app AppRole reads them, and no secret of any role shows in a
process list, harden's output, its run artifacts, or a host's logs.

Cross-role (the secrets family, orchestrator/secrets/): it applies the roles that hold secrets,
so it runs after the role modules (see the ordering hook in tests/integration/conftest.py).
tests/run_suite.py runs it in both shards, each with its own roles (conftest.shard_roles): so
every role's secrets are searched for in the shard that converged that role.
"""

from __future__ import annotations

import base64
import json
import shlex
import subprocess
import time
from collections.abc import Mapping

import hvac.exceptions
import pytest
from pydantic import BaseModel

from bench.lab_env import LAB, LAB_NAME
from orchestrator.codegen import is_secret
from orchestrator.lab.config import LabConfig
from orchestrator.models.base import SecretSpec
from orchestrator.paths import REPO_STATE_DIR, RUNS_DIR
from orchestrator.roles import ROLES
from orchestrator.secrets.age import role_refs
from orchestrator.secrets.resolver import ROLE_SECRETS_PATH, default_ref
from orchestrator.secrets.vault_session import admin_client, init_file
from orchestrator.validation import Environment, validate_environment
from tests.faults.lab_ssh import ssh as lab_ssh_stdin
from tests.faults.vault_faults import node_client
from tests.integration.conftest import apply_roles, harden_bin, lab_ssh, shard_roles

# The fewest secrets each role stores (generated or imported) that this test looks for.
# postgres_ha: six passwords; redis_sentinel: four; kafka: the admin's, the keystore's and two
# users' passwords (not the cluster id, an identifier); lab_acme: the TSIG key; edge: the dashboard
# user's password (its TSIG reference is lab_acme's); search: the admin's and two service users'.
FEWEST = {"postgres_ha": 6, "redis_sentinel": 4, "kafka": 4, "lab_acme": 1, "edge": 1, "search": 3}


def secret_roles(roles: list[str]) -> tuple[str, ...]:
    """Of these roles, those holding secrets of their own, found by discovery (vault's are its
    unseal keys and AppRole, below): a new role with a Secret field joins this test by itself."""
    return tuple(
        name for name in roles if name != "vault" and any(is_secret(f) for f in ROLES[name].model.model_fields.values())
    )


@pytest.fixture(scope="module")
def shard_secret_roles(request: pytest.FixtureRequest) -> tuple[str, ...]:
    roles = secret_roles(shard_roles(request.session, validate_environment(LAB).settings.roles))
    assert roles, "this session converges no role with secrets"
    return roles


@pytest.fixture(scope="module")
def secrets_env(lab: LabConfig, shard_secret_roles: tuple[str, ...]) -> Environment:
    """Vault and this session's roles with secrets, converged (applied once per session); the
    environment as those roles see it."""
    applied = apply_roles(*shard_secret_roles, only_missing=True)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    return validate_environment(LAB).scoped(("vault", *shard_secret_roles))


def _role_paths(env: Environment, role: str) -> list[str]:
    """The Vault paths of roles' own secrets that the role's variables refer to: its own, and
    another role's where it reads that role's key (monitoring reads redis_sentinel's)."""
    prefix = f"{ROLE_SECRETS_PATH}/"
    return sorted({ref.path for name, ref, _ in role_refs(env) if name == role and ref.path.startswith(prefix)})


def test_no_app_approle_reads_a_role_secret(secrets_env: Environment) -> None:
    """Every app's AppRole is refused on every role's own path (and its legacy service path holds none)."""
    model = next(iter(secrets_env.role_vars["vault"].values()))
    services = list(model.vault_services)  # type: ignore[attr-defined]
    roles = secret_roles(secrets_env.settings.roles)
    paths = sorted({path for role in roles for path in _role_paths(secrets_env, role)})
    assert services and roles and paths
    with admin_client(secrets_env) as admin:
        assert admin is not None
        for path in paths:  # the role paths exist (the fixture applied the roles)
            kv = admin.secrets.kv.v2
            assert kv.read_secret_version(path=path, mount_point="secret", raise_on_deleted_version=True)["data"][
                "data"
            ]
        creds = {
            s: (
                admin.auth.approle.read_role_id(s)["data"]["role_id"],
                admin.auth.approle.generate_secret_id(s)["data"]["secret_id"],
            )
            for s in services
        }
    for service, (role_id, secret_id) in creds.items():
        with node_client(secrets_env, "data-1") as app:
            app.auth.approle.login(role_id=role_id, secret_id=secret_id)
            for path in paths:
                with pytest.raises(hvac.exceptions.Forbidden):
                    app.secrets.kv.v2.read_secret_version(
                        path=path, mount_point="secret", raise_on_deleted_version=True
                    )
                with pytest.raises(hvac.exceptions.Forbidden):
                    app.secrets.kv.v2.list_secrets(path="harden", mount_point="secret")
            print(f"{service}: refused on {', '.join(paths)}")


def _every_role_secret(env: Environment) -> dict[str, list[str]]:
    """Every value stored for every role that has secrets (by Vault path), read back from Vault."""
    found: dict[str, list[str]] = {}
    with admin_client(env) as admin:
        assert admin is not None
        for role in env.settings.roles:
            models = env.role_vars.get(role, {})
            if not any(is_secret(f) for m in models.values() for f in type(m).model_fields.values()):
                continue
            public = _identifiers(role, models)
            found[role] = []
            for path in _role_paths(env, role):
                data = admin.secrets.kv.v2.read_secret_version(
                    path=path, mount_point="secret", raise_on_deleted_version=True
                )["data"]["data"]
                found[role] += [str(v) for k, v in data.items() if len(str(v)) >= 16 and k not in public]
    return found


def _identifiers(role: str, models: Mapping[str, BaseModel]) -> set[str]:
    """Vault keys of the role's stored values that are not confidential (generate.confidential is
    false: Kafka's cluster id, which Kafka itself logs and shows to every client)."""
    keys = set()
    for model in models.values():
        for name in type(model).model_fields:
            value = getattr(model, name)
            if isinstance(value, SecretSpec) and value.generate is not None and not value.generate.confidential:
                keys.add(default_ref(role, name).key)
    return keys


LAB_LOG_SCAN = r"""
import json, subprocess, sys, pathlib
secrets = json.load(sys.stdin)
texts = [subprocess.run(["journalctl", "--no-pager", "-o", "cat"], capture_output=True).stdout]
texts += [p.read_bytes() for p in pathlib.Path("/var/log").rglob("*") if p.is_file() and p.stat().st_size < 50_000_000]
blob = b"\n".join(texts)
print(json.dumps([i for i, s in enumerate(secrets) if s.encode() in blob]))
"""


PS_SAMPLER = "nohup sh -c 'while :; do ps -eo args; sleep 0.1; done' > /run/harden-ps-samples 2>&1 & echo $!"


def _apply_sampling_ps(
    lab: LabConfig, roles: tuple[str, ...]
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """Apply the roles while ps is sampled every 0.1 s on every host and the controller."""
    hosts = [h.name for h in lab.hosts]
    samplers = {h: lab_ssh(lab, h, PS_SAMPLER).strip() for h in hosts}
    local: list[str] = []
    argv = [harden_bin("harden"), "apply", "--env", LAB, *(a for role in roles for a in ("--role", role))]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while proc.poll() is None:
        local.append(subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout)
        time.sleep(0.1)
    stdout, stderr = proc.communicate()
    samples = {"controller": "\n".join(local)}
    for host, pid in samplers.items():
        samples[host] = lab_ssh(lab, host, f"kill {pid}; cat /run/harden-ps-samples; rm -f /run/harden-ps-samples")
    return subprocess.CompletedProcess(argv, proc.returncode, stdout, stderr), samples


def test_no_secret_on_a_command_line_in_output_runs_or_host_logs(
    secrets_env: Environment, shard_secret_roles: tuple[str, ...], lab: LabConfig
) -> None:
    """One apply of the roles with secrets, sampled with ps on every host and on the controller; then
    its output, every run's job_events, command files, stdout, facts and revisions under .harden
    (plans included: their text, markdown and json are rendered from those events), and every
    host's journal and /var/log are searched for every secret."""
    applied, samples = _apply_sampling_ps(lab, shard_secret_roles)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    data = json.loads(init_file(LAB_NAME).read_text())
    by_role = _every_role_secret(secrets_env)
    # this session converged these roles: every one of their secrets is looked for
    assert set(shard_secret_roles) == set(by_role), by_role.keys()
    counts = {role: len(values) for role, values in by_role.items()}
    assert all(counts[r] >= FEWEST.get(r, 1) for r in by_role), counts
    role_secrets = [s for values in by_role.values() for s in values]
    # TSIG secrets travel base64-encoded (BIND's key file, Traefik's secret file): look for that form too
    role_secrets += [base64.b64encode(s.encode()).decode() for s in by_role.get("lab_acme", [])]
    secrets = [*data["unseal_keys_b64"], *data["unseal_keys_hex"], data["harden_approle"]["secret_id"]]
    secrets += ["pg-Inline-Pa55word", "orders-Jwt-Signing-Key", "sk_test_payments_inline"]
    secrets += role_secrets
    assert all(len(s) >= 8 for s in secrets)
    assert all(len(text) > 1000 for text in samples.values()), {h: len(t) for h, t in samples.items()}
    leaks = [f"ps on {where}: {s[:4]}..." for where, text in samples.items() for s in role_secrets if s in text]
    for text in (applied.stdout, applied.stderr):
        leaks += [f"apply output: {s[:4]}..." for s in secrets if s in text]
    scanned = 0
    for path in REPO_STATE_DIR.rglob("*"):  # every run's job_events, command files, stdout, facts, revisions
        if path.is_file() and path.stat().st_size < 50_000_000:
            blob = path.read_bytes()
            scanned += 1
            leaks += [f"{path}: {s[:4]}..." for s in secrets if s.encode() in blob]
    assert scanned > 100, scanned
    for host in [h.name for h in lab.hosts]:
        # no copies of role files (earlier versions tarred /etc/patroni, secrets.env included)
        assert lab_ssh(lab, host, "ls -A /var/lib/harden/backups 2>/dev/null || true").strip() == ""
        out = lab_ssh_stdin(lab, host, "python3 -c " + shlex.quote(LAB_LOG_SCAN), json.dumps(role_secrets))
        leaks += [f"{host} journal or /var/log: {role_secrets[i][:4]}..." for i in json.loads(out)]
    assert leaks == []
    # the admin token the vault role receives travels only as a lookup into the in-memory channel
    # (a run of several roles is named after them all: baseline+pki+vault)
    commands = [c for c in RUNS_DIR.glob("*/artifacts/*/command") if "vault" in c.parent.name.split("+")]
    assert commands
    for command in commands:
        argv = json.loads(command.read_text())["command"]
        for extravars in [json.loads(a) for a in argv if a.startswith("{")]:
            assert extravars["vault_admin_token"].startswith("{{ query('harden_secret'")
