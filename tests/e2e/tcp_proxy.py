"""A TCP forwarder that a test can cut and restore, to take a broker away from one app.

The app under test connects to ``127.0.0.1:proxy.port``; the proxy forwards each
connection to the real broker. ``cut()`` closes every live connection and makes new
ones fail with "connection refused", as when the broker's host goes down;
``restore()`` accepts and forwards again, on the same port.

While cut, the port stays bound by a socket that does not listen (the kernel answers
a connect to it with a reset, so the client sees ECONNREFUSED): nothing else can take
the port in the meantime, and a client cannot end up connected to itself, which can
happen on loopback when a port is left free and the client picks it as its own
ephemeral port.

Threads, not asyncio: the test that owns the proxy blocks on subprocesses and
sleeps, and the forwarding must go on meanwhile.
"""

from __future__ import annotations

import socket
import threading
from typing import Optional

_REUSE_PORT = getattr(socket, "SO_REUSEPORT", None)
_CHUNK = 65536


class TcpProxy:
    """Forward ``127.0.0.1:<random port>`` to ``target``; ``cut()`` and ``restore()`` it."""

    def __init__(self, target_host: str, target_port: int, *, name: str = "proxy") -> None:
        self.target = (target_host, target_port)
        self.name = name
        self.port = 0
        self.accepted = 0  # connections forwarded so far, for diagnostics
        self._lock = threading.Lock()
        self._listener: Optional[socket.socket] = None
        self._holder: Optional[socket.socket] = None  # keeps the port while cut
        self._connections: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._closed = False

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> "TcpProxy":
        self._listen()
        return self

    def __enter__(self) -> "TcpProxy":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def is_cut(self) -> bool:
        return self._listener is None

    def cut(self) -> None:
        """Drop every forwarded connection and refuse new ones until ``restore()``."""
        with self._lock:
            if self._listener is None:
                return
            self._holder = self._bound_socket()
            self._holder.bind(("127.0.0.1", self.port))
            listener, self._listener = self._listener, None
            connections, self._connections = self._connections, set()
        _close(listener)
        for conn in connections:
            _close(conn)

    def restore(self) -> None:
        """Accept and forward connections again, on the same port."""
        with self._lock:
            if self._listener is not None or self._closed:
                return
            holder, self._holder = self._holder, None
        self._listen(holder)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            sockets = [s for s in (self._listener, self._holder) if s is not None]
            sockets += list(self._connections)
            self._listener = self._holder = None
            self._connections = set()
        for sock in sockets:
            _close(sock)
        for thread in self._threads:
            thread.join(timeout=2)

    # -- internals -------------------------------------------------------------------

    @staticmethod
    def _bound_socket() -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if _REUSE_PORT is not None:
            sock.setsockopt(socket.SOL_SOCKET, _REUSE_PORT, 1)
        return sock

    def _listen(self, holder: Optional[socket.socket] = None) -> None:
        listener = self._bound_socket()
        try:
            listener.bind(("127.0.0.1", self.port))
            listener.listen(64)
        except OSError:
            _close(listener)
            raise
        finally:
            if holder is not None:  # the listener holds the port now (SO_REUSEPORT)
                _close(holder)
        self.port = listener.getsockname()[1]
        with self._lock:
            self._listener = listener
        self._spawn(self._accept_loop, listener, name=f"{self.name}-accept")

    def _spawn(self, target, *args, name: str) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]

    def _accept_loop(self, listener: socket.socket) -> None:
        while not self._closed:  # cut() ends it too: accept() fails once the listener is closed
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed by cut() or close()
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _close(client)
                continue
            for sock in (client, upstream):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                if self._listener is not listener:  # cut while connecting
                    _close(client)
                    _close(upstream)
                    return
                self._connections.update((client, upstream))
                self.accepted += 1
            self._spawn(self._pump, client, upstream, name=f"{self.name}-up")
            self._spawn(self._pump, upstream, client, name=f"{self.name}-down")

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(_CHUNK)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        # One side finished: end both, as a broker's connection would end.
        with self._lock:
            self._connections.discard(source)
            self._connections.discard(sink)
        _close(source)
        _close(sink)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass
