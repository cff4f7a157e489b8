"""Role redis_sentinel in the lab: converge, idempotence, auth, and the three fault scenarios."""

from __future__ import annotations

import json
import time

import pytest

from bench.lab_env import LAB
from orchestrator.lab.config import LabConfig
from orchestrator.validation import Environment, validate_environment
from tests.faults import redis_faults as rf
from tests.faults.lab_ssh import heal
from tests.integration.conftest import apply_roles, assert_units_have_limits, harden, lab_ssh

DATA = ("data-1", "data-2", "data-3")


@pytest.fixture(scope="module")
def redis_env(lab: LabConfig) -> Environment:
    applied = apply_roles("redis_sentinel")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    return validate_environment(LAB)


@pytest.fixture(scope="module")
def ra(redis_env: Environment) -> rf.RedisAccess:
    return rf.access(redis_env)


def test_every_unit_has_its_resource_limits(lab: LabConfig, redis_env: Environment) -> None:
    assert_units_have_limits(lab, redis_env, "redis_sentinel")  # the Sentinel on ops-1 too
    assert_units_have_limits(lab, redis_env, "vault")


def test_second_apply_changes_nothing(redis_env: Environment) -> None:
    plan = harden("plan", "--env", LAB, "--role", "redis_sentinel", "--format", "json")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert json.loads(plan.stdout)["changes"] == 0


def test_replication_and_quorum_are_healthy(lab: LabConfig, ra: rf.RedisAccess) -> None:
    master = rf.master_host(lab, ra)
    rf.wait_replicas(lab, ra, master, 2)
    sentinels = rf.sentinel_hosts()
    assert "ops-1" in sentinels  # the lab's Sentinel on a host that runs no Redis
    for host in sentinels:
        ok = rf.redis_cli(lab, host, ra.sentinel_password, f"SENTINEL ckquorum {rf.MASTER_NAME}", sentinel=True)
        assert ok.startswith("OK"), ok
        assert rf.master_host(lab, ra, via=host) == master


def test_auth_is_required_and_least_privilege(lab: LabConfig, ra: rf.RedisAccess) -> None:
    master = rf.master_host(lab, ra)
    anonymous = lab_ssh(lab, master, f"{rf.CLI} -p 6379 PING 2>&1 || true")
    assert "NOAUTH" in anonymous or "WRONGPASS" in anonymous or "Authentication required" in anonymous
    cli = f"{rf.CLI} -p 6379 --user orders --no-auth-warning"
    denied = rf.ssh(
        lab,
        master,
        f"bash -c 'read -r REDISCLI_AUTH; export REDISCLI_AUTH; {cli} FLUSHALL; "
        f"{cli} CONFIG GET maxmemory; {cli} SET other:key 1; {cli} SET orders:probe 1'",
        stdin=ra.user_password + "\n",
    )
    lines = [line for line in denied.splitlines() if line.strip()]
    assert "NOPERM" in lines[0] and "NOPERM" in lines[1] and "NOPERM" in lines[2], lines
    assert lines[3] == "OK"
    for host in sorted({*DATA, *rf.sentinel_hosts()}):
        modes = lab_ssh(
            lab,
            host,
            "stat -c '%n %a %U' $(ls -d /etc/redis/harden-* /var/lib/redis/redis.conf /var/lib/redis/sentinel.conf "
            "2>/dev/null)",
        )
        assert modes.strip(), host
        for line in modes.splitlines():
            _name, mode, _owner = line.split()
            assert int(mode, 8) & 0o007 == 0, line  # nothing for others
        if host not in DATA:
            continue
        acl = lab_ssh(lab, host, "cat /etc/redis/harden-users.acl")
        assert ra.user_password not in acl and ra.admin_password not in acl  # hashes only


def test_only_tls_is_served_and_members_verify_each_other(lab: LabConfig, ra: rf.RedisAccess) -> None:
    """Redis and Sentinel answer TLS only, with a certificate from the lab's CA that names the
    address; a client showing a certificate from another CA is refused; replication and the
    Sentinels' links run over TLS."""
    checked = 0
    for host in sorted({*DATA, *rf.sentinel_hosts()}):
        address = lab.host(host).address
        ports = [6379] * (host in DATA) + [26379] * (host in rf.sentinel_hosts())
        for port in ports:
            plain = lab_ssh(lab, host, f"redis-cli -h {address} -p {port} PING 2>&1 || true")
            assert "PONG" not in plain and "NOAUTH" not in plain, (host, port, plain)
            verified = lab_ssh(
                lab,
                host,
                f"openssl s_client -connect {address}:{port} -CAfile {rf.TLS_CA} -verify_return_error "
                f"-verify_ip {address} </dev/null 2>&1 | grep -E 'Verify return code|Protocol' || true",
            )
            assert "Verify return code: 0 (ok)" in verified, (host, port, verified)
            checked += 1
    assert checked == 6, checked  # 3 Redis, 3 Sentinels
    master = rf.master_host(lab, ra)
    stranger = lab_ssh(
        lab,
        master,
        "cd /tmp && openssl req -x509 -newkey rsa:2048 -nodes -keyout stranger.key -out stranger.crt -days 1 "
        "-subj /CN=stranger 2>/dev/null && "
        f"{rf.CLI} --cert stranger.crt --key stranger.key -p 6379 PING 2>&1; rm -f stranger.key stranger.crt",
        check=False,
    )
    assert "PONG" not in stranger and "NOAUTH" not in stranger, stranger
    for host in DATA:
        settings = rf.redis_cli(lab, host, ra.admin_password, "CONFIG GET tls-replication port tls-port")
        assert dict(zip(settings.split()[::2], settings.split()[1::2], strict=True)) == {
            "tls-replication": "yes",
            "port": "0",
            "tls-port": "6379",
        }, settings
    rf.wait_replicas(lab, ra, master, 2)  # replicas stream from the master over TLS (there is no other port)


@pytest.mark.fault
def test_a_kill_master_fails_over(lab: LabConfig, ra: rf.RedisAccess) -> None:
    old = rf.master_host(lab, ra)
    result = rf.run_writer(lab, ra, seconds=15, prefix="orders:fault-a", fault=lambda: rf.kill_master(lab, old))
    new = rf.master_host(lab, ra)
    assert new != old
    assert result.first_outage is not None and result.first_outage < 30
    print(f"redis failover (kill -9 master): writable again after {result.first_outage:.1f}s")
    missing = set(result.acked) - rf.stored_ids(lab, ra, new, "orders:fault-a")
    assert missing == set()
    rf.start_again(lab, old)
    rf.wait_replicas(lab, ra, new, 2)  # the old master came back and rejoined as a replica


@pytest.mark.fault
def test_b_partition_then_kill_loses_no_acknowledged_write(lab: LabConfig, ra: rf.RedisAccess) -> None:
    """A full partition (both directions) leaves the old master taking writes for up to
    min-replicas-max-lag seconds, and Sentinel may promote the replica that saw fewer of them:
    Redis replicates asynchronously, so a write is safe once every replica confirmed it (WAIT 2).
    bench/redis_failover.md measures plain and WAIT 1 acknowledgements too."""
    old = rf.master_host(lab, ra)

    def fault() -> None:
        rf.cut_replication(lab, old)
        import time

        time.sleep(5)
        rf.kill_master(lab, old)

    try:
        result = rf.run_writer(lab, ra, seconds=20, prefix="orders:fault-b", fault=fault, wait=2)
    finally:
        heal(lab, old)
    new = rf.master_host(lab, ra)
    assert new != old
    missing = set(result.acked) - rf.stored_ids(lab, ra, new, "orders:fault-b")
    print(f"redis partition+kill: {len(result.acked)} acknowledged, {len(missing)} lost")
    rf.start_again(lab, old)
    rf.wait_replicas(lab, ra, new, 2)
    assert missing == set()


def test_c_apply_after_failover_changes_nothing_and_keeps_the_master(lab: LabConfig, ra: rf.RedisAccess) -> None:
    before = rf.master_host(lab, ra)
    plan = harden("plan", "--env", LAB, "--role", "redis_sentinel", "--format", "json")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    applied = harden("apply", "--env", LAB, "--role", "redis_sentinel", check=True)
    assert "0 changes in 0 roles" in applied.stdout + applied.stderr
    assert rf.master_host(lab, ra) == before
    rf.wait_replicas(lab, ra, before, 2)


def test_d_planned_failover_and_status_commands(lab: LabConfig, ra: rf.RedisAccess) -> None:
    before = rf.master_host(lab, ra)
    moved = harden("redis", "failover", "--env", LAB, check=True)
    assert "master moved from" in moved.stdout
    after = rf.master_host(lab, ra)
    assert after != before
    status = harden("redis", "status", "--env", LAB, "--format", "json", check=True)
    report = json.loads(status.stdout)
    assert report["verdict"] == "healthy" and report["exit"] == 0, report
    assert report["detail"]["master"] == f"{lab.host(after).address}:6379"
    assert report["detail"]["ckquorum"].startswith("OK")
    rf.wait_replicas(lab, ra, after, 2)

    # a stopped replica makes the status degraded (exit 3, with the reason), and healthy once back
    replica = next(h for h in DATA if h != after)
    lab_ssh(lab, replica, "systemctl stop redis-server")
    try:
        deadline = time.monotonic() + 30
        while True:
            degraded = harden("redis", "status", "--env", LAB)
            if degraded.returncode == 3 or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert degraded.returncode == 3, degraded.stdout + degraded.stderr
        assert "1 of 2 replicas online" in degraded.stdout
    finally:
        lab_ssh(lab, replica, "systemctl start redis-server")
    rf.wait_replicas(lab, ra, after, 2)
    deadline = time.monotonic() + 30
    while harden("redis", "status", "--env", LAB).returncode != 0:
        assert time.monotonic() < deadline, "redis status did not become healthy again"
        time.sleep(1)


REDIS_PENDING = "/var/lib/harden/redis_sentinel/restart-pending"
REDIS_SABOTAGE = "/etc/systemd/system/redis-server.service.d/zz-test-fault.conf"


def _redis_pid(lab: LabConfig, host: str) -> str:
    return lab_ssh(lab, host, "systemctl show redis-server -p MainPID --value").strip()


@pytest.mark.fault
def test_e_a_member_failing_mid_restart_stops_the_rolling_restart(lab: LabConfig, ra: rf.RedisAccess) -> None:
    """The rolling restart stops at the first member that fails: nothing after it restarts, the
    master keeps its role, the restart stays pending where it was not done, and the next apply
    finishes it (issue 12, item 14)."""
    master = rf.master_host(lab, ra)
    rf.wait_replicas(lab, ra, master, 2)
    first, second = [h for h in DATA if h != master]  # replicas in inventory order, the master last
    pids = {h: _redis_pid(lab, h) for h in DATA}
    for host in DATA:  # drift in a restart-only file: the apply rewrites it, which takes a rolling restart
        lab_ssh(lab, host, "echo '# drift' >> /etc/redis/harden-static.conf")
    lab_ssh(
        lab, first, f"printf '[Service]\\nExecStartPre=/bin/false\\n' > {REDIS_SABOTAGE} && systemctl daemon-reload"
    )
    try:
        failed = harden("apply", "--env", LAB, "--role", "redis_sentinel")
        assert failed.returncode == 1, failed.stdout + failed.stderr
        said = " ".join((failed.stdout + failed.stderr).split())  # the console wraps long lines
        assert f"Restart Redis on {first}" in said, said
        for host in (second, master):
            assert _redis_pid(lab, host) == pids[host], f"{host} restarted after {first} had failed"
            assert lab_ssh(lab, host, f"test -f {REDIS_PENDING} && echo pending").strip() == "pending", host
        assert rf.master_host(lab, ra) == master
    finally:
        lab_ssh(lab, first, f"rm -f {REDIS_SABOTAGE} && systemctl daemon-reload")
    healed = harden("apply", "--env", LAB, "--role", "redis_sentinel")
    assert healed.returncode == 0, healed.stdout + healed.stderr
    for host in DATA:
        assert lab_ssh(lab, host, f"test -f {REDIS_PENDING} || echo done").strip() == "done", host
    for host in (second, master):  # the remembered restarts were done
        assert _redis_pid(lab, host) != pids[host], host
    new_master = rf.master_host(lab, ra)
    rf.wait_replicas(lab, ra, new_master, 2)  # the rollback module's 0-change plan covers convergence
