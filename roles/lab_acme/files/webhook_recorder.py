#!/usr/bin/python3
"""The lab's stand-in for a chat service's incoming webhook: every POST body (Alertmanager's JSON)
is appended, with the time it arrived, as one line of received.jsonl in the state directory.

    webhook_recorder.py ADDRESS PORT CERT KEY STATE_DIR
"""

import json
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

LOCK = threading.Lock()
MAX_BODY = 1 << 20


class Recorder(BaseHTTPRequestHandler):
    out: Path

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 < length <= MAX_BODY:
            self.send_error(413 if length else 411)
            return
        body = self.rfile.read(length)
        try:
            payload = json.loads(body)
        except ValueError:
            self.send_error(400, "not JSON")
            return
        line = json.dumps({"received": time.time(), "path": self.path, "payload": payload})
        with LOCK, self.out.open("a") as f:
            f.write(line + "\n")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        sys.stderr.write("%s %s\n" % (self.address_string(), format % args))


def main() -> None:
    address, port, cert, key, state = sys.argv[1:6]
    Recorder.out = Path(state) / "received.jsonl"
    server = ThreadingHTTPServer((address, int(port)), Recorder)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
