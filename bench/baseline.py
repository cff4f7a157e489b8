"""Host hardening rated by tools no one here wrote: Lynis and ssh-audit (both Debian's), on three
hosts of one fresh lab side by side: one left as the image made it, one hardened by dev-sec's
os_hardening and ssh_hardening, one by harden's baseline role.

dev-sec's collection comes from a snapshot of its public repository (github.com/dev-sec/
ansible-collection-hardening), given as a git directory or a work tree with --devsec; nothing of it
is committed here. It runs through plain ansible-playbook with its own container settings (those of
its molecule scenario: no auditd, and no sysctl, which a container may not set) and its defaults
otherwise. harden's baseline runs through `harden apply --role baseline --limit <host>`, with the
lab's variables (its firewall included). Each host then installs lynis and ssh-audit from Debian
and runs `lynis audit system --quick` and `ssh-audit -n 127.0.0.1` against itself; on harden's host
the first AIDE database is awaited first, as the baseline test does.

Usage (root, from the repository root; it takes the lab down and brings it up fresh):
python -m bench.baseline --devsec /path/to/ansible-collection-hardening
Writes bench/baseline.md and leaves the lab up, with baseline applied to one host only.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.lab_env import HARDEN, LAB
from bench.provenance import machine
from bench.tables import header
from orchestrator.lab.config import LabConfig, load_lab_config
from tests.faults.lab_ssh import ssh

OUT = Path(__file__).with_name("baseline.md")
# the report's tables, in order (tests/unit/test_bench_reports.py)
TABLES = (("host", "hardened by", "Lynis hardening index", "Lynis suggestions", "ssh-audit fail", "ssh-audit warn"),)
HOSTS = {"data-1": "nothing (the lab image)", "data-2": "dev-sec", "data-3": "harden"}
ANSIBLE_PLAYBOOK = str(Path(sys.executable).with_name("ansible-playbook"))
AIDE_DB_READY = "for i in $(seq 300); do test -s /var/lib/aide/aide.db && exit 0; sleep 1; done; exit 1"
# dev-sec's molecule scenarios for containers (molecule/os_hardening/converge.yml): the
# virtualization fact set to docker, auditd off; sysctl off as issue 21 measured it; root may log
# in with a key
DEVSEC_PLAYBOOK = """\
- name: dev-sec's os_hardening and ssh_hardening, with its container settings
  hosts: all
  become: true
  vars:
    os_auditd_enabled: false
    os_sysctl_enabled: false
    # the lab is run as root, with keys (harden's lab: PermitRootLogin prohibit-password); dev-sec's
    # default "no" would lock the bench out before it could rate the host
    ssh_permit_root_login: without-password
  tasks:
    - name: The workaround its molecule scenario sets for containers
      ansible.builtin.set_fact:
        ansible_virtualization_type: docker
    - name: Include os_hardening
      ansible.builtin.include_role:
        name: devsec.hardening.os_hardening
    - name: Include ssh_hardening
      ansible.builtin.include_role:
        name: devsec.hardening.ssh_hardening
"""


def devsec_collection(source: Path, into: Path) -> str:
    """Export the snapshot's HEAD as ansible_collections/devsec/hardening under ``into``; its version."""
    git_dir = source if (source / "HEAD").is_file() and not (source / ".git").exists() else source / ".git"
    target = into / "ansible_collections" / "devsec" / "hardening"
    target.mkdir(parents=True)
    archive = subprocess.run(["git", "--git-dir", str(git_dir), "archive", "HEAD"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    head = subprocess.run(
        ["git", "--git-dir", str(git_dir), "log", "-1", "--format=%h %cs"], capture_output=True, text=True, check=True
    ).stdout.strip()
    version = next(
        line.split(":", 1)[1].strip()
        for line in (target / "galaxy.yml").read_text().splitlines()
        if line.startswith("version:")
    )
    return f"{version} (commit {head})"


def run_devsec(lab: LabConfig, host: str, workdir: Path) -> None:
    inventory = workdir / "hosts.ini"
    inventory.write_text(
        f"{host} ansible_host={lab.host(host).address} ansible_user=root "
        f"ansible_ssh_common_args='-F {lab.ssh_config}'\n"
    )
    playbook = workdir / "devsec.yml"
    playbook.write_text(DEVSEC_PLAYBOOK)
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin:/usr/sbin:/sbin",
        "HOME": "/root",
        "LANG": "C.UTF-8",
        "ANSIBLE_COLLECTIONS_PATH": str(workdir),
        "ANSIBLE_HOST_KEY_CHECKING": "True",
        "ANSIBLE_CONFIG": str(workdir / "ansible.cfg"),
    }
    (workdir / "ansible.cfg").write_text("[defaults]\ninterpreter_python = auto_silent\n")
    done = subprocess.run(
        [ANSIBLE_PLAYBOOK, "-i", str(inventory), str(playbook)], env=env, capture_output=True, text=True, cwd=workdir
    )
    if done.returncode != 0:
        raise SystemExit(f"dev-sec's playbook failed on {host}:\n{done.stdout[-4000:]}\n{done.stderr[-2000:]}")


def rate(lab: LabConfig, host: str) -> tuple[int, int, int, int]:
    """Lynis's hardening index and suggestion count, ssh-audit's fail and warn lines."""
    ssh(lab, host, "DEBIAN_FRONTEND=noninteractive apt-get install -y -q lynis ssh-audit >/dev/null")
    ssh(lab, host, "lynis audit system --quick --no-colors >/dev/null 2>&1 || true")
    report = ssh(lab, host, "cat /var/log/lynis-report.dat").splitlines()
    index = next(int(line.split("=")[1]) for line in report if line.startswith("hardening_index="))
    suggestions = len({line.split("=", 1)[1].split("|")[0] for line in report if line.startswith("suggestion[]=")})
    audit = [line for line in ssh(lab, host, "ssh-audit -n 127.0.0.1 || true").splitlines() if line.startswith("(")]
    if len(audit) < 15:
        raise SystemExit(f"{host}: ssh-audit printed too little to rate: {audit}")
    return index, suggestions, sum("[fail]" in a for a in audit), sum("[warn]" in a for a in audit)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--devsec", type=Path, required=True, help="dev-sec/ansible-collection-hardening (git)")
    args = parser.parse_args()
    lab = load_lab_config(LAB)
    subprocess.run([HARDEN, "lab", "down", "--env", LAB], check=True, capture_output=True)
    subprocess.run([HARDEN, "lab", "up", "--env", LAB], check=True, capture_output=True)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        devsec = devsec_collection(args.devsec, workdir)
        run_devsec(lab, "data-2", workdir)
    applied = subprocess.run(
        [HARDEN, "apply", "--env", LAB, "--role", "baseline", "--limit", "data-3", "--yes"],
        capture_output=True,
        text=True,
    )
    if applied.returncode != 0:
        raise SystemExit(f"harden apply failed:\n{applied.stdout[-4000:]}\n{applied.stderr[-2000:]}")
    ssh(lab, "data-3", AIDE_DB_READY)
    rows = {host: rate(lab, host) for host in HOSTS}
    lines = [
        "# Host hardening rated by Lynis and ssh-audit: fresh, dev-sec, harden",
        "",
        f"Produced by `python -m bench.baseline --devsec <dev-sec/ansible-collection-hardening>` on {machine()}.",
        f"Three hosts of one fresh lab (Debian 12 under systemd-nspawn), side by side: dev-sec's collection "
        f"{devsec} through plain ansible-playbook with the settings of its container scenario (auditd off; "
        "sysctl off, which a container may not set), root logging in with a key as in harden's lab, and its "
        "defaults otherwise; harden's baseline with the "
        "lab's variables (`harden apply --role baseline --limit data-3`). Then, on each host, Debian's "
        "lynis (`lynis audit system --quick`) and ssh-audit (`ssh-audit -n 127.0.0.1`). One run: both tools "
        "rate a host's files and settings, which do not vary between runs.",
        "",
        *header(TABLES[0]),
    ]
    lines += [f"| {host} | {HOSTS[host]} | {i} | {s} | {f} | {w} |" for host, (i, s, f, w) in rows.items()]
    lines += [
        "",
        "What harden leaves unanswered is waived with its reason in "
        "tests/integration/roles/baseline/waivers.yml, and the baseline test keeps that list honest.",
    ]
    OUT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
