"""Posting a plan's chunks: one comment per part and environment, updated in place, against a
local fake of each forge's API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.errors import HardenError
from orchestrator.publish import marker, parse_marker, sync
from orchestrator.publish.forge import Comment, Forge, GitHub, GitLab, from_environment
from tests.unit.publish.fake_forge import TOKEN, fake_forge


def _chunks(env: str, *texts: str) -> list[str]:
    return [f"{marker(env, part)}\n{text}" for part, text in enumerate(texts, start=1)]


def _forge(kind: str, base: str, tmp_path: Path, token: str = TOKEN) -> Forge:
    if kind == "github":
        event = tmp_path / "event.json"
        event.write_text(json.dumps({"pull_request": {"number": 7}}))
        environ = {"GITHUB_TOKEN": token, "GITHUB_REPOSITORY": "acme/platform", "GITHUB_EVENT_PATH": str(event)}
        return from_environment("github", {**environ, "GITHUB_API_URL": base})
    environ = {"GITLAB_TOKEN": token, "CI_MERGE_REQUEST_IID": "7", "CI_PROJECT_ID": "acme/platform"}
    return from_environment("gitlab", {**environ, "CI_API_V4_URL": f"{base}/api/v4"})


FORGES = ["github", "gitlab"]


@pytest.mark.parametrize("kind", FORGES)
def test_first_post_creates_one_comment_per_part(kind: str, tmp_path: Path) -> None:
    with fake_forge() as (base, state):
        posted = sync(_forge(kind, base, tmp_path), "staging", _chunks("staging", "a", "b", "c"))
    assert (posted.created, posted.updated, posted.deleted) == (3, 0, 0)
    assert [parse_marker(b) for b in state.comments.values()] == [("staging", 1), ("staging", 2), ("staging", 3)]
    assert state.writes() == ["POST", "POST", "POST"]


@pytest.mark.parametrize("kind", FORGES)
def test_a_new_push_updates_in_place_and_leaves_others_alone(kind: str, tmp_path: Path) -> None:
    with fake_forge() as (base, state):
        someone = state.add("LGTM")
        production = state.add(_chunks("production", "prod plan")[0])
        forge = _forge(kind, base, tmp_path)
        sync(forge, "staging", _chunks("staging", "old 1", "same 2"))
        ids = sorted(state.comments)
        state.calls.clear()
        posted = sync(forge, "staging", _chunks("staging", "new 1", "same 2"))
    assert (posted.created, posted.updated, posted.unchanged, posted.deleted) == (0, 1, 1, 0)
    assert sorted(state.comments) == ids  # no new comment: the same two, one edited
    assert state.writes() == ["PATCH" if kind == "github" else "PUT"]
    assert state.comments[someone] == "LGTM"
    assert state.comments[production] == _chunks("production", "prod plan")[0]


@pytest.mark.parametrize("kind", FORGES)
def test_a_shorter_plan_deletes_the_parts_it_no_longer_has(kind: str, tmp_path: Path) -> None:
    with fake_forge() as (base, state):
        forge = _forge(kind, base, tmp_path)
        sync(forge, "staging", _chunks("staging", "1", "2", "3"))
        posted = sync(forge, "staging", _chunks("staging", "No changes."))
    assert (posted.updated, posted.deleted) == (1, 2)
    assert list(state.comments.values()) == _chunks("staging", "No changes.")


@pytest.mark.parametrize("kind", FORGES)
def test_comments_are_found_across_pages(kind: str, tmp_path: Path) -> None:
    with fake_forge(per_page=10) as (base, state):
        for i in range(25):
            state.add(f"comment {i}")
        forge = _forge(kind, base, tmp_path)
        sync(forge, "staging", _chunks("staging", "plan"))
        state.calls.clear()
        sync(forge, "staging", _chunks("staging", "plan again"))
    listed = [path for method, path in state.calls if method == "GET"]
    assert len(listed) == 3  # 26 comments, 10 a page
    assert sum(1 for b in state.comments.values() if parse_marker(b)) == 1


def test_a_duplicate_left_by_an_interrupted_post_is_removed(tmp_path: Path) -> None:
    with fake_forge() as (base, state):
        first = state.add(_chunks("staging", "x")[0])
        state.add(_chunks("staging", "x")[0])
        posted = sync(_forge("github", base, tmp_path), "staging", _chunks("staging", "x"))
    assert (posted.unchanged, posted.deleted) == (1, 1)
    assert list(state.comments) == [first]


@pytest.mark.parametrize("kind", FORGES)
def test_a_wrong_token_is_a_clear_error_without_the_token(kind: str, tmp_path: Path) -> None:
    with fake_forge() as (base, state), pytest.raises(HardenError) as caught:
        sync(_forge(kind, base, tmp_path, token="wrong-token-value"), "staging", _chunks("staging", "x"))
    assert "HTTP 401" in str(caught.value) and "wrong-token-value" not in str(caught.value)
    assert state.writes() == []


def test_chunks_must_carry_their_environment_marker() -> None:
    with pytest.raises(ValueError, match="part=2"):
        sync(_NoForge(), "staging", [_chunks("staging", "1")[0], _chunks("production", "x", "2")[1]])


class _NoForge:
    """Nothing may be listed or written when the chunks are wrong."""

    def comments(self) -> Iterator[Comment]:
        raise AssertionError("never called")

    def create(self, body: str) -> None:
        raise AssertionError("never called")

    def update(self, comment_id: int, body: str) -> None:
        raise AssertionError("never called")

    def delete(self, comment_id: int) -> None:
        raise AssertionError("never called")


@pytest.mark.parametrize(
    ("kind", "environ", "missing"),
    [
        ("github", {}, "GITHUB_TOKEN"),
        ("github", {"GITHUB_TOKEN": "t"}, "GITHUB_REPOSITORY"),
        ("gitlab", {"CI_JOB_TOKEN": "t"}, "GITLAB_TOKEN"),
        ("gitlab", {"GITLAB_TOKEN": "t", "CI_API_V4_URL": "https://gitlab.example/api/v4"}, "CI_MERGE_REQUEST_IID"),
    ],
)
def test_missing_job_variables_are_named(kind: str, environ: dict[str, str], missing: str) -> None:
    with pytest.raises(HardenError, match=f"{missing} is not set"):
        from_environment(kind, environ)


def test_the_token_never_goes_over_plain_http_off_loopback() -> None:
    with pytest.raises(HardenError, match="HTTPS only"):
        GitHub("http://github.example", "acme/platform", 7, TOKEN)
    with pytest.raises(HardenError, match="HTTPS only"):
        GitLab("http://gitlab.example/api/v4", "1", 7, TOKEN)
