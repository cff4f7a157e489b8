"""A minimal RESP2 client for the role's modules (redis_live, redis_cmd): secrets travel as module
parameters (no_log), never on a command line or in a process environment."""

from __future__ import annotations

import socket
import ssl
from typing import Any


def tls_files(tls_dir: str) -> dict[str, str]:
    """The role's TLS files in tls_dir (ca.crt, redis.crt, redis.key); none for plaintext."""
    if not tls_dir:
        return {}
    return {"tls_ca": f"{tls_dir}/ca.crt", "tls_cert": f"{tls_dir}/redis.crt", "tls_key": f"{tls_dir}/redis.key"}


class Resp:
    """A minimal RESP2 client: enough for AUTH, CONFIG, ACL and SENTINEL.

    With tls_ca (a CA file) it speaks TLS and verifies the server's certificate and its name (the
    address it dials: the role's certificates carry every member's address and 127.0.0.1). With
    tls_cert and tls_key it shows that certificate too, as members do to each other.
    """

    def __init__(
        self, port: int, host: str = "127.0.0.1", tls_ca: str = "", tls_cert: str = "", tls_key: str = ""
    ) -> None:
        sock = socket.create_connection((host, port), timeout=10)
        if tls_ca:
            context = ssl.create_default_context(cafile=tls_ca)
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            if tls_cert:
                context.load_cert_chain(tls_cert, tls_key or None)
            try:
                sock = context.wrap_socket(sock, server_hostname=host)
            except (OSError, ssl.SSLError):
                sock.close()
                raise
        self.sock = sock
        self.buf = b""

    def call(self, *args: str) -> Any:
        out = f"*{len(args)}\r\n".encode()
        for a in args:
            data = a.encode()
            out += f"${len(data)}\r\n".encode() + data + b"\r\n"
        self.sock.sendall(out)
        return self._read()

    def _line(self) -> bytes:
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _read(self) -> Any:
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            if size < 0:
                return None
            while len(self.buf) < size + 2:
                self.buf += self.sock.recv(65536)
            data, self.buf = self.buf[:size], self.buf[size + 2 :]
            return data.decode()
        if kind == b"*":
            count = int(rest)
            return None if count < 0 else [self._read() for _ in range(count)]
        raise RuntimeError(f"unexpected reply {line!r}")
