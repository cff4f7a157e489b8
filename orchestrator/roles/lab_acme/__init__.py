"""Role `lab_acme`: the lab's stand-ins for Let's Encrypt and public DNS (Pebble and BIND 9), and
for a chat service's webhook (a recorder Alertmanager posts to)."""

from orchestrator.roles.lab_acme.model import LabAcmeVars
from orchestrator.roles.spec import TLS, Port, RoleSpec

SPEC = RoleSpec(
    name="lab_acme",
    check_code="ACME",
    summary="Lab only: Pebble as the ACME CA and BIND 9 serving the lab's zone, with RFC 2136 updates under TSIG",
    model=LabAcmeVars,
    groups=("acme_ca",),
    requires=("baseline", "pki", "vault"),
    before=("edge",),
    lab_only=True,
    units=("pebble.service", "named.service", "harden-webhook-recorder.service"),
    # the edge orders certificates from Pebble and updates the zone on BIND; Pebble connects to the
    # edge's challenge ports (open to anyone there)
    ports=(
        Port("lab_acme_port", ("edge",), tls=TLS),
        Port("dns", ("edge",), number=53),
        Port("dns", ("edge",), proto="udp", number=53),
        Port("lab_acme_webhook_port", ("monitoring",), tls=TLS),
    ),
    connects_to=("lab_acme_http_challenge_port", "lab_acme_tls_challenge_port"),
    managed_paths=(
        "/etc/pebble/harden.json",
        "/etc/bind/named.conf.local",
        "/etc/systemd/system/pebble.service*",
        "/etc/systemd/system/harden-webhook-recorder.service*",
    ),
    play_name="Lab ACME CA and DNS (Pebble, BIND 9)",
)
