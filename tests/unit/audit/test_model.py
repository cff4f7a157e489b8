"""The score: weighted, overall and per area."""

from __future__ import annotations

import pytest

from orchestrator.audit.model import Check, finding, score


def _check(n: int, area: str, weight: int) -> Check:
    return Check(f"HR-T-{n:02}", f"check {n}", area, weight, "harden apply --env {env}")


def test_the_score_weighs_each_check() -> None:
    findings = [
        finding(_check(1, "ha", 3), True),
        finding(_check(2, "ha", 1), False),
        finding(_check(3, "limits", 2), True),
        finding(_check(4, "secrets", 2), False),
    ]
    result = score(findings)
    assert result.percent == pytest.approx(100 * 5 / 8)
    assert result.by_area == {"secrets": 0.0, "ha": 75.0, "limits": 100.0}  # areas with checks only


def test_all_passed_is_100_and_nothing_to_check_is_0() -> None:
    assert score([finding(_check(1, "tls", 5), True)]).percent == 100.0
    assert score([]).percent == 0.0


def test_a_failing_finding_names_its_fix_for_the_environment() -> None:
    failed = finding(_check(1, "ha", 3), False, ("harden x status", "down"))
    assert failed.fix("staging") == "harden apply --env staging"
    assert finding(_check(1, "ha", 3), True).fix("staging") == ""


def test_a_check_outside_the_areas_or_weights_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown area 'speed'"):
        _check(1, "speed", 1)
    with pytest.raises(ValueError, match="weight 9"):
        _check(1, "ha", 9)
