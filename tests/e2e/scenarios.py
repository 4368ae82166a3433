"""The apps under ``fixtures/apps/`` and what the suite expects of each.

Every app is a short FastStream service as people write them, with one retry loop that
keeps it alive after SIGTERM, or (FSR901) one shutdown hook that waits, with no bound, for
work that needs the broker. The suite runs each one against a real broker behind a
proxy, takes the broker (or the app's downstream dependency) away, and stops it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

APPS_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "apps"

# Destinations every app may read from its environment; the harness gives each run its own names.
DESTINATION_VARIABLES = ("ORDERS_QUEUE", "ORDERS_CHANNEL", "ORDERS_SUBJECT", "AUDIT_QUEUE", "JOBS_LIST",
                         "LEDGER_KEY", "PRESENCE_QUEUE", "AUDIT_SUBJECT")

# FSR004's fix is unsafe and gives up after `retry-give-up-after` seconds (300 by default); an
# orchestrator that waits 10 s for the service needs far less.
GIVE_UP_QUICKLY = ("--unsafe-fixes", "--retry-give-up-after", "2")

# The growing-sleep apps start at 5 s and double: stop them in a pause of 20 s or more, which
# outlasts the grace period by far, whatever the machine's load.
LONG_PAUSE = r"retrying in ([2-9]\d|\d{3,})s"

# FSR901 is off by default: `check` selects it on top of the default codes (so that the app is
# also seen to be clean for FSR001-FSR007), `fix` applies it alone. Its rewrite is unsafe and
# bounds the wait by `shutdown-timeout` seconds (10 by default); the fixed app must then exit
# within that bound plus 2 s.
SHUTDOWN_TIMEOUT = 3
CHECK_FSR901 = ("--extend-select", "FSR901")
BOUND_SHUTDOWN_WAITS = ("--unsafe-fixes", "--select", "FSR901", "--shutdown-timeout", str(SHUTDOWN_TIMEOUT))


@dataclass(frozen=True, eq=False)
class Scenario:
    id: str
    app: str  # module name in fixtures/apps
    shape: str  # what the app does wrong, in one line
    endpoints: Mapping[str, str]  # env variable holding a URL -> broker key; each gets its own proxy
    probe: str  # how a round trip is made: a broker key, or "redis-list"
    inbox: str  # the env variable naming where round trips and traffic go
    codes: frozenset[str]  # what `fs-lint check` reports on the app as written
    expected_fix: str  # the rewrite `fs-lint fix` should make
    cut: tuple[str, ...] = ("BROKER",)  # endpoints (by env variable, or "BROKER" for the first) taken away
    down_at_start: bool = False  # the loop is a startup wait: the dependency is away when the app starts
    traffic: bool = False  # messages keep arriving while the dependency is away
    spins: bool = False  # after SIGTERM the unfixed app burns CPU (anyio re-delivers the cancellation it eats)
    # A line that shows the app in its retry loop: the app's own logger (a plain lower-case name,
    # unlike the libraries' dotted ones, whose "Reconnecting after 5 seconds" proves nothing).
    retry_log: str = r"(?i)WARNING [a-z]+: .*(retrying|reconnecting)"
    stop_log: Optional[str] = None  # the line to wait for before SIGTERM, when not just any retry line
    # The line that shows the app serves, when FastStream's own startup line can come before it (a
    # consumer thread that connects after startup): the probe cuts only once it is there.
    ready_log: Optional[str] = None
    pending: Optional[str] = None  # the after-fix test is expected to fail until this lands
    fixed_codes: Optional[frozenset[str]] = None  # what the fix removes, when not all of ``codes``
    fix_args: tuple[str, ...] = ()  # extra `fs-lint fix` arguments (for unsafe fixes)
    check_args: tuple[str, ...] = ()  # extra `fs-lint check` arguments (to select an opt-in code)
    stop_within: Optional[float] = None  # seconds the fixed app must exit within, when not the suite's limit
    # Also stop the app while its broker is up, as written and after the fix: both must exit quickly
    # with code 0 (a fix that bounds a wait must not make a clean stop slower or dirtier).
    stop_with_broker_up: bool = False

    @property
    def codes_removed_by_fix(self) -> frozenset[str]:
        return self.codes if self.fixed_codes is None else self.fixed_codes

    @property
    def stop_when(self) -> str:
        return self.stop_log or self.retry_log

    @property
    def path(self) -> Path:
        return APPS_DIR / f"{self.app}.py"

    @property
    def brokers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.endpoints.values()))

    @property
    def main_broker(self) -> str:
        return next(iter(self.endpoints.values()))

    @property
    def cut_variables(self) -> tuple[str, ...]:
        first = next(iter(self.endpoints))
        return tuple(first if name == "BROKER" else name for name in self.cut)


SCENARIOS: tuple[Scenario, ...] = (
    # 1. A startup hook that waits for the broker and catches BaseException around its awaits: one hazard,
    #    one finding, FSR002 on the handler (the loop's one defect is that handler).
    Scenario(
        id="rabbit-startup-wait", app="rabbit_startup_wait",
        shape="@app.on_startup waits for RabbitMQ in a loop with `except BaseException` around the awaits",
        endpoints={"RABBIT_URL": "rabbit"}, probe="rabbit", inbox="ORDERS_QUEUE",
        codes=frozenset({"FSR002"}), down_at_start=True, spins=True,
        expected_fix="FSR002: `except BaseException:` -> `except Exception:`",
    ),
    Scenario(
        id="redis-startup-wait", app="redis_startup_wait",
        shape="@app.on_startup pings Redis in a loop with a bare `except:` around the awaits",
        endpoints={"REDIS_URL": "redis"}, probe="redis", inbox="ORDERS_CHANNEL",
        codes=frozenset({"FSR002"}), down_at_start=True, spins=True,
        expected_fix="FSR002: bare `except:` -> `except Exception:`",
    ),
    Scenario(
        id="nats-startup-wait", app="nats_startup_wait",
        shape="@app.after_startup opens an audit NATS connection in a loop with `except BaseException`",
        endpoints={"NATS_URL": "nats", "AUDIT_NATS_URL": "nats"}, probe="nats", inbox="ORDERS_SUBJECT",
        codes=frozenset({"FSR002"}), cut=("AUDIT_NATS_URL",), down_at_start=True, spins=True,
        expected_fix="FSR002: `except BaseException as exc:` -> `except Exception as exc:`",
    ),
    # 2. A handler that retries its downstream call and catches CancelledError while doing so.
    Scenario(
        id="rabbit-handler-retry", app="rabbit_handler_retry",
        shape="subscriber retries a Redis write with `except (RedisConnectionError, TimeoutError, CancelledError)`",
        endpoints={"RABBIT_URL": "rabbit", "LEDGER_URL": "redis"}, probe="rabbit", inbox="ORDERS_QUEUE",
        codes=frozenset({"FSR003"}), cut=("LEDGER_URL",), traffic=True,
        expected_fix="FSR003: `asyncio.CancelledError` removed from the handler's tuple",
    ),
    Scenario(
        id="nats-handler-retry", app="nats_handler_retry",
        shape="NATS subscriber retries a Redis write with `except (ConnectionError, asyncio.CancelledError)` "
              "(redis's ConnectionError)",
        endpoints={"NATS_URL": "nats", "LEDGER_URL": "redis"}, probe="nats", inbox="ORDERS_SUBJECT",
        codes=frozenset({"FSR003"}), cut=("LEDGER_URL",), traffic=True,
        expected_fix="FSR003: `asyncio.CancelledError` removed from the handler's tuple",
    ),
    Scenario(
        id="redis-handler-retry", app="redis_handler_retry",
        shape="Redis subscriber retries a write to a second Redis; a separate `except asyncio.CancelledError:` "
              "logs and retries",
        endpoints={"REDIS_URL": "redis", "LEDGER_URL": "redis"}, probe="redis", inbox="ORDERS_CHANNEL",
        codes=frozenset({"FSR003"}), cut=("LEDGER_URL",), traffic=True,
        expected_fix="FSR003: the handler that catches only `asyncio.CancelledError` ends in `raise`",
    ),
    # 3. A consumer thread that reconnects in `while True` beside a close() that sets a flag.
    Scenario(
        id="rabbit-pika-thread", app="rabbit_pika_thread",
        shape="pika consumer thread reconnects in `while True`; close() sets `self._closing`, never read",
        endpoints={"RABBIT_URL": "rabbit"}, probe="rabbit", inbox="AUDIT_QUEUE",
        codes=frozenset({"FSR001"}),
        expected_fix="FSR001: `while True:` -> `while not self._closing:`",
    ),
    Scenario(
        id="redis-worker-thread", app="redis_worker_thread",
        shape="redis-py list worker thread reconnects in `while True`; close() sets `self._closing`",
        endpoints={"REDIS_URL": "redis", "JOBS_URL": "redis"}, probe="redis-list", inbox="JOBS_LIST",
        codes=frozenset({"FSR001"}), cut=("JOBS_URL",),
        expected_fix="FSR001: `while True:` -> `while not self._closing:`",
    ),
    Scenario(
        id="nats-socket-thread", app="nats_socket_thread",
        shape="plain-socket NATS client thread with a threading.Event it never reads, pausing with time.sleep",
        endpoints={"NATS_URL": "nats", "BILLING_NATS_URL": "nats"}, probe="nats", inbox="ORDERS_SUBJECT",
        codes=frozenset({"FSR001"}), cut=("BILLING_NATS_URL",),
        expected_fix="FSR001: `while True:` -> `while not self._stop.is_set():`, "
                     "`time.sleep(d)` -> `if self._stop.wait(d): break`",
    ),
    # 4. A loop that checks its stop event but then sleeps blindly, longer each time.
    Scenario(
        id="rabbit-growing-sleep", app="rabbit_growing_sleep",
        shape="pika thread checks a stop Event but backs off with `time.sleep(delay); delay *= 2`",
        endpoints={"RABBIT_URL": "rabbit"}, probe="rabbit", inbox="AUDIT_QUEUE",
        codes=frozenset({"FSR005", "FSR006"}), fixed_codes=frozenset({"FSR005"}), stop_log=LONG_PAUSE,
        expected_fix="FSR005 (safe): `time.sleep(delay)` -> `self._stop.wait(delay)` (`delay *= 2` follows, "
                     "so no `break`); FSR006 (unsafe, not applied): `delay = min(delay * 2, 60)`",
    ),
    Scenario(
        id="redis-growing-sleep", app="redis_growing_sleep",
        shape="asyncio relay task checks a stop Event but backs off with `await asyncio.sleep(delay)`; "
              "on_shutdown sets the event and awaits the task",
        endpoints={"REDIS_URL": "redis", "OUTBOX_URL": "redis"}, probe="redis-list", inbox="JOBS_LIST",
        codes=frozenset({"FSR005", "FSR006"}), fixed_codes=frozenset({"FSR005"}), cut=("OUTBOX_URL",),
        stop_log=LONG_PAUSE,
        expected_fix="FSR005 (safe): `await asyncio.sleep(delay)` -> "
                     "`with contextlib.suppress(asyncio.TimeoutError): await asyncio.wait_for(self._stop.wait(), "
                     "delay)`; FSR006 (unsafe, not applied)",
    ),
    # 5. A retry decorator that never gives up, in a thread that no cancellation reaches.
    Scenario(
        id="rabbit-tenacity-thread", app="rabbit_tenacity_thread",
        shape="pika thread connects through `@retry(wait=wait_fixed(1))` (tenacity), which never gives up",
        endpoints={"RABBIT_URL": "rabbit"}, probe="rabbit", inbox="AUDIT_QUEUE",
        codes=frozenset({"FSR004"}), stop_log=r"Retrying .*_connect",
        expected_fix="FSR004 (unsafe): `stop=stop_after_delay(2)` added; with `reraise=True` the loop "
                     "around it then reads `_closing`",
        fix_args=GIVE_UP_QUICKLY,
    ),
    Scenario(
        id="redis-backoff-thread", app="redis_backoff_thread",
        shape="redis-py worker thread connects through `@backoff.on_exception(backoff.constant, ...)`, "
              "no max_tries/max_time",
        endpoints={"REDIS_URL": "redis", "JOBS_URL": "redis"}, probe="redis-list", inbox="JOBS_LIST",
        codes=frozenset({"FSR004"}), cut=("JOBS_URL",), stop_log=r"Backing off _connect",
        expected_fix="FSR004 (unsafe): `max_time=2` added; backoff then re-raises and the loop around it "
                     "reads `_closing`",
        fix_args=GIVE_UP_QUICKLY,
    ),
)

# Beyond the five shapes.
SCENARIOS += (
    # 6. A blocking pause in an async startup loop: the SIGTERM handler cannot run while it sleeps.
    Scenario(
        id="rabbit-blocking-sleep", app="rabbit_blocking_sleep",
        shape="@app.on_startup waits for RabbitMQ with `time.sleep(15)` between attempts",
        endpoints={"RABBIT_URL": "rabbit"}, probe="rabbit", inbox="ORDERS_QUEUE",
        codes=frozenset({"FSR007"}), down_at_start=True,
        expected_fix="FSR007 (safe): `time.sleep(RETRY_DELAY)` -> `await asyncio.sleep(RETRY_DELAY)`",
    ),
)

# 7. A shutdown hook that waits, with no bound, for work that needs the broker (FastStream #1231's
# shape in application code, issue 13). Each app is clean for FSR001-FSR007; only FSR901 sees it.
SCENARIOS += (
    Scenario(
        id="rabbit-shutdown-await-task", app="rabbit_offline_notice",
        shape="@app.on_shutdown awaits the presence task, whose offline notice first awaits "
              "`connection.ready()` of the robust aio-pika connection (reconnecting while RabbitMQ is away)",
        endpoints={"RABBIT_URL": "rabbit"}, probe="rabbit", inbox="ORDERS_QUEUE",
        codes=frozenset({"FSR901"}), check_args=CHECK_FSR901,
        expected_fix=f"FSR901 (unsafe): `await presence.task` under `async with asyncio.timeout({SHUTDOWN_TIMEOUT})`, "
                     "the timeout caught and the task cancelled",
        fix_args=BOUND_SHUTDOWN_WAITS, stop_within=SHUTDOWN_TIMEOUT + 2, stop_with_broker_up=True,
    ),
    Scenario(
        id="rabbit-shutdown-join", app="rabbit_thread_join", ready_log="returns consumer connected",
        shape="`def` @app.on_shutdown joins a pika consumer thread that sits in `pika.BlockingConnection(...)` "
              "retrying the connect (`connection_attempts=60&retry_delay=5`)",
        endpoints={"RABBIT_URL": "rabbit"}, probe="rabbit", inbox="AUDIT_QUEUE",
        codes=frozenset({"FSR901"}), check_args=CHECK_FSR901,
        expected_fix=f"FSR901 (unsafe): `returns.thread.join()` -> `join(timeout={SHUTDOWN_TIMEOUT})` and a "
                     "warning when `is_alive()` (the thread is a daemon: it cannot hold the exit)",
        fix_args=BOUND_SHUTDOWN_WAITS, stop_within=SHUTDOWN_TIMEOUT + 2, stop_with_broker_up=True,
    ),
    Scenario(
        id="nats-shutdown-gather", app="nats_audit_gather",
        shape="@app.on_shutdown gathers the audit sender, which holds its last record until the audit NATS "
              "connection (reconnecting for ever) is back",
        endpoints={"NATS_URL": "nats", "AUDIT_NATS_URL": "nats"}, probe="nats", inbox="AUDIT_SUBJECT",
        codes=frozenset({"FSR901"}), check_args=CHECK_FSR901, cut=("AUDIT_NATS_URL",),
        expected_fix=f"FSR901 (unsafe): `await asyncio.gather(audit.sender)` under "
                     f"`async with asyncio.timeout({SHUTDOWN_TIMEOUT})`, the timeout caught and the sender cancelled; "
                     "the hook then closes the connection",
        fix_args=BOUND_SHUTDOWN_WAITS, stop_within=SHUTDOWN_TIMEOUT + 2, stop_with_broker_up=True,
    ),
)

BY_ID: dict[str, Scenario] = {s.id: s for s in SCENARIOS}
