"""argument_specs, defaults and role docs are generated from the models and must not drift."""

from __future__ import annotations

import yaml

from orchestrator.codegen import argument_specs, drift
from orchestrator.roles import ROLES


def test_generated_files_match_models() -> None:
    assert drift() == [], "run `make generate` and commit the result"


def test_every_model_field_is_in_argument_specs() -> None:
    for spec in ROLES.values():
        options = yaml.safe_load(argument_specs(spec))["argument_specs"]["main"]["options"]
        assert set(options) == set(spec.model.model_fields)
        for name, field in spec.model.model_fields.items():
            assert field.description or options[name].get("no_log"), f"{name} has no description"


def test_secret_fields_are_no_log_and_have_no_default() -> None:
    options = yaml.safe_load(argument_specs(ROLES["postgres_ha"]))["argument_specs"]["main"]["options"]
    secret = options["postgres_ha_superuser_password"]
    assert secret["no_log"] is True
    assert "default" not in secret


def test_existing_roles_have_one_layout() -> None:
    for spec in ROLES.values():
        if not spec.exists:
            continue
        from orchestrator.paths import ROLES_DIR

        role = ROLES_DIR / spec.name
        for part in (
            "tasks/main.yml",
            "tasks/preflight.yml",
            "meta/main.yml",
            "meta/argument_specs.yml",
            "defaults/main.yml",
            "README.md",
        ):
            assert (role / part).is_file(), f"{spec.name} lacks {part}"


def test_cluster_playbooks_stop_at_the_first_failed_member() -> None:
    import yaml

    from orchestrator.paths import PLAYBOOKS_DIR

    for role in ("vault", "postgres_ha", "redis_sentinel"):
        (play,) = yaml.safe_load((PLAYBOOKS_DIR / f"{role}.yml").read_text())
        assert play.get("any_errors_fatal") is True, role


def _set_names(node: object) -> list[str]:
    """Every name a task list registers or sets with set_fact (blocks, rescue and always included)."""
    names: list[str] = []
    if isinstance(node, list):
        for item in node:
            names += _set_names(item)
    elif isinstance(node, dict):
        if isinstance(node.get("register"), str):
            names.append(node["register"])
        for key in ("ansible.builtin.set_fact", "set_fact"):
            if isinstance(node.get(key), dict):
                names += [k for k in node[key] if k != "cacheable"]
        for key in ("block", "rescue", "always"):
            names += _set_names(node.get(key))
    return names


def test_what_a_role_sets_is_named_after_it() -> None:
    """An apply runs several roles in one process (orchestrator/batch.py): a registered variable or
    a fact outlives its play, so each one carries its role's prefix (a caller reads an entry point's,
    like pki's `_pki_issue_installed`, right after the include that set it)."""
    from orchestrator.paths import ROLES_DIR

    checked = 0
    for role in sorted(p for p in ROLES_DIR.iterdir() if (p / "tasks").is_dir()):
        for path in [*role.glob("tasks/*.yml"), *role.glob("handlers/*.yml")]:
            for name in _set_names(yaml.safe_load(path.read_text())):
                checked += 1
                assert name.startswith((f"_{role.name}_", f"{role.name}_")), f"{path}: {name}"
    assert checked > 100, checked
