"""The codemods of FSR004-FSR007 on their own, as LibCST runs them: ``CodemodTest.assertCodemod``.

Each class has a rewrite, a no-op (code the rule does not flag) and a refusal,
which LibCST reports as a warning with the reason.
"""

from __future__ import annotations

from libcst.codemod import CodemodTest

from fs_lint.libcst_codemods import AwaitAsyncSleep, CapGrowingBackoff, LimitRetryPolicy, WaitOnStopEvent


class TestAwaitAsyncSleep(CodemodTest):
    TRANSFORM = AwaitAsyncSleep

    def test_awaits_asyncio_sleep_and_drops_the_unused_import(self) -> None:
        before = """
            import time

            import aio_pika


            async def connect(url):
                while True:
                    try:
                        return await aio_pika.connect_robust(url)
                    except OSError:
                        time.sleep(5)  # back off
        """
        after = """
            import asyncio

            import aio_pika


            async def connect(url):
                while True:
                    try:
                        return await aio_pika.connect_robust(url)
                    except OSError:
                        await asyncio.sleep(5)  # back off
        """
        self.assertCodemod(before, after, expected_warnings=[])

    def test_keeps_time_while_something_else_uses_it(self) -> None:
        before = """
            import asyncio
            import time

            STARTED = time.monotonic()


            async def connect(channel):
                while True:
                    try:
                        return await channel.connect()
                    except OSError:
                        time.sleep(1)
        """
        after = before.replace("time.sleep(1)", "await asyncio.sleep(1)")
        self.assertCodemod(before, after, expected_warnings=[])

    def test_nothing_to_do(self) -> None:
        code = """
            import asyncio


            async def connect(channel):
                while True:
                    try:
                        return await channel.connect()
                    except OSError:
                        await asyncio.sleep(1)
        """
        self.assertCodemod(code, code, expected_warnings=[])

    def test_a_refusal_is_a_warning(self) -> None:
        code = """
            import time


            async def connect(channel):
                while True:
                    try:
                        return await channel.connect()
                    except OSError:
                        print(time.sleep(1))
        """
        self.assertCodemod(code, code, expected_warnings=[
            "9:19 FSR007 not fixed: `time.sleep(1)` is part of a larger expression; await an async sleep there "
            "by hand",
        ])


class TestWaitOnStopEvent(CodemodTest):
    TRANSFORM = WaitOnStopEvent

    def test_threading_event_leaves_by_break_at_the_end_of_the_loop(self) -> None:
        before = """
            import threading
            import time


            class Poller:
                def __init__(self):
                    self._stop = threading.Event()

                def close(self):
                    self._stop.set()

                def run(self):
                    while not self._stop.is_set():
                        self._poll()
                        time.sleep(60)
        """
        after = """
            import threading


            class Poller:
                def __init__(self):
                    self._stop = threading.Event()

                def close(self):
                    self._stop.set()

                def run(self):
                    while not self._stop.is_set():
                        self._poll()
                        if self._stop.wait(60):
                            break
        """
        self.assertCodemod(before, after, expected_warnings=[])

    def test_asyncio_event_is_waited_on_for_as_long_as_the_pause(self) -> None:
        before = """
            import asyncio

            shutdown = asyncio.Event()


            def handle_sigterm():
                shutdown.set()


            async def heartbeat(client):
                while not shutdown.is_set():
                    await client.ping()
                    await asyncio.sleep(30)
        """
        after = """
            import asyncio
            import contextlib

            shutdown = asyncio.Event()


            def handle_sigterm():
                shutdown.set()


            async def heartbeat(client):
                while not shutdown.is_set():
                    await client.ping()
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(shutdown.wait(), 30)
        """
        self.assertCodemod(before, after, expected_warnings=[])

    def test_nothing_to_do(self) -> None:
        code = """
            import threading

            stop = threading.Event()


            def poll(conn):
                while not stop.is_set():
                    conn.poll()
                    if stop.wait(60):
                        break
        """
        self.assertCodemod(code, code, expected_warnings=[])

    def test_a_flag_is_a_warning(self) -> None:
        code = """
            import time


            class Poller:
                def __init__(self):
                    self._closing = False

                def close(self):
                    self._closing = True

                def run(self):
                    while not self._closing:
                        time.sleep(60)
        """
        self.assertCodemod(code, code, expected_warnings=[
            "13:13 FSR005 not fixed: `self._closing` is a plain flag, and a flag cannot be waited on; make it an "
            "Event that the code sets to stop, and wait on it",
        ])


class TestCapGrowingBackoff(CodemodTest):
    TRANSFORM = CapGrowingBackoff

    BEFORE = """
        import time


        def connect(conn):
            delay = 1
            while True:
                try:
                    return conn.connect()
                except OSError:
                    time.sleep(delay)
                    delay *= 2
    """

    def test_clamps_the_growth_with_unsafe_fixes(self) -> None:
        after = self.BEFORE.replace("delay *= 2", "delay = min(delay * 2, 60)")
        self.assertCodemod(self.BEFORE, after, unsafe_fixes=True, expected_warnings=[])

    def test_without_unsafe_fixes_it_is_a_warning(self) -> None:
        self.assertCodemod(self.BEFORE, self.BEFORE, expected_warnings=[
            "11:13 FSR006 not fixed: capping the pause at 60 s changes how often the service retries during a "
            "long outage: an unsafe fix, applied only with --unsafe-fixes",
        ])

    def test_nothing_to_do(self) -> None:
        code = self.BEFORE.replace("delay *= 2", "delay = min(delay * 2, 300)")
        self.assertCodemod(code, code, unsafe_fixes=True, expected_warnings=[])


class TestLimitRetryPolicy(CodemodTest):
    TRANSFORM = LimitRetryPolicy

    def test_gives_up_with_unsafe_fixes(self) -> None:
        before = """
            from tenacity import retry, wait_fixed


            @retry(wait=wait_fixed(1))
            def connect(conn):
                return conn.connect()


            def stop():  # the stop the endless policy defeats
                global stopping
                stopping = True
        """
        after = """
            from tenacity import retry, stop_after_delay, wait_fixed


            @retry(wait=wait_fixed(1), stop=stop_after_delay(300))
            def connect(conn):
                return conn.connect()


            def stop():  # the stop the endless policy defeats
                global stopping
                stopping = True
        """
        self.assertCodemod(before, after, unsafe_fixes=True, expected_warnings=[])
        self.assertCodemod(before, before, expected_warnings=[
            "4:2 FSR004 not fixed: `stop=stop_after_delay(300)` makes the policy give up after 300 s, so a call "
            "that used to succeed after a longer outage raises instead: an unsafe fix, applied only with "
            "--unsafe-fixes",
        ])

    def test_stops_retrying_shutdown_as_a_safe_fix(self) -> None:
        before = """
            import backoff


            @backoff.on_exception(backoff.expo, (OSError, KeyboardInterrupt), max_tries=5)
            def connect(conn):
                return conn.connect()
        """
        after = before.replace("(OSError, KeyboardInterrupt)", "OSError")
        self.assertCodemod(before, after, expected_warnings=[])

    def test_nothing_to_do(self) -> None:
        code = """
            import tenacity


            @tenacity.retry(stop=tenacity.stop_after_delay(60))
            def connect(conn):
                return conn.connect()
        """
        self.assertCodemod(code, code, unsafe_fixes=True, expected_warnings=[])

    def test_a_refusal_is_a_warning(self) -> None:
        code = """
            from tenacity import retry, retry_always, stop_after_attempt


            @retry(stop=stop_after_attempt(5), retry=retry_always)
            def connect(conn):
                return conn.connect()
        """
        self.assertCodemod(code, code, unsafe_fixes=True, expected_warnings=[
            "4:2 FSR004 not fixed: `retry_always` retries every call, a success too; say which errors to retry "
            "with `retry_if_exception_type(...)` by hand",
        ])
