"""Role search in the lab: converge, idempotence, status, TLS and auth everywhere, least privilege,
a rolling restart under load that loses no acknowledged document, its rollback, and a kill -9."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from bench.lab_env import LAB, copy_lab_with
from orchestrator.lab.config import LabConfig
from orchestrator.secrets.kv import KvRef, KvStore
from orchestrator.secrets.vault_session import admin_client
from orchestrator.validation import Environment, validate_environment
from tests.faults import search_faults as sf
from tests.integration.conftest import apply_roles, assert_units_have_limits, harden, lab_ssh

DATA = sf.NODES


# What `harden secrets import` stored for the audit service from today's compose file.
LEGACY_URL = "http://elastic:changeme@elasticsearch:9200"
AUDIT_URL_REF = "vault:secret/data/audit#ELASTICSEARCH_URL"


@pytest.fixture(scope="module")
def search_env(lab: LabConfig) -> Environment:
    required = apply_roles("vault", only_missing=True)
    assert required.returncode == 0, required.stdout + required.stderr
    _kv_put(validate_environment(LAB), AUDIT_URL_REF, LEGACY_URL)
    applied = apply_roles("search")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    said = applied.stdout + applied.stderr  # the console's lines go to stderr
    assert f"search user audit: {AUDIT_URL_REF} now holds its HTTPS connection string" in said, said
    return validate_environment(LAB)


@contextmanager
def _kv(env: Environment) -> Iterator[KvStore]:
    with admin_client(env) as client:
        assert client is not None
        yield KvStore(client)


def _kv_put(env: Environment, ref: str, value: str) -> None:
    with _kv(env) as store:
        store.put(KvRef.parse(ref), value)


def _kv_read(env: Environment, ref: str) -> str | None:
    with _kv(env) as store:
        return store.read(KvRef.parse(ref))


@pytest.fixture(scope="module")
def users(search_env: Environment) -> sf.Users:
    return sf.users(search_env)


def _auth(users: sf.Users, name: str) -> tuple[str, str]:
    return name, users.passwords[name]


def test_second_apply_changes_nothing(search_env: Environment) -> None:
    plan = harden("plan", "--env", LAB, "--role", "search", "--format", "json")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert json.loads(plan.stdout)["changes"] == 0


def test_every_unit_has_its_resource_limits(lab: LabConfig, search_env: Environment) -> None:
    assert_units_have_limits(lab, search_env, "search")


def test_status_shows_a_green_cluster_with_security_on(search_env: Environment) -> None:
    done = harden("search", "status", "--env", LAB, "--format", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    status = json.loads(done.stdout)
    assert status["verdict"] == "healthy", status["reasons"]
    assert [row["node"] for row in status["rows"]] == list(DATA)
    assert sorted(row["manager"] for row in status["rows"]) == ["", "", "elected"]
    assert status["detail"]["health"]["status"] == "green"
    assert status["detail"]["security"] == {"anonymous": "401", "plaintext": "000"}
    assert all(status["detail"]["certificates"].values())


def test_plain_http_anonymous_and_wrong_passwords_are_refused(lab: LabConfig, users: sf.Users) -> None:
    calls: list[dict[str, Any]] = []
    for host in DATA:
        calls += [
            {"url": sf.url(lab, host, "/", scheme="http"), "method": "GET"},
            {"url": sf.url(lab, host, "/"), "method": "GET"},
            {"url": sf.url(lab, host, "/"), "method": "GET", "auth": ["admin", "not-" + users.passwords["admin"]]},
            {"url": sf.url(lab, host, "/"), "method": "GET", "auth": ["admin", "admin"]},
            {"url": sf.url(lab, host, "/"), "method": "GET", "auth": list(_auth(users, "admin"))},
        ]
    answers = sf.requests(lab, calls)
    for k, host in enumerate(DATA):
        plain, anonymous, wrong, default, admin = answers[5 * k : 5 * k + 5]
        assert plain[0] == 0, (host, plain)  # no plaintext answer at all
        assert (anonymous[0], wrong[0], default[0]) == (401, 401, 401), (host, anonymous, wrong, default)
        assert admin[0] == 200 and json.loads(admin[1])["version"]["number"] == "2.19.4", (host, admin)


def test_a_service_user_reaches_only_its_own_indices(lab: LabConfig, users: sf.Users) -> None:
    node = sf.url(lab, "data-1")
    doc = {"event": "login", "id": uuid.uuid4().hex}
    audit, reports = _auth(users, "audit"), _auth(users, "reports")
    calls: list[dict[str, Any]] = [
        {"url": f"{node}/audit-test/_doc?refresh=true", "method": "POST", "auth": list(audit), "body": doc},
        {"url": f"{node}/audit-test/_search", "method": "GET", "auth": list(audit)},
        {"url": f"{node}/orders-test/_doc", "method": "POST", "auth": list(audit), "body": doc},
        {"url": f"{node}/reports-test/_search", "method": "GET", "auth": list(audit)},
        {"url": f"{node}/_cluster/settings", "method": "GET", "auth": list(audit)},
        {
            "url": f"{node}/_cluster/settings",
            "method": "PUT",
            "auth": list(audit),
            "body": {"persistent": {"cluster.routing.allocation.enable": "all"}},
        },
        {"url": f"{node}/.opendistro_security/_search", "method": "GET", "auth": list(audit)},
        {"url": f"{node}/reports-test/_doc", "method": "POST", "auth": list(reports), "body": doc},
        {"url": f"{node}/audit-test/_search", "method": "GET", "auth": list(reports)},
    ]
    (
        written,
        searched,
        other_index,
        other_read,
        cluster_read,
        cluster_write,
        security_index,
        reader_writes,
        reader_other,
    ) = sf.requests(lab, calls)
    assert written[0] == 201, written
    assert searched[0] == 200 and doc["id"] in searched[1], searched
    for refused in (other_index, other_read, cluster_read, cluster_write, security_index, reader_writes, reader_other):
        assert refused[0] == 403, refused


def test_the_audit_service_connects_with_the_url_its_env_file_gets(
    lab: LabConfig, search_env: Environment, users: sf.Users, tmp_path: Path
) -> None:
    """Migration: the compose file's http://elastic:changeme@... (imported into Vault as it was)
    is now HTTPS with the audit user, one URL per node; `harden secrets render` puts it in the
    service's env file, and with it the service writes its own index and nothing else."""
    manifest = tmp_path / "platform.harden.yml.vault.json"
    manifest.write_text(json.dumps({"audit": {"ELASTICSEARCH_URL": AUDIT_URL_REF}}))
    harden("secrets", "render", "--env", LAB, "--manifest", str(manifest), "--dir", str(tmp_path / "env"), check=True)
    line = (tmp_path / "env" / "audit.env").read_text().strip()
    assert line.startswith("ELASTICSEARCH_URL="), line
    value = line.removeprefix("ELASTICSEARCH_URL=").strip("'\"")
    assert value == _kv_read(search_env, AUDIT_URL_REF) and "changeme" not in value
    urls = [urlsplit(u) for u in value.split(",")]
    assert [u.hostname for u in urls] == [lab.host(h).address for h in DATA]
    assert {(u.scheme, u.port, u.username) for u in urls} == {("https", sf.PORT, "audit")}
    assert {unquote(u.password or "") for u in urls} == {users.passwords["audit"]}
    auth = ["audit", unquote(urls[0].password or "")]
    base = f"https://{urls[0].hostname}:{urls[0].port}"
    written, other = sf.requests(
        lab,
        [
            {"url": f"{base}/audit-migrated/_doc", "method": "POST", "auth": auth, "body": {"event": "migrated"}},
            {"url": f"{base}/orders-migrated/_doc", "method": "POST", "auth": auth, "body": {"event": "migrated"}},
        ],
    )
    assert (written[0], other[0]) == (201, 403), (written, other)


def test_a_node_without_a_certificate_of_the_ca_is_refused_at_transport(
    lab: LabConfig, search_env: Environment
) -> None:
    sf.assert_transport_refuses_strangers(lab, "opensearch", 9300)


@pytest.mark.fault
def test_a_setting_rolls_out_one_node_at_a_time_under_load_and_rolls_back(
    lab: LabConfig, users: sf.Users, tmp_path: Path
) -> None:
    """A cluster setting that restarts every node (default replicas 1 -> 2), under a steady indexing
    load: green again, no acknowledged document lost; then `harden rollback` restores it."""
    before = _started(lab)
    changed = copy_lab_with(tmp_path, "search", "search_default_replicas: 2")
    load = sf.Load(lab, *_auth(users, "audit"), index=f"audit-roll-{uuid.uuid4().hex[:8]}")
    time.sleep(3)
    applied = harden("apply", "--env", str(changed), "--role", "search")
    run = load.stop()
    print(run)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert run["acked"] > 100 and run["lost"] == 0, run
    after = _started(lab)
    assert all(after[h] != before[h] for h in DATA), (before, after)
    assert _setting(lab, users, "cluster.default_number_of_replicas") == "2"

    harden("rollback", "--env", str(changed), "--role", "search", "--yes", check=True)
    _wait_healthy()
    assert _setting(lab, users, "cluster.default_number_of_replicas") == "1"
    plan = harden("plan", "--env", LAB, "--role", "search", "--format", "json")
    assert plan.returncode == 0 and json.loads(plan.stdout)["changes"] == 0, plan.stdout
    _wait_healthy()


@pytest.mark.fault
def test_a_killed_node_loses_no_acknowledged_document(lab: LabConfig, users: sf.Users) -> None:
    """kill -9 of a node under the indexing load; systemd starts it again and the cluster is green."""
    load = sf.Load(lab, *_auth(users, "audit"), index=f"audit-kill-{uuid.uuid4().hex[:8]}")
    time.sleep(5)
    lab_ssh(lab, "data-2", "systemctl kill -s KILL opensearch")
    time.sleep(20)
    run = load.stop()
    print(run)
    assert run["acked"] > 100 and run["lost"] == 0, run
    _wait_healthy()


def _started(lab: LabConfig) -> dict[str, str]:
    return {h: lab_ssh(lab, h, "systemctl show -p ExecMainStartTimestampMonotonic opensearch").strip() for h in DATA}


def _setting(lab: LabConfig, users: sf.Users, name: str) -> str:
    """The value every node runs with (one value, or the test fails)."""
    status, body = sf.request(
        lab, "GET", sf.url(lab, "data-1", "/_nodes/settings?flat_settings=true"), _auth(users, "admin")
    )
    assert status == 200, body
    nodes = json.loads(body)["nodes"].values()
    values = {str(node["settings"].get(name)) for node in nodes}
    assert len(nodes) == len(DATA) and len(values) == 1, values
    return values.pop()


def _wait_healthy(timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while True:
        status = harden("search", "status", "--env", LAB, "--format", "json")
        if status.returncode == 0:
            return
        assert time.monotonic() < deadline, status.stdout
        time.sleep(5)
