"""Post `harden plan` to a pull request: one comment per environment, updated in place.

Each markdown chunk of a plan starts with a hidden marker, ``<!-- harden-plan env=E part=N -->``.
Posting finds the pull request's comments that carry the environment's marker, updates part N in
place (or leaves it when the text is the same), creates the parts that are missing, and deletes
the parts a shorter plan no longer has. Comments of other environments, and everyone else's, are
never touched. The forge's token comes from the job's environment, never from the command line
or the repository.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from orchestrator.publish.forge import Comment, Forge

MARKER = "<!-- harden-plan env={env} part={part} -->"
_MARKER_RE = re.compile(r"\A<!-- harden-plan env=(?P<env>\S+) part=(?P<part>\d+) -->")


def marker(env: str, part: int) -> str:
    return MARKER.format(env=env, part=part)


def parse_marker(body: str) -> tuple[str, int] | None:
    found = _MARKER_RE.match(body)
    return (found["env"], int(found["part"])) if found else None


@dataclass
class Posted:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, {self.deleted} deleted"


def sync(forge: Forge, env: str, chunks: list[str]) -> Posted:
    """Make the pull request's comments for ``env`` equal ``chunks`` (each starting with its marker)."""
    if not chunks:
        raise ValueError("nothing to post")
    for part, chunk in enumerate(chunks, start=1):
        if parse_marker(chunk) != (env, part):
            raise ValueError(f"chunk {part} does not start with {marker(env, part)}")
    ours: dict[int, list[Comment]] = {}
    for comment in forge.comments():
        found = parse_marker(comment.body)
        if found and found[0] == env:
            ours.setdefault(found[1], []).append(comment)
    posted = Posted()
    for part, chunk in enumerate(chunks, start=1):
        existing = sorted(ours.pop(part, []), key=lambda c: c.id)
        if not existing:
            forge.create(chunk)
            posted.created += 1
            continue
        keep, *duplicates = existing
        if keep.body == chunk:
            posted.unchanged += 1
        else:
            forge.update(keep.id, chunk)
            posted.updated += 1
        ours.setdefault(0, []).extend(duplicates)  # an interrupted earlier post can leave two
    for stale in (c for comments in ours.values() for c in comments):
        forge.delete(stale.id)
        posted.deleted += 1
    return posted
