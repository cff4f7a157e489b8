"""One model for the systemd resource limits of every unit a role manages.

Each role declares one ``<role>_<unit>_limits`` variable per unit; the shared Ansible entry point
``common`` ``limits`` writes them as a drop-in ``/etc/systemd/system/<unit>.d/harden-limits.conf``.
Core dumps are always off (``LimitCORE=0``): a core file holds whatever secrets were in memory.
"""

from __future__ import annotations

from pydantic import Field

from orchestrator.models.base import StrictModel


class ServiceLimits(StrictModel):
    memory_max: str | None = Field(
        None, pattern=r"^[0-9]+[KMG]$", description="MemoryMax: the OOM killer stops the unit above it (null: none)."
    )
    cpu_quota: str | None = Field(
        None, pattern=r"^[0-9]+%$", description="CPUQuota, e.g. 200% for two CPUs (null: no cap)."
    )
    tasks_max: int = Field(512, ge=16, le=1048576, description="TasksMax: processes and threads of the unit.")
    nofile: int = Field(16384, ge=1024, le=1048576, description="LimitNOFILE: open files per process.")


def limits(memory_max: str | None = None, tasks_max: int = 512, nofile: int = 16384) -> ServiceLimits:
    """A default for a role's field (``Field(default_factory=lambda: limits(...))``)."""
    return ServiceLimits(memory_max=memory_max, tasks_max=tasks_max, nofile=nofile)


class LimitsEntryPoint(StrictModel):
    """Arguments of the `common` role's entry point `limits` (include_role tasks_from: limits)."""

    common_unit: str = Field(..., alias="_common_unit", pattern=r"^[a-z0-9@._-]+\.service$", description="The unit.")
    common_limits: ServiceLimits = Field(..., alias="_common_limits", description="Its limits (a ServiceLimits).")
