"""The real brokers the apps run against, and how a test talks to them directly.

Every probe goes straight to the broker, never through the proxy that the app
under test uses: a reply proves that the app itself is connected and consuming.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Callable, Optional


@dataclass(frozen=True)
class Broker:
    key: str  # "rabbit", "redis", "nats"
    title: str
    host: str
    port: int
    how_to_start: str

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def url(self, port: Optional[int] = None) -> str:
        """The URL an app uses; ``port`` is a proxy's, the broker's own by default."""
        return self.url_at(self.address if port is None else f"127.0.0.1:{port}")

    def url_at(self, address: str) -> str:
        """The URL of this kind of broker at ``address`` (``host:port``, or a placeholder such as ``{cut1}``)."""
        return {
            "rabbit": f"amqp://guest:guest@{address}/",
            "redis": f"redis://{address}/0",
            "nats": f"nats://{address}",
        }[self.key]

    def reachable(self, timeout: float = 2.0) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=timeout):
                return True
        except OSError:
            return False

    def missing_message(self) -> str:
        return (f"{self.title}, which is not reachable on {self.address}: {self.how_to_start} "
                f"(or point FS_LINT_E2E_{self.key.upper()} at one, as host:port)")


def _address(key: str, default_port: int) -> tuple[str, int]:
    value = os.environ.get(f"FS_LINT_E2E_{key.upper()}", f"127.0.0.1:{default_port}")
    host, _, port = value.rpartition(":")
    return host or "127.0.0.1", int(port)


BROKERS: dict[str, Broker] = {
    "rabbit": Broker("rabbit", "RabbitMQ", *_address("rabbit", 5672),
                     "start it with `systemctl start rabbitmq-server`, or "
                     "`docker run -d -p 5672:5672 rabbitmq:3` (user guest/guest)"),
    "redis": Broker("redis", "Redis", *_address("redis", 6379),
                    "start it with `redis-server --daemonize yes`, or `docker run -d -p 6379:6379 redis:7`"),
    "nats": Broker("nats", "NATS", *_address("nats", 4222),
                   "start it with `nats-server -js &`, or `docker run -d -p 4222:4222 nats:2 -js`"),
}


_reachable: dict[str, bool] = {}


def broker_reachable(key: str) -> bool:
    """Whether the broker answers a TCP connect (asked once per process)."""
    if key not in _reachable:
        _reachable[key] = BROKERS[key].reachable()
    return _reachable[key]


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


# -- round trips ------------------------------------------------------------------------
# Each sends one request to the app and returns the reply's text, or raises.

async def _faststream_request(broker_key: str, destination: str, body: str, reply_within: float) -> str:
    if broker_key == "rabbit":
        from faststream.rabbit import RabbitBroker

        async with RabbitBroker(BROKERS["rabbit"].url(), logger=None) as client:
            reply = await client.request(body, queue=destination, timeout=reply_within)
    elif broker_key == "redis":
        from faststream.redis import RedisBroker

        async with RedisBroker(BROKERS["redis"].url(), logger=None) as client:
            reply = await client.request(body, channel=destination, timeout=reply_within)
    else:
        from faststream.nats import NatsBroker

        async with NatsBroker(BROKERS["nats"].url(), logger=None) as client:
            reply = await client.request(body, subject=destination, timeout=reply_within)
    return str(await reply.decode())


def _redis_list_request(destination: str, body: str, timeout: float) -> str:
    """A worker that pops JSON jobs from a Redis list and pushes its answer to ``reply_to``."""
    import redis

    broker = BROKERS["redis"]
    client = redis.Redis(host=broker.host, port=broker.port, socket_timeout=timeout + 2)
    reply_to = f"{destination}.reply.{uuid.uuid4().hex[:8]}"
    try:
        client.rpush(destination, json.dumps({"order": body, "reply_to": reply_to}))
        popped = client.blpop([reply_to], timeout=max(1, int(timeout)))
        if popped is None:
            # take the job back if nobody took it, so that it cannot be answered later
            client.lrem(destination, 0, json.dumps({"order": body, "reply_to": reply_to}))
            raise TimeoutError(f"no reply on {reply_to} within {timeout:g}s")
        return popped[1].decode("utf-8", "replace")  # FastStream may answer in its binary envelope
    finally:
        client.close()


def request(kind: str, destination: str, body: str, timeout: float = 3.0) -> str:
    """One round trip: ``kind`` is a broker key, or ``redis-list`` for a list worker."""
    if kind == "redis-list":
        return _redis_list_request(destination, body, timeout)
    return asyncio.run(_faststream_request(kind, destination, body, timeout))


def round_trip(kind: str, destination: str, *, attempt_timeout: float = 2.0) -> Callable[[], bool]:
    """A condition for ``AppProcess.wait_until``: one request, True once a reply names it."""
    def attempt() -> bool:
        body = f"probe-{uuid.uuid4().hex[:8]}"
        try:
            return body in request(kind, destination, body, attempt_timeout)
        except Exception:
            return False
    return attempt


# -- traffic ---------------------------------------------------------------------------

class Traffic:
    """Publish a message to the app every ``interval`` seconds, directly to the broker, until stopped."""

    def __init__(self, kind: str, destination: str, interval: float = 0.3) -> None:
        self.kind, self.destination, self.interval = kind, destination, interval
        self.sent = 0
        self.errors = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="traffic", daemon=True)

    def __enter__(self) -> "Traffic":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        asyncio.run(self._publish_until_stopped())

    async def _publish_until_stopped(self) -> None:
        key = self.kind
        if key == "rabbit":
            from faststream.rabbit import RabbitBroker as Client

            target = {"queue": self.destination}
        elif key == "redis":
            from faststream.redis import RedisBroker as Client

            target = {"channel": self.destination}
        else:
            from faststream.nats import NatsBroker as Client

            target = {"subject": self.destination}
        async with Client(BROKERS[key].url(), logger=None) as client:
            while not self._stop.is_set():
                try:
                    await client.publish(f"order-{self.sent}", **target)
                    self.sent += 1
                except Exception:
                    self.errors += 1
                deadline = time.monotonic() + self.interval
                while time.monotonic() < deadline and not self._stop.is_set():
                    await asyncio.sleep(0.05)
