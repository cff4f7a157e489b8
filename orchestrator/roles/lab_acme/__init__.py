"""Role `lab_acme`: the lab's stand-ins for Let's Encrypt and public DNS (Pebble and BIND 9)."""

from orchestrator.roles.lab_acme.model import LabAcmeVars
from orchestrator.roles.spec import RoleSpec

SPEC = RoleSpec(
    name="lab_acme",
    check_code="ACME",
    summary="Lab only: Pebble as the ACME CA and BIND 9 serving the lab's zone, with RFC 2136 updates under TSIG",
    model=LabAcmeVars,
    groups=("acme_ca",),
    requires=("baseline", "pki", "vault"),
    before=("edge",),
    lab_only=True,
    units=("pebble.service", "named.service"),
    managed_paths=("/etc/pebble/harden.json", "/etc/bind/named.conf.local", "/etc/systemd/system/pebble.service*"),
    play_name="Lab ACME CA and DNS (Pebble, BIND 9)",
)
