"""harden validate: each invalid configuration yields one exact (file, key, message)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from orchestrator.errors import ConfigError, ConfigIssue
from orchestrator.roles import ROLES, RoleSpec
from orchestrator.validation import validate_environment

ALL_ROLES = [name for name, spec in ROLES.items() if spec.exists]  # found by discovery, implemented
VAULT_DEFAULTS = {
    "vault_artifact": "/srv/artifacts/bao",  # any controller path
    "vault_unseal_keys_plaintext": True,
}
EDGE_DEFAULTS = {"edge_acme_email": "ops@example.org"}  # the one required edge variable
# A protected environment keeps its unseal keys PGP-encrypted (one operator key per share).
VAULT_PROTECTED = {"vault_unseal_keys_plaintext": False, "vault_pgp_keys": [f"/keys/op{i}.asc" for i in range(5)]}


def _hosts(sentinels: int = 3, etcd: int = 3, vault: bool = True) -> dict[str, Any]:
    data = {f"data-{i}": {"ansible_host": f"10.77.0.{10 + i}"} for i in (1, 2, 3)}
    extra = {f"data-{i}": None for i in range(4, 4 + max(sentinels, etcd) - 3)}
    children: dict[str, Any] = {
        "data": {"hosts": data},
        "spare": {"hosts": {k: {"ansible_host": f"10.77.0.{30 + i}"} for i, k in enumerate(extra)}},
        "ops": {"hosts": {"ops-1": {"ansible_host": "10.77.0.21"}}},
        "ca": {"hosts": {"ops-1": None}},
        "postgres": {"hosts": dict.fromkeys(data)},
        "redis": {"hosts": dict.fromkeys(data)},
        "etcd": {"hosts": dict.fromkeys([*data, *extra][:etcd])},
        "redis_sentinels": {"hosts": dict.fromkeys([*data, *extra][:sentinels])},
        "kafka": {"hosts": dict.fromkeys(data)},
        "kafka_controllers": {"hosts": dict.fromkeys(data)},
        "search": {"hosts": dict.fromkeys(data)},
        "edge": {"hosts": {"edge-1": {"ansible_host": "10.77.0.31"}}},
        "acme_ca": {"children": {"ops": None}},
        "apps": {"children": {"ops": None}},
        "monitoring": {"children": {"ops": None}},
    }
    if vault:
        children["vault"] = {"children": {"data": None}}
    return {"all": {"children": children}}


def make_env(
    tmp_path: Path,
    *,
    group_vars: dict[str, dict[str, Any]] | None = None,
    host_vars: dict[str, dict[str, Any]] | None = None,
    settings: dict[str, Any] | None = None,
    hosts: dict[str, Any] | None = None,
    vault_defaults: bool = True,
) -> Path:
    env = tmp_path / "env"
    (env / "group_vars").mkdir(parents=True)
    (env / "host_vars").mkdir()
    (env / "hosts.yml").write_text(yaml.safe_dump(hosts or _hosts()))
    (env / "harden.yml").write_text(yaml.safe_dump(settings if settings is not None else {"roles": ALL_ROLES}))
    edge = {"edge": {}} if "edge" in (settings or {"roles": ALL_ROLES}).get("roles", []) else {}
    group_vars = {**({"vault": {}} if vault_defaults else {}), **edge, **(group_vars or {})}
    for group, values in group_vars.items():
        if group == "vault":
            values = {**VAULT_DEFAULTS, **values}
        if group == "edge":
            protected = {"edge_acme_ca": "letsencrypt"} if (settings or {}).get("protected") else {}
            values = {**EDGE_DEFAULTS, **protected, **values}
        (env / "group_vars" / f"{group}.yml").write_text(yaml.safe_dump(values))
    for host, values in (host_vars or {}).items():
        (env / "host_vars" / f"{host}.yml").write_text(yaml.safe_dump(values))
    return env


def issues_of(env: Path) -> list[tuple[str, str, str]]:
    with pytest.raises(ConfigError) as caught:
        validate_environment(str(env))
    return [(_rel(i, env), i.key, i.message) for i in caught.value.issues]


def _rel(issue: ConfigIssue, env: Path) -> str:
    return str(Path(issue.file).relative_to(env)) if issue.file.startswith(str(env)) else issue.file


@pytest.fixture(autouse=True)
def all_roles_exist(monkeypatch: pytest.MonkeyPatch) -> None:
    """Validation rules do not depend on whether a role's tasks have landed yet."""
    monkeypatch.setattr(RoleSpec, "exists", property(lambda self: True))


GV = "group_vars/all.yml"
EDGE_GV = "group_vars/edge.yml"
EDGE_ROUTE = {"name": "app", "hosts": ["a.example.org"], "backends": ["http://10.0.0.5:8080"]}
CASES: list[tuple[str, dict[str, Any], tuple[str, str, str]]] = [
    (
        "size pattern",
        {"all": {"baseline_journald_max_use": "lots"}},
        (GV, "baseline_journald_max_use", "String should match pattern '^[0-9]+[KMGT]?$'"),
    ),
    (
        "enum",
        {"all": {"baseline_sshd_permit_root_login": "yes"}},
        (GV, "baseline_sshd_permit_root_login", "Input should be 'no' or 'prohibit-password'"),
    ),
    (
        "range low",
        {"all": {"baseline_sshd_max_auth_tries": 0}},
        (GV, "baseline_sshd_max_auth_tries", "Input should be greater than or equal to 1"),
    ),
    (
        "no string-to-int coercion",
        {"all": {"baseline_sshd_max_auth_tries": "3"}},
        (GV, "baseline_sshd_max_auth_tries", "Input should be a valid integer"),
    ),
    ("list type", {"all": {"baseline_packages": "curl"}}, (GV, "baseline_packages", "Input should be a valid list")),
    (
        "unknown role key",
        {"all": {"baseline_sshd_port": 22}},
        (GV, "baseline_sshd_port", "unknown key for role baseline"),
    ),
    (
        "unknown variable",
        {"all": {"db_host": "x"}},
        (GV, "db_host", "unknown variable: not an ansible_* or role variable"),
    ),
    (
        "literal ansible secret",
        {"all": {"ansible_become_password": "hunter2"}},
        (GV, "ansible_become_password", "literal secret in the inventory; use a 'vault:' reference or generate"),
    ),
    (
        "literal role secret",
        {"postgres": {"postgres_ha_superuser_password": "hunter2"}},
        (
            "group_vars/postgres.yml",
            "postgres_ha_superuser_password",
            "literal secret values are not allowed; use 'vault:<mount>/data/<path>#<key>' or {generate: {length: 32}}",
        ),
    ),
    (
        "bad vault reference",
        {"postgres": {"postgres_ha_superuser_password": "vault:secret/postgres"}},
        (
            "group_vars/postgres.yml",
            "postgres_ha_superuser_password",
            "not a Vault reference; expected 'vault:<mount>/data/<path>#<key>'",
        ),
    ),
    (
        "empty secret",
        {"postgres": {"postgres_ha_replication_password": {}}},
        ("group_vars/postgres.yml", "postgres_ha_replication_password", "a secret needs 'vault' or 'generate'"),
    ),
    (
        "short generated secret",
        {"postgres": {"postgres_ha_restapi_password": {"generate": {"length": 8}}}},
        (
            "group_vars/postgres.yml",
            "postgres_ha_restapi_password.generate.length",
            "Input should be greater than or equal to 16",
        ),
    ),
    (
        "patroni timings",
        {"postgres": {"postgres_ha_ttl": 20, "postgres_ha_loop_wait": 15}},
        ("group_vars/postgres.yml", "postgres_ha_ttl", "loop_wait + 2*retry_timeout must be <= ttl (15 + 2*3 > 20)"),
    ),
    (
        "port range",
        {"postgres": {"postgres_ha_port": 70000}},
        ("group_vars/postgres.yml", "postgres_ha_port", "Input should be less than or equal to 65535"),
    ),
    (
        "hba trust",
        {
            "postgres": {
                "postgres_ha_hba_rules": [
                    {"database": "app", "user": "app", "address": "10.0.0.0/8", "method": "trust"}
                ]
            }
        },
        ("group_vars/postgres.yml", "postgres_ha_hba_rules[0].method", "Input should be 'scram-sha-256' or 'cert'"),
    ),
    (
        "hba missing field",
        {"postgres": {"postgres_ha_hba_rules": [{"user": "app", "address": "10.0.0.0/8"}]}},
        ("group_vars/postgres.yml", "postgres_ha_hba_rules[0].database", "required key is missing"),
    ),
    (
        "hba unknown field",
        {
            "postgres": {
                "postgres_ha_hba_rules": [{"database": "app", "user": "app", "address": "10.0.0.0/8", "options": "x"}]
            }
        },
        ("group_vars/postgres.yml", "postgres_ha_hba_rules[0].options", "unknown key"),
    ),
    (
        "strict without sync",
        {"postgres": {"postgres_ha_synchronous_mode": False, "postgres_ha_synchronous_mode_strict": True}},
        (
            "group_vars/postgres.yml",
            "postgres_ha_synchronous_mode_strict",
            "requires postgres_ha_synchronous_mode to be on",
        ),
    ),
    (
        "watchdog enum",
        {"postgres": {"postgres_ha_watchdog": "sometimes"}},
        ("group_vars/postgres.yml", "postgres_ha_watchdog", "Input should be 'off', 'automatic' or 'required'"),
    ),
    (
        "quorum above sentinels",
        {"redis": {"redis_sentinel_quorum": 4}},
        ("group_vars/redis.yml", "redis_sentinel_quorum", "quorum 4 is larger than the 3 sentinels"),
    ),
    (
        "quorum not a majority",
        {"redis": {"redis_sentinel_quorum": 1}},
        ("group_vars/redis.yml", "redis_sentinel_quorum", "quorum 1 is not a majority of 3 sentinels"),
    ),
    (
        "duplicate redis user",
        {"redis": {"redis_sentinel_users": [{"name": "app"}, {"name": "app"}]}},
        ("group_vars/redis.yml", "redis_sentinel_users", "duplicate user name 'app'"),
    ),
    (
        "reserved redis user",
        {"redis": {"redis_sentinel_users": [{"name": "default"}]}},
        ("group_vars/redis.yml", "redis_sentinel_users", "user name 'default' is reserved"),
    ),
    (
        "literal nested secret",
        {"redis": {"redis_sentinel_users": [{"name": "app", "password": "s3cret"}]}},
        (
            "group_vars/redis.yml",
            "redis_sentinel_users[0].password",
            "literal secret values are not allowed; use 'vault:<mount>/data/<path>#<key>' or {generate: {length: 32}}",
        ),
    ),
    (
        "initial master outside group",
        {"redis": {"redis_sentinel_initial_master": "ops-1"}},
        ("group_vars/redis.yml", "redis_sentinel_initial_master", "'ops-1' is not a host of group 'redis'"),
    ),
    (
        "maxmemory policy",
        {"redis": {"redis_sentinel_maxmemory_policy": "random"}},
        (
            "group_vars/redis.yml",
            "redis_sentinel_maxmemory_policy",
            "Input should be 'noeviction', 'allkeys-lru', 'volatile-lru', 'allkeys-lfu' or 'volatile-lfu'",
        ),
    ),
    (
        "min replicas above replicas",
        {"redis": {"redis_sentinel_min_replicas_to_write": 3}},
        ("group_vars/redis.yml", "redis_sentinel_min_replicas_to_write", "3 is more than the 2 replicas"),
    ),
    (
        "vault threshold",
        {"vault": {"vault_key_threshold": 6}},
        ("group_vars/vault.yml", "vault_key_threshold", "must be <= vault_key_shares (6 > 5)"),
    ),
    (
        "vault pgp keys",
        {"vault": {"vault_pgp_keys": ["a.asc", "b.asc"]}},
        ("group_vars/vault.yml", "vault_pgp_keys", "needs exactly one PGP key per key share"),
    ),
    (
        "vault tls",
        {"vault": {"vault_tls_min_version": "tls10"}},
        ("group_vars/vault.yml", "vault_tls_min_version", "Input should be 'tls12' or 'tls13'"),
    ),
    (
        "edge insecure api",
        {"edge": {"edge_api_insecure": True}},
        (EDGE_GV, "edge_api_insecure", "Input should be False"),
    ),
    (
        "edge production CA unprotected",
        {"edge": {"edge_acme_ca": "letsencrypt"}},
        (
            EDGE_GV,
            "edge_acme_ca",
            "Let's Encrypt production has strict rate limits: use letsencrypt-staging or a custom CA until the "
            "environment is protected",
        ),
    ),
    (
        "edge custom CA without URL",
        {"edge": {"edge_acme_ca": "custom"}},
        (EDGE_GV, "edge_acme_ca_server", "edge_acme_ca custom needs the CA's directory URL here"),
    ),
    (
        "edge dashboard on all addresses",
        {"edge": {"edge_internal_address": "0.0.0.0"}},
        (
            EDGE_GV,
            "edge_internal_address",
            "the internal entry point must bind to one internal address, not all of them",
        ),
    ),
    (
        "edge dashboard without users",
        {"edge": {"edge_dashboard": True}},
        (EDGE_GV, "edge_dashboard_users", "the dashboard needs at least one user"),
    ),
    (
        "edge public backend",
        {"edge": {"edge_routes": [{"name": "app", "hosts": ["a.example.org"], "backends": ["http://8.8.8.8:80"]}]}},
        (EDGE_GV, "edge_routes", "route 'app': backend 'http://8.8.8.8:80' is not an internal address"),
    ),
    (
        "edge backend by name",
        {"edge": {"edge_routes": [{"name": "app", "hosts": ["a.example.org"], "backends": ["http://app:80"]}]}},
        (
            EDGE_GV,
            "edge_routes",
            "route 'app': backend 'http://app:80' must be an IP address (the edge does not depend on DNS for its "
            "backends)",
        ),
    ),
    (
        "edge dns challenge without nameserver",
        {"edge": {"edge_routes": [{**EDGE_ROUTE, "challenge": "dns"}]}},
        (EDGE_GV, "edge_acme_dns_nameserver", "route 'app' uses the dns challenge: name the nameserver"),
    ),
    (
        "edge duplicate host",
        {"edge": {"edge_routes": [EDGE_ROUTE, {**EDGE_ROUTE, "name": "app2"}]}},
        (EDGE_GV, "edge_routes", "host 'a.example.org' is listed twice"),
    ),
    (
        "edge burst below average",
        {"edge": {"edge_routes": [{**EDGE_ROUTE, "rate_limit_average": 50, "rate_limit_burst": 10}]}},
        (EDGE_GV, "edge_routes", "route 'app': burst below the average rate"),
    ),
    (
        "edge email required",
        {"edge": {"edge_acme_email": "nobody"}},
        (EDGE_GV, "edge_acme_email", "String should match pattern '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$'"),
    ),
]


@pytest.mark.parametrize(("group_vars", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_group_vars(
    tmp_path: Path, group_vars: dict[str, dict[str, Any]], expected: tuple[str, str, str]
) -> None:
    assert issues_of(make_env(tmp_path, group_vars=group_vars)) == [expected]


def test_valid_environment_passes(tmp_path: Path) -> None:
    env = validate_environment(str(make_env(tmp_path, group_vars={"all": {"baseline_journald_max_use": "1G"}})))
    assert env.settings.roles == ALL_ROLES
    assert sorted(env.role_vars["redis_sentinel"]) == ["data-1", "data-2", "data-3"]


def test_host_vars_error_names_host_file(tmp_path: Path) -> None:
    env = make_env(tmp_path, host_vars={"data-2": {"postgres_ha_port": "5432"}})
    assert issues_of(env) == [("host_vars/data-2.yml", "postgres_ha_port", "Input should be a valid integer")]


def test_even_sentinels(tmp_path: Path) -> None:
    env = make_env(tmp_path, hosts=_hosts(sentinels=4))
    assert issues_of(env) == [
        ("group_vars/redis.yml", "redis_sentinel_quorum", "quorum 2 is not a majority of 4 sentinels"),
        ("hosts.yml", "groups.redis_sentinels", "Sentinel needs an odd number of hosts, at least 3 (has 4)"),
    ]


def test_etcd_too_small(tmp_path: Path) -> None:
    env = make_env(tmp_path, hosts=_hosts(etcd=2))
    assert issues_of(env) == [("hosts.yml", "groups.etcd", "etcd needs an odd number of hosts, at least 3 (has 2)")]


def test_role_group_empty(tmp_path: Path) -> None:
    env = make_env(tmp_path, hosts=_hosts(vault=False), vault_defaults=False)
    assert issues_of(env) == [("harden.yml", "roles", "role vault needs hosts in group 'vault'")]


def test_unknown_role(tmp_path: Path) -> None:
    env = make_env(tmp_path, settings={"roles": ["baseline", "zookeeper"]})
    assert issues_of(env) == [("harden.yml", "roles[1]", f"unknown role 'zookeeper' (known: {', '.join(ROLES)})")]


def test_roles_missing(tmp_path: Path) -> None:
    assert issues_of(make_env(tmp_path, settings={"protected": True})) == [
        ("harden.yml", "roles", "required key is missing")
    ]


def test_role_listed_twice(tmp_path: Path) -> None:
    env = make_env(tmp_path, settings={"roles": ["baseline", "baseline"]})
    assert issues_of(env) == [("harden.yml", "roles", "role 'baseline' is listed twice")]


def test_variable_of_disabled_role(tmp_path: Path) -> None:
    env = make_env(
        tmp_path,
        settings={"roles": ["baseline"]},
        group_vars={"redis": {"redis_sentinel_port": 6380}},
        vault_defaults=False,
    )
    assert issues_of(env) == [
        ("group_vars/redis.yml", "redis_sentinel_port", "role redis_sentinel is not enabled in harden.yml roles")
    ]


def test_host_vars_for_unknown_host(tmp_path: Path) -> None:
    env = make_env(tmp_path, host_vars={"nope": {"baseline_sshd_enabled": True}})
    assert issues_of(env) == [("host_vars/nope.yml", "(file name)", "host 'nope' is not in hosts.yml")]


def test_invalid_yaml_names_line(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    (env / "group_vars" / "all.yml").write_text("baseline_packages: [curl\nbaseline_sshd_enabled: true\n")
    ((file, key, message),) = issues_of(env)
    assert (file, key) == ("group_vars/all.yml", "line 2")
    assert message.startswith("invalid YAML: ")


def test_all_errors_reported_at_once(tmp_path: Path) -> None:
    env = make_env(tmp_path, group_vars={"all": {"baseline_sshd_max_auth_tries": 0, "db_host": "x"}})
    assert len(issues_of(env)) == 2


def test_bundled_environments_are_valid() -> None:
    for name in ("lab", "staging", "production"):
        assert validate_environment(name).name == name


def test_staging_and_production_are_complete_examples() -> None:
    """What an ops team copies first: every role that is not lab-only, production protected."""
    non_lab = {r for r in ALL_ROLES if not ROLES[r].lab_only}
    assert non_lab >= {"baseline", "pki", "vault", "postgres_ha", "redis_sentinel", "kafka", "edge"}
    for name, protected in (("staging", False), ("production", True)):
        env = validate_environment(name)
        assert set(env.settings.roles) == non_lab, name
        assert env.settings.protected is protected
        vault = env.role_vars["vault"]
        assert all(v.vault_pgp_keys and not v.vault_unseal_keys_plaintext for v in vault.values()), name


# a protected environment runs no lab-only role; its edge orders from Let's Encrypt production
PROTECTED = {"roles": [r for r in ALL_ROLES if not ROLES[r].lab_only], "protected": True}


@pytest.mark.parametrize(
    ("values", "key", "message"),
    [
        (
            {"postgres_ha_watchdog": "automatic"},
            "postgres_ha_watchdog",
            "a protected environment needs watchdog required (softdog), "
            "or postgres_ha_watchdog_exception saying why not",
        ),
        (
            {"postgres_ha_patroni_source": "debian"},
            "postgres_ha_patroni_source",
            "Debian 12's Patroni 3.0.2 can lose acknowledged writes after a leader stall; "
            "use wheelhouse on a protected environment",
        ),
    ],
    ids=["watchdog", "debian patroni"],
)
def test_protected_environment_refuses_unsafe_postgres(
    tmp_path: Path, values: dict[str, Any], key: str, message: str
) -> None:
    env = make_env(tmp_path, group_vars={"postgres": values, "vault": VAULT_PROTECTED}, settings=PROTECTED)
    assert issues_of(env) == [("group_vars/postgres.yml", key, message)]
    # the same values pass where nothing is protected
    assert validate_environment(str(make_env(tmp_path / "open", group_vars={"postgres": values})))


def test_protected_environment_accepts_a_stated_watchdog_exception(tmp_path: Path) -> None:
    values = {"postgres_ha_watchdog": "automatic", "postgres_ha_watchdog_exception": "VMs without a watchdog device"}
    group_vars = {"postgres": values, "vault": VAULT_PROTECTED}
    assert validate_environment(str(make_env(tmp_path, group_vars=group_vars, settings=PROTECTED)))


@pytest.mark.parametrize(
    ("relative", "content", "message_start"),
    [
        ("extra.yml", "ansible_become_password: literal\n", "not part of an environment"),
        ("group_vars/ops", 'baseline_sshd_permit_root_login: "yes"\n', "Ansible would load this vars file"),
        ("host_vars/data-1.json", '{"baseline_packages": []}\n', "Ansible would load this vars file"),
    ],
    ids=["extra top-level file", "extension-less group_vars", "json host_vars"],
)
def test_files_ansible_would_load_but_validation_does_not_read_are_errors(
    tmp_path: Path, relative: str, content: str, message_start: str
) -> None:
    env = make_env(tmp_path)
    (env / relative).write_text(content)
    ((file, key, message),) = issues_of(env)
    assert (file.endswith(relative), key) == (True, "(file name)")
    assert message.startswith(message_start)


def test_ansible_gets_the_validated_hosts_file_not_the_directory(tmp_path: Path) -> None:
    env = validate_environment(str(make_env(tmp_path)))
    assert env.inventory.ansible_source == env.inventory.path / "hosts.yml"


def test_a_lookup_is_a_literal_secret_but_a_key_file_path_is_not(tmp_path: Path) -> None:
    env = make_env(
        tmp_path,
        group_vars={
            "all": {
                "ansible_become_password": "{{ lookup('file', '/home/ops/become.txt') }}",
                "ansible_ssh_private_key_file": "/home/ops/.ssh/id_ed25519",
            }
        },
    )
    message = "literal secret in the inventory; use a 'vault:' reference or generate"
    assert issues_of(env) == [("group_vars/all.yml", "ansible_become_password", message)]


def test_unseal_keys_are_pgp_encrypted_unless_plaintext_is_chosen(tmp_path: Path) -> None:
    env = make_env(tmp_path, group_vars={"vault": {"vault_unseal_keys_plaintext": False}})
    ((file, key, message),) = issues_of(env)
    assert (file, key) == ("group_vars/vault.yml", "vault_pgp_keys")
    assert message.startswith("give one operator PGP public key per key share")
    protected = make_env(tmp_path / "p", settings=PROTECTED)  # the plaintext opt-in of VAULT_DEFAULTS
    message = "a protected environment keeps its unseal keys PGP-encrypted"
    assert issues_of(protected) == [("group_vars/vault.yml", "vault_unseal_keys_plaintext", message)]


def test_redis_tls_is_on_by_default_and_stays_on_when_protected(tmp_path: Path) -> None:
    env = validate_environment(str(make_env(tmp_path)))
    assert all(m.redis_sentinel_tls_enabled for m in env.role_vars["redis_sentinel"].values())
    off = {"redis": {"redis_sentinel_tls_enabled": False}, "vault": VAULT_PROTECTED}
    message = "a protected environment keeps TLS on (passwords and data would cross the network in clear)"
    protected = make_env(tmp_path / "p", group_vars=off, settings=PROTECTED)
    assert issues_of(protected) == [("group_vars/redis.yml", "redis_sentinel_tls_enabled", message)]
    assert validate_environment(str(make_env(tmp_path / "open", group_vars={"redis": off["redis"]})))


def test_a_protected_environment_refuses_lab_only_roles_and_staging_certificates(tmp_path: Path) -> None:
    lab_only = [r for r in ALL_ROLES if ROLES[r].lab_only]
    assert lab_only == ["lab_acme"]
    env = make_env(tmp_path, settings={**PROTECTED, "roles": ALL_ROLES}, group_vars={"vault": VAULT_PROTECTED})
    assert issues_of(env) == [
        ("harden.yml", "roles", "role lab_acme stands in for a public service in the lab only: remove it")
    ]
    staging = {"vault": VAULT_PROTECTED, "edge": {"edge_acme_ca": "letsencrypt-staging"}}
    assert issues_of(make_env(tmp_path / "s", settings=PROTECTED, group_vars=staging)) == [
        (
            EDGE_GV,
            "edge_acme_ca",
            "staging certificates are not trusted by browsers: use letsencrypt on a protected environment",
        )
    ]


def test_http_and_tls_challenges_need_a_single_edge_host(tmp_path: Path) -> None:
    hosts = _hosts()
    hosts["all"]["children"]["edge"]["hosts"]["edge-2"] = {"ansible_host": "10.77.0.32"}
    env = make_env(tmp_path, hosts=hosts, group_vars={"edge": {"edge_routes": [EDGE_ROUTE]}})
    assert issues_of(env) == [
        (
            EDGE_GV,
            "edge_routes",
            "the http challenge needs one edge host (group 'edge' has 2): use the dns challenge behind several "
            "edge hosts",
        )
    ]
    dns = {**EDGE_ROUTE, "challenge": "dns"}
    assert validate_environment(
        str(
            make_env(
                tmp_path / "d",
                hosts=hosts,
                group_vars={"edge": {"edge_routes": [dns], "edge_acme_dns_nameserver": "10.0.0.53:53"}},
            )
        )
    )
