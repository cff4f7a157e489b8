"""The search role's declaration (flavors and their rules), its users' file-realm hashes, and the
connection strings it hands the consuming services."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from pydantic import ValidationError

from orchestrator.paths import ROLES_DIR
from orchestrator.roles.search.app_secrets import connection_string
from orchestrator.roles.search.model import SearchVars


def _error(values: dict[str, Any]) -> tuple[str, str]:
    with pytest.raises(ValidationError) as caught:
        SearchVars.model_validate(values)
    err = caught.value.errors()[0]
    return str((err.get("ctx") or {}).get("key", err["loc"][0] if err["loc"] else "")), err["msg"]


def _users_module() -> Any:
    spec = importlib.util.spec_from_file_location(
        "harden_test_search_users", ROLES_DIR / "search" / "library" / "search_internal_users.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["harden_test_search_users"] = module
    spec.loader.exec_module(module)
    return module


def test_each_flavor_has_its_own_artifact() -> None:
    model = SearchVars.model_validate({"search_flavor": "elasticsearch"})
    assert model.search_elasticsearch_artifact.endswith("/elasticsearch-8.19.4/elasticsearch-8.19.4.tgz")
    assert model.search_opensearch_artifact.endswith("/opensearch-2.19.4/opensearch-2.19.4.tgz")


def test_elasticsearch_takes_no_cluster_wide_replica_default() -> None:
    key, message = _error({"search_flavor": "elasticsearch", "search_default_replicas": 2})
    assert key == "search_default_replicas" and "per index" in message
    assert SearchVars.model_validate({"search_flavor": "opensearch", "search_default_replicas": 2})


def test_built_in_user_names_of_either_engine_are_refused() -> None:
    for name in ("admin", "elastic", "kibana_system"):
        key, message = _error({"search_users": [{"name": name, "index_patterns": ["logs-*"]}]})
        assert key == "search_users" and "reserved" in message, (name, message)


def test_an_app_secret_must_be_a_vault_reference() -> None:
    user = {"name": "audit", "index_patterns": ["audit-*"], "app_secret": "http://elastic:changeme@es:9200"}
    with pytest.raises(ValidationError) as caught:
        SearchVars.model_validate({"search_users": [user]})
    assert "not a Vault reference" in str(caught.value)


def test_the_connection_string_names_every_node_and_encodes_the_password() -> None:
    value = connection_string("audit", "p@ss:w/rd", ["10.0.0.1", "10.0.0.2"], 9200)
    urls = value.split(",")
    assert len(urls) == 2
    for url, address in zip(urls, ["10.0.0.1", "10.0.0.2"], strict=True):
        parts = urlsplit(url)
        assert (parts.scheme, parts.hostname, parts.port, parts.username) == ("https", address, 9200, "audit")
        assert unquote(parts.password or "") == "p@ss:w/rd"


def test_file_realm_users_file_reads_back_what_it_writes(tmp_path: Path) -> None:
    module = _users_module()
    hashed = "$2b$04$abcdefghijklmnopqrstuu5Ck0ZJ0nFl8q0rXbqz6bq8l2GkQ8qOe"
    path = tmp_path / "users"
    path.write_text(f"admin:{hashed}\naudit:$2y$04$notavalidhashatallnotavalidhashatallnotavalidhas\n")
    known = module.current_file_realm_hashes(str(path))
    assert known == {"admin": hashed, "audit": "$2y$04$notavalidhashatallnotavalidhashatallnotavalidhas"}
    text = module.render_file_realm([{"name": "admin"}, {"name": "audit"}], {"admin": hashed, "audit": "$2y$x"})
    assert text == f"admin:{hashed}\naudit:$2y$x\n"
