"""Role search with search_flavor elasticsearch, in the lab: check mode on hosts without it,
converge, a zero-change re-run, status, TLS and auth everywhere, file-realm users with least
privilege, and a transport port that refuses certificates of another CA.

It runs beside OpenSearch on the same three data hosts, on ports 9201 and 9301, as an inventory
copy of the lab (the same environment: same secrets, so the same passwords), and is stopped
when the module ends. Not tested with this flavor: the rolling restart under load, kill -9, the
rollback and the bench (test_search.py does them with OpenSearch; the tasks are shared).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.lab_env import copy_lab_with
from orchestrator.lab.config import LabConfig
from orchestrator.roles.search.model import ELASTICSEARCH
from orchestrator.validation import Environment, validate_environment
from tests.faults import search_faults as sf
from tests.integration.conftest import apply_roles, assert_units_have_limits, harden, lab_ssh

DATA = sf.NODES
HTTP, TRANSPORT = 9201, 9301
SETTINGS = (
    "search_flavor: elasticsearch\n"
    f"search_http_port: {HTTP}\n"
    f"search_transport_port: {TRANSPORT}\n"
    "search_cluster_name: harden-es"
)


@pytest.fixture(scope="module")
def es_env_dir(lab: LabConfig, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    required = apply_roles("baseline", "pki", "vault", only_missing=True)
    assert required.returncode == 0, required.stdout + required.stderr
    env_dir = copy_lab_with(tmp_path_factory.mktemp("es"), "search", SETTINGS)
    # check mode on hosts that have never run Elasticsearch: changes (exit 2), no error
    plan = harden("plan", "--env", str(env_dir), "--role", "search")
    assert plan.returncode == 2, plan.stdout + plan.stderr
    applied = harden("apply", "--env", str(env_dir), "--role", "search")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    yield env_dir
    for host in DATA:
        lab_ssh(lab, host, "systemctl disable --now elasticsearch", check=False)


@pytest.fixture(scope="module")
def es_env(es_env_dir: Path) -> Environment:
    return validate_environment(str(es_env_dir))


@pytest.fixture(scope="module")
def users(es_env: Environment) -> sf.Users:
    return sf.users(es_env)


def _url(lab: LabConfig, host: str, path: str = "", scheme: str = "https") -> str:
    return sf.url(lab, host, path, scheme=scheme, port=HTTP)


def test_second_apply_changes_nothing(es_env_dir: Path) -> None:
    plan = harden("plan", "--env", str(es_env_dir), "--role", "search", "--format", "json")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert json.loads(plan.stdout)["changes"] == 0


def test_every_unit_has_its_resource_limits(lab: LabConfig, es_env: Environment) -> None:
    assert_units_have_limits(lab, es_env, "search")
    for host in DATA:
        assert lab_ssh(lab, host, "systemctl is-active elasticsearch").strip() == "active", host


def test_status_shows_a_green_cluster_with_security_on(es_env_dir: Path) -> None:
    done = harden("search", "status", "--env", str(es_env_dir), "--format", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    status = json.loads(done.stdout)
    assert status["verdict"] == "healthy", status["reasons"]
    assert "Elasticsearch cluster harden-es" in status["title"], status["title"]
    assert [row["node"] for row in status["rows"]] == list(DATA)
    assert sorted(row["manager"] for row in status["rows"]) == ["", "", "elected"]
    assert status["detail"]["security"] == {"anonymous": "401", "plaintext": "000"}


def test_plain_http_anonymous_wrong_and_built_in_passwords_are_refused(lab: LabConfig, users: sf.Users) -> None:
    calls: list[dict[str, Any]] = []
    admin = users.passwords["admin"]
    for host in DATA:
        calls += [
            {"url": _url(lab, host, "/", scheme="http"), "method": "GET"},
            {"url": _url(lab, host, "/"), "method": "GET"},
            {"url": _url(lab, host, "/"), "method": "GET", "auth": ["admin", "not-" + admin]},
            # the built-in superuser, with the password a bootstrap would have given it
            {"url": _url(lab, host, "/"), "method": "GET", "auth": ["elastic", admin]},
            # this distribution has no `GET /` (module rest-root): the node's own info instead
            {"url": _url(lab, host, "/_nodes/_local"), "method": "GET", "auth": ["admin", admin]},
        ]
    answers = sf.requests(lab, calls)
    for k, host in enumerate(DATA):
        plain, anonymous, wrong, built_in, ok = answers[5 * k : 5 * k + 5]
        assert plain[0] == 0, (host, plain)  # no plaintext answer at all
        assert (anonymous[0], wrong[0], built_in[0]) == (401, 401, 401), (host, anonymous, wrong, built_in)
        assert ok[0] == 200, (host, ok)
        (node,) = json.loads(ok[1])["nodes"].values()
        assert (node["name"], node["version"]) == (host, ELASTICSEARCH.version), (host, node)


def test_a_service_user_reaches_only_its_own_indices(lab: LabConfig, users: sf.Users) -> None:
    node = _url(lab, "data-2")
    doc = {"event": "login", "id": uuid.uuid4().hex}
    audit, reports = ["audit", users.passwords["audit"]], ["reports", users.passwords["reports"]]
    calls: list[dict[str, Any]] = [
        {"url": f"{node}/audit-test/_doc?refresh=true", "method": "POST", "auth": audit, "body": doc},
        {"url": f"{node}/audit-test/_search", "method": "GET", "auth": audit},
        {"url": f"{node}/orders-test/_doc", "method": "POST", "auth": audit, "body": doc},
        {"url": f"{node}/reports-test/_search", "method": "GET", "auth": audit},
        {"url": f"{node}/_cluster/settings", "method": "GET", "auth": audit},
        {
            "url": f"{node}/_cluster/settings",
            "method": "PUT",
            "auth": audit,
            "body": {"persistent": {"cluster.routing.allocation.enable": "all"}},
        },
        {"url": f"{node}/reports-test/_doc", "method": "POST", "auth": reports, "body": doc},
        {"url": f"{node}/audit-test/_search", "method": "GET", "auth": reports},
    ]
    written, searched, *refused = sf.requests(lab, calls)
    assert written[0] == 201, written
    assert searched[0] == 200 and doc["id"] in searched[1], searched
    assert len(refused) == 6
    for answer in refused:
        assert answer[0] == 403, answer


def test_a_node_without_a_certificate_of_the_ca_is_refused_at_transport(lab: LabConfig, es_env: Environment) -> None:
    sf.assert_transport_refuses_strangers(lab, "elasticsearch", TRANSPORT)


def test_no_secret_in_the_nodes_configuration(lab: LabConfig, users: sf.Users) -> None:
    """Only bcrypt hashes reach the nodes: no password in any file under /etc/elasticsearch."""
    secrets = [p for p in users.passwords.values() if p]
    assert len(secrets) >= 3
    for host in DATA:
        files = lab_ssh(lab, host, "cat /etc/elasticsearch/users /etc/elasticsearch/*.yml /etc/elasticsearch/jvm.*")
        assert "admin:$2" in files, host
        for secret in secrets:
            assert secret not in files, host
