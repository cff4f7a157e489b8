"""A local stand-in for the GitHub and GitLab comment APIs, on 127.0.0.1: it keeps the comments
in memory and records every call, so tests can check what `harden plan --post` did."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "test-token-not-a-secret"
_GITHUB = re.compile(r"^/repos/acme/platform/issues/(?:(?P<number>\d+)/comments|comments/(?P<id>\d+))$")
_GITLAB = re.compile(r"^/api/v4/projects/(?P<project>[^/]+)/merge_requests/(?P<iid>\d+)/notes(?:/(?P<id>\d+))?$")


@dataclass
class ForgeState:
    comments: dict[int, str] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)  # (method, path without query)
    next_id: int = 1000

    def add(self, body: str) -> int:
        self.next_id += 1
        self.comments[self.next_id] = body
        return self.next_id

    def writes(self) -> list[str]:
        return [method for method, _ in self.calls if method != "GET"]


def _handler(state: ForgeState, per_page: int) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, code: int, payload: Any = None, headers: dict[str, str] | None = None) -> None:
            raw = json.dumps(payload).encode() if payload is not None else b""
            self.send_response(code)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def _authorized(self, github: bool) -> bool:
            if github:
                return self.headers.get("Authorization") == f"Bearer {TOKEN}"
            return self.headers.get("PRIVATE-TOKEN") == TOKEN

        def _page(self, github: bool, query: dict[str, list[str]]) -> None:
            page = int(query.get("page", ["1"])[0])
            ids = sorted(state.comments)
            chunk = ids[(page - 1) * per_page : page * per_page]
            more = page * per_page < len(ids)
            items = [{"id": i, "body": state.comments[i]} for i in chunk]
            if github:
                headers = {"Link": f'<http://x/?page={page + 1}>; rel="next"'} if more else {}
            else:
                items.append({"id": 1, "body": "changed the description", "system": True})  # GitLab's own notes
                headers = {"X-Next-Page": str(page + 1) if more else ""}
            self._send(200, items, headers)

        def _handle(self, method: str) -> None:
            url = urlsplit(self.path)
            state.calls.append((method, url.path))
            github, gitlab = _GITHUB.match(url.path), _GITLAB.match(url.path)
            match = github or gitlab
            if match is None:
                return self._send(404, {"message": "Not Found"})
            if not self._authorized(github is not None):
                return self._send(401, {"message": "Bad credentials"})
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else {}
            comment_id = match["id"]
            if method == "GET" and comment_id is None:
                return self._page(github is not None, parse_qs(url.query))
            if method == "POST" and comment_id is None:
                return self._send(201, {"id": state.add(body["body"]), "body": body["body"]})
            if comment_id is None or int(comment_id) not in state.comments:
                return self._send(404, {"message": "Not Found"})
            if method in ("PATCH", "PUT"):
                state.comments[int(comment_id)] = body["body"]
                return self._send(200, {"id": int(comment_id), "body": body["body"]})
            if method == "DELETE":
                del state.comments[int(comment_id)]
                return self._send(204)
            return self._send(405, {"message": "Method Not Allowed"})

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_PATCH(self) -> None:
            self._handle("PATCH")

        def do_PUT(self) -> None:
            self._handle("PUT")

        def do_DELETE(self) -> None:
            self._handle("DELETE")

    return Handler


@contextmanager
def fake_forge(per_page: int = 100) -> Iterator[tuple[str, ForgeState]]:
    """The server's base URL (http://127.0.0.1:PORT) and its state."""
    state = ForgeState()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state, per_page))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
