"""When a fix is refused, the file stays as it is and the reason says what a person has to decide."""

from __future__ import annotations

import textwrap

import pytest

from fs_lint.fixing import fix_source
from fs_lint.settings import Settings


def refusals(code: str, codes: list[str], unsafe: bool = False,
             target: tuple[int, int] | None = None) -> list[tuple[int, str]]:
    """The fixer's refusals, in the strict mode: several cases are loops that only the strict mode
    reports (the default reports a loop only when it has a stop to ignore, and that stop is what a
    fix reads); the codemods and their reasons are the same in both modes. ``target``: the
    target-version, unknown by default."""
    source = textwrap.dedent(code).encode()
    result = fix_source(source, Settings(strict=True, target_version=target), codes, unsafe, "service.py")
    if result.refused:  # each case has one finding: refusing it leaves the file as it was
        assert result.source == source
        assert {f.line for f in result.remaining} == {r.line for r in result.refused}
    return [(r.line, r.reason) for r in result.refused]


def test_no_shutdown_indicator() -> None:
    assert refusals("""\
        import time

        def connect_until_it_works(conn):
            while True:
                try:
                    conn.connect()
                except OSError:
                    time.sleep(1)
    """, ["FSR001"]) == [(4, "no shutdown flag or event found for the loop at line 4")]


def test_no_shutdown_indicator_names_the_near_misses() -> None:
    assert refusals("""\
        import time

        class Worker:
            def __init__(self, conn):
                self._conn = conn
                self._running = True

            def run(self, stop):
                while True:
                    try:
                        self._conn.connect()
                    except OSError:
                        time.sleep(1)
    """, ["FSR001"]) == [(9, "no shutdown flag or event found for the loop at line 9 (parameter `stop` is not "
                             "known to be an Event; annotate it; `self._running` is never set to False outside "
                             "__init__() and run())")]


def test_ambiguous_indicator() -> None:
    assert refusals("""\
        import threading
        import time

        class Consumer:
            def __init__(self):
                self._closing = False
                self._stop = threading.Event()

            def close(self):
                self._closing = True

            def stop(self):
                self._stop.set()

            def run(self):
                while True:
                    try:
                        self._connect()
                    except OSError:
                        time.sleep(1)
    """, ["FSR001"]) == [(16, "the loop at line 16 could read `self._closing` and `self._stop`; "
                              "which one means stop is for a person to decide")]


def test_handler_body_tells_the_shutdown_exception_apart() -> None:
    assert refusals("""\
        import threading

        def send(downstream, message, stop: threading.Event):
            while not stop.is_set():
                try:
                    downstream.send(message)
                    return
                except (ConnectionError, KeyboardInterrupt) as exc:
                    if isinstance(exc, KeyboardInterrupt):
                        log("interrupted, retrying anyway")
                    stop.wait(1)
    """, ["FSR003"]) == [(8, "the handler body tests for `KeyboardInterrupt` (line 9); taking it out of "
                             "the handler would leave that code dead")]


def test_a_test_that_ends_in_a_function_that_always_raises_is_not_dead_code() -> None:
    """The fix reads a call of a module function that always raises as the rule does: a way out of the
    handler, like a ``raise`` (the guard is then dead but harmless), not code the fix would leave dead."""
    source = """\
        import sys

        def die(message):
            print(message)
            sys.exit(1)

        def poll(conn, stop):
            while not stop.is_set():
                try:
                    conn.poll()
                except BaseException as exc:
                    if isinstance(exc, KeyboardInterrupt):
                        die("interrupted")
                    print(exc)
    """
    assert refusals(source, ["FSR002"]) == []
    fixed = fix_source(textwrap.dedent(source).encode(), Settings(strict=True), ["FSR002"], False, "service.py")
    assert [f.code for f in fixed.applied] == ["FSR002"] and not fixed.remaining


def test_broad_handler_body_tells_the_shutdown_exception_apart() -> None:
    assert refusals("""\
        def poll(conn, stop):
            while not stop.is_set():
                try:
                    conn.poll()
                except BaseException as exc:
                    if type(exc) is SystemExit:
                        log("exit requested")
                    log(exc)
    """, ["FSR002"]) == [(5, "the handler body tests for `SystemExit` (line 6); letting it through first "
                             "would leave that code dead")]


@pytest.mark.parametrize(("handler", "reason"), [
    ("""\
        except KeyboardInterrupt:
            try:
                channel.close()
            except OSError:
                continue
    """, "the `continue` at line 9 is inside a nested `try`; re-raise there by hand"),
    ("""\
        except KeyboardInterrupt:
            log("interrupted")
        finally:
            if busy:
                continue
    """, "the `continue` at line 9, in the `finally` block, would swallow the re-raised exception again"),
    ("""\
        except (ValueError, (OSError, KeyboardInterrupt)):
            pass
    """, "the shutdown exception sits in a nested tuple; take it out by hand"),
])
def test_reraise_would_not_be_sure(handler: str, reason: str) -> None:
    code = textwrap.dedent("""\
        def receive(channel, stop_event, busy):
            while not stop_event.is_set():
                try:
                    channel.receive()
    """) + textwrap.indent(textwrap.dedent(handler), " " * 8)
    assert refusals(code, ["FSR003"]) == [(5, reason)]


def test_the_guard_is_refused_where_a_finally_would_swallow_it_again() -> None:
    assert refusals("""\
        import asyncio

        async def receive(channel, stop_event, busy):
            while not stop_event.is_set():
                try:
                    await channel.receive()
                except asyncio.CancelledError:
                    log("cancelled")
                finally:
                    if busy:
                        continue
    """, ["FSR003"], target=(3, 11)) == [(7, "the `continue` at line 11, in the `finally` block, would swallow the "
                                            "re-raised exception again")]


_CANCELLED = """\
    import asyncio

    async def receive(channel, stop_event):
        while not stop_event.is_set():
            try:
                await channel.receive()
            except asyncio.CancelledError:
                pass
"""


def test_own_cancellation_without_3_11_nor_a_stop_flag() -> None:
    unknown = ("neither target-version nor requires-python says the code runs on Python 3.11 or newer, and before "
               "3.11 only a stop flag that the code sets where it cancels this task can tell its own cancellation "
               "from that of a task it awaits; none was found, and re-raising every `CancelledError` would also "
               "end the loop when something it awaits is cancelled")
    assert refusals(_CANCELLED, ["FSR003"]) == [(7, unknown)]
    assert refusals(_CANCELLED, ["FSR003"], target=(3, 10)) == [
        (7, unknown.replace("neither target-version nor requires-python says the code runs on Python 3.11 or newer",
                            "the code targets Python 3.10 (py310)"))]
    assert refusals(_CANCELLED, ["FSR003"], target=(3, 11)) == []


@pytest.mark.parametrize(("code", "line", "call"), [
    ("""\
        import importlib

        def load(names):
            for name in names:
                try:
                    importlib.import_module(name)
                except SystemExit:
                    log("plugin %s exited", name)
    """, 7, "`importlib.import_module(name)` (line 6)"),
    ("""\
        def dispatch(handlers, events, stop):
            while not stop.is_set():
                event = events.get()
                try:
                    handlers[event.kind](event)
                except BaseException:
                    log("handler failed")
    """, 6, "`handlers[event.kind](event)` (line 5)"),
    ("""\
        class Bus:
            def __init__(self, on_message):
                self._on_message = on_message

            def pump(self, stop):
                while not stop.is_set():
                    try:
                        self._deliver()
                    except SystemExit:
                        log("a subscriber exited")

            def _deliver(self):
                self._on_message(self.receive())
    """, 9, "`self._deliver()` (line 8)"),
])
def test_no_system_exit_is_re_raised_around_other_people_s_code(code: str, line: int, call: str) -> None:
    (refusal,) = refusals(code, ["FSR002", "FSR003"])
    assert refusal == (line, f"{call} loads or runs other people's code, so a `SystemExit` there may be that code's "
                             "failure rather than a request to stop; re-raising it would end the program when that "
                             "code exits, so the fix is left to a person")


def test_suppress_that_binds_a_name() -> None:
    assert refusals("""\
        import contextlib

        def receive(channel, stop_event):
            while not stop_event.is_set():
                with contextlib.suppress(KeyboardInterrupt) as suppressed:
                    channel.receive()
    """, ["FSR003"]) == [(5, "the `with` binds the suppress() context manager to a name; remove it by hand")]


def test_suppress_block_with_trailing_comments() -> None:
    assert refusals("""\
        import contextlib

        def receive(channel, stop_event):
            while not stop_event.is_set():
                with contextlib.suppress(KeyboardInterrupt):
                    channel.receive()
                    # nowhere to go
                channel.ack()
    """, ["FSR003"]) == [(5, "the comments at the end of the `with suppress(...)` block would lose their place; "
                             "remove the `with` by hand")]


def test_suppress_of_the_cancellation_with_other_context_managers() -> None:
    assert refusals("""\
        import asyncio, contextlib

        async def receive(channel, lock, stop_event):
            while not stop_event.is_set():
                with contextlib.suppress(asyncio.CancelledError), lock:
                    await channel.receive()
    """, ["FSR003"], target=(3, 12)) == [(5, "`suppress(...)` has no place to tell the task's own cancellation from "
                                             "that of a task it awaits, and this `with` does more than suppress; "
                                             "write it as a `try` whose `except` re-raises first when "
                                             "`asyncio.current_task().cancelling()`")]


def test_unsafe_without_the_flag_and_fixed_with_it() -> None:
    code = """\
        import time

        class Worker:
            def __init__(self):
                self._closing = False

            def close(self):
                self._closing = True

            def run(self):
                while True:
                    try:
                        return self._connect()
                    except OSError:
                        time.sleep(1)
    """
    assert refusals(code, ["FSR001"]) == [(11, "`run()` returns a value (line 13); stopping the loop for shutdown "
                                               "would make it return None: an unsafe fix, applied only with "
                                               "--unsafe-fixes")]
    assert refusals(code, ["FSR001"], unsafe=True) == []


def test_code_after_the_loop_is_not_reached_on_a_stop() -> None:
    """The function ends where the loop is stopped: what follows the loop runs only after a success."""
    code = """\
        import time

        class Worker:
            def __init__(self):
                self._closing = False

            def close(self):
                self._closing = True

            def run(self):
                while True:
                    try:
                        self._connect()
                        break
                    except OSError:
                        time.sleep(1)
                self._consume()
    """
    assert refusals(code, ["FSR001"]) == []


# -- FSR004-FSR007 --------------------------------------------------------------------------------

def test_a_blind_pause_under_a_flag_has_nothing_to_wait_on() -> None:
    assert refusals("""\
        import time

        class Poller:
            def __init__(self):
                self._closing = False

            def close(self):
                self._closing = True

            def run(self):
                while not self._closing:
                    self._poll()
                    time.sleep(60)
    """, ["FSR005"]) == [(13, "`self._closing` is a plain flag, and a flag cannot be waited on; make it an Event "
                              "that the code sets to stop, and wait on it")]


def test_a_pause_in_an_inner_loop_would_make_it_spin() -> None:
    assert refusals("""\
        import threading
        import time

        stop = threading.Event()

        def handle_sigterm():
            stop.set()

        def connect(hosts):
            while not stop.is_set():
                for host in hosts:
                    try:
                        return host.connect()
                    except OSError:
                        time.sleep(30)
    """, ["FSR005"]) == [(15, "the pause is in a loop (line 11) inside the one that checks for shutdown (line 10); "
                              "a wait that ends early would make the inner loop go round again without pausing")]


def test_a_growth_spread_over_two_statements() -> None:
    assert refusals("""\
        import time

        def connect(conn, jitter):
            delay = 1
            while True:
                try:
                    return conn.connect()
                except OSError:
                    time.sleep(delay)
                    delay *= 2
                    delay += jitter
    """, ["FSR006"], unsafe=True) == [(10, "`delay` also changes from its own value at line 11; the growth is "
                                           "spread over several statements, cap it by hand")]


def test_a_policy_that_retries_successes_too() -> None:
    assert refusals("""\
        from tenacity import retry, retry_unless_exception_type, stop_after_attempt

        @retry(stop=stop_after_attempt(3), retry=retry_unless_exception_type(ValueError))
        def connect(conn):
            return conn.connect()
    """, ["FSR004"], unsafe=True) == [(3, "`retry_unless_exception_type(ValueError)` retries every call that does "
                                          "not raise one of them, a success too, so `Exception` cannot say what it "
                                          "should retry; write the condition by hand")]


def test_a_policy_that_retries_only_shutdown() -> None:
    assert refusals("""\
        import backoff

        @backoff.on_exception(backoff.expo, (KeyboardInterrupt, SystemExit), max_tries=3)
        def connect(conn):
            return conn.connect()
    """, ["FSR004"]) == [(3, "`@backoff.on_exception(...)` retries only shutdown exceptions; which errors it "
                             "should retry is for a person to decide")]


def test_a_sleep_inside_an_expression_is_not_awaited() -> None:
    assert refusals("""\
        import time

        async def connect(channel):
            while True:
                try:
                    return await channel.connect()
                except OSError:
                    log(time.sleep(5))
    """, ["FSR007"]) == [(8, "`time.sleep(5)` is part of a larger expression; await an async sleep there by hand")]


def test_a_system_exit_whose_code_the_handler_reads_is_an_outcome() -> None:
    """A test that runs a command line expects its ``SystemExit``: re-raising it would fail the test."""
    assert refusals("""\
        def test_help_exits_cleanly(shell):
            for argv in (["--help"], ["run", "--help"]):
                try:
                    shell.run(argv)
                except SystemExit as e:
                    assert e.code == 0
    """, ["FSR003"]) == [(5, "the handler reads the exit's code (`e.code`, line 6): this `SystemExit` is the "
                             "outcome it expects of the code it runs, not a request to stop; re-raising it would "
                             "change that")]


def test_a_stop_swallowed_in_a_function_the_loop_calls_is_left_to_a_person() -> None:
    """FSR003 on a handler outside the loop (``callee_handlers``): the fixer has no rewrite for it and
    says where the handler is and what to do, instead of a generic "no handler"."""
    assert refusals("""\
        import logging
        import time

        log = logging.getLogger(__name__)

        def fetch_once(url):
            try:
                time.sleep(5)
            except KeyboardInterrupt:
                log.warning("interrupted")

        def poll_forever(url):
            while True:
                fetch_once(url)
    """, ["FSR003"]) == [(9, "the handler is in `fetch_once()`, which the loop at line 13 calls: end it with a "
                             "bare `raise` by hand, or have it tell the caller to stop")]
