"""The lab's hosts are real and separate: own hostname, address, filesystem and network peer view."""

from __future__ import annotations

import json
import subprocess
import time
import uuid

from bench.lab_env import LAB, LAB_DIR
from orchestrator.lab.config import LabConfig
from tests.integration.conftest import ansible_env, harden, harden_bin, lab_ssh


def test_every_host_runs_systemd_and_reports_running(lab: LabConfig) -> None:
    for host in lab.hosts:
        assert lab_ssh(lab, host.name, "systemctl is-system-running").strip() == "running"


def test_each_host_has_its_own_hostname_address_and_identity(lab: LabConfig) -> None:
    seen_ids = set()
    for host in lab.hosts:
        out = lab_ssh(lab, host.name, "hostname; ip -4 -o addr show dev eth0; cat /etc/machine-id").split("\n")
        assert out[0] == host.name
        assert f"inet {host.address}/" in out[1]
        seen_ids.add(out[2])
    assert len(seen_ids) == len(lab.hosts)


def test_a_file_written_on_one_host_is_absent_on_the_others(lab: LabConfig) -> None:
    marker = f"/root/marker-{uuid.uuid4().hex}"
    first, *others = lab.hosts
    lab_ssh(lab, first.name, f"echo hello > {marker}")
    assert lab_ssh(lab, first.name, f"cat {marker}").strip() == "hello"
    for host in others:
        assert lab_ssh(lab, host.name, f"test -e {marker} && echo present || echo absent").strip() == "absent"
    lab_ssh(lab, first.name, f"rm {marker}")


SERVER = (
    "import socket;s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);"
    "s.bind(('{addr}',7777));s.listen();c,a=s.accept();c.sendall(a[0].encode());c.close()"
)
CLIENT = "import socket;c=socket.create_connection(('{addr}',7777),timeout=10);print(c.recv(100).decode())"


def test_a_service_on_one_host_sees_the_peer_real_address(lab: LabConfig) -> None:
    server, client = lab.hosts[0], lab.hosts[1]
    cmd = f'timeout 30 python3 -c "{SERVER.format(addr=server.address)}"'
    proc = subprocess.Popen(
        ["ssh", "-F", str(lab.ssh_config), server.address, cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        for _ in range(50):
            if "7777" in lab_ssh(lab, server.name, "ss -ltn"):
                break
            time.sleep(0.1)
        seen = lab_ssh(lab, client.name, f'python3 -c "{CLIENT.format(addr=server.address)}"').strip()
    finally:
        proc.wait(timeout=30)
    assert seen == client.address


def test_apt_inside_a_host_reaches_only_the_machine_mirror(lab: LabConfig) -> None:
    out = lab_ssh(lab, lab.hosts[0].name, "apt-get update 2>&1; apt-cache policy procps | head -3")
    assert "procps:" in out
    assert "Err:" not in out
    # no route leaves the lab: the default route points at the switch, which routes nowhere
    assert lab_ssh(lab, lab.hosts[0].name, "ip route show default").startswith(f"default via {lab.settings.gateway}")


def test_ansible_sees_systemd_in_a_container(lab: LabConfig) -> None:
    proc = subprocess.run(
        [
            harden_bin("ansible"),
            "data-1",
            "-i",
            str(LAB_DIR),
            "-m",
            "ansible.builtin.setup",
            "-a",
            "filter=ansible_service_mgr,ansible_virtualization_type,ansible_default_ipv4",
            "-o",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=ansible_env(),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    facts = json.loads(proc.stdout.split("=>", 1)[1])["ansible_facts"]
    assert facts["ansible_service_mgr"] == "systemd"
    assert facts["ansible_virtualization_type"] in ("systemd-nspawn", "container")
    assert facts["ansible_default_ipv4"]["address"] == lab.host("data-1").address


def test_lab_up_again_leaves_running_hosts_alone(lab: LabConfig) -> None:
    before = harden("lab", "status", "--env", LAB).stdout
    again = harden("lab", "up", "--env", LAB, check=True)
    assert "running" in again.stdout
    assert harden("lab", "status", "--env", LAB).stdout == before
