"""The findings of `harden compose check` (and what `fix` left) as text, markdown or json.

The same three formats as `harden plan`. Exit codes too: 0 nothing found, 2 findings, 1 error.
Waived findings are shown with their reason and do not count.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from orchestrator.compose.checks import Finding

EXIT_CLEAN, EXIT_FINDINGS = 0, 2


def open_findings(findings: Sequence[Finding]) -> list[Finding]:
    return [f for f in findings if not f.waived]


def summary(source: str, services: int, findings: Sequence[Finding]) -> str:
    n, waived = len(open_findings(findings)), len(findings) - len(open_findings(findings))
    hit = len({f.service for f in open_findings(findings)})
    line = f"{source}: {n} finding{'s' * (n != 1)} in {hit} of {services} service{'s' * (services != 1)}"
    return line + (f" ({waived} waived)" if waived else "")


def as_text(source: str, services: int, findings: Sequence[Finding], notes: dict[Finding, str] | None = None) -> str:
    notes = notes or {}
    lines = [summary(source, services, findings)]
    current = None
    for f in sorted(findings):
        if f.service != current:
            current = f.service
            lines.append(f"{current}:")
        state = f" [waived: {f.waived}]" if f.waived else ""
        lines.append(f"  {f.id} {f.title}: {f.message}{state}")
        if f in notes:
            lines.append(f"    to do: {notes[f]}")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def as_markdown(
    source: str, services: int, findings: Sequence[Finding], notes: dict[Finding, str] | None = None
) -> str:
    notes = notes or {}
    out = [f"**{summary(source, services, findings)}**", ""]
    if findings:
        out += ["| service | ID | finding | detail |", "| --- | --- | --- | --- |"]
        for f in sorted(findings):
            detail = f.message + (f" (waived: {f.waived})" if f.waived else "")
            if f in notes:
                detail += f"; to do: {notes[f]}"
            out.append(f"| {f.service} | {f.id} | {f.title} | {_cell(detail)} |")
    return "\n".join(out) + "\n"


def as_json(source: str, services: int, findings: Sequence[Finding], notes: dict[Finding, str] | None = None) -> str:
    notes = notes or {}
    doc = {
        "file": source,
        "summary": summary(source, services, findings),
        "services": services,
        "findings": [
            {
                "service": f.service,
                "id": f.id,
                "title": f.title,
                "message": f.message,
                "waived": f.waived or None,
                **({"to_do": notes[f]} if f in notes else {}),
            }
            for f in sorted(findings)
        ],
    }
    return json.dumps(doc, indent=2) + "\n"


RENDERERS = {"text": as_text, "markdown": as_markdown, "json": as_json}
