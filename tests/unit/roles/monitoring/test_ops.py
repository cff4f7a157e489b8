"""`harden monitoring status` judges what Prometheus and Alertmanager answer on a monitoring host:
one healthy fixture, and one for each thing that makes it degraded (HR-MON-01's evidence)."""

from __future__ import annotations

from typing import Any

from orchestrator.roles.monitoring.ops import assess

RULED = ["monitoring", "vault"]


def _seen(**changes: Any) -> dict[str, Any]:
    seen: dict[str, Any] = {
        "targets": {"data": {"activeTargets": [{"health": "up", "labels": {"job": "node", "instance": "data-1"}}]}},
        "rules": {"data": {"groups": [{"name": "monitoring"}, {"name": "vault"}]}},
        "alerts": [
            {"labels": {"alertname": "Watchdog", "severity": "none"}},
            {"labels": {"alertname": "VaultSealed", "severity": "critical"}, "annotations": {"summary": "sealed"}},
        ],
    }
    seen.update(changes)
    return seen


def test_healthy_lists_the_firing_alerts_but_the_watchdog() -> None:
    rows, reasons, up = assess("ops-1", _seen(), RULED)
    assert up and reasons == []
    assert rows == [("ops-1", "alert", "VaultSealed", "critical", "sealed")]


def test_a_target_down_is_a_reason_with_its_error() -> None:
    down = {"health": "down", "labels": {"job": "patroni", "instance": "data-2"}, "lastError": "connection refused"}
    targets = {"data": {"activeTargets": [down]}}
    rows, reasons, up = assess("ops-1", _seen(targets=targets), RULED)
    assert up and rows[0][:4] == ("ops-1", "target", "patroni data-2", "down")
    assert reasons == ["ops-1: target patroni data-2 is down: connection refused"]


def test_no_watchdog_means_the_pipeline_is_broken() -> None:
    _, reasons, _ = assess("ops-1", _seen(alerts=[]), RULED)
    assert any("Watchdog alert does not reach Alertmanager" in r for r in reasons), reasons


def test_a_role_whose_rules_are_not_loaded_is_named() -> None:
    _, reasons, _ = assess("ops-1", _seen(rules={"data": {"groups": [{"name": "monitoring"}]}}), RULED)
    assert reasons == ["ops-1: no alert rules of vault are loaded (orchestrator/roles/vault/alerts.yml)"]


def test_prometheus_not_answering_is_down() -> None:
    _, reasons, up = assess("ops-1", _seen(targets={"error": "connection refused"}), RULED)
    assert not up and reasons == ["ops-1: Prometheus does not answer: connection refused"]
