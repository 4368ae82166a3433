"""A TCP forwarder that can be cut and restored, to take a broker away from one service.

The service connects to ``127.0.0.1:proxy.port``; the proxy forwards each
connection to the real broker. ``cut()`` takes the broker away in one of two ways:

- ``refuse`` (the default): every live connection is closed and new ones fail with
  "connection refused", as when the broker's host goes down or restarts;
- ``blackhole``: the broker's side of every live connection is closed, but the
  service's side stays open and nothing more is ever sent to it; new connections are
  accepted and never answered, as behind a network partition or a dead load balancer.

``restore()`` accepts and forwards again, on the same port.

While cut with ``refuse``, the port stays bound by a socket that does not listen (the
kernel answers a connect to it with a reset, so the client sees ECONNREFUSED):
nothing else can take the port in the meantime, and a client cannot end up connected
to itself, which can happen on loopback when a port is left free and the client picks
it as its own ephemeral port.

Threads, not asyncio: whoever owns the proxy blocks on subprocesses and sleeps, and
the forwarding must go on meanwhile. Used by ``fs-lint probe`` and by the end-to-end
suite (``tests/e2e``).
"""

from __future__ import annotations

import socket
import threading
from typing import Optional

from .options import CUT_MODES

_REUSE_PORT = getattr(socket, "SO_REUSEPORT", None)
_CHUNK = 65536


class _Link:
    """One forwarded connection: the service's socket and the broker's."""

    def __init__(self, client: socket.socket, upstream: Optional[socket.socket]) -> None:
        self.client = client
        self.upstream = upstream  # None for a connection accepted while blackholed
        self.blackholed = upstream is None

    def sockets(self) -> list[socket.socket]:
        return [s for s in (self.client, self.upstream) if s is not None]


class TcpProxy:
    """Forward ``127.0.0.1:<random port>`` to ``target``; ``cut()`` and ``restore()`` it."""

    def __init__(self, target_host: str, target_port: int, *, name: str = "proxy") -> None:
        self.target = (target_host, target_port)
        self.name = name
        self.port = 0
        self.accepted = 0  # connections forwarded so far, for diagnostics
        self._lock = threading.Lock()
        self._listener: Optional[socket.socket] = None
        self._holder: Optional[socket.socket] = None  # keeps the port while cut with "refuse"
        self._mode: Optional[str] = None  # how it is cut; None while it forwards
        self._links: set[_Link] = set()
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
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def is_cut(self) -> bool:
        return self._mode is not None

    def cut(self, mode: str = "refuse") -> None:
        """Take the broker away (see the module's docstring for the modes) until ``restore()``."""
        if mode not in CUT_MODES:
            raise ValueError(f"unknown cut mode {mode!r}, expected one of {', '.join(CUT_MODES)}")
        with self._lock:
            if self._mode is not None or self._closed:
                return
            self._mode = mode
            links = list(self._links)
            listener = None
            if mode == "refuse":
                self._holder = self._bound_socket()
                self._holder.bind(("127.0.0.1", self.port))
                listener, self._listener = self._listener, None
                self._links = set()
            else:
                for link in links:
                    link.blackholed = True
        if listener is not None:
            _close(listener)
        for link in links:
            if mode == "refuse":
                for sock in link.sockets():
                    _close(sock)
            elif link.upstream is not None:
                _close(link.upstream)  # the service's side stays open, and silent

    def restore(self) -> None:
        """Accept and forward connections again, on the same port."""
        with self._lock:
            if self._mode is None or self._closed:
                return
            mode, self._mode = self._mode, None
            holder, self._holder = self._holder, None
            silent = [link for link in self._links if link.blackholed]
            self._links.difference_update(silent)
        for link in silent:  # as a broker that lost them would: reset
            _close(link.client)
        if mode == "refuse":
            self._listen(holder)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            sockets = [s for s in (self._listener, self._holder) if s is not None]
            for link in self._links:
                sockets += link.sockets()
            self._listener = self._holder = None
            self._links = set()
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
        while not self._closed:  # a "refuse" cut ends it too: accept() fails once the listener is closed
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed by cut() or close()
            if self._mode == "blackhole":
                self._swallow(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _close(client)
                continue
            for sock in (client, upstream):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            link = _Link(client, upstream)
            with self._lock:
                cut_meanwhile = self._listener is not listener or self._mode is not None
                if not cut_meanwhile:
                    self._links.add(link)
                    self.accepted += 1
            if cut_meanwhile:
                _close(upstream)
                if self._mode == "blackhole":
                    self._swallow(client)
                    continue
                _close(client)
                return
            self._spawn(self._pump_up, link, name=f"{self.name}-up")
            self._spawn(self._pump_down, link, name=f"{self.name}-down")

    def _swallow(self, client: socket.socket) -> None:
        """A connection made while blackholed: read what the service sends, answer nothing."""
        link = _Link(client, None)
        with self._lock:
            if self._mode != "blackhole":
                _close(client)
                return
            self._links.add(link)
        self._spawn(self._pump_up, link, name=f"{self.name}-blackhole")

    def _pump_up(self, link: _Link) -> None:
        """Service to broker; while blackholed, what the service sends is read and dropped."""
        try:
            while True:
                data = link.client.recv(_CHUNK)
                if not data:
                    break
                if link.blackholed:
                    continue
                try:
                    link.upstream.sendall(data)
                except OSError:
                    if not link.blackholed:
                        break
        except OSError:
            pass
        self._end(link)

    def _pump_down(self, link: _Link) -> None:
        """Broker to service; a blackholed link's upstream is closed, and the service hears nothing."""
        try:
            while True:
                data = link.upstream.recv(_CHUNK)
                if not data or link.blackholed:
                    break
                link.client.sendall(data)
        except OSError:
            pass
        if not link.blackholed:
            self._end(link)

    def _end(self, link: _Link) -> None:
        """One side finished: end both, as a broker's connection would end."""
        with self._lock:
            self._links.discard(link)
        for sock in link.sockets():
            _close(sock)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass
