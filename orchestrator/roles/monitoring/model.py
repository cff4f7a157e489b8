"""Variables of the `monitoring` role: Prometheus, Alertmanager and the exporters, all from Debian."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from orchestrator.models.base import GenerateSpec, Port, Secret, SecretSpec, StrictModel
from orchestrator.models.limits import ServiceLimits, limits
from orchestrator.secrets.resolver import default_ref

Severity = Literal["critical", "warning", "info"]
DEFAULT_SEVERITIES: tuple[Severity, ...] = ("critical", "warning")


class MonitoringReceiver(StrictModel):
    """Where Alertmanager sends the alerts of some teams and severities: a webhook (a chat
    service's incoming hook, an on-call tool), with its credential in Vault."""

    name: str = Field(..., pattern=r"^[a-z][a-z0-9_-]{0,62}$", description="Receiver name.")
    url: str = Field(
        ...,
        pattern=r"^https://[^\s@?#]+$",
        description="HTTPS URL Alertmanager posts to (no credential in it: use bearer_token).",
    )
    bearer_token: Secret | None = Field(
        None, description="Vault reference of the token sent as 'Authorization: Bearer' (null: none)."
    )
    ca_file: str | None = Field(
        None,
        pattern=r"^/",
        description="Path on the monitoring host of the PEM CA that signs the receiver's certificate "
        "(null: the system's trust store).",
    )
    teams: list[str] = Field(
        default_factory=list, description="Teams (the alert's team label) it receives; empty: every team."
    )
    severities: list[Severity] = Field(
        default_factory=lambda: list(DEFAULT_SEVERITIES), min_length=1, description="Severities it receives."
    )
    send_resolved: bool = Field(True, description="Also send a notification when an alert resolves.")
    watchdog: bool = Field(
        False,
        description="Also receives the Watchdog alert, which always fires: a dead-man's switch service "
        "raises the alarm when it stops arriving.",
    )


class MonitoringVars(StrictModel):
    monitoring_prometheus_port: Port = Field(9090, description="Prometheus' web and API port (loopback only).")
    monitoring_alertmanager_port: Port = Field(9093, description="Alertmanager's web and API port (loopback only).")
    monitoring_blackbox_port: Port = Field(9115, description="The blackbox exporter's port (loopback only).")
    monitoring_redis_exporter_port: Port = Field(
        9121,
        description="The Redis exporter's port (loopback only): it reads each Redis server over TLS as the "
        "ACL user 'monitoring' when Prometheus scrapes it.",
    )
    monitoring_redis_password: Secret = Field(
        # the key where role redis_sentinel keeps it: its own variable's default reference
        default_factory=lambda: SecretSpec(
            vault=str(default_ref("redis_sentinel", "redis_sentinel_monitoring_password")), generate=GenerateSpec()
        ),
        description="Password of Redis' ACL user 'monitoring': by default the key role redis_sentinel gives "
        "that user (whichever role is applied first generates it).",
    )
    monitoring_node_exporter_port: Port = Field(
        9100,
        description="node_exporter's port on every host: TLS, and only a client certificate of the "
        "internal CA from a monitoring host is served.",
    )
    monitoring_scrape_interval_s: int = Field(15, ge=1, le=300, description="Seconds between two scrapes.")
    monitoring_evaluation_interval_s: int = Field(
        15, ge=1, le=300, description="Seconds between two evaluations of the rules."
    )
    monitoring_retention_days: int = Field(15, ge=1, le=3650, description="Days of samples Prometheus keeps.")
    monitoring_retention_size: str = Field(
        "8GB", pattern=r"^[0-9]+(MB|GB|TB)$", description="Most disk the samples may take (the oldest go first)."
    )
    monitoring_group_wait_s: int = Field(
        30, ge=0, le=3600, description="Seconds Alertmanager waits to group a new alert with others."
    )
    monitoring_group_interval_s: int = Field(
        300, ge=1, le=86400, description="Seconds between two notifications of a group that changed."
    )
    monitoring_repeat_interval_h: int = Field(
        4, ge=1, le=168, description="Hours before a notification of an unchanged firing group is sent again."
    )
    monitoring_default_team: str = Field(
        "platform",
        pattern=r"^[a-z][a-z0-9_-]*$",
        description="The team label of alerts whose rule names none (every rule harden ships).",
    )
    monitoring_receivers: list[MonitoringReceiver] = Field(
        default_factory=list,
        description="Receivers and what they get. Without one, alerts are kept in Alertmanager only.",
    )
    monitoring_unit_metrics_interval_s: int = Field(
        15,
        ge=5,
        le=300,
        description="Seconds between two readings of every harden unit's memory and tasks (node_exporter's "
        "textfile collector).",
    )
    monitoring_prometheus_limits: ServiceLimits = Field(
        default_factory=lambda: limits("2G"), description="systemd resource limits of prometheus.service."
    )
    monitoring_alertmanager_limits: ServiceLimits = Field(
        default_factory=lambda: limits("256M"),
        description="systemd resource limits of prometheus-alertmanager.service.",
    )
    monitoring_blackbox_limits: ServiceLimits = Field(
        default_factory=lambda: limits("128M"),
        description="systemd resource limits of prometheus-blackbox-exporter.service.",
    )
    monitoring_redis_exporter_limits: ServiceLimits = Field(
        default_factory=lambda: limits("128M"),
        description="systemd resource limits of prometheus-redis-exporter.service (where Redis is monitored).",
    )
    monitoring_node_exporter_limits: ServiceLimits = Field(
        default_factory=lambda: limits("128M"),
        description="systemd resource limits of prometheus-node-exporter.service.",
    )
    monitoring_unit_metrics_limits: ServiceLimits = Field(
        default_factory=lambda: limits("64M", tasks_max=32),
        description="systemd resource limits of harden-unit-metrics.service.",
    )
