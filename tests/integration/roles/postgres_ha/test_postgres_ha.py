"""Role postgres_ha in the lab: converge, idempotence, replication, TLS/auth, operations and the
three fault scenarios (each once; bench/postgres_failover.py repeats them for medians)."""

from __future__ import annotations

import json
import shlex
import time

import pytest

from bench.lab_env import LAB, LAB_NAME
from orchestrator.audit.drills import DrillLog
from orchestrator.lab.config import LabConfig
from orchestrator.paths import REPO_ROOT
from orchestrator.roles.postgres_ha.ops import leader, status
from orchestrator.secrets.stored import read_stored_secret
from orchestrator.validation import Environment, validate_environment
from tests.faults import pg_faults as pf
from tests.integration.conftest import apply_roles, assert_units_have_limits, harden, lab_ssh

DATA = pf.DATA_HOSTS


@pytest.fixture(scope="module")
def pg_env(lab: LabConfig) -> Environment:
    applied = apply_roles("postgres_ha")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    env = validate_environment(LAB)
    pf.settle(env)
    return env


def _address(lab: LabConfig, host: str) -> str:
    return lab.host(host).address


def _on_app_side(lab: LabConfig, client: pf.FaultClient, body: str) -> str:
    """Run a psycopg2 snippet on ops-1 with `cfg` (CA and password, from stdin) and the CA at /tmp/pg-ca.crt."""
    script = (
        "import json, sys, psycopg2\ncfg = json.load(sys.stdin)\nopen('/tmp/pg-ca.crt', 'w').write(cfg['ca'])\n" + body
    )
    return pf.ssh(
        lab, "ops-1", f"python3 -c {shlex.quote(script)}", stdin=json.dumps({"ca": client.ca, "pw": client.password})
    )


def test_every_unit_has_its_resource_limits(lab: LabConfig, pg_env: Environment) -> None:
    assert_units_have_limits(lab, pg_env, "postgres_ha")


def test_second_apply_changes_nothing(pg_env: Environment) -> None:
    plan = harden("plan", "--env", LAB, "--role", "postgres_ha", "--format", "json")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert json.loads(plan.stdout)["changes"] == 0


def test_replication_streams_to_every_standby(lab: LabConfig, pg_env: Environment) -> None:
    lead = pf.current_leader(pg_env)
    replicas = [h for h in DATA if h != lead]
    rows = pf.psql(lab, lead, "SELECT client_addr, state, sync_state FROM pg_stat_replication ORDER BY 1;")
    streaming = {line.split("|")[0]: line.split("|")[1:] for line in rows.splitlines()}
    assert set(streaming) == {_address(lab, h) for h in replicas}
    assert all(state == "streaming" for state, _ in streaming.values())
    assert sorted(sync for _, sync in streaming.values()) == ["async", "sync"]  # synchronous_mode on in the lab
    assert pf.psql(lab, lead, "SELECT pg_is_in_recovery();") == "f"
    for host in replicas:
        assert pf.psql(lab, host, "SELECT pg_is_in_recovery();") == "t"
    marker = f"row-{time.time_ns()}"
    pf.psql(lab, lead, f"CREATE TABLE IF NOT EXISTS repl_check (v text); INSERT INTO repl_check VALUES ('{marker}');")
    for host in replicas:
        deadline = time.monotonic() + 10
        while pf.psql(lab, host, f"SELECT count(*) FROM repl_check WHERE v = '{marker}';") != "1":
            assert time.monotonic() < deadline, f"{marker} never reached {host}"
            time.sleep(0.2)


def test_hardened_settings(lab: LabConfig, pg_env: Environment) -> None:
    lead = pf.current_leader(pg_env)
    settings = pf.psql(
        lab,
        lead,
        "SELECT name || '=' || setting FROM pg_settings WHERE name IN "
        "('ssl', 'password_encryption', 'data_checksums', 'synchronous_standby_names', 'ssl_min_protocol_version');",
    ).splitlines()
    values = dict(line.split("=", 1) for line in settings)
    assert values["ssl"] == "on"
    assert values["password_encryption"] == "scram-sha-256"
    assert values["data_checksums"] == "on"
    assert values["ssl_min_protocol_version"] == "TLSv1.2"
    assert values["synchronous_standby_names"]  # a synchronous standby is named
    methods = set(pf.psql(lab, lead, "SELECT DISTINCT auth_method FROM pg_hba_file_rules;").split())
    assert methods <= {"peer", "scram-sha-256"}, methods  # no trust, no md5, no password
    types = set(pf.psql(lab, lead, "SELECT DISTINCT type FROM pg_hba_file_rules;").split())
    assert types <= {"local", "hostssl"}, types  # nothing remote without TLS
    # the secrets file is root-only, and config.yml holds no password
    mode = lab_ssh(lab, lead, "stat -c '%a %U' /etc/patroni/secrets.env").strip()
    assert mode == "600 root"
    config = lab_ssh(lab, lead, "cat /etc/patroni/config.yml")
    assert not any(value in config for value in _stored_passwords(pg_env))


def test_etcd_and_rest_api_require_auth(lab: LabConfig, pg_env: Environment) -> None:
    env = "ETCDCTL_API=3 ETCDCTL_ENDPOINTS=https://127.0.0.1:2379 ETCDCTL_CACERT=/etc/etcd/tls/ca.crt"
    anonymous = lab_ssh(lab, "data-1", f"{env} etcdctl get --prefix /service/ 2>&1; echo rc=$?", check=False)
    assert "rc=0" not in anonymous and "user name is empty" in anonymous
    plain = lab_ssh(lab, "data-1", "etcdctl --endpoints http://127.0.0.1:2379 get x 2>&1; echo rc=$?", check=False)
    assert "rc=0" not in plain  # no plaintext client port
    denied = lab_ssh(
        lab,
        "data-1",
        "python3 - <<'EOF'\n"
        "import ssl, urllib.request, urllib.error\n"
        "ctx = ssl.create_default_context(cafile='/etc/patroni/tls/ca.crt')\n"
        f"url = 'https://{lab.host('data-1').address}:8008/restart'\n"
        "req = urllib.request.Request(url, data=b'{}', method='POST')\n"
        "try:\n    urllib.request.urlopen(req, context=ctx)\n    print('allowed')\n"
        "except urllib.error.HTTPError as e:\n    print(e.code)\n"
        "EOF",
    )
    assert denied.strip() == "401"


def test_clients_find_the_primary_with_libpq_multi_host(lab: LabConfig, pg_env: Environment) -> None:
    """The documented connection string, from the app side (ops-1): TLS verified, read-write primary."""
    client = pf.prepare(lab, pg_env, "libpq_check")
    hosts = ",".join(_address(lab, h) for h in DATA)
    body = (
        f"conn = psycopg2.connect('host={hosts} port=5432 dbname=postgres user={pf.FAULT_USER} '\n"
        "    'sslmode=verify-full sslrootcert=/tmp/pg-ca.crt target_session_attrs=read-write', password=cfg['pw'])\n"
        "cur = conn.cursor()\n"
        "cur.execute('SELECT inet_server_addr()::text, current_setting(%s), ssl FROM pg_stat_ssl "
        "WHERE pid = pg_backend_pid()', ('transaction_read_only',))\n"
        "print(json.dumps(cur.fetchone()))\n"
    )
    out = _on_app_side(lab, client, body)
    server, read_only, ssl_on = json.loads(out)
    assert server.split("/")[0] == _address(lab, pf.current_leader(pg_env))
    assert read_only == "off" and ssl_on is True


def test_switchover_and_status_commands(pg_env: Environment) -> None:
    before = pf.current_leader(pg_env)
    sync = next(m.name for m in status(pg_env) if m.role == "sync_standby")
    moved = harden("pg", "switchover", "--env", LAB, "--to", sync, check=True)
    assert f"from {before} to {sync}" in moved.stdout
    drill = DrillLog().last(LAB_NAME, "postgres_ha")  # a failover drill, for harden audit (HR-PG-04)
    assert drill is not None and drill.detail == f"{before} -> {sync}" and 0 < drill.seconds < 30, drill
    assert f"{drill.seconds:.1f} s after the request" in moved.stdout
    shown = harden("pg", "status", "--env", LAB, check=True)
    assert "leader" in shown.stdout and sync in shown.stdout
    lead = leader(status(pg_env))
    assert lead is not None and lead.name == sync
    refused = harden("pg", "switchover", "--env", LAB, "--to", sync)
    assert refused.returncode != 0 and "leader already" in refused.stderr


@pytest.mark.fault
@pytest.mark.parametrize(
    "scenario",
    ["kill_patroni_and_postgres", "kill_patroni_only", "power_off"],
)
def test_leader_failure_loses_no_acknowledged_write(lab: LabConfig, pg_env: Environment, scenario: str) -> None:
    table = f"fault_{scenario}"
    client = pf.prepare(lab, pg_env, table)
    old = pf.current_leader(pg_env)
    fault = getattr(pf, scenario)
    try:
        result = pf.run_writer(lab, client, table, seconds=pf.writer_seconds(pg_env), fault=lambda: fault(lab, old))
        if scenario == "kill_patroni_only":  # fenced: PostgreSQL did not outlive Patroni
            assert pf.postgres_pids(lab, old) == []
    finally:
        pf.start_again(lab, old)
    new = pf.current_leader(pg_env)
    assert new != old, f"{old} is still the leader after {scenario}"
    assert not result.unfinished, f"writes never resumed: {result.errors[-3:]}"
    assert result.resumed_on == _address(lab, new)
    rejoined = pf.wait_rejoined(pg_env, old)
    assert rejoined.role in ("replica", "sync_standby")
    assert pf.psql(lab, old, "SELECT pg_is_in_recovery();") == "t"
    missing = pf.missing_on_members(lab, table, result.acked)
    assert not any(missing.values()), f"acknowledged writes lost ({scenario}): {missing}"
    print(f"{scenario}: writes resumed on {new} after {result.gap:.1f} s, {len(result.acked)} acknowledged, 0 lost")


@pytest.mark.fault
def test_leader_stall_loses_nothing_and_heals(lab: LabConfig, pg_env: Environment) -> None:
    """(d) every process of the leader's Patroni unit frozen for 25 s under write load, then resumed."""
    table = "fault_stall"
    client = pf.prepare(lab, pg_env, table)
    old = pf.current_leader(pg_env)
    healed: list[float] = []

    def stall_then_wait_healthy() -> None:
        pf.stall(lab, old)
        resumed = time.monotonic()
        pf.settle(pg_env, timeout=pf.STALL_HEAL_BOUND)  # under write load: all streaming, one timeline
        healed.append(time.monotonic() - resumed)

    try:
        seconds = pf.STALL_SECONDS + pf.writer_seconds(pg_env)
        result = pf.run_writer(
            lab, client, table, seconds=seconds, fault=stall_then_wait_healthy, min_seconds=pf.STALL_SECONDS + 15
        )
    finally:
        pf.start_again(lab, old)
    members = pf.settle(pg_env)
    leaders = [m for m in members if m.is_leader]
    assert len(leaders) == 1, f"leaders after the stall: {leaders}"
    assert len({m.timeline for m in members}) == 1, members
    assert not result.unfinished, f"writes never resumed: {result.errors[-3:]}"
    missing = pf.missing_on_members(lab, table, result.acked)
    assert not any(missing.values()), f"acknowledged writes lost after a stall: {missing}"
    assert harden("pg", "status", "--env", LAB).returncode == 0
    print(
        f"stall: leader {old} -> {leaders[0].name}, gap {result.gap or 0:.1f} s, {len(result.acked)} acknowledged, "
        f"0 lost; every member streaming on one timeline {healed[0]:.1f} s after SIGCONT"
    )


@pytest.mark.fault
def test_diverged_member_rejoins_by_rewind(lab: LabConfig, pg_env: Environment) -> None:
    """(e) a replica promoted outside Patroni (its own timeline, its own write) is rewound by Patroni alone."""
    pf.settle(pg_env)
    victim = next(m.name for m in status(pg_env) if m.role == "replica")
    pf.diverge(lab, victim)
    try:
        degraded = harden("pg", "status", "--env", LAB, "--format", "json")
        assert degraded.returncode == 3, degraded.stdout + degraded.stderr
        # Patroni down: missing from the cluster, or still listed as stopped until its key expires
        assert json.loads(degraded.stdout)["detail"]["problems"][victim], degraded.stdout
    finally:  # whatever the assertions say, the member starts again: the next tests need it
        lab_ssh(lab, victim, "systemctl start patroni")
    started = time.monotonic()
    members = pf.settle(pg_env, timeout=180)
    me = next(m for m in members if m.name == victim)
    lead = leader(members)
    assert lead is not None and me.timeline == lead.timeline and me.state == "streaming"
    exists = pf.psql(lab, victim, f"SELECT to_regclass('{pf.DIVERGED}') IS NOT NULL;")
    assert exists == "f", "the diverged write is still there: the member was not rewound"
    journal = lab_ssh(lab, victim, "journalctl -u patroni --since '-10min' --no-pager | grep -ci rewind || true")
    assert int(journal.strip() or 0) > 0, "Patroni's log never mentions pg_rewind"
    assert harden("pg", "status", "--env", LAB).returncode == 0
    print(f"divergence: {victim} rewound and streaming {time.monotonic() - started:.1f} s after Patroni started")


PENDING = "/var/lib/harden/postgres_ha/patroni.restart-pending"
SABOTAGE = "/etc/systemd/system/patroni.service.d/zz-test-fault.conf"


def _patroni_pid(lab: LabConfig, host: str) -> str:
    return lab_ssh(lab, host, "systemctl show patroni -p MainPID --value").strip()


@pytest.mark.fault
def test_drift_shows_in_the_plan_and_a_member_failing_mid_restart_stops_the_rolling_restart(
    lab: LabConfig, pg_env: Environment
) -> None:
    """Two kinds of drift by hand, one plan and two applies (each apply of this role costs a minute):
    - etcd authentication switched off, which only a command task repairs, still shows in the plan
      (exit 2), and the apply repairs it before it restarts anything;
    - every member's unit edited: the apply rewrites it, which takes a rolling restart. That restart
      stops at the first member that fails: nothing after it restarts, the leader keeps serving, the
      restart stays pending on the members it did not reach, and the next apply finishes it (issue
      12, item 14). Both replicas are made to fail on start, so the first one the role restarts
      fails, whichever it is."""
    pf.settle(pg_env)
    lead = pf.current_leader(pg_env)
    model = pg_env.role_vars["postgres_ha"]["data-1"]
    root = read_stored_secret(pg_env, "postgres_ha", model, "postgres_ha_etcd_root_password")
    etcd = "ETCDCTL_API=3 ETCDCTL_ENDPOINTS=https://127.0.0.1:2379 ETCDCTL_CACERT=/etc/etcd/tls/ca.crt"
    anonymous_get = f"{etcd} etcdctl get --prefix /service/ 2>&1; echo rc=$?"
    pf.ssh(lab, "data-1", f"read -r P; {etcd} ETCDCTL_USER=root ETCDCTL_PASSWORD=$P etcdctl auth disable", stdin=root)
    assert "rc=0" in lab_ssh(lab, "data-1", anonymous_get, check=False)  # the drift is real
    plan = harden("plan", "--env", LAB, "--role", "postgres_ha", "--format", "json")
    assert plan.returncode == 2, plan.stdout + plan.stderr
    changed = {r["task"] for r in json.loads(plan.stdout)["results"] if r["status"] == "changed"}
    assert "Converge Patroni's etcd password to the one in Vault" in changed, changed
    replicas = [h for h in DATA if h != lead]
    pids = {h: _patroni_pid(lab, h) for h in DATA}
    for host in DATA:  # drift in every member's unit: the apply rewrites it, which takes a rolling restart
        lab_ssh(lab, host, "echo '# drift' >> /etc/systemd/system/patroni.service")
    sabotage = f"printf '[Service]\\nExecStartPre=/bin/false\\n' > {SABOTAGE} && systemctl daemon-reload"
    for host in replicas:
        lab_ssh(lab, host, f"mkdir -p {SABOTAGE.rsplit('/', 1)[0]} && {sabotage}")
    try:
        failed = harden("apply", "--env", LAB, "--role", "postgres_ha")
        assert failed.returncode == 1, failed.stdout + failed.stderr
        said = " ".join((failed.stdout + failed.stderr).split())  # the console wraps long lines
        broken = [h for h in replicas if f"Restart Patroni and PostgreSQL on {h}" in said]
        assert len(broken) == 1, said  # the first failure stopped the play
        untouched = [h for h in DATA if h not in broken]
        assert lead in untouched
        for host in untouched:
            assert _patroni_pid(lab, host) == pids[host], f"{host} restarted after {broken[0]} had failed"
            assert lab_ssh(lab, host, f"test -f {PENDING} && echo pending").strip() == "pending", host
        assert pf.current_leader(pg_env) == lead
        # etcd comes before Patroni in the role: authentication is on again (later 0-change plans check it)
        assert "rc=0" not in lab_ssh(lab, "data-1", anonymous_get, check=False)
    finally:
        for host in replicas:
            lab_ssh(lab, host, f"rm -f {SABOTAGE} && systemctl daemon-reload")
    healed = harden("apply", "--env", LAB, "--role", "postgres_ha")
    assert healed.returncode == 0, healed.stdout + healed.stderr
    for host in untouched:  # the remembered restarts were done
        assert _patroni_pid(lab, host) != pids[host], host
        assert lab_ssh(lab, host, f"test -f {PENDING} || echo done").strip() == "done", host
    pf.settle(pg_env)  # the haproxy test's 0-change plan after its rollback covers convergence


def _stored_passwords(env: Environment) -> list[str]:
    model = env.role_vars["postgres_ha"]["data-1"]
    fields = [f for f in type(model).model_fields if f.endswith("_password")]
    return [read_stored_secret(env, "postgres_ha", model, f) for f in fields]


def test_no_postgres_secret_left_on_the_controller(pg_env: Environment) -> None:
    values = _stored_passwords(pg_env)
    assert len(values) == 6 and all(len(v) >= 16 for v in values)
    for path in (REPO_ROOT / ".harden").rglob("*"):
        if path.is_file() and path.stat().st_size < 50_000_000:
            data = path.read_bytes()
            for value in values:
                assert value.encode() not in data, f"a postgres secret is in {path}"


def test_new_standby_joins_by_inventory(lab: LabConfig, pg_env: Environment, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Add a host to `postgres` and apply baseline with the role: the members' firewalls open their
    etcd, Patroni and PostgreSQL ports to it, and it clones from the leader and streams (ops-1
    stands in)."""
    import yaml

    from bench.lab_env import copy_lab_with

    env_dir = copy_lab_with(tmp_path, "postgres", "")
    hosts_file = env_dir / "hosts.yml"
    inventory = yaml.safe_load(hosts_file.read_text())
    inventory["all"]["children"]["postgres"] = {"children": {"data": None}, "hosts": {"ops-1": None}}
    hosts_file.write_text(yaml.safe_dump(inventory, sort_keys=False))
    try:
        applied = harden("apply", "--env", str(env_dir), "--role", "baseline", "--role", "postgres_ha")
        assert applied.returncode == 0, applied.stdout + applied.stderr
        members = {m.name: m for m in status(pg_env)}
        assert "ops-1" in members and members["ops-1"].role in ("replica", "sync_standby")
        assert members["ops-1"].state == "streaming"  # the apply waited for it (wait_cluster.yml)
        # the lag Patroni reports compares positions each member publishes once per loop_wait
        deadline = time.monotonic() + 30
        while (lag := {m.name: m for m in status(pg_env)}["ops-1"].lag) != 0:
            assert time.monotonic() < deadline, f"ops-1 still lags by {lag} bytes"
            time.sleep(1)
        while True:
            lead = pf.current_leader(pg_env)
            senders = pf.psql(lab, lead, "SELECT client_addr FROM pg_stat_replication WHERE state = 'streaming';")
            if _address(lab, "ops-1") in senders.split():
                break
            assert time.monotonic() < deadline, f"ops-1 does not stream from {lead}: {senders.split()}"
            time.sleep(0.5)
    finally:
        lab_ssh(lab, "ops-1", "systemctl disable --now patroni", check=False)
        # the lab's own rules again (the members' ports closed to ops-1 once more)
        harden("apply", "--env", LAB, "--role", "baseline", check=True)
    pf.settle(pg_env)
    assert "ops-1" not in {m.name for m in pf.settle(pg_env)}


def _dcs_max_lag(lab: LabConfig) -> int:
    out = lab_ssh(
        lab,
        "data-1",
        'python3 -c "import json,ssl,urllib.request as u;'
        "c=ssl.create_default_context(cafile='/etc/patroni/tls/ca.crt');"
        f"print(json.load(u.urlopen('https://{lab.host('data-1').address}:8008/config',context=c))['maximum_lag_on_failover'])\"",
    )
    return int(out)


def test_optional_haproxy_routes_to_the_leader_and_rollback_undoes_it(  # type: ignore[no-untyped-def]
    lab: LabConfig, pg_env: Environment, tmp_path
) -> None:
    """postgres_ha_haproxy_enabled: port 5000 on any member reaches the leader, 5001 a replica.
    The same revision also changes a cluster-wide (DCS) setting; `harden rollback` then stops the
    proxy, puts the setting back and leaves nothing for a plan to change."""
    from bench.lab_env import apply_lab_with

    client = pf.prepare(lab, pg_env, "haproxy_check")
    before = _dcs_max_lag(lab)
    assert before != 4194304
    changed = "postgres_ha_haproxy_enabled: true\npostgres_ha_maximum_lag_on_failover: 4194304"
    # with baseline: its firewall opens HAProxy's ports once the proxy is on
    apply_lab_with(tmp_path, "postgres", changed, "--role", "baseline", "--role", "postgres_ha")
    assert _dcs_max_lag(lab) == 4194304
    body = (
        "out = []\n"
        "for port in (5000, 5001):\n"
        f"    conn = psycopg2.connect(host='{_address(lab, 'data-1')}', port=port, dbname='postgres',\n"
        f"        user='{pf.FAULT_USER}', password=cfg['pw'], sslmode='verify-ca', sslrootcert='/tmp/pg-ca.crt')\n"
        "    cur = conn.cursor()\n"
        "    cur.execute('SELECT inet_server_addr()::text, pg_is_in_recovery()')\n"
        "    out.append(cur.fetchone())\n"
        "print(json.dumps(out))\n"
    )
    out = _on_app_side(lab, client, body)
    (primary, primary_recovery), (replica, replica_recovery) = json.loads(out)
    assert primary.split("/")[0] == _address(lab, pf.current_leader(pg_env)) and primary_recovery is False
    assert replica.split("/")[0] != primary.split("/")[0] and replica_recovery is True
    # the cluster's own users are refused through the proxy, whatever their password
    body = (
        "import psycopg2\n"
        "try:\n"
        f"    psycopg2.connect(host='{_address(lab, 'data-1')}', port=5000, dbname='postgres', user='replicator',\n"
        "        password='not-the-password', sslmode='verify-ca', sslrootcert='/tmp/pg-ca.crt', connect_timeout=5)\n"
        "    print('connected')\n"
        "except psycopg2.OperationalError as exc:\n"
        "    print(str(exc).strip().splitlines()[-1])\n"
    )
    refused = _on_app_side(lab, client, body)
    assert "rejects connection" in refused, refused
    # and HAProxy answers only the client networks of postgres_ha_hba_rules (data-2 is not one)
    probe = (
        "import socket\n"
        f"s = socket.create_connection(('{_address(lab, 'data-1')}', 5000), timeout=5)\n"
        "s.sendall(b'\\x00\\x00\\x00\\x08\\x04\\xd2\\x16\\x2f')\n"  # SSLRequest
        "print(repr(s.recv(1)))\n"
    )
    outsider = lab_ssh(lab, "data-2", f"python3 -c {shlex.quote(probe)} 2>&1", check=False)
    assert "b'S'" not in outsider and "b'N'" not in outsider, outsider
    # back to the inventory's setting: the rollback steps stop the proxy again
    rolled = harden("rollback", "--env", LAB, "--role", "postgres_ha", "--yes")
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    assert lab_ssh(lab, "data-1", "systemctl is-active haproxy", check=False).strip() != "active"
    assert _dcs_max_lag(lab) == before
    plan = harden("plan", "--env", LAB, "--role", "postgres_ha", "--format", "json")
    assert plan.returncode == 0 and json.loads(plan.stdout)["changes"] == 0, plan.stdout
    harden("apply", "--env", LAB, "--role", "baseline", check=True)  # HAProxy's ports closed again
    pf.settle(pg_env)
