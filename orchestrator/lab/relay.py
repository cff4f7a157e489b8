"""stdio <-> TCP relay, run by ssh's ProxyCommand inside a lab host's network namespace.

Standard library only and started with ``python3 -I -S``, so that it starts in milliseconds.
"""

import os
import selectors
import socket
import sys


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    sock = socket.create_connection((host, port), timeout=10)
    sock.settimeout(None)
    sel = selectors.DefaultSelector()
    sel.register(0, selectors.EVENT_READ, "stdin")
    sel.register(sock, selectors.EVENT_READ, "sock")
    while True:
        for key, _ in sel.select():
            if key.data == "stdin":
                data = os.read(0, 65536)
                if not data:
                    sock.shutdown(socket.SHUT_WR)
                    sel.unregister(0)
                    continue
                sock.sendall(data)
            else:
                data = sock.recv(65536)
                if not data:
                    return
                os.write(1, data)


if __name__ == "__main__":
    main()
