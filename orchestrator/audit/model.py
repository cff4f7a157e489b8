"""Checks, their findings and the score."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

# The platform's readiness areas, in report order.
AREAS = {
    "secrets": "Secrets",
    "ha": "High availability",
    "tls": "TLS",
    "auth": "Authentication",
    "backups": "Backups",
    "limits": "Resource limits",
    "monitoring": "Monitoring",
    "failover": "Failover drill",
    "hardening": "Host hardening",
}


@dataclass(frozen=True)
class Check:
    """One thing the audit verifies. ``id`` is stable (HR-<SCOPE>-<NN>): reports, waivers and task
    names refer to it. ``fix`` is a harden command or a variable to set ({env} is filled in)."""

    id: str
    title: str
    area: str
    weight: int
    fix: str

    def __post_init__(self) -> None:
        if self.area not in AREAS:
            raise ValueError(f"{self.id}: unknown area {self.area!r}")
        if not 1 <= self.weight <= 5:
            raise ValueError(f"{self.id}: weight {self.weight} is not 1 to 5")


@dataclass(frozen=True)
class Evidence:
    """What was asked (a command or an API call) and what it answered; never a secret."""

    source: str
    value: str


@dataclass(frozen=True)
class Finding:
    check: Check
    passed: bool
    evidence: tuple[Evidence, ...] = ()

    def fix(self, env: str) -> str:
        return "" if self.passed else self.check.fix.format(env=env)


def finding(check: Check, passed: bool, *evidence: tuple[str, str]) -> Finding:
    return Finding(check, passed, tuple(Evidence(source, value) for source, value in evidence))


@dataclass(frozen=True)
class Score:
    percent: float
    by_area: dict[str, float] = field(default_factory=dict)  # area -> percent, areas with checks only


def score(findings: Sequence[Finding]) -> Score:
    """Weighted: the weight of the checks passed over the weight of all checks, overall and per area."""

    def pct(items: Sequence[Finding]) -> float:
        total = sum(f.check.weight for f in items)
        return 100.0 * sum(f.check.weight for f in items if f.passed) / total if total else 0.0

    by_area = {area: pct([f for f in findings if f.check.area == area]) for area in AREAS}
    return Score(pct(findings), {a: p for a, p in by_area.items() if any(f.check.area == a for f in findings)})
