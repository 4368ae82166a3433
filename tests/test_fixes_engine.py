"""``fix_source`` as the CLI calls it: fast when there is nothing to fix, and never worse than no fix."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import libcst as cst
import pytest

from fs_lint import fixing
from fs_lint.checker import check_source
from fs_lint.codemods import let_shutdown_exception_through, let_stop_through_broad_handler
from fs_lint.fixing import fix_source
from fs_lint.settings import Settings

SETTINGS = Settings()


def source(text: str) -> bytes:
    return textwrap.dedent(text).encode()


TWO_RULES = source("""\
    import asyncio
    import threading

    stop = threading.Event()


    def poll(conn):
        while not stop.is_set():
            try:
                conn.poll()
            except BaseException:
                pass


    def receive(channel, stop_event: threading.Event):
        while not stop_event.is_set():
            try:
                channel.receive()
            except KeyboardInterrupt:
                pass
""")


def fix(code: bytes, codes=None, unsafe=False, skip=None) -> fixing.FixResult:
    return fix_source(code, SETTINGS, codes, unsafe, "service.py", skip)


def test_fixes_every_rule_in_one_pass() -> None:
    result = fix(TWO_RULES)
    assert [(f.line, f.code) for f in result.applied] == [(11, "FSR002"), (19, "FSR003")]
    assert result.refused == [] and result.remaining == []
    assert b"except KeyboardInterrupt:" in result.source and b"            raise\n" in result.source


def test_only_the_selected_codes() -> None:
    result = fix(TWO_RULES, codes=["FSR003", "E501"])
    assert [f.code for f in result.applied] == ["FSR003"]
    assert b"except BaseException:" in result.source
    assert result.remaining == []  # FSR002 is not selected, so not reported either


def test_silenced_findings_are_neither_fixed_nor_refused() -> None:
    result = fix(TWO_RULES, skip=lambda f: f.code == "FSR002")
    assert [f.code for f in result.applied] == ["FSR003"]
    assert result.refused == []
    assert [f.code for f in result.remaining] == ["FSR002"]


def test_nothing_to_fix_gives_back_the_input() -> None:
    clean = source("""\
        def poll(conn):
            try:
                conn.poll()
            except Exception:
                pass
    """)
    result = fix(clean)
    assert result.source is clean
    assert (result.applied, result.refused, result.remaining) == ([], [], [])


def test_files_without_a_fixable_finding_never_load_libcst() -> None:
    script = textwrap.dedent("""\
        import sys
        from fs_lint.fixing import fix_source
        from fs_lint.settings import Settings
        clean = b"try:\\n    pass\\nexcept Exception:\\n    pass\\n"
        silenced = b"while True:\\n    try:\\n        f()\\n    except:  # noqa\\n        pass\\n"
        fix_source(clean, Settings(), None, False, "clean.py")
        result = fix_source(silenced, Settings(), None, False, "silenced.py", skip=lambda f: True)
        assert result.remaining, "the silenced file should still have its finding"
        print("libcst" in sys.modules)
    """)
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "False"


@pytest.mark.parametrize("bad", [b"while True:\n    try:\n        f(\n    except:\n", b"except\x00"])
def test_bad_input_raises_what_check_source_raises(bad: bytes) -> None:
    with pytest.raises(Exception) as checked:
        check_source(bad, SETTINGS)
    with pytest.raises(type(checked.value)):
        fix(bad)


def test_a_planner_that_crashes_costs_only_its_own_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(finding, context):
        raise RuntimeError("boom")

    monkeypatch.setattr(let_stop_through_broad_handler, "plan", crash)
    result = fix(TWO_RULES)
    assert [f.code for f in result.applied] == ["FSR003"]
    assert [(r.line, r.code, r.reason) for r in result.refused] == [
        (11, "FSR002", "internal error while planning the FSR002 fix: RuntimeError('boom')")]
    assert [f.code for f in result.remaining] == ["FSR002"]


def test_a_change_that_crashes_costs_only_its_own_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(node):
        raise RuntimeError("boom")

    monkeypatch.setattr(let_shutdown_exception_through, "_raise_instead", crash)
    result = fix(TWO_RULES)
    assert [f.code for f in result.applied] == ["FSR002"]
    assert [(r.code, r.reason) for r in result.refused] == [
        ("FSR003", "internal error in the FSR003 rewrite: RuntimeError('boom')")]
    assert b"except KeyboardInterrupt:\n            pass" in result.source


def test_a_rewrite_that_leaves_its_finding_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(let_shutdown_exception_through, "_raise_instead", lambda node: cst.Pass())
    result = fix(TWO_RULES)
    assert [f.code for f in result.applied] == ["FSR002"]
    assert [(r.code, r.reason) for r in result.refused] == [
        ("FSR003", "the rewrite would not make the finding go away")]


def test_a_rewrite_that_would_not_compile_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # A ``return`` at module level parses, but the compiler rejects it.
    monkeypatch.setattr(let_shutdown_exception_through, "_raise_instead", lambda node: cst.Return())
    code = source("""\
        while True:
            try:
                work()
            except KeyboardInterrupt:
                pass
    """)
    result = fix(code, codes=["FSR003"])
    assert result.source == code
    (refusal,) = result.refused
    assert refusal.reason.startswith("the rewritten code would not compile: 'return' outside function")


def test_a_rewrite_that_would_make_another_rule_fire_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    let_through = let_stop_through_broad_handler._insert_before

    def swallow_instead_of_raising(statement, index, caught):
        statement = let_through(statement, index, caught)
        clause = statement.handlers[index]
        swallowing = clause.with_changes(body=clause.body.with_changes(body=[cst.parse_statement("pass\n")]))
        return statement.with_changes(handlers=[*statement.handlers[:index], swallowing,
                                                *statement.handlers[index + 1:]])

    monkeypatch.setattr(let_stop_through_broad_handler, "_insert_before", swallow_instead_of_raising)
    code = source("""\
        import threading

        stop = threading.Event()


        def poll(conn):
            while not stop.is_set():
                try:
                    conn.poll()
                except BaseException:
                    log()
    """)
    result = fix(code)
    (refusal,) = result.refused
    assert (refusal.line, refusal.code) == (10, "FSR002")
    assert refusal.reason.startswith("the rewrite would make FSR003 fire: shutdown exception swallowed in a loop")
    assert result.source == code


def test_code_libcst_cannot_reproduce_is_left_alone() -> None:
    code = (b"import threading\nstop = threading.Event()\n"
            b"\x0cwhile not stop.is_set():\n"
            b"    try:\n"
            b"        work()\n"
            b"    except BaseException:\n"
            b"        pass\n")
    result = fix(code)
    assert result.source == code
    assert [r.reason for r in result.refused] == [
        "LibCST does not reproduce this file byte for byte (form feeds, or lone CR line endings)"]
    assert [f.code for f in result.remaining] == ["FSR002"]


def test_code_libcst_cannot_parse_is_left_alone_with_the_lines_it_stopped_in() -> None:
    """Python takes a form feed that starts an indented line; LibCST's grammar does not."""
    code = (b"import threading\nstop = threading.Event()\n"
            b"while not stop.is_set():\n"
            b"    try:\n"
            b"        work()\n"
            b"    except BaseException:\n"
            b"\x0c        pass\n")
    result = fix(code)
    assert result.source == code
    assert [r.reason for r in result.refused] == ["LibCST cannot parse lines 3-7: no matching outer block for dedent"]


def test_what_libcst_cannot_reproduce_elsewhere_in_the_file_does_not_stop_a_fix_and_stays_as_it_was() -> None:
    """Only the statement holding the finding goes through LibCST: a form feed between two others is kept."""
    code = b"import threading\n\x0cstop = threading.Event()\n" + source("""\
        while not stop.is_set():
            try:
                work()
            except BaseException:
                pass
    """)
    result = fix(code)
    assert [f.code for f in result.applied] == ["FSR002"]
    assert result.source.startswith(b"import threading\n\x0cstop = threading.Event()\n")
    assert result.source.count(b"\x0c") == 1
    assert b"except KeyboardInterrupt:\n        raise\n    except BaseException:" in result.source


def test_unsafe_fixes_only_when_asked() -> None:
    code = source("""\
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
    """)
    safe = fix(code)
    assert safe.source == code and [f.code for f in safe.remaining] == ["FSR001"]
    assert safe.refused[0].reason.endswith("an unsafe fix, applied only with --unsafe-fixes")
    unsafe = fix(code, unsafe=True)
    assert b"while not self._closing:" in unsafe.source
    assert unsafe.refused == [] and unsafe.remaining == []


# -- FSR005 on a pause that was there: revealed, not added ------------------------------------------

FLAG_AND_EVENT = source("""\
    import threading
    import time


    class FlagConsumer:
        def __init__(self):
            self._closing = False

        def close(self):
            self._closing = True

        def run(self):
            while True:
                try:
                    self._connect()
                except OSError:
                    time.sleep(60)


    class EventConsumer:
        def __init__(self):
            self._stop = threading.Event()

        def stop(self):
            self._stop.set()

        def run(self):
            while True:
                try:
                    self._connect()
                except OSError as exc:
                    if isinstance(exc, ConnectionRefusedError):
                        time.sleep(60)
""")


def test_a_check_that_reveals_a_blind_pause_is_applied() -> None:
    # Adding `while not self._closing` makes FSR005 report the sleep under it: the sleep was there.
    result = fix(FLAG_AND_EVENT, codes=["FSR001"])
    assert [(f.line, f.code) for f in result.applied] == [(13, "FSR001"), (28, "FSR001")]
    assert b"while not self._closing:" in result.source and b"while not self._stop.is_set():" in result.source
    assert result.refused == [] and result.remaining == []
    assert [f.code for f in check_source(result.source, SETTINGS)] == ["FSR005", "FSR005"]


def test_a_revealed_pause_gets_its_own_fix_in_a_second_round() -> None:
    result = fix(FLAG_AND_EVENT)
    assert [(f.line, f.code) for f in result.applied] == [(13, "FSR001"), (28, "FSR001")]
    assert b"                    if self._stop.wait(60):\n                        break\n" in result.source
    # The flag has nothing to wait on: that pause stays, reported with the reason.
    assert [(r.line, r.code) for r in result.refused] == [(17, "FSR005")]
    assert result.refused[0].reason.startswith("`self._closing` is a plain flag")
    assert [(f.line, f.code) for f in result.remaining] == [(17, "FSR005")]
    again = fix(result.source)
    assert again.source == result.source and not again.applied


def test_a_silenced_revealed_pause_is_left_alone() -> None:
    result = fix(FLAG_AND_EVENT, skip=lambda f: f.code == "FSR005" and f.line == 33)
    assert b"                    time.sleep(60)\n" in result.source[result.source.index(b"class EventConsumer"):]
    assert [(r.line, r.code) for r in result.refused] == [(17, "FSR005")]


def test_a_rewrite_that_adds_a_blind_pause_is_still_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    let_through = let_stop_through_broad_handler._insert_before

    def let_through_then_sleep(statement, index, caught):
        statement = let_through(statement, index, caught)
        handler = statement.handlers[index + 1]
        pause = cst.parse_statement("time.sleep(60)\n")
        handler = handler.with_changes(body=handler.body.with_changes(body=[*handler.body.body, pause]))
        return statement.with_changes(handlers=[*statement.handlers[:index + 1], handler,
                                                *statement.handlers[index + 2:]])

    monkeypatch.setattr(let_stop_through_broad_handler, "_insert_before", let_through_then_sleep)
    code = source("""\
        import threading
        import time

        stop = threading.Event()


        def poll(conn):
            while not stop.is_set():
                try:
                    conn.poll()
                except:
                    pass
    """)
    result = fix(code, codes=["FSR002"])
    assert result.source == code
    (refusal,) = result.refused
    assert refusal.reason.startswith("the rewrite would make FSR005 fire: pause ignores shutdown: `time.sleep(60)`")


def test_a_respelled_pause_keeps_its_other_findings() -> None:
    # FSR007 turns the sleep into `await asyncio.sleep(30)`: the FSR005 finding on it (a flag, so
    # refused) is the same finding, on the same pause, not a new one.
    code = source("""\
        import asyncio
        import time


        class Consumer:
            def __init__(self):
                self._running = True

            async def stop(self):
                self._running = False

            async def run(self, channel):
                while self._running:
                    try:
                        await channel.consume()
                    except ConnectionError:
                        time.sleep(30)
    """)
    result = fix(code)
    assert [(f.line, f.code) for f in result.applied] == [(17, "FSR007")]
    assert [(r.line, r.code) for r in result.refused] == [(17, "FSR005")]
    assert [(f.line, f.col, f.code) for f in result.remaining] == [(16, 22, "FSR005")]  # no `import time`
    assert b"await asyncio.sleep(30)" in result.source


def test_a_rewrite_that_hides_a_finding_is_refused() -> None:
    # Waiting on the event inside `suppress(TimeoutError)` makes the wait look like an attempt, and
    # the loop no longer like a retry loop: FSR006 would go without its clamp. Without
    # --unsafe-fixes (no clamp), the FSR005 rewrite is refused; with it, both are applied.
    code = source("""\
        import asyncio


        class Relay:
            def __init__(self):
                self._stop = asyncio.Event()

            async def stop(self):
                self._stop.set()

            async def run(self, outbox):
                attempt = 0
                while not self._stop.is_set():
                    try:
                        await outbox.drain()
                    except ConnectionError:
                        attempt += 1
                        await asyncio.sleep(2 ** attempt)
    """)
    safe = fix(code)
    assert safe.source == code
    assert [(r.code, r.reason.split(":")[0]) for r in safe.refused] == [
        ("FSR005", "the rewrite would hide FSR006 without fixing it"),
        ("FSR006", "capping the pause at 60 s changes how often the service retries during a long outage"),
    ]
    unsafe = fix(code, unsafe=True)
    assert [f.code for f in unsafe.applied] == ["FSR005", "FSR006"]
    assert b"await asyncio.wait_for(self._stop.wait(), min(2 ** attempt, 60))" in unsafe.source


def test_code_too_deep_for_libcst_is_refused_in_plain_words(monkeypatch: pytest.MonkeyPatch) -> None:
    def too_deep(node):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(let_shutdown_exception_through, "_raise_instead", too_deep)
    result = fix(TWO_RULES)
    assert [f.code for f in result.applied] == ["FSR002"]
    assert [(r.code, r.reason) for r in result.refused] == [
        ("FSR003", "the code is too deeply nested for LibCST to rewrite it; fix it by hand")]


# A socketio client's background task is a daemon thread (the library table's ``daemon = "always"``), so its
# loop is not reported outside strict; the fix elsewhere in the module must be re-checked the same way.
DAEMON_TASK_BESIDE_A_FIX = source("""\
    import time

    import requests
    import socketio


    class Feed:
        def __init__(self):
            self.sio = socketio.Client()
            self.running = True

        def start(self):
            self.sio.start_background_task(self._heartbeat)

        def _heartbeat(self):
            while True:
                try:
                    self.sio.emit("ping", {})
                except Exception:
                    pass
                time.sleep(30)

        def poll(self, urls):
            while self.running:
                for url in urls:
                    try:
                        requests.get(url, timeout=5)
                    except:
                        continue
                time.sleep(1)
""")


def test_the_rewrite_is_checked_as_the_input_was() -> None:
    """The rewritten module is analysed with its bytes, as the check analyses the input: without them the
    library table's daemon-thread starters were not asked, the heartbeat loop looked like a new FSR001,
    and the FSR002 fix was refused."""
    assert [f.code for f in check_source(DAEMON_TASK_BESIDE_A_FIX, SETTINGS, None, "service.py")] == ["FSR002"]
    result = fix(DAEMON_TASK_BESIDE_A_FIX)
    assert [(f.line, f.code) for f in result.applied] == [(28, "FSR002")]
    assert result.refused == [] and result.remaining == []
