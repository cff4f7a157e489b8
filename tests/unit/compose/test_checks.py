"""Each finding ID: one service that violates it, and one clean service that does not."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator.compose.checks import CHECKS, check_project, parse_ports
from orchestrator.compose.policy import TITLES, ComposePolicy

DIGEST = "@sha256:" + "a" * 64

# A service that passes every check: what `harden compose fix` writes.
CLEAN: dict[str, Any] = {
    "image": f"registry.example.internal/app:1.2.3{DIGEST}",
    "deploy": {
        "resources": {"limits": {"cpus": "1.0", "memory": "512m", "pids": 256}, "reservations": {"memory": "256m"}}
    },
    "healthcheck": {"test": ["CMD", "curl", "-fsS", "http://127.0.0.1:8080/health/ready"]},
    "expose": ["8080"],
    "user": "10001:10001",
    "read_only": True,
    "security_opt": ["no-new-privileges:true"],
    "cap_drop": ["ALL"],
    "logging": {"driver": "json-file", "options": {"max-size": "10m"}},
    "restart": "unless-stopped",
}

# For each ID: changes to CLEAN that break it, and the words its message must hold.
VIOLATIONS: dict[str, tuple[dict[str, Any], str]] = {
    "HR-APP-01": ({"deploy": {"resources": {"limits": {"cpus": "1"}}}}, "no memory limit"),
    "HR-APP-02": ({"healthcheck": {"test": ["CMD", "true"]}}, "neither /health/ready nor /health/live"),
    "HR-APP-03": ({"environment": {"DB_PASSWORD": "hunter2-literal"}}, "DB_PASSWORD"),
    "HR-APP-04": ({"ports": ["8080:8080"]}, "8080->8080/tcp is published"),
    "HR-APP-05": ({"user": "root"}, "user root"),
    "HR-APP-06": ({"read_only": False}, "read_only"),
    "HR-APP-07": ({"security_opt": ["apparmor:unconfined"]}, "no-new-privileges"),
    "HR-APP-08": ({"cap_drop": ["NET_RAW"]}, "cap_drop lacks ALL"),
    "HR-APP-09": ({"logging": {"driver": "json-file"}}, "without max-size"),
    "HR-APP-10": ({"image": "registry.example.internal/app:latest"}, "latest"),
    "HR-APP-11": ({"image": "postgres:16"}, "postgres_ha role"),
    "HR-APP-12": ({"restart": "no"}, "no restart policy"),
}


def ids(service: dict[str, Any], policy: ComposePolicy | None = None) -> list[str]:
    return [f.id for f in check_project({"services": {"svc": service}}, policy or ComposePolicy())]


def test_every_finding_id_has_a_check_a_title_and_a_case_here() -> None:
    assert set(CHECKS) == set(TITLES) == set(VIOLATIONS)
    assert len(CHECKS) == 12


def test_the_clean_service_has_no_finding() -> None:
    assert ids(CLEAN) == []


@pytest.mark.parametrize("finding_id", sorted(VIOLATIONS))
def test_each_violation_is_found_alone(finding_id: str) -> None:
    change, words = VIOLATIONS[finding_id]
    findings = check_project({"services": {"svc": {**CLEAN, **change}}}, ComposePolicy())
    assert [f.id for f in findings] == [finding_id]
    assert words in findings[0].message


@pytest.mark.parametrize(
    ("change", "found"),
    [
        ({"healthcheck": {"test": "NONE"}}, True),
        ({"healthcheck": {"disable": True}}, True),
        ({"healthcheck": {"test": ["CMD-SHELL", "wget -qO- localhost:8080/health/live"]}}, False),
        ({"mem_limit": "1g", "cpus": 1, "pids_limit": 100, "mem_reservation": "512m", "deploy": {}}, False),
        ({"security_opt": ["no-new-privileges"]}, False),
        ({"privileged": True}, True),
        ({"logging": {"driver": "syslog"}}, False),
        ({"image": "registry.example.internal/app:2.0"}, True),
        ({"image": None, "build": "."}, True),
        ({"restart": "on-failure:5"}, False),
        ({"user": "0:0"}, True),
        ({"environment": ["DATABASE_URL=postgres://u:pw-literal@db/x"]}, True),
        ({"environment": {"DB_PASSWORD": "${DB_PASSWORD}"}}, False),
        ({"command": ["redis-server", "--requirepass", "literal-pw"]}, True),
        ({"command": "server --password=${PW}"}, False),
    ],
)
def test_variants_of_the_syntax(change: dict[str, Any], found: bool) -> None:
    assert bool(ids({**CLEAN, **change})) is found


def test_a_routed_service_may_publish_on_the_backend_address_only() -> None:
    policy = ComposePolicy(routed=["svc"], backend_address="127.0.0.1")
    assert ids({**CLEAN, "ports": ["127.0.0.1:8443:8443"]}, policy) == []
    assert ids({**CLEAN, "ports": ["8443:8443"]}, policy) == ["HR-APP-04"]
    assert ids({**CLEAN, "ports": [{"target": 8443, "published": 8443, "host_ip": "127.0.0.1"}]}, policy) == []


def test_a_waiver_marks_the_finding_and_keeps_it_visible() -> None:
    policy = ComposePolicy.model_validate({"services": {"svc": {"waive": {"HR-APP-05": "vendor image needs root"}}}})
    findings = check_project({"services": {"svc": {**CLEAN, "user": "root"}}}, policy)
    assert [(f.id, f.waived) for f in findings] == [("HR-APP-05", "vendor image needs root")]


def test_a_data_service_only_says_where_it_goes_and_what_secret_it_holds() -> None:
    service = {"image": "docker.io/bitnami/redis:7.2", "environment": {"REDIS_PASSWORD": "literal"}, "ports": ["6379"]}
    assert sorted(ids(service)) == ["HR-APP-03", "HR-APP-11"]


def test_no_message_holds_a_secret_value() -> None:
    secrets = ["hunter2-literal", "pw-in-url", "flag-literal"]
    service = {
        "environment": {"DB_PASSWORD": secrets[0], "DATABASE_URL": f"postgres://u:{secrets[1]}@db/x"},
        "command": ["app", f"--token={secrets[2]}"],
    }
    findings = [f for f in check_project({"services": {"svc": service}}, ComposePolicy()) if f.id == "HR-APP-03"]
    assert len(findings) == 3  # each secret was found, so the test below can fail
    messages = " ".join(f.message for f in findings)
    for secret in secrets:
        assert secret not in messages


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("8080", ("", "", "8080", "tcp")),
        ("8081:8080", ("", "8081", "8080", "tcp")),
        ("127.0.0.1:8081:8080/udp", ("127.0.0.1", "8081", "8080", "udp")),
        ("127.0.0.1::8080", ("127.0.0.1", "", "8080", "tcp")),
        ("[::1]:8081:8080", ("::1", "8081", "8080", "tcp")),
        ({"target": 80, "published": "8080", "protocol": "udp"}, ("", "8080", "80", "udp")),
    ],
)
def test_port_syntax(entry: Any, expected: tuple[str, str, str, str]) -> None:
    (port,) = parse_ports({"ports": [entry]})
    assert (port.host_ip, port.published, port.target, port.protocol) == expected
