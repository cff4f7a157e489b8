"""Generate every file that follows from the role specs and their pydantic models.

Per role: ``meta/argument_specs.yml``, ``defaults/main.yml``, ``meta/main.yml``, the variable table
of its README and ``playbooks/<role>.yml``. For all roles: ``playbooks/site.yml`` (dependency
order) and the roles table of the top-level README. The specs and models are the single source
of truth. ``make generate`` rewrites the files; the test suite calls :func:`drift` and fails when
a committed file differs from what would be generated.
"""

from __future__ import annotations

import textwrap
import types
import typing
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, IPvAnyNetwork
from pydantic.fields import FieldInfo

from orchestrator.models.base import SecretSpec
from orchestrator.paths import PLAYBOOKS_DIR, REPO_ROOT, ROLES_DIR, display_path
from orchestrator.roles import ROLES, RoleSpec

HEADER = "# Generated from orchestrator/roles by `make generate`. Do not edit by hand.\n"
ROLES_BEGIN = "<!-- BEGIN GENERATED ROLES -->"
ROLES_END = "<!-- END GENERATED ROLES -->"
DOC_BEGIN = "<!-- BEGIN GENERATED VARIABLES -->"
DOC_END = "<!-- END GENERATED VARIABLES -->"
SCALARS: dict[Any, str] = {str: "str", int: "int", bool: "bool", float: "float"}


class _IndentedDumper(yaml.SafeDumper):
    """Indents block sequences under their key, as yamllint's default expects."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_IndentedDumper, sort_keys=False, width=120)


def is_secret(field: FieldInfo) -> bool:
    return field.annotation is SecretSpec


def _strip_optional(annotation: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _type_spec(annotation: Any) -> dict[str, Any]:
    annotation, _ = _strip_optional(annotation)
    if typing.get_origin(annotation) is typing.Annotated:  # list[Hostname]: the constraint is the model's
        annotation = typing.get_args(annotation)[0]
    origin = typing.get_origin(annotation)
    if annotation is SecretSpec:
        return {"type": "str", "no_log": True}
    if annotation in SCALARS:
        return {"type": SCALARS[annotation]}
    if annotation is IPvAnyNetwork:  # an address or a network, as Ansible gets it: a string
        return {"type": "str"}
    if origin is Literal:
        choices = list(typing.get_args(annotation))
        return {"type": SCALARS[type(choices[0])], "choices": choices}
    if origin is list:
        (inner,) = typing.get_args(annotation)
        inner_spec = _type_spec(inner)
        spec: dict[str, Any] = {"type": "list", "elements": inner_spec.pop("type")}
        spec.update(inner_spec)
        return spec
    if origin is dict:
        return {"type": "dict"}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return {"type": "dict", "options": _options(annotation)}
    raise TypeError(f"no argument_specs mapping for {annotation!r}")


def _default(field: FieldInfo) -> Any:
    value = field.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return value.model_dump()
    if isinstance(value, list):
        return [v.model_dump() if isinstance(v, BaseModel) else v for v in value]
    return value


def _option(field: FieldInfo) -> dict[str, Any]:
    spec: dict[str, Any] = {"description": [field.description or "Secret held in Vault."]}
    spec.update(_type_spec(field.annotation))
    if is_secret(field):
        spec["description"] = ["Secret, resolved from Vault by the orchestrator at run time (never on disk)."]
        spec["required"] = True
    elif field.is_required():
        spec["required"] = True
    else:
        default = _default(field)
        if default is not None:
            spec["default"] = default
    return spec


def _options(model: type[BaseModel]) -> dict[str, Any]:
    return {field.alias or name: _option(field) for name, field in model.model_fields.items()}


def _entry_point(model: type[BaseModel], short: str) -> dict[str, Any]:
    return {
        "short_description": short,
        "description": [(model.__doc__ or short).split("\n\n")[0].replace("\n    ", " ").strip()],
        "options": _options(model),
    }


def argument_specs(spec: RoleSpec) -> str:
    doc = {
        "argument_specs": {
            "main": {
                "short_description": spec.summary,
                "description": [f"Variables of role {spec.name}, validated by {spec.model.__name__}."],
                "options": _options(spec.model),
            },
            **{
                name: _entry_point(model, f"{spec.name} entry point {name}")
                for name, model in spec.entry_points.items()
            },
        }
    }
    return "---\n" + HEADER + _dump(doc)


def common_defaults() -> str:
    """What a partial `<role>_<unit>_limits` in an inventory is completed with: the model's defaults."""
    from orchestrator.models.limits import ServiceLimits

    doc = {"_common_limits_defaults": ServiceLimits().model_dump()}
    return (
        "---\n"
        + HEADER
        + "# ServiceLimits' own defaults, as pydantic fills them in for a partial value.\n"
        + _dump(doc)
    )


def common_argument_specs() -> str:
    """The shared internal role `common` (prometheus-community style `_common`): its entry points, from their models."""
    from orchestrator.models.limits import LimitsEntryPoint

    doc = {"argument_specs": {"limits": _entry_point(LimitsEntryPoint, "Resource-limits drop-in of one systemd unit")}}
    return "---\n" + HEADER + _dump(doc)


def defaults(spec: RoleSpec) -> str:
    lines = ["---", HEADER.rstrip()]
    for name, field in spec.model.model_fields.items():
        if is_secret(field) or field.is_required():
            continue
        lines.extend(textwrap.wrap(field.description or "", 100, initial_indent="# ", subsequent_indent="# "))
        dumped = _dump({name: _default(field)}).rstrip()
        lines.append(dumped)
    return "\n".join(lines) + "\n"


def variables_doc(spec: RoleSpec) -> str:
    rows = ["| Variable | Type | Default | Description |", "| --- | --- | --- | --- |"]
    for name, field in spec.model.model_fields.items():
        type_spec = _type_spec(field.annotation)
        kind = type_spec["type"] + (f" of {type_spec['elements']}" if "elements" in type_spec else "")
        if is_secret(field):
            default = "generated in Vault"
        elif field.is_required():
            default = "required"
        else:
            default = f"`{yaml.safe_dump(_default(field), default_flow_style=True, width=1000).strip()}`"
            default = default.replace("\n...", "").replace("|", "\\|")
        desc = (field.description or "").replace("|", "\\|")
        if "choices" in type_spec:
            desc += " One of: " + ", ".join(f"`{c}`" for c in type_spec["choices"]) + "."
        rows.append(f"| `{name}` | {kind} | {default} | {desc} |")
    return "\n".join([DOC_BEGIN, *rows, DOC_END])


def _readme_with_doc(readme: Path, spec: RoleSpec) -> str:
    text = readme.read_text() if readme.exists() else f"# Role `{spec.name}`\n\n{spec.summary}\n\n## Variables\n\n"
    return _replace_block(text, DOC_BEGIN, DOC_END, variables_doc(spec))


def meta_main(spec: RoleSpec) -> str:
    doc = {
        "galaxy_info": {
            "role_name": spec.name,
            "namespace": "harden",
            "author": "harden maintainers",
            "description": spec.summary,
            "license": "Apache-2.0",
            "min_ansible_version": "2.19",
            "platforms": [{"name": "Debian", "versions": ["bookworm"]}],
        },
        # the orchestrator orders roles by their spec's `requires`; Ansible never pulls one in
        "dependencies": [],
    }
    return "---\n" + HEADER + _dump(doc)


def playbook(spec: RoleSpec) -> str:
    name = spec.play_name or spec.summary
    lines = ["---", HEADER.rstrip(), f"- name: {name}", f"  hosts: {spec.host_pattern}", "  become: true"]
    if spec.cluster:
        lines += [
            "  # a cluster: the first member that fails stops the play on every member (rolling changes never",
            "  # go on past a broken member)",
            "  any_errors_fatal: true",
        ]
    lines += ["  gather_facts: true", "  roles:", f"    - role: {spec.name}"]
    return "\n".join(lines) + "\n"


def site_playbook(specs: list[RoleSpec]) -> str:
    lines = ["---", HEADER.rstrip(), "# Every role after the roles it requires (`requires` in its spec)."]
    for spec in specs:
        lines += [
            f"- name: {spec.play_name or spec.summary}",
            f"  ansible.builtin.import_playbook: {spec.name}.yml",
            "",
        ]
    return "\n".join(lines).rstrip("\n") + "\n"


def roles_table(specs: list[RoleSpec]) -> str:
    rows = ["| role | runs on groups | requires | what |", "| --- | --- | --- | --- |"]
    for spec in specs:
        groups = ", ".join(f"`{g}`" for g in spec.groups)
        requires = ", ".join(f"`{r}`" for r in spec.requires) or "-"
        rows.append(f"| [`{spec.name}`](roles/{spec.name}/README.md) | {groups} | {requires} | {spec.summary} |")
    return "\n".join([ROLES_BEGIN, *rows, ROLES_END])


def _replace_block(text: str, begin: str, end: str, block: str) -> str:
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        return head + block + tail
    return text.rstrip("\n") + "\n\n" + block + "\n"


def expected_files(spec: RoleSpec) -> dict[Path, str]:
    role_dir = ROLES_DIR / spec.name
    return {
        role_dir / "meta" / "argument_specs.yml": argument_specs(spec),
        role_dir / "meta" / "main.yml": meta_main(spec),
        role_dir / "defaults" / "main.yml": defaults(spec),
        role_dir / "README.md": _readme_with_doc(role_dir / "README.md", spec),
        PLAYBOOKS_DIR / f"{spec.name}.yml": playbook(spec),
    }


def expected_all() -> dict[Path, str]:
    """Every generated file, for the roles that exist in roles/."""
    specs = [spec for spec in ROLES.values() if spec.exists]
    files: dict[Path, str] = {}
    for spec in specs:
        files.update(expected_files(spec))
    files[PLAYBOOKS_DIR / "site.yml"] = site_playbook(specs)
    files[ROLES_DIR / "common" / "meta" / "argument_specs.yml"] = common_argument_specs()
    files[ROLES_DIR / "common" / "defaults" / "main.yml"] = common_defaults()
    readme = REPO_ROOT / "README.md"
    files[readme] = _replace_block(readme.read_text(), ROLES_BEGIN, ROLES_END, roles_table(specs))
    return files


def drift() -> list[str]:
    """Files that differ from what the specs and models generate."""
    return [display_path(p) for p, content in expected_all().items() if not p.exists() or p.read_text() != content]


def generate() -> list[str]:
    written = []
    for path, content in expected_all().items():
        if not path.exists() or path.read_text() != content:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
            written.append(display_path(path))
    return written


if __name__ == "__main__":
    for name in generate():
        print(f"wrote {name}")
