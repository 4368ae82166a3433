"""The stop-path model: where code runs, what asks it to stop, what can arrive there."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fs_lint.model.shared import forget_programs
from fs_lint.syntax.names import collect_imports
from fs_lint.analysis.program_signals import recorded_sigint, top_package
from fs_lint.analysis.quick_calls import is_quick
from fs_lint.analysis.run_contexts import MAIN, THREAD, RunContexts
from fs_lint.syntax.names import WordPatterns
from fs_lint.analysis.stop_paths import ModuleStops
from fs_lint.checker import check_source
from fs_lint.fixing import fix_source
from fs_lint.settings import DEFAULT_SHUTDOWN_NAMES, Settings
from fs_lint.test_files import is_test_path


def _model(code: str) -> tuple[ast.Module, RunContexts, ModuleStops]:
    tree = ast.parse(textwrap.dedent(code))
    imports = collect_imports(ast.walk(tree))
    contexts = RunContexts(tree, imports)
    return tree, contexts, ModuleStops(tree, imports, WordPatterns(DEFAULT_SHUTDOWN_NAMES), contexts)


def _function(tree: ast.Module, name: str) -> ast.FunctionDef:
    return next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == name)


@pytest.mark.parametrize("make_daemon, daemon", [
    ("super().__init__(daemon=True)", True),
    ("self.daemon = True", True),
    ("self.setDaemon(True)", True),
    ("super().__init__()", False),
])
def test_a_thread_subclass_runs_its_run_and_what_only_run_calls(make_daemon: str, daemon: bool) -> None:
    tree, contexts, _ = _model(f"""\
        import threading

        class Poller(threading.Thread):
            def __init__(self):
                {make_daemon}

            def run(self):
                self._loop()

            def _loop(self):
                pass

            def status(self):
                pass
    """)
    for name in ("run", "_loop"):
        context = contexts.of(_function(tree, name))
        assert context.kind == THREAD and context.thread.daemon is daemon
    assert contexts.of(_function(tree, "status")).kind == MAIN


@pytest.mark.parametrize("makes, daemon", [
    ("thread = Monitor(); thread.setDaemon(True); thread.start()", True),
    ("thread = Monitor(); thread.daemon = True; thread.start()", True),
    ("Monitor(daemon=True).start()", True),
    ("Monitor().start()", False),
    ("thread = Monitor(); thread.setDaemon(True); thread.start(); Monitor().start()", False),  # one is not
    ("pass", False),  # made nowhere in the module: its own flag says
])
def test_a_thread_subclass_made_daemon_where_each_instance_is_made(makes: str, daemon: bool) -> None:
    """Held-out round 8: ``thread = LogMonitorThread(path); thread.setDaemon(True)``: the class says nothing,
    every instance the module makes is a daemon."""
    tree, contexts, _ = _model(f"""\
        import threading

        class Monitor(threading.Thread):
            def __init__(self, daemon=False):
                threading.Thread.__init__(self)

            def run(self):
                pass

        def start_monitor():
            {makes}
    """)
    context = contexts.of(_function(tree, "run"))
    assert context.kind == THREAD and context.thread.daemon is daemon


def test_a_thread_target_and_its_daemon_flag_set_afterwards() -> None:
    tree, contexts, stops = _model("""\
        import threading

        class Worker:
            def start(self):
                self._thread = threading.Thread(target=self._serve)
                self._thread.daemon = True
                self._thread.start()

            def stop(self):
                self._thread.join()

            def _serve(self):
                pass

        def poll():
            pass

        threading.Thread(target=poll).start()
        poll()  # also called from the main thread: that is where KeyboardInterrupt may arrive
    """)
    serve = contexts.of(_function(tree, "_serve"))
    assert serve.kind == THREAD and serve.thread.daemon and serve.thread.stored_in == "self._thread"
    # A thread's target that the main thread also calls runs there too: a Ctrl-C can arrive in it (issue 18:
    # taken as thread-only, its `except BaseException` loop went unreported).
    assert contexts.of(_function(tree, "poll")).kind == MAIN
    (stop,) = stops.stop_methods
    assert [(a.verb, a.target, a.line) for a in stop.acts] == [("joins", "self._thread", 10)]


def test_stop_methods_and_flag_setters_and_what_they_do() -> None:
    tree, _, stops = _model("""\
        class Consumer:
            def close(self):
                self._closing = True
                self._conn.close()
                self._task.cancel()

            def on_connection_lost(self):
                self._stop_requested = True

            def resume(self):
                self._stop_requested = False  # not a stop: the flag's "go on" value

            def please_stop(self):
                self._running = False
    """)
    acts = {(p.title, a.verb, a.target) for p in stops.stop_methods + stops.flag_setters for a in p.acts}
    assert acts == {
        ("`Consumer.close()`", "sets", "self._closing"),
        ("`Consumer.close()`", "closes", "self._conn"),
        ("`Consumer.close()`", "cancels", "self._task"),
        ("`Consumer.on_connection_lost()`", "sets", "self._stop_requested"),
        ("`Consumer.please_stop()`", "sets", "self._running"),
    }


@pytest.mark.parametrize("handler, recorded", [
    ("record", True),                         # appends the signal: no KeyboardInterrupt
    ("stop_event.set", True),
    ("signal.SIG_IGN", True),
    ("lambda *_: stop_event.set()", True),
    ("signal.SIG_DFL", True),                  # the OS's action: the process ends, no exception is raised
    ("signal.default_int_handler", False),
    ("leave", True),                           # exits: SystemExit arrives where the main thread is, never KeyboardInterrupt
    ("interrupt_again", False),                # raises KeyboardInterrupt itself
    ("unknown_module.handler", False),         # cannot tell: as if it raised
])
def test_what_the_module_does_with_sigint(handler: str, recorded: bool) -> None:
    _, _, stops = _model(f"""\
        import signal, sys, threading
        import unknown_module
        stop_event = threading.Event()
        received = []

        def record(signum, frame):
            received.append(signum)

        def leave(signum, frame):
            sys.exit(0)

        def interrupt_again(signum, frame):
            received.append(signum)
            raise KeyboardInterrupt

        signal.signal(signal.SIGINT, {handler})
    """)
    assert (stops.sigint_recorded is not None) is recorded


@pytest.mark.parametrize("handler, exits", [
    ("leave", True),              # sys.exit(): SystemExit where the main thread is
    ("signal.SIG_DFL", False),    # the OS's action: the process ends at once, no SystemExit to catch
    ("signal.SIG_IGN", False),
])
def test_which_sigterm_handling_raises_system_exit(handler: str, exits: bool) -> None:
    _, _, stops = _model(f"""\
        import signal, sys

        def leave(signum, frame):
            sys.exit(0)

        signal.signal(signal.SIGTERM, {handler})
    """)
    assert (stops.exiting_signal is not None) is exits


def test_a_handler_named_through_a_local_alias_and_another_object() -> None:
    _, _, stops = _model("""\
        import signal

        class Receiver:
            def receive(self, sig, frame):
                self.signals.append(sig)

        class Options:
            def setsignals(self):
                receive = self.receiver.receive
                signal.signal(signal.SIGINT, receive)
    """)
    assert stops.sigint_recorded is not None


def test_signals_received_as_data_mean_the_program_handles_sigint() -> None:
    _, _, stops = _model("""\
        import signal

        def handle(sig):
            if sig in (signal.SIGTERM, signal.SIGINT):
                return "stop"
    """)
    assert "compares a received signal" in stops.sigint_recorded.how


def test_a_package_handler_elsewhere_speaks_for_its_modules_but_not_for_scripts(tmp_path: Path) -> None:
    package = tmp_path / "svc"
    (package / "transport").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "transport" / "__init__.py").write_text("")
    (package / "instance.py").write_text(textwrap.dedent("""\
        import signal

        class Instance:
            def start(self):
                signal.signal(signal.SIGINT, self.stop_signal)

            def stop_signal(self, signum, frame):
                self.running = False
    """))
    loop = textwrap.dedent("""\
        import urllib.request

        def fetch_all(urls):
            for url in urls:
                try:
                    urllib.request.urlopen(url, timeout=10)
                except:
                    pass
    """)
    (package / "transport" / "ftp.py").write_text(loop)
    (tmp_path / "tool.py").write_text(loop)
    assert top_package(str(package / "transport" / "ftp.py")) == package
    path, handling = recorded_sigint(str(package / "transport" / "ftp.py"))
    assert path == "svc/instance.py" and handling.line == 5
    assert check_source(loop.encode(), Settings(), filename=str(package / "transport" / "ftp.py")) == []
    assert [f.code for f in check_source(loop.encode(), Settings(), filename=str(tmp_path / "tool.py"))] == ["FSR002"]
    assert recorded_sigint(str(tmp_path / "tool.py")) is None


@pytest.mark.parametrize("call, quick", [
    ("int(text)", True), ("d.get('key')", True), ("', '.join(parts)", True), ("json.loads(raw)", True),
    ("os.link(a, b)", True), ("log.warning('x')", True), ("self.json.loads(raw)", True),
    ("exec(f'import {name}')", True),
    ("requests.get(url)", False), ("queue.get()", False), ("queue.get(True, 5)", False), ("worker.join(5)", False),
    ("thread.join(timeout)", False), ("sock.recv(1024)", False), ("self.fetch()", False), ("exec(code)", False),
])
def test_quick_calls(call: str, quick: bool) -> None:
    tree = ast.parse(f"import json, os, requests\n{call}\n")
    node = tree.body[1].value
    assert is_quick(node, collect_imports(tree.body)) is quick


@pytest.mark.parametrize("path, is_test", [
    ("tests/test_x.py", True), ("pkg/tests/helpers.py", True), ("test_client.py", True), ("client_test.py", True),
    ("conftest.py", True), ("integration_tests/run.py", True), ("src/app/testing/util.py", True),
    ("src/app/client.py", False), ("contest.py", False), ("latest/x.py", False), ("attestation.py", False),
    ("shop/orders/tests.py", True), ("pulp/app/tasks/test.py", True), ("testing.py", False), ("tester.py", False),
])
def test_test_paths_follow_pytest_conventions(path: str, is_test: bool) -> None:
    assert is_test_path(path) is is_test


SWALLOWING = b"import time\nwhile True:\n    try:\n        connect()\n    except:\n        time.sleep(1)\n"


def test_test_code_is_left_out_unless_asked() -> None:
    assert check_source(SWALLOWING, Settings(), filename="tests/test_probe.py") == []
    assert {f.code for f in check_source(SWALLOWING, Settings(include_tests=True), filename="tests/test_probe.py")} \
        == {"FSR002"}  # the handler's: the loop's one defect, one finding
    assert {f.code for f in check_source(SWALLOWING, Settings(), filename="probe.py")} == {"FSR002"}


def test_flake8_and_the_cli_leave_out_the_same_test_code(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_probe.py").write_bytes(SWALLOWING)
    for extra, expected in (([], b""), (["--fsr-include-tests"], b"FSR002")):
        flake8 = subprocess.run([sys.executable, "-m", "flake8", "--isolated", "--select", "FSR", *extra,
                                 "tests/test_probe.py"], cwd=tmp_path, capture_output=True)
        assert expected in flake8.stdout and (expected or flake8.stdout == b"")
    for extra, status in (([], 0), (["--include-tests"], 1)):
        cli = subprocess.run([sys.executable, "-m", "fs_lint", "check", "--isolated", *extra, "tests/test_probe.py"],
                             cwd=tmp_path, capture_output=True)
        assert cli.returncode == status, cli.stderr


def test_a_flag_set_only_in_init_is_configuration_unless_another_module_changes_it(tmp_path: Path) -> None:
    """Issue 18: a flag is a stop flag only when something sets it while the program runs. Set once in
    ``__init__`` it is configuration (``exit_on_error``); set by the program's signal handler in another
    module (``worker.should_exit = True``), it is the stop, and the loop checks it."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "__init__.py").write_text("")
    loop = textwrap.dedent("""\
        import time


        class Worker:
            def __init__(self, client, should_exit=False):
                self.should_exit = should_exit
                self._client = client

            def run(self):
                while True:
                    try:
                        self._client.connect()
                    except ConnectionError:
                        time.sleep(5)
                        if self.should_exit:
                            break

            def close(self):
                self._client.close()
    """)
    (tmp_path / "svc" / "worker.py").write_text(loop)
    alone = check_source(loop.encode(), Settings(), filename=str(tmp_path / "svc" / "worker.py"))
    assert [f.code for f in alone] == ["FSR001"] and "closes `self._client`" in alone[0].message
    forget_programs()
    (tmp_path / "svc" / "main.py").write_text(textwrap.dedent("""\
        import signal

        from svc.worker import Worker

        worker = Worker(client=None)


        def on_term(signum, frame):
            worker.should_exit = True


        signal.signal(signal.SIGTERM, on_term)
    """))
    assert check_source(loop.encode(), Settings(), filename=str(tmp_path / "svc" / "worker.py")) == []


def test_a_deadline_longer_than_max_retry_time_is_no_bound() -> None:
    source = textwrap.dedent("""\
        import time


        def wait_for_broker(connect):
            started = time.time()
            while time.time() - started < 6 * 3600:
                try:
                    return connect()
                except ConnectionError:
                    time.sleep(5)
    """).encode()
    strict = Settings(strict=True)
    assert [f.message for f in check_source(source, strict, filename="svc.py")] == [
        "FSR001 retry loop without shutdown check: it retries for up to 6 h (a deadline longer than max-retry-time, 1 h, "
        "is no bound) and reads no stop flag or event, so a graceful shutdown waits on it"]
    assert check_source(source, Settings(strict=True, max_retry_time=8 * 3600), filename="svc.py") == []


def test_a_subclass_in_another_module_that_sets_the_flag_is_the_loops_stop(tmp_path: Path) -> None:
    """Issue 18: the stop path is in a subclass of another module (``stopService()`` sets the flag the base
    class's retry loop never reads). Alone, the base module shows no stop; with the subclass, the loop is
    reported with the subclass's line, the fix reads the flag, and a subclass that runs its own loop is no
    evidence."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "__init__.py").write_text("")
    base = textwrap.dedent("""\
        import time


        class Reconnecting:
            def __init__(self, client):
                self._client = client
                self.stopping = False

            def run(self):
                while True:
                    try:
                        self._client.connect()
                        self._client.consume()
                    except ConnectionError:
                        time.sleep(5)
    """)
    path = tmp_path / "svc" / "base.py"
    path.write_text(base)
    assert check_source(base.encode(), Settings(), filename=str(path)) == []
    forget_programs()
    subclass = tmp_path / "svc" / "feed.py"
    subclass.write_text(textwrap.dedent("""\
        from svc.base import Reconnecting


        class Feed(Reconnecting):
            def stopService(self):
                self.stopping = True
    """))
    found = check_source(base.encode(), Settings(), filename=str(path))
    assert [(f.code, f.line) for f in found] == [("FSR001", 10)]
    assert "`Feed.stopService()` (svc/feed.py:6) sets `self.stopping`" in found[0].message
    fixed = fix_source(base.encode(), Settings(), ["FSR001"], False, str(path))
    assert b"while not self.stopping:" in fixed.source
    forget_programs()
    subclass.write_text(textwrap.dedent("""\
        from svc.base import Reconnecting


        class Feed(Reconnecting):
            def run(self):
                while not self.stopping:
                    self._client.consume()

            def stopService(self):
                self.stopping = True
    """))
    assert check_source(base.encode(), Settings(), filename=str(path)) == []
    forget_programs()


_HELPER = """\
import logging

import pika

log = logging.getLogger(__name__)


def reconnect(params):
    try:
        return pika.BlockingConnection(params)
    except KeyboardInterrupt:
        {handled}
"""


@pytest.mark.parametrize("handled, flagged", [
    ("log.info('interrupted while reconnecting')", True),
    ("log.info('interrupted'); raise", False),  # the stop goes on to the caller
    ("return None", True),
])
def test_a_helper_of_another_module_that_ends_the_stop_is_reported_at_the_loops_call(
        tmp_path: Path, handled: str, flagged: bool) -> None:
    """Issue 18: the swallowing handler is in a callee of another module. The finding is on the loop's call
    (a finding stays in the file that is checked), names the clause's file and line, once per clause, and
    has no automatic fix."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "__init__.py").write_text("")
    (tmp_path / "svc" / "conn.py").write_text(_HELPER.format(handled=handled))
    worker = textwrap.dedent("""\
        from . import conn
        from .conn import reconnect


        def run(params):
            while True:
                reconnect(params)


        def run_again(params):
            while True:
                conn.reconnect(params)
    """)
    path = tmp_path / "svc" / "worker.py"
    path.write_text(worker)
    found = check_source(worker.encode(), Settings(), filename=str(path))
    if not flagged:
        assert found == []
        return
    assert [(f.code, f.line, f.col) for f in found] == [("FSR003", 7, 8)]
    assert "`reconnect()` (svc/conn.py:11) ends KeyboardInterrupt" in found[0].message
    assert "re-raise it there" in found[0].message
    fixed = fix_source(worker.encode(), Settings(), ["FSR003"], False, str(path))
    assert fixed.source == worker.encode() and "svc/conn.py:11" in fixed.refused[0].reason


@pytest.mark.parametrize("loop", [
    "for params in batch:\n        reconnect(params)",  # a pass over a finite set: the stop skips one
    "while True:\n        if reconnect(params):\n            break",  # its result is read
])
def test_a_helper_of_another_module_called_where_the_stop_does_not_go_round_is_not_reported(
        tmp_path: Path, loop: str) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "__init__.py").write_text("")
    (tmp_path / "svc" / "conn.py").write_text(_HELPER.format(handled="pass"))
    worker = f"from svc.conn import reconnect\n\n\ndef run(params, batch):\n    {loop}\n"
    path = tmp_path / "svc" / "worker.py"
    path.write_text(worker)
    assert check_source(worker.encode(), Settings(), filename=str(path)) == []


def test_a_helper_of_another_module_whose_try_is_under_a_test_or_quick_is_not_reported(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "__init__.py").write_text("")
    (tmp_path / "svc" / "conn.py").write_text(textwrap.dedent("""\
        import pika


        def reconnect(params, quiet):
            if quiet:  # a test decides whether the try runs: it may not for this caller
                try:
                    return pika.BlockingConnection(params)
                except KeyboardInterrupt:
                    pass


        def parse(text):
            try:
                return int(text)  # nothing here waits: a Ctrl-C lands in the caller's pause instead
            except KeyboardInterrupt:
                pass
    """))
    worker = textwrap.dedent("""\
        import time

        from svc.conn import parse, reconnect


        def run(params):
            while True:
                reconnect(params, False)
                parse("1")
                time.sleep(1)
    """)
    path = tmp_path / "svc" / "worker.py"
    path.write_text(worker)
    assert check_source(worker.encode(), Settings(), filename=str(path)) == []


_LIMITS = """\
import asyncio
import time


def cool_down(response):
    time.sleep(int(response.headers["Retry-After"]))


def capped(response):
    time.sleep(min(5, int(response.headers["Retry-After"])))


def short_pause():
    time.sleep(1)


def backoff():
    time.sleep(600)


async def later():
    await asyncio.sleep(600)
"""


@pytest.mark.parametrize("calls, reported", [
    ("cool_down(response)", "`time.sleep(int(response.headers['Retry-After']))` in `cool_down()` (svc/limits.py:6) "
                            "sleeps for as long as the server says (`Retry-After`), with no cap"),
    ("limits.backoff()", "`time.sleep(600)` in `backoff()` (svc/limits.py:18) sleeps 600 s"),
    ("capped(response)", None),  # ``min()`` caps what the server says, below max-blind-sleep
    ("short_pause()", None),  # within max-blind-sleep
])
def test_a_long_pause_in_a_helper_of_another_module_is_reported_at_the_loops_call(
        tmp_path: Path, calls: str, reported: str | None) -> None:
    """Issue 18: the pause is one call away, in another module of the project. The finding is on the call in
    the loop that checks its stop, names the sleep's file and line, and has no automatic fix."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "__init__.py").write_text("")
    (tmp_path / "svc" / "limits.py").write_text(_LIMITS)
    poster = textwrap.dedent(f"""\
        import threading

        from . import limits
        from .limits import capped, cool_down, short_pause


        class Poster:
            def __init__(self, session):
                self.session = session
                self._stop = threading.Event()

            def run(self):
                while not self._stop.is_set():
                    response = self.session.post("/items")
                    {calls}

            def stop(self):
                self._stop.set()
    """)
    path = tmp_path / "svc" / "poster.py"
    path.write_text(poster)
    found = check_source(poster.encode(), Settings(), filename=str(path))
    if reported is None:
        assert found == []
        return
    assert [(f.code, f.line, f.col) for f in found] == [("FSR005", 15, 12)]
    assert reported in found[0].message and "hand `self._stop` to" in found[0].message
    fixed = fix_source(poster.encode(), Settings(), ["FSR005"], False, str(path))
    assert fixed.source == poster.encode() and "another module" in fixed.refused[0].reason


def test_a_pause_in_a_helper_of_another_module_is_not_reported_where_nothing_stops_on_a_flag(tmp_path: Path) -> None:
    """The loop checks no stop (FSR001's question), or makes the async helper a task it does not wait for."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "__init__.py").write_text("")
    (tmp_path / "svc" / "limits.py").write_text(_LIMITS)
    worker = textwrap.dedent("""\
        import asyncio

        from svc.limits import backoff, later


        def run(session):
            while True:
                session.post("/items")
                backoff()


        async def serve(stop):
            while not stop.is_set():
                asyncio.create_task(later())
                await asyncio.sleep(1)
    """)
    path = tmp_path / "svc" / "worker.py"
    path.write_text(worker)
    assert [f.code for f in check_source(worker.encode(), Settings(), filename=str(path))
            if f.code == "FSR005"] == []


@pytest.mark.parametrize("helper, flagged", [
    ("def cancel_task_safe(task, log=None):\n    if task is not None:\n        task.cancel()\n", False),
    ("def cancel_task_safe(task, log=None):\n    if log is not None:\n        log.info('stopping %s', task)\n", True),
])
def test_a_stop_that_cancels_through_a_helper_of_another_module_cuts_the_pause_short(
        tmp_path: Path, helper: str, flagged: bool) -> None:
    """Issue 18 (held-out round 6): the stop sets the loop's flag and cancels its task through a helper of
    the project's utilities; what the helper does decides, not its name."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "__init__.py").write_text("")
    (tmp_path / "svc" / "tasks.py").write_text(helper)
    discovery = textwrap.dedent("""\
        import asyncio

        from .tasks import cancel_task_safe


        class Discovery:
            def __init__(self):
                self.is_closed = False
                self.serialize_task = None

            async def start(self):
                self.serialize_task = asyncio.create_task(self._serialize())

            async def close(self):
                self.is_closed = True
                cancel_task_safe(self.serialize_task)
                await asyncio.wait({self.serialize_task})

            async def _serialize(self):
                while not self.is_closed:
                    await asyncio.sleep(1800)
    """)
    path = tmp_path / "svc" / "discovery.py"
    path.write_text(discovery)
    found = check_source(discovery.encode(), Settings(), filename=str(path))
    assert [(f.code, f.line) for f in found] == ([("FSR005", 21)] if flagged else [])


@pytest.mark.parametrize("handler, recorded", [
    ("self.stop", True),  # the stop only sets a flag: no KeyboardInterrupt anywhere in the program
    ("signal.default_int_handler", False),  # the default: Ctrl-C raises KeyboardInterrupt
    ("self.abort", False),  # a handler that raises it
])
def test_a_table_of_signal_handlers_installed_elsewhere_is_the_program_s_handling(
        tmp_path: Path, handler: str, recorded: bool) -> None:
    """Held-out round 7: ``{signal.SIGINT: self.stop}`` handed to code that installs each entry with
    ``loop.add_signal_handler(sig, handler)`` in another module, which never names SIGINT."""
    package = tmp_path / "wm"
    (package / "core").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "core" / "__init__.py").write_text("")
    (package / "core" / "loop.py").write_text(textwrap.dedent("""\
        import asyncio


        class LoopContext:
            def __init__(self, signals):
                self._signals = signals

            async def __aenter__(self):
                loop = asyncio.get_running_loop()
                for sig, handler in self._signals.items():
                    loop.add_signal_handler(sig, handler)
                return self
    """))
    (package / "core" / "manager.py").write_text(textwrap.dedent(f"""\
        import signal

        from .loop import LoopContext


        class Manager:
            def stop(self):
                self.running = False

            def abort(self):
                raise KeyboardInterrupt

            async def run(self):
                async with LoopContext({{signal.SIGINT: {handler}, signal.SIGTERM: self.stop}}):
                    pass
    """))
    hooks = textwrap.dedent("""\
        def fire(subscribers, event):
            for callback in subscribers:
                try:
                    callback(event)
                except:
                    pass
    """)
    path = package / "hook.py"
    path.write_text(hooks)
    found = recorded_sigint(str(path))
    assert (found is not None) == recorded
    if recorded:
        assert found[0] == "wm/core/manager.py" and "a table of handlers" in found[1].how
    assert [f.code for f in check_source(hooks.encode(), Settings(), filename=str(path))] == ([] if recorded else ["FSR002"])
