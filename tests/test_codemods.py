"""Each rule's codemod on its own, as LibCST runs it: ``assertCodemod`` and ``python -m libcst.tool codemod``."""

from __future__ import annotations

import ast
import contextlib
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Iterator

import pytest
from libcst.codemod import CodemodTest

from fs_lint.codemods import REWRITES
from fs_lint import libcst_codemods
from fs_lint.libcst_codemods import (
    FixFindings,
    LetShutdownExceptionThrough,
    LetStopThroughBroadHandler,
    StopRetryLoopOnShutdown,
)

ROOT = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def _project(pyproject: str) -> Iterator[None]:
    """Run in a project of its own: the codemods read ``[tool.fs-lint]`` and ``requires-python`` there."""
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "pyproject.toml").write_text(pyproject)
        os.chdir(folder)
        try:
            yield
        finally:
            os.chdir(here)


class TestLetStopThroughBroadHandler(CodemodTest):
    TRANSFORM = LetStopThroughBroadHandler

    def test_bare_except_lets_the_interrupts_through_first(self) -> None:
        before = """
            import threading
            stop = threading.Event()

            def poll(conn):
                while not stop.is_set():
                    try:
                        conn.poll()
                    except:  # why
                        pass
        """
        after = """
            import threading
            stop = threading.Event()

            def poll(conn):
                while not stop.is_set():
                    try:
                        conn.poll()
                    except KeyboardInterrupt:
                        raise
                    except:  # why
                        pass
        """
        self.assertCodemod(before, after, expected_warnings=[])

    def test_base_exception_in_a_tuple_stays_and_suppress_is_refused(self) -> None:
        before = """
            import contextlib, threading
            stop = threading.Event()

            def poll(conn):
                while not stop.is_set():
                    try:
                        conn.poll()
                    except (BaseException, Exception) as exc:
                        log(exc)
                    with contextlib.suppress(OSError, BaseException):
                        conn.flush()
        """
        after = """
            import contextlib, threading
            stop = threading.Event()

            def poll(conn):
                while not stop.is_set():
                    try:
                        conn.poll()
                    except KeyboardInterrupt:
                        raise
                    except (BaseException, Exception) as exc:
                        log(exc)
                    with contextlib.suppress(OSError, BaseException):
                        conn.flush()
        """
        self.assertCodemod(before, after, expected_warnings=[
            "10:14 FSR002 not fixed: `suppress(...)` has no clause to let the stop requests through first; write "
            "it as a `try` with an `except KeyboardInterrupt: raise` clause before the broad one",
        ])

    def test_nothing_to_do(self) -> None:
        code = """
            def poll(conn):
                while True:
                    try:
                        conn.poll()
                    except Exception:
                        pass
        """
        self.assertCodemod(code, code, expected_warnings=[])

    def test_a_refusal_is_a_warning(self) -> None:
        code = """
            from errors import KeyboardInterrupt

            def poll(conn, stop):
                while not stop.is_set():
                    try:
                        conn.poll()
                    except BaseException:
                        pass
        """
        self.assertCodemod(code, code, expected_warnings=[
            "7:9 FSR002 not fixed: this module binds its own name `KeyboardInterrupt`, so it might not mean "
            "the built-in",
        ])


class TestLetShutdownExceptionThrough(CodemodTest):
    TRANSFORM = LetShutdownExceptionThrough

    def test_reraise_and_take_out(self) -> None:
        before = """
            import threading

            def send(downstream, message, stop: threading.Event):
                while not stop.is_set():
                    try:
                        downstream.send(message)
                    except KeyboardInterrupt:
                        log("interrupted")
                    try:
                        downstream.flush()
                    except (ConnectionError, KeyboardInterrupt):
                        stop.wait(1)
        """
        after = """
            import threading

            def send(downstream, message, stop: threading.Event):
                while not stop.is_set():
                    try:
                        downstream.send(message)
                    except KeyboardInterrupt:
                        log("interrupted")
                        raise
                    try:
                        downstream.flush()
                    except ConnectionError:
                        stop.wait(1)
        """
        self.assertCodemod(before, after, expected_warnings=[])

    CANCELLED = """
        import asyncio
        from contextlib import suppress

        async def send(downstream, message, stop_event):
            while not stop_event.is_set():
                try:
                    await downstream.send(message)
                except (ConnectionError, asyncio.CancelledError):
                    await asyncio.sleep(1)
                with suppress(asyncio.CancelledError):
                    await downstream.flush()
    """

    def test_the_task_s_own_cancellation_in_a_project_for_python_3_11(self) -> None:
        after = """
            import asyncio

            async def send(downstream, message, stop_event):
                while not stop_event.is_set():
                    try:
                        await downstream.send(message)
                    except (ConnectionError, asyncio.CancelledError):
                        if asyncio.current_task().cancelling():
                            raise
                        await asyncio.sleep(1)
                    try:
                        await downstream.flush()
                    except asyncio.CancelledError:
                        if asyncio.current_task().cancelling():
                            raise
        """
        with _project('[project]\nrequires-python = ">=3.11"\n'):
            self.assertCodemod(self.CANCELLED, after, expected_warnings=[])

    def test_the_task_s_own_cancellation_is_refused_for_python_3_10(self) -> None:
        reason = ("the code targets Python 3.10 (py310), and before 3.11 only a stop flag that the code sets where "
                  "it cancels this task can tell its own cancellation from that of a task it awaits; none was "
                  "found, and re-raising every `CancelledError` would also end the loop when something it awaits "
                  "is cancelled")
        with _project('[project]\nrequires-python = ">=3.10"\n'):
            self.assertCodemod(self.CANCELLED, self.CANCELLED, expected_warnings=[
                f"8:9 FSR003 not fixed: {reason}", f"10:14 FSR003 not fixed: {reason}"])

    def test_suppress_alone_gives_way_to_its_body(self) -> None:
        before = """
            import threading
            from contextlib import suppress

            def poll(channel, stop: threading.Event):
                while not stop.is_set():
                    with suppress(KeyboardInterrupt):
                        channel.poll()
                    channel.flush()
        """
        after = """
            import threading

            def poll(channel, stop: threading.Event):
                while not stop.is_set():
                    channel.poll()
                    channel.flush()
        """
        self.assertCodemod(before, after)

    def test_nothing_to_do(self) -> None:
        code = """
            import asyncio

            async def send(downstream, message):
                while True:
                    try:
                        await downstream.send(message)
                    except asyncio.CancelledError:
                        raise
        """
        self.assertCodemod(code, code, expected_warnings=[])


class TestStopRetryLoopOnShutdown(CodemodTest):
    TRANSFORM = StopRetryLoopOnShutdown

    def test_reads_the_flag_close_sets(self) -> None:
        before = """
            import time

            class Consumer:
                def __init__(self):
                    self._closing = False

                def close(self):
                    self._closing = True

                def run(self):
                    while True:
                        try:
                            self._connect()
                        except ConnectionError:
                            time.sleep(5)
        """
        after = """
            import time

            class Consumer:
                def __init__(self):
                    self._closing = False

                def close(self):
                    self._closing = True

                def run(self):
                    while not self._closing:
                        try:
                            self._connect()
                        except ConnectionError:
                            time.sleep(5)
        """
        self.assertCodemod(before, after, expected_warnings=[])

    def test_waits_on_a_threading_event(self) -> None:
        before = """
            import threading, time

            def worker(conn, stop: threading.Event):
                while True:
                    try:
                        conn.connect()
                    except OSError:
                        time.sleep(1)
        """
        after = """
            import threading, time

            def worker(conn, stop: threading.Event):
                while not stop.is_set():
                    try:
                        conn.connect()
                    except OSError:
                        if stop.wait(1):
                            break
        """
        self.assertCodemod(before, after)

    def test_unsafe_fix_only_when_asked(self) -> None:
        before = """
            import time

            class Connector:
                def __init__(self):
                    self._closing = False

                def close(self):
                    self._closing = True

                def connect(self):
                    while True:
                        try:
                            return self._open()
                        except OSError:
                            time.sleep(1)
        """
        after = before.replace("while True:", "while not self._closing:")
        warning = ("11:9 FSR001 not fixed: `connect()` returns a value (line 13); stopping the loop for "
                   "shutdown would make it return None: an unsafe fix, applied only with --unsafe-fixes")
        self.assertCodemod(before, before, expected_warnings=[warning])
        self.assertCodemod(before, after, unsafe_fixes=True, expected_warnings=[])

    def test_nothing_to_do(self) -> None:
        code = """
            import time

            def worker(conn, stop):
                while not stop.is_set():
                    try:
                        conn.connect()
                    except OSError:
                        time.sleep(1)
        """
        self.assertCodemod(code, code, expected_warnings=[])


def commands() -> list[type[FixFindings]]:
    return [v for v in vars(libcst_codemods).values()
            if isinstance(v, type) and issubclass(v, FixFindings) and v is not FixFindings]


def test_every_rewrite_has_one_codemod_named_in_its_description() -> None:
    by_code = {command.CODES: command for command in commands()}
    assert len(by_code) == len(commands()), "two commands for one code"
    assert set(by_code) == {(code,) for code in REWRITES}
    for (code,), command in by_code.items():
        assert command.DESCRIPTION.startswith(f"{code}: ") and "\n" not in command.DESCRIPTION


def test_the_rewrites_never_import_the_fix_engine_or_a_front_end() -> None:
    """The codemods sit beneath ``fixing``; only ``libcst_codemods`` drives the engine from above."""
    for path in (Path(libcst_codemods.__file__).parent / "codemods").glob("*.py"):
        tree = ast.parse(path.read_text())
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        assert not imported & {"fixing", "cli", "libcst_codemods", "server", "flake8_plugin", "checker"}, path.name


CLI_SOURCE = textwrap.dedent("""\
    import threading
    import time

    stop = threading.Event()


    def handle_sigterm(*_):
        stop.set()


    def worker(conn):
        while True:
            try:
                conn.connect()
            except BaseException:
                time.sleep(1)


    def poller(conn):
        while not stop.is_set():
            try:
                conn.poll()
            except (OSError, KeyboardInterrupt):
                time.sleep(1)
""")

CLI_PAUSES_SOURCE = textwrap.dedent("""\
    import asyncio
    import threading
    import time

    from tenacity import retry

    stop = threading.Event()


    def handle_sigterm(*_):
        stop.set()


    @retry
    def connect(conn):
        return conn.connect()


    def poller(conn):
        while not stop.is_set():
            conn.poll()
            time.sleep(60)


    def reconnect(conn):
        delay = 1
        while True:
            try:
                return conn.connect()
            except OSError:
                stop.wait(delay)
                delay *= 2


    async def subscribe(channel):
        while True:
            try:
                return await channel.subscribe()
            except OSError:
                time.sleep(1)
""")

CLI_SHUTDOWN_SOURCE = textwrap.dedent("""\
    import logging
    import threading

    log = logging.getLogger(__name__)


    class Consumer:
        def __init__(self):
            self._thread = threading.Thread(target=print)

        def stop(self):
            self._thread.join()
""")

CLI_CASES = {  # command -> the source, extra arguments, and the replacements the command makes in it
    "LetStopThroughBroadHandler": (CLI_SOURCE, [], [
        ("        except BaseException:", "        except KeyboardInterrupt:\n            raise\n"
                                         "        except BaseException:")]),
    "LetShutdownExceptionThrough": (CLI_SOURCE, [], [
        ("except (OSError, KeyboardInterrupt):", "except OSError:")]),
    "StopRetryLoopOnShutdown": (CLI_SOURCE, [], [
        ("while True:", "while not stop.is_set():"),
        ("except BaseException:\n            time.sleep(1)",
         "except BaseException:\n            if stop.wait(1):\n                break")]),
    "LimitRetryPolicy": (CLI_PAUSES_SOURCE, ["--unsafe-fixes"], [
        ("from tenacity import retry\n", "from tenacity import retry, stop_after_delay\n"),
        ("@retry\n", "@retry(stop=stop_after_delay(300))\n")]),
    "WaitOnStopEvent": (CLI_PAUSES_SOURCE, [], [
        ("        time.sleep(60)", "        if stop.wait(60):\n            break")]),
    "CapGrowingBackoff": (CLI_PAUSES_SOURCE, ["--unsafe-fixes"], [
        ("delay *= 2", "delay = min(delay * 2, 60)")]),
    "AwaitAsyncSleep": (CLI_PAUSES_SOURCE, [], [
        ("            time.sleep(1)", "            await asyncio.sleep(1)")]),
    # FSR901 is off by default: running its own codemod selects it.
    "BoundShutdownWait": (CLI_SHUTDOWN_SOURCE, ["--unsafe-fixes"], [
        ("        self._thread.join()\n", "        self._thread.join(timeout=10)\n        if self._thread.is_alive():\n"
         '            log.warning("self._thread did not stop within 10 s")\n')]),
}


def test_every_codemod_runs_under_libcst_tool() -> None:
    assert set(CLI_CASES) == {command.__name__ for command in commands()}


@pytest.mark.parametrize("command", sorted(CLI_CASES))
def test_runs_under_libcst_tool(command: str, tmp_path: Path) -> None:
    source, arguments, replacements = CLI_CASES[command]
    target = tmp_path / "service.py"
    untouched = tmp_path / "clean.py"
    target.write_text(source)
    untouched.write_text("print('nothing to fix')\n")
    completed = subprocess.run(
        [sys.executable, "-m", "libcst.tool", "codemod", "--no-format", "-x",
         f"fs_lint.libcst_codemods.{command}", *arguments, str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    expected = source
    for old, new in replacements:
        assert old in expected
        expected = expected.replace(old, new, 1)
    assert target.read_text() == expected
    assert untouched.read_text() == "print('nothing to fix')\n"
