"""The forges' comment APIs: GitHub (issue comments on a pull request) and GitLab (merge request
notes), over HTTPS with the standard library, the token in a header only."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from orchestrator.errors import HardenError

PER_PAGE = 100
TIMEOUT_S = 30


@dataclass(frozen=True)
class Comment:
    id: int
    body: str


class Forge(Protocol):
    def comments(self) -> Iterator[Comment]: ...
    def create(self, body: str) -> None: ...
    def update(self, comment_id: int, body: str) -> None: ...
    def delete(self, comment_id: int) -> None: ...


class _Api:
    def __init__(self, base: str, headers: Mapping[str, str], what: str) -> None:
        url = urllib.parse.urlsplit(base)
        if url.scheme != "https" and url.hostname not in ("127.0.0.1", "localhost"):
            raise HardenError(f"{what}: {base}: the token goes over HTTPS only (plain HTTP on loopback, for tests)")
        self.base = base.rstrip("/")
        self.headers = {"Accept": "application/json", "User-Agent": "harden", **headers}
        self.what = what

    def call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> tuple[Any, Mapping[str, str]]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.base}{path}", data=data, method=method, headers=dict(self.headers))
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                raw = response.read()
                return (json.loads(raw) if raw else None), {k.lower(): v for k, v in response.headers.items()}
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode(errors="replace")
            raise HardenError(f"{self.what}: {method} {path}: HTTP {exc.code}: {detail}") from None
        except urllib.error.URLError as exc:
            raise HardenError(f"{self.what}: {method} {path}: {exc.reason}") from None


def _need(environ: Mapping[str, str], name: str, why: str) -> str:
    value = environ.get(name, "")
    if not value:
        raise HardenError(f"--post: {name} is not set: {why}")
    return value


class GitHub:
    """Comments on a pull request through the issues API (``GITHUB_TOKEN`` with pull-requests: write)."""

    def __init__(self, api_url: str, repository: str, number: int, token: str) -> None:
        self.api = _Api(
            api_url,
            {"Authorization": f"Bearer {token}", "X-GitHub-Api-Version": "2022-11-28"},
            f"GitHub {repository}#{number}",
        )
        self.repository, self.number = repository, number

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> GitHub:
        token = _need(environ, "GITHUB_TOKEN", "pass the job's token: env: GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}")
        repository = _need(environ, "GITHUB_REPOSITORY", "run inside GitHub Actions")
        event = json.loads(Path(_need(environ, "GITHUB_EVENT_PATH", "run inside GitHub Actions")).read_text())
        number = (event.get("pull_request") or {}).get("number")
        if not isinstance(number, int):
            raise HardenError("--post github: the event has no pull request: run the job on pull_request")
        return cls(environ.get("GITHUB_API_URL", "https://api.github.com"), repository, number, token)

    def comments(self) -> Iterator[Comment]:
        page = 1
        while True:
            path = f"/repos/{self.repository}/issues/{self.number}/comments?per_page={PER_PAGE}&page={page}"
            items, headers = self.api.call("GET", path)
            yield from (Comment(int(c["id"]), str(c.get("body") or "")) for c in items)
            if 'rel="next"' not in headers.get("link", ""):
                return
            page += 1

    def create(self, body: str) -> None:
        self.api.call("POST", f"/repos/{self.repository}/issues/{self.number}/comments", {"body": body})

    def update(self, comment_id: int, body: str) -> None:
        self.api.call("PATCH", f"/repos/{self.repository}/issues/comments/{comment_id}", {"body": body})

    def delete(self, comment_id: int) -> None:
        self.api.call("DELETE", f"/repos/{self.repository}/issues/comments/{comment_id}")


class GitLab:
    """Notes on a merge request (``GITLAB_TOKEN``: a project access token with the api scope).

    GitLab's CI_JOB_TOKEN cannot write merge request notes (gitlab-org/gitlab#464591), so the job
    reads a project access token from a masked CI/CD variable."""

    def __init__(self, api_url: str, project: str, iid: int, token: str) -> None:
        self.api = _Api(api_url, {"PRIVATE-TOKEN": token}, f"GitLab {project}!{iid}")
        self.prefix = f"/projects/{urllib.parse.quote(project, safe='')}/merge_requests/{iid}/notes"

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> GitLab:
        token = _need(
            environ,
            "GITLAB_TOKEN",
            "a project access token (api scope) in a masked CI/CD variable: CI_JOB_TOKEN cannot write notes",
        )
        iid = _need(environ, "CI_MERGE_REQUEST_IID", "run the job in a merge request pipeline")
        return cls(
            _need(environ, "CI_API_V4_URL", "run inside GitLab CI"),
            _need(environ, "CI_PROJECT_ID", "run inside GitLab CI"),
            int(iid),
            token,
        )

    def comments(self) -> Iterator[Comment]:
        page = 1
        while True:
            items, headers = self.api.call("GET", f"{self.prefix}?per_page={PER_PAGE}&page={page}&sort=asc")
            yield from (Comment(int(n["id"]), str(n.get("body") or "")) for n in items if not n.get("system"))
            following = headers.get("x-next-page", "")
            if not following:
                return
            page = int(following)

    def create(self, body: str) -> None:
        self.api.call("POST", self.prefix, {"body": body})

    def update(self, comment_id: int, body: str) -> None:
        self.api.call("PUT", f"{self.prefix}/{comment_id}", {"body": body})

    def delete(self, comment_id: int) -> None:
        self.api.call("DELETE", f"{self.prefix}/{comment_id}")


def from_environment(name: str, environ: Mapping[str, str] = os.environ) -> Forge:
    if name == "github":
        return GitHub.from_environment(environ)
    if name == "gitlab":
        return GitLab.from_environment(environ)
    raise HardenError(f"--post {name}: unknown forge (github, gitlab)")
