"""`harden compose fix` on the platform's compose file as it is today, end to end.

The pipeline ops run: `harden secrets import` (the rewrite half; its Vault half is tested in the
lab by tests/integration/roles/vault), then `fix`, then `check`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from orchestrator.compose import document
from orchestrator.compose.checks import check_project
from orchestrator.compose.fix import fix_text
from orchestrator.compose.policy import ComposePolicy, load_policy
from orchestrator.secrets.compose_import import find_secrets, load_compose, manifest, rewrite_text

FIXTURES = Path(__file__).parents[2] / "fixtures" / "compose"
TODAY = FIXTURES / "platform-today.yml"
POLICY = Path(__file__).parents[3] / "inventories" / "staging" / "compose-policy.yml"
APPS = [
    "workflow", "rules-engine", "configuration", "auth", "master-data", "api-gateway", "scheduler", "audit",
    "file-storage", "notification", "import-export", "document-generator", "finance", "organization",
]  # fmt: skip
DATA = ["postgres", "redis", "kafka", "elasticsearch"]


@pytest.fixture(scope="module")
def policy() -> ComposePolicy:
    return load_policy(POLICY)


@pytest.fixture(scope="module")
def imported() -> str:
    doc = load_compose(TODAY)
    return rewrite_text(doc, find_secrets(doc))


def literal_secrets() -> set[str]:
    """Every secret value in today's file: environment entries, URL credentials, command flags."""
    values = {item.value for item in find_secrets(load_compose(TODAY))}
    values |= {m.group(1) for m in re.finditer(r"--requirepass\", \"([^\"]+)\"", TODAY.read_text())}
    urls = {re.match(r".*://[^:]*:([^@]+)@", v) for v in values}
    return values | {m.group(1) for m in urls if m}


def test_the_fixture_is_the_platform_today(policy: ComposePolicy) -> None:
    doc = document.load(TODAY)
    assert list(doc["services"]) == DATA + APPS
    findings = check_project(doc, policy)
    by_id: dict[str, set[str]] = {}
    for f in findings:
        by_id.setdefault(f.id, set()).add(f.service)
    assert by_id["HR-APP-01"] == set(APPS)  # no limits anywhere
    assert len(by_id["HR-APP-02"]) == 9  # 9 of 14 lack the health endpoints in their checks
    assert by_id["HR-APP-04"] == set(APPS)  # every app publishes its port
    assert by_id["HR-APP-11"] == set(DATA)
    assert by_id["HR-APP-03"] >= set(APPS)  # secrets inline in every service
    assert len(literal_secrets()) >= 20


def test_fix_after_import_leaves_nothing_but_the_waiver(imported: str, policy: ComposePolicy) -> None:
    result = fix_text(imported, "docker-compose.harden.yml", policy)
    assert result.unfixed == []
    assert sorted(r.split()[0] for r in result.removed) == sorted(DATA)
    findings = check_project(document.loads(result.after, "fixed"), policy)
    assert [(f.service, f.id) for f in findings] == [("document-generator", "HR-APP-05")]
    assert all(f.waived for f in findings)


def test_a_second_fix_changes_nothing(imported: str, policy: ComposePolicy) -> None:
    once = fix_text(imported, "x", policy)
    twice = fix_text(once.after, "x", policy)
    assert once.changed and not twice.changed
    assert twice.after == once.after


def test_no_literal_secret_survives_the_pipeline(imported: str, policy: ComposePolicy) -> None:
    secrets = literal_secrets()
    assert secrets, "the fixture must hold literal secrets, or this test cannot fail"
    doc = load_compose(TODAY)
    written = {
        "compose": fix_text(imported, "x", policy).after,
        "manifest": str(manifest(find_secrets(doc))),
    }
    for name, text in written.items():
        leaked = sorted(s for s in secrets if s in text)
        assert not leaked, f"{name} holds {len(leaked)} literal secret(s)"


def test_comments_and_order_survive(imported: str, policy: ComposePolicy) -> None:
    after = fix_text(imported, "x", policy).after
    assert "# The platform's stack as it runs today" in after
    assert "# the only service the outside world should reach" in after
    assert list(document.loads(after, "x")["services"]) == APPS


def test_what_fix_writes(imported: str, policy: ComposePolicy) -> None:
    services = document.loads(fix_text(imported, "x", policy).after, "x")["services"]
    finance, gateway, audit = services["finance"], services["api-gateway"], services["audit"]
    assert finance["deploy"]["resources"]["limits"] == {"cpus": "2.0", "memory": "2g", "pids": 1024}
    assert audit["deploy"]["resources"]["limits"] == {"cpus": "1.0", "memory": "768m", "pids": 512}
    assert "ports" not in audit and list(audit["expose"]) == ["8080"]
    assert list(gateway["ports"]) == ["${APP_BACKEND_ADDRESS}:8086:8080"]
    assert list(audit["healthcheck"]["test"]) == ["CMD", "curl", "-fsS", "-o", "/dev/null",
                                                  "http://127.0.0.1:8080/health/ready"]  # fmt: skip
    assert "depends_on" not in audit  # it named only data services
    assert services["document-generator"].get("user") is None  # waived: left alone
    assert list(services["document-generator"]["tmpfs"]) == ["/tmp", "/app/.cache"]
    assert services["scheduler"]["image"].endswith("@sha256:" + services["scheduler"]["image"].split("@sha256:")[1])
    assert all(str(s["user"]) == "10001:10001" for n, s in services.items() if n != "document-generator")


def test_without_import_or_pins_fix_lists_what_it_cannot_do() -> None:
    result = fix_text(TODAY.read_text(), "today.yml", ComposePolicy())
    left = {(f.id, why.split(":")[0]) for f, why in result.unfixed}
    assert ("HR-APP-03", "run `harden secrets import --compose FILE --env E` first") in left
    assert ("HR-APP-10", "pin it") in left
    assert not fix_text(result.after, "today.yml", ComposePolicy()).changed


def test_a_health_port_nobody_declared_is_left_with_what_to_do() -> None:
    text = "services:\n  worker:\n    image: w:1\n"
    result = fix_text(text, "c.yml", ComposePolicy())
    why = dict((f.id, w) for f, w in result.unfixed)["HR-APP-02"]
    assert "services.worker.port" in why
    fixed = fix_text(text, "c.yml", ComposePolicy.model_validate({"services": {"worker": {"port": 9000}}}))
    assert "http://127.0.0.1:9000/health/ready" in fixed.after


EMPTY_KEYS = ["deploy:", "deploy:\n      resources:", "logging:\n      driver: json-file\n      options:"]


@pytest.mark.parametrize("empty", EMPTY_KEYS)
def test_an_empty_key_in_the_file_is_filled_not_a_crash(empty: str) -> None:
    """`deploy:` alone is null in YAML: fix fills it in, and check then finds no missing limit."""
    text = f"services:\n  api:\n    image: a:1\n    {empty}\n"
    policy = ComposePolicy.model_validate({"services": {"api": {"port": 8080}}})
    result = fix_text(text, "c.yml", policy)
    ids = {f.id for f in check_project(document.loads(result.after, "c.yml"), policy)}
    assert "HR-APP-01" not in ids and "HR-APP-11" not in ids, result.after
    assert not fix_text(result.after, "c.yml", policy).changed
