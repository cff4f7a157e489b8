"""Continuous writer for PostgreSQL fault tests. Runs ON a lab host (the app side), stdlib + python3-psycopg2.

Inserts one row per transaction into <table> (run, n) and records every write whose COMMIT
returned, which server took it, and when writes stopped and resumed. It finds the primary the
way a service should: one libpq multi-host string with target_session_attrs=read-write.
Secrets come on stdin, never on argv.

A write that hangs (a primary waiting for a synchronous standby that is gone) is abandoned
after "stuck_after" seconds by shutting its socket down, never by a cancel request: PostgreSQL
answers a cancelled synchronous-commit wait with success for a commit that is only local.

stdin: JSON {"hosts": [...], "port": p, "user": u, "password": pw, "ca": PEM, "table": t,
             "seconds": s, "stuck_after": s, "min_seconds": s, "settle_after": s}
(it stops early, after min_seconds, once writes have run settle_after seconds since the last outage
ended; "seconds" is the most it runs)
stdout: JSON {"acked": [n...], "servers": {server: count}, "errors": [[t, msg]...],
              "outages": [[last_ack_before, first_failure, first_ack_after, server_after]...]}
(seconds since the writer started; first_ack_after and server_after are null if writes never resumed)
"""

import contextlib
import json
import socket
import sys
import tempfile
import threading
import time

import psycopg2


def dsn(cfg, ca_path):
    return (
        f"host={','.join(cfg['hosts'])} port={cfg['port']} dbname=postgres user={cfg['user']} "
        f"password={cfg['password']} sslmode=verify-full sslrootcert={ca_path} "
        "target_session_attrs=read-write connect_timeout=2 application_name=harden-fault-writer"
    )


def abandon(conn):
    """Cut the connection under a hanging statement: the client never hears an answer."""
    try:
        sock = socket.socket(fileno=conn.fileno())
        sock.shutdown(socket.SHUT_RDWR)
        sock.detach()
    except OSError:
        pass


def main():
    cfg = json.load(sys.stdin)
    with tempfile.NamedTemporaryFile("w", suffix=".crt", delete=False) as ca:
        ca.write(cfg["ca"])
    conninfo = dsn(cfg, ca.name)
    table = cfg["table"]
    acked, errors, outages, servers = [], [], [], {}
    down_since = None
    last_ok = None
    conn = None
    n = 0
    start = time.monotonic()
    end = start + cfg["seconds"]
    min_end = start + cfg.get("min_seconds", cfg["seconds"])
    settle_after = cfg.get("settle_after", 5.0)
    while time.monotonic() < end:
        now = time.monotonic()
        if now > min_end and outages and down_since is None and now - (start + outages[-1][2]) > settle_after:
            break  # the fault came and went: enough writes after it
        n += 1
        try:
            if conn is None or conn.closed:
                conn = psycopg2.connect(conninfo)
                conn.autocommit = True
            timer = threading.Timer(cfg["stuck_after"], abandon, args=(conn,))
            timer.start()
            try:
                with conn.cursor() as cur:
                    cur.execute(f"INSERT INTO {table} (n) VALUES (%s) RETURNING inet_server_addr()", (n,))
                    server = str(cur.fetchone()[0])
            finally:
                timer.cancel()
            acked.append(n)
            servers[server] = servers.get(server, 0) + 1
            now = time.monotonic()
            if down_since is not None:
                outages.append([(last_ok or start) - start, down_since - start, now - start, server])
                down_since = None
            last_ok = now
        except Exception as exc:  # any failure is an unacknowledged write
            if down_since is None:
                down_since = time.monotonic()
            if len(errors) < 200:
                errors.append([round(time.monotonic() - start, 3), type(exc).__name__ + ": " + str(exc).strip()[:160]])
            if conn is not None:
                with contextlib.suppress(Exception):
                    conn.close()
            conn = None
            time.sleep(0.1)
        time.sleep(0.005)
    if down_since is not None:
        outages.append([(last_ok or start) - start, down_since - start, None, None])
    json.dump({"acked": acked, "servers": servers, "errors": errors, "outages": outages}, sys.stdout)


if __name__ == "__main__":
    main()
