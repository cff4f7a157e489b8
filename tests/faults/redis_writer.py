"""Continuous writer for Redis fault tests. Runs ON a lab host (the app side), stdlib + python3-redis.

Writes key <prefix>:<n> = n through a Sentinel-discovered master and records every write Redis
acknowledged, and when writes stopped and resumed. Secrets come on stdin, never on argv.

stdin: JSON {"sentinels": [[host, port], ...], "master": name, "user": u, "password": p,
             "sentinel_password": sp, "seconds": s, "prefix": key prefix, "wait": replicas,
             "tls_ca": CA file on this host}
With "wait" > 0 a write counts as acknowledged only once WAIT reports that many replicas have it
(how a service that must not lose writes across a failover uses Redis).
stdout: JSON {"acked": [n...], "errors": [[t, msg]...], "outages": [[start, end]...]}
"""

import json
import sys
import time

from redis.sentinel import Sentinel


def main() -> None:
    cfg = json.load(sys.stdin)
    # TLS to the Sentinels and to the master they name: the CA verifies both, and each certificate
    # must carry the address dialled
    tls = {"ssl": True, "ssl_ca_certs": cfg["tls_ca"], "ssl_cert_reqs": "required", "ssl_check_hostname": True}
    sentinel = Sentinel(
        [tuple(s) for s in cfg["sentinels"]],
        socket_timeout=0.5,
        sentinel_kwargs={"password": cfg["sentinel_password"], "socket_timeout": 0.5, **tls},
    )
    master = sentinel.master_for(
        cfg["master"], username=cfg["user"], password=cfg["password"], socket_timeout=0.5, retry_on_timeout=False, **tls
    )
    acked, errors, outages = [], [], []
    down_since = None
    n = 0
    end = time.monotonic() + cfg["seconds"]
    start = time.monotonic()
    while time.monotonic() < end:
        n += 1
        try:
            master.set(f"{cfg['prefix']}:{n}", n)
            if cfg.get("wait") and master.wait(cfg["wait"], 200) < cfg["wait"]:
                raise RuntimeError("not replicated in time (WAIT)")
            acked.append(n)
            if down_since is not None:
                outages.append([down_since - start, time.monotonic() - start])
                down_since = None
        except Exception as exc:  # any failure is an unacknowledged write
            if down_since is None:
                down_since = time.monotonic()
            if len(errors) < 200:
                errors.append([round(time.monotonic() - start, 3), type(exc).__name__ + ": " + str(exc)[:120]])
            time.sleep(0.05)
        time.sleep(0.005)
    if down_since is not None:
        outages.append([down_since - start, None])
    json.dump({"acked": acked, "errors": errors, "outages": outages}, sys.stdout)


if __name__ == "__main__":
    main()
