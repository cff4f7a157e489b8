"""Role `monitoring`: Prometheus and Alertmanager on the monitoring hosts, node_exporter on every
host, the blackbox exporter for TLS and OpenBao's seal, the Redis exporter, and every role's own
alert rules."""

from orchestrator.roles.monitoring.model import MonitoringVars
from orchestrator.roles.monitoring.targets import monitoring_host_vars, openings
from orchestrator.roles.spec import LOCAL, TLS, Port, RoleSpec

SPEC = RoleSpec(
    name="monitoring",
    check_code="MON",
    summary="Prometheus, Alertmanager and exporters from Debian: mutual-TLS scrapes, every role's alert rules tested",
    model=MonitoringVars,
    # node_exporter runs on every host; Prometheus, Alertmanager, the blackbox exporter and (where
    # Redis runs) the Redis exporter on the monitoring hosts
    groups=("monitoring", "all"),
    requires=("baseline", "pki"),
    last=True,
    status_area="monitoring",
    units=(
        "prometheus.service",
        "prometheus-alertmanager.service",
        "prometheus-blackbox-exporter.service",
        "prometheus-redis-exporter.service",
        "prometheus-node-exporter.service",
        "harden-unit-metrics.service",
    ),
    ports=(
        Port("monitoring_prometheus_port", (LOCAL,), groups=("monitoring",)),
        Port("monitoring_alertmanager_port", (LOCAL,), groups=("monitoring",)),
        Port("monitoring_blackbox_port", (LOCAL,), groups=("monitoring",)),
        Port("monitoring_redis_exporter_port", (LOCAL,), groups=("monitoring",)),
        Port(
            "monitoring_node_exporter_port",
            ("monitoring",),
            groups=("all",),
            tls=TLS,
            anonymous="http GET /metrics",
        ),
    ),
    derived_vars=monitoring_host_vars,
    openings=openings,
    managed_paths=(
        "/etc/prometheus/prometheus.yml",
        "/etc/prometheus/alertmanager.yml",
        "/etc/prometheus/blackbox.yml",
        "/etc/prometheus/redis-passwords.json",
        "/etc/prometheus/web-node-exporter.yml",
        "/etc/prometheus/rules/*.yml",
        "/etc/default/prometheus*",
        "/etc/systemd/system/harden-unit-metrics.*",
    ),
    play_name="Monitoring (Prometheus, Alertmanager, exporters)",
)
