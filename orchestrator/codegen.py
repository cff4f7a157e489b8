"""Generate each role's argument_specs, defaults and variable docs from the pydantic models.

The models are the single source of truth. ``make generate`` rewrites the files; the test suite
calls :func:`drift` and fails when a committed file differs from what the model generates.
"""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from orchestrator.models.base import SecretSpec
from orchestrator.paths import ROLES_DIR, display_path
from orchestrator.roles import ROLES, RoleSpec

HEADER = "# Generated from orchestrator/models by `make generate`. Do not edit by hand.\n"
DOC_BEGIN = "<!-- BEGIN GENERATED VARIABLES -->"
DOC_END = "<!-- END GENERATED VARIABLES -->"
SCALARS: dict[Any, str] = {str: "str", int: "int", bool: "bool", float: "float"}


class _IndentedDumper(yaml.SafeDumper):
    """Indents block sequences under their key, as yamllint's default expects."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_IndentedDumper, sort_keys=False, width=1000)


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
    origin = typing.get_origin(annotation)
    if annotation is SecretSpec:
        return {"type": "str", "no_log": True}
    if annotation in SCALARS:
        return {"type": SCALARS[annotation]}
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
    return {name: _option(field) for name, field in model.model_fields.items()}


def argument_specs(spec: RoleSpec) -> str:
    doc = {
        "argument_specs": {
            "main": {
                "short_description": spec.summary,
                "description": [f"Variables of role {spec.name}, validated by {spec.model.__name__}."],
                "options": _options(spec.model),
            }
        }
    }
    return "---\n" + HEADER + _dump(doc)


def defaults(spec: RoleSpec) -> str:
    lines = ["---", HEADER.rstrip()]
    for name, field in spec.model.model_fields.items():
        if is_secret(field) or field.is_required():
            continue
        lines.append(f"# {field.description}")
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
    block = variables_doc(spec)
    if DOC_BEGIN in text and DOC_END in text:
        head, rest = text.split(DOC_BEGIN, 1)
        _, tail = rest.split(DOC_END, 1)
        return head + block + tail
    return text.rstrip("\n") + "\n\n" + block + "\n"


def expected_files(spec: RoleSpec) -> dict[Path, str]:
    role_dir = ROLES_DIR / spec.name
    return {
        role_dir / "meta" / "argument_specs.yml": argument_specs(spec),
        role_dir / "defaults" / "main.yml": defaults(spec),
        role_dir / "README.md": _readme_with_doc(role_dir / "README.md", spec),
    }


def drift() -> list[str]:
    """Files that differ from what the models generate (only roles that exist)."""
    stale = []
    for spec in ROLES.values():
        if not spec.exists:
            continue
        for path, content in expected_files(spec).items():
            if not path.exists() or path.read_text() != content:
                stale.append(display_path(path))
    return stale


def generate() -> list[str]:
    written = []
    for spec in ROLES.values():
        if not spec.exists:
            continue
        for path, content in expected_files(spec).items():
            if not path.exists() or path.read_text() != content:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(content)
                written.append(display_path(path))
    return written


if __name__ == "__main__":
    for name in generate():
        print(f"wrote {name}")
