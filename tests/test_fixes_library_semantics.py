"""What the FSR004-FSR007 rewrites produce does what they promise, run against the installed libraries.

Each test fixes a small module with ``fix_source``, runs the result, and looks
at what it does: a policy that never gave up now gives up, one that retried
Ctrl-C lets it through but still retries ordinary errors, a pause that waits on
the stop event lasts as long as before and ends when the event is set, an
awaited sleep lets other tasks run.
"""

from __future__ import annotations

import asyncio
import textwrap
import threading
import time
from types import ModuleType

import pytest

from fs_lint.checker import check_source
from fs_lint.fixing import fix_source
from fs_lint.settings import Settings

pytest.importorskip("tenacity")
pytest.importorskip("backoff")

# Strict: these policies decorate functions with no stop path around them; the rewrite is the same.
QUICK = Settings(retry_give_up_after=0.3, strict=True)


def fixed_module(code: str, unsafe: bool = False, settings: Settings = QUICK) -> ModuleType:
    """``code`` after ``fs-lint fix``, imported; it must have been changed and have nothing left to fix."""
    before = textwrap.dedent(code).encode()
    result = fix_source(before, settings, None, unsafe, "fixed.py")
    assert result.source != before and result.applied, result.refused
    assert not check_source(result.source, settings), result.source.decode()
    module = ModuleType("fixed")
    exec(compile(result.source, "fixed.py", "exec"), module.__dict__)  # noqa: S102 - the module under test
    return module


class Connection:
    """Fails with ``error`` on every call, counting them."""

    def __init__(self, error: BaseException) -> None:
        self.error = error
        self.calls = 0

    def connect(self):
        self.calls += 1
        raise self.error


def outcome(function, *args) -> str:
    try:
        function(*args)
    except BaseException as exc:  # the point is which exceptions get out
        return type(exc).__name__
    return "returned"


# -- FSR004: give up, and let shutdown through ------------------------------------------------------

@pytest.mark.parametrize("decorator", [
    "@retry",
    "@retry(wait=wait_none())",
    "@retry(wait=wait_none(), stop=stop_never)",
    "@retry(wait=wait_none(), stop=stop_after_attempt(10**9) & stop_never)",
])
def test_tenacity_gives_up_after_the_limit(decorator: str) -> None:
    module = fixed_module(f"""\
        from tenacity import retry, stop_after_attempt, stop_never, wait_none


        {decorator}
        def connect(conn):
            return conn.connect()
    """, unsafe=True)
    started = time.monotonic()
    assert outcome(module.connect, Connection(OSError())) == "RetryError"
    assert 0.25 <= time.monotonic() - started < 5  # the libraries measure the limit with their own clocks


def test_tenacity_retries_errors_but_not_ctrl_c() -> None:
    module = fixed_module("""\
        from tenacity import retry, retry_if_not_exception_type, stop_after_attempt, wait_none


        @retry(stop=stop_after_attempt(3), wait=wait_none(), retry=retry_if_not_exception_type(ValueError))
        def connect(conn):
            return conn.connect()
    """, unsafe=True)  # unsafe: `& retry_if_exception_type(Exception)` stops retrying gevent-style BaseExceptions too
    for error, expected_outcome, expected_calls in [(OSError(), "RetryError", 3), (ValueError(), "ValueError", 1),
                                                    (KeyboardInterrupt(), "KeyboardInterrupt", 1)]:
        conn = Connection(error)
        assert (outcome(module.connect, conn), conn.calls) == (expected_outcome, expected_calls)


def test_tenacity_union_without_its_shutdown_condition() -> None:
    module = fixed_module("""\
        from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_none


        @retry(stop=stop_after_attempt(3), wait=wait_none(),
               retry=retry_if_exception_type(OSError) | retry_if_exception_type(SystemExit))
        def connect(conn):
            return conn.connect()
    """)
    assert outcome(module.connect, Connection(OSError())) == "RetryError"
    exiting = Connection(SystemExit())
    assert (outcome(module.connect, exiting), exiting.calls) == ("SystemExit", 1)


def test_backoff_gives_up_after_max_time_and_lets_exit_through() -> None:
    module = fixed_module("""\
        import backoff


        @backoff.on_exception(backoff.constant, (OSError, SystemExit), interval=0.01, jitter=None)
        def connect(conn):
            return conn.connect()
    """, unsafe=True)
    started = time.monotonic()
    assert outcome(module.connect, Connection(OSError())) == "OSError"
    assert 0.25 <= time.monotonic() - started < 5  # the libraries measure the limit with their own clocks
    exiting = Connection(SystemExit())
    assert (outcome(module.connect, exiting), exiting.calls) == ("SystemExit", 1)


def test_retrying_gives_up_after_stop_max_delay() -> None:
    pytest.importorskip("retrying")
    module = fixed_module("""\
        from retrying import retry


        @retry(wait_fixed=10)
        def connect(conn):
            return conn.connect()
    """, unsafe=True)
    started = time.monotonic()
    assert outcome(module.connect, Connection(OSError())) == "OSError"
    assert 0.25 <= time.monotonic() - started < 5  # the libraries measure the limit with their own clocks


# -- FSR005: wait on the stop event -----------------------------------------------------------------

def test_a_threading_event_cuts_the_pause_short() -> None:
    module = fixed_module("""\
        import threading
        import time

        DELAY = 2
        stop = threading.Event()
        rounds = []


        def handle_sigterm():
            stop.set()


        def poll():
            while not stop.is_set():
                rounds.append(1)
                time.sleep(DELAY)
    """, settings=Settings(max_blind_sleep=0.05))
    worker = threading.Thread(target=module.poll)
    worker.start()
    time.sleep(0.3)
    assert len(module.rounds) == 1  # pausing, as before
    started = time.monotonic()
    module.handle_sigterm()
    worker.join(5)
    assert not worker.is_alive() and time.monotonic() - started < 1  # not the 1.7 s left of the pause


@pytest.mark.parametrize("library", ["asyncio", "anyio", "trio"])
def test_an_async_event_cuts_the_pause_short(library: str) -> None:
    runner = pytest.importorskip(library)
    module = fixed_module(f"""\
        import {library}

        DELAY = 2


        class Relay:
            def __init__(self):
                self._stop = {library}.Event()
                self.rounds = 0

            def stop(self):
                self._stop.set()

            async def run(self):
                while not self._stop.is_set():
                    self.rounds += 1
                    await {library}.sleep(DELAY)
    """, settings=Settings(max_blind_sleep=0.05))

    async def scenario():
        relay = module.Relay()
        if library == "asyncio":
            task = asyncio.create_task(relay.run())
            await asyncio.sleep(0.3)
            started = time.monotonic()
            relay.stop()
            await asyncio.wait_for(task, 5)
        else:
            async with runner.open_nursery() if library == "trio" else runner.create_task_group() as group:
                group.start_soon(relay.run)
                await runner.sleep(0.3)
                started = time.monotonic()
                relay.stop()
        return relay.rounds, time.monotonic() - started

    rounds, stopping = asyncio.run(scenario()) if library == "asyncio" else runner.run(scenario)
    assert rounds == 1 and stopping < 1  # pausing as before, and not for the 1.7 s left of the pause


# -- FSR007: the pause lets the event loop run --------------------------------------------------------

def test_an_awaited_sleep_lets_other_tasks_run() -> None:
    module = fixed_module("""\
        import time


        async def connect(channel):
            while True:
                try:
                    return await channel.connect()
                except OSError:
                    time.sleep(0.2)
    """)

    class Channel:
        calls = 0

        async def connect(self):
            self.calls += 1
            if self.calls < 3:
                raise OSError
            return "connected"

    async def scenario():
        ticks = []

        async def ticker():
            while True:
                ticks.append(time.monotonic())
                await asyncio.sleep(0.01)

        tick_task = asyncio.create_task(ticker())
        result = await module.connect(Channel())
        tick_task.cancel()
        return result, ticks

    result, ticks = asyncio.run(scenario())
    assert result == "connected"
    assert len(ticks) >= 20  # 0.4 s of pauses: a blocking sleep would have let the ticker run once
