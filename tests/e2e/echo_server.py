"""A TCP server on loopback that echoes what it gets: a stand-in broker for the proxy and the probe."""

from __future__ import annotations

import socket
import threading


class EchoServer:
    """``with EchoServer() as port:``; one thread per connection."""

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self._stop = threading.Event()
        self.port = self._server.getsockname()[1]

    def __enter__(self) -> int:
        threading.Thread(target=self._accept, daemon=True, name="echo-accept").start()
        return self.port

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._server.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True, name="echo").start()

    @staticmethod
    def _serve(conn: socket.socket) -> None:
        with conn:
            try:
                while data := conn.recv(4096):
                    conn.sendall(data)
            except OSError:
                pass  # the proxy dropped the connection
