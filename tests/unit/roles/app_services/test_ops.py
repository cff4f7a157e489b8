"""`harden apps status` judged on recorded evidence: what the probe read on a host."""

from __future__ import annotations

from orchestrator.compose.podman import ServiceUnit
from orchestrator.roles.app_services.ops import assess, expected_limits

UNITS = [
    ServiceUnit("p", "api", "img", ["--memory", "48m", "--pids-limit", "64", "img"]),
    ServiceUnit("p", "jobs", "img", ["--memory", "1g", "img"]),
]
HEALTHY = {
    "harden-app-p-api.service": {"active": "active", "health": "healthy", "memory": "50331648", "pids": "64"},
    "harden-app-p-jobs.service": {"active": "active", "health": "none", "memory": str(1024**3), "pids": "max"},
}


def test_the_file_s_limits_in_bytes() -> None:
    assert [expected_limits(u) for u in UNITS] == [{"memory": "50331648", "pids": "64"}, {"memory": str(1024**3)}]


def test_every_service_running_healthy_with_its_limits_passes() -> None:
    rows, reasons, good = assess("h", "p", UNITS, HEALTHY)
    assert reasons == [] and good == 2
    assert rows[0] == ("h", "p", "api", "active", "healthy", "48M / 48M", "64 / 64")


def test_a_stopped_unhealthy_or_unlimited_service_is_named_with_its_cause() -> None:
    seen = {
        "harden-app-p-api.service": {"active": "active", "health": "unhealthy", "memory": "9223372036854771712"},
        "harden-app-p-jobs.service": {"active": "failed", "health": ""},
    }
    rows, reasons, good = assess("h", "p", UNITS, seen)
    assert good == 0 and len(rows) == 2
    assert reasons == [
        "h: p/api: health check unhealthy, memory limit 9223372036854771712 in its cgroup, 50331648 in the file, "
        "pids limit unreadable in its cgroup, 64 in the file",
        "h: p/jobs: unit failed, health check not running",
    ]
