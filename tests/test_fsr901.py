"""FSR901 through every front end, its options, its model of shutdown paths, and its rewrite run for real."""

from __future__ import annotations

import ast
import asyncio
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from fs_lint.syntax.names import WordPatterns, collect_imports
from fs_lint.analysis.retry_loops import ModuleAnalysis
from fs_lint.analysis.run_contexts import RunContexts
from fs_lint.analysis.shutdown_paths import ModuleShutdownPaths
from fs_lint.analysis.stop_paths import ModuleStops
from fs_lint.checker import check_source
from fs_lint.fixing import fix_source
from fs_lint.settings import Settings

HOOK_APP = textwrap.dedent("""\
    import asyncio
    import threading

    from faststream import FastStream

    app = FastStream(None)
    worker_thread = threading.Thread(target=print)
    consumer_task = None


    class Pipeline:
        def cleanup(self):
            worker_thread.join()


    @app.on_shutdown
    async def stop_consumer():
        await consumer_task
        worker_thread.join()
""")


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, cwd=cwd, check=False)


def _codes(stdout: str) -> list[tuple[int, str]]:
    return [(int(line.split(":")[1]), line.split(": ")[1].split()[0]) for line in stdout.splitlines() if ": FSR" in line]


def test_off_by_default_and_selected_by_name_in_the_cli(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(HOOK_APP)
    plain = _run("fs_lint", "check", "--isolated", "app.py", cwd=tmp_path)
    assert "FSR901" not in plain.stdout
    selected = _run("fs_lint", "check", "--isolated", "--select", "FSR901", "app.py", cwd=tmp_path)
    assert _codes(selected.stdout) == [(18, "FSR901"), (19, "FSR901")]
    named = _run("fs_lint", "check", "--isolated", "--select", "FSR901", "--shutdown-path-names", "cleanup",
                 "app.py", cwd=tmp_path)
    assert _codes(named.stdout) == [(13, "FSR901"), (18, "FSR901"), (19, "FSR901")]


def test_flake8_reports_it_when_its_own_selection_names_it(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(HOOK_APP)
    plain = _run("flake8", "--isolated", "--select", "FSR", "app.py", cwd=tmp_path)
    assert plain.stdout == ""
    named = _run("flake8", "--isolated", "--select", "FSR", "--extend-select", "FSR901",
                 "--fsr-shutdown-path-names=cleanup", "app.py", cwd=tmp_path)
    assert _codes(named.stdout) == [(13, "FSR901"), (18, "FSR901"), (19, "FSR901")]


def test_the_fix_writes_the_shutdown_timeout_of_the_flag_and_of_the_config(tmp_path: Path) -> None:
    target = tmp_path / "app.py"
    target.write_text(HOOK_APP)
    result = _run("fs_lint", "fix", "--isolated", "--unsafe-fixes", "--select", "FSR901", "--shutdown-timeout", "3",
                  "app.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    fixed = target.read_text()
    assert "await asyncio.wait_for(asyncio.shield(consumer_task), 3)" in fixed
    assert "worker_thread.join(timeout=3)" in fixed
    target.write_text(HOOK_APP)
    (tmp_path / "pyproject.toml").write_text('[tool.fs-lint]\nextend-select = ["FSR901"]\nshutdown-timeout = 2.5\n')
    result = _run("fs_lint", "fix", "--unsafe-fixes", "app.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "worker_thread.join(timeout=2.5)" in target.read_text()


def test_without_unsafe_fixes_the_rewrite_is_refused_with_its_reason() -> None:
    result = fix_source(HOOK_APP.encode(), Settings(), ["FSR901"], False, "app.py")
    assert result.source == HOOK_APP.encode()
    assert {r.reason for r in result.refused} == {
        "the shutdown goes on while what it waited for may still be running: an unsafe fix, applied only with "
        "--unsafe-fixes"}


def test_the_fixed_hook_returns_within_the_bound_and_runs_the_rest_of_the_shutdown() -> None:
    """The #1231 point: the task never ends, not even when cancelled, yet the hook goes on and closes."""
    source = textwrap.dedent("""\
        import asyncio

        closed = []


        async def stubborn():
            while True:
                try:
                    await asyncio.sleep(10)
                except asyncio.CancelledError:
                    pass  # a reconnect loop that eats its cancellation


        async def stop(task, ready):
            await task
            await ready.wait()
            closed.append("connection")
    """)
    # strict: outside it the wait for ``ready`` (an event set by nobody the models see) is left alone
    fixed = fix_source(source.encode(), Settings(shutdown_timeout=0.2, strict=True), ["FSR901"], True, "hooks.py")
    assert len(fixed.applied) == 2 and not fixed.remaining
    namespace: dict = {}
    exec(compile(fixed.source, "hooks.py", "exec"), namespace)

    async def main() -> float:
        task = asyncio.ensure_future(namespace["stubborn"]())
        started = time.monotonic()
        await namespace["stop"](task, asyncio.Event())
        elapsed = time.monotonic() - started
        task.cancel()
        return elapsed

    loop = asyncio.new_event_loop()
    try:
        elapsed = loop.run_until_complete(main())
    finally:
        loop.close()
    assert elapsed < 2
    assert namespace["closed"] == ["connection"]


def _paths(code: str, extra: tuple[str, ...] = ()) -> dict[str, str]:
    tree = ast.parse(textwrap.dedent(code))
    imports = collect_imports(ast.walk(tree))
    contexts = RunContexts(tree, imports)
    stops = ModuleStops(tree, imports, WordPatterns(()), contexts)
    return {p.function.name: p.title for p in ModuleShutdownPaths(tree, imports, contexts, stops, extra).paths}


def test_the_shutdown_paths_of_a_module() -> None:
    paths = _paths("""\
        import atexit, functools, signal

        def on_term(signum, frame): pass
        def on_hup(signum, frame): pass
        def flush(): pass
        def drain(): pass
        def stop_everything(): pass
        def is_stopped(): pass
        def wait_closed(): pass
        def abort_transaction(): pass

        @atexit.register
        def goodbye(): pass

        def main(loop):
            signal.signal(signal.SIGTERM, on_term)
            signal.signal(signal.SIGHUP, on_hup)
            loop.add_signal_handler(signal.SIGINT, functools.partial(drain))
            atexit.register(flush)
    """)
    assert paths == {
        "on_term": "the SIGTERM handler `on_term()` (registered at line 16)",
        "flush": "the atexit hook `flush()` (registered at line 19)",
        "drain": "the SIGINT handler `drain()` (registered at line 18)",
        "stop_everything": "`stop_everything()`",
        "goodbye": "the atexit hook `goodbye()`",
    }


def test_lifespan_teardown_is_what_runs_after_the_yield() -> None:
    code = textwrap.dedent("""\
        import asyncio
        import contextlib

        @contextlib.asynccontextmanager
        async def lifespan(app):
            task = asyncio.ensure_future(asyncio.sleep(1))
            await task
            try:
                yield
            finally:
                await task
    """)
    findings = check_source(code.encode(), Settings(), ["FSR901"])
    assert [(f.line, f.code) for f in findings] == [(11, "FSR901")]
    assert "the teardown of the lifespan `lifespan()` (after its `yield` at line 9)" in findings[0].message


def test_the_rule_and_its_fix_read_the_same_waits() -> None:
    from fs_lint.analysis.shutdown_waits import ModuleShutdownWaits

    tree = ast.parse(HOOK_APP)
    analysis = ModuleAnalysis(tree, Settings())
    assert ModuleShutdownWaits.of(analysis) is ModuleShutdownWaits.of(analysis)
    assert [w.kind for w in ModuleShutdownWaits.of(analysis).waits] == ["task", "join"]


_NODE = textwrap.dedent("""\
    import asyncio


    class Node:
        _writer: asyncio.StreamWriter

        async def stop_capture(self):
            self._writer.write(b"bridge stop_capture\\n")
            await self._writer.drain()
""")


@pytest.mark.parametrize("caller, flagged", [
    ("async def on_request(node):\n    await node.stop_capture()\n", False),  # a user's request runs it
    ("async def stop(node):\n    await node.stop_capture()\n", True),  # the program's stop does
    ("async def shutdown_all(node):\n    await node.stop_capture()\n", True),
    ("async def on_request(node):\n    await node.stop_capture()\n\n\n"
     "async def close(node):\n    await on_request(node)\n", True),  # a stop reaches it through a caller
    ("", True),  # nothing in the project calls it: an API whose users stop with it
])
def test_a_function_named_like_a_stop_and_more_is_a_shutdown_path_when_a_stop_reaches_it(
        tmp_path: Path, caller: str, flagged: bool) -> None:
    """Issue 17: ``stop_capture()`` ends one capture at a user's request; the name alone does not make it
    part of the program's stop, the callers the project shows do. ``--strict`` keeps the name's reading."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "__init__.py").write_text("")
    (tmp_path / "svc" / "api.py").write_text(caller)
    path = tmp_path / "svc" / "node.py"
    path.write_text(_NODE)
    found = check_source(_NODE.encode(), Settings(), codes=["FSR901"], filename=str(path))
    assert [(f.code, f.line) for f in found] == ([("FSR901", 9)] if flagged else [])
    strict = check_source(_NODE.encode(), Settings(strict=True), codes=["FSR901"], filename=str(path))
    assert [(f.code, f.line) for f in strict] == [("FSR901", 9)]


@pytest.mark.parametrize("made, flagged", [
    ("asyncio.Queue(maxsize=8)", True),  # a full queue blocks the put
    ("asyncio.Queue()", False),  # a put on a queue with no size never waits
    ("make_queue()", False),  # made where no model shows a size: nothing shows a wait
])
def test_a_put_waits_only_on_a_queue_the_program_shows_made_with_a_size(
        tmp_path: Path, made: str, flagged: bool) -> None:
    """A queue made in another module and handed over: the program model follows it to its making."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "__init__.py").write_text("")
    (tmp_path / "svc" / "conn.py").write_text(textwrap.dedent(f"""\
        import asyncio

        from .factory import make_queue


        class Connection:
            def __init__(self):
                self.write_queue = {made}
    """))
    (tmp_path / "svc" / "factory.py").write_text("def make_queue():\n    return None\n")
    channel = textwrap.dedent("""\
        from .conn import Connection


        class Channel:
            def __init__(self, connection: Connection):
                self.write_queue = connection.write_queue

            async def close(self):
                await self.write_queue.put(b"close")
    """)
    path = tmp_path / "svc" / "channel.py"
    path.write_text(channel)
    found = check_source(channel.encode(), Settings(), codes=["FSR901"], filename=str(path))
    assert [(f.code, f.line) for f in found] == ([("FSR901", 9)] if flagged else [])
    strict = check_source(channel.encode(), Settings(strict=True), codes=["FSR901"], filename=str(path))
    assert [(f.code, f.line) for f in strict] == ([] if made == "asyncio.Queue()" else [("FSR901", 9)])
