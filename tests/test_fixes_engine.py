"""``fix_source`` as the CLI calls it: fast when there is nothing to fix, and never worse than no fix."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import libcst as cst
import pytest

from fs_lint import fixing
from fs_lint.checker import check_source
from fs_lint.codemods import let_shutdown_exception_through, narrow_broad_handler
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


    async def receive(channel, stop_event: asyncio.Event):
        while not stop_event.is_set():
            try:
                await channel.receive()
            except asyncio.CancelledError:
                pass
""")


def fix(code: bytes, codes=None, unsafe=False, skip=None) -> fixing.FixResult:
    return fix_source(code, SETTINGS, codes, unsafe, "service.py", skip)


def test_fixes_every_rule_in_one_pass() -> None:
    result = fix(TWO_RULES)
    assert [(f.line, f.code) for f in result.applied] == [(11, "FSR002"), (19, "FSR003")]
    assert result.refused == [] and result.remaining == []
    assert b"except Exception:" in result.source and b"            raise\n" in result.source


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

    monkeypatch.setattr(narrow_broad_handler, "plan", crash)
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
    assert b"except asyncio.CancelledError:\n            pass" in result.source


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


def test_a_rewrite_that_would_make_another_rule_fire_is_refused() -> None:
    code = source("""\
        import threading

        stop = threading.Event()


        def poll(conn):
            while not stop.is_set():
                try:
                    conn.poll()
                except BaseException:
                    log()
                except KeyboardInterrupt:
                    pass


        def flush(conn):
            while not stop.is_set():
                try:
                    conn.flush()
                except BaseException:
                    log()
    """)
    result = fix(code)
    (refusal,) = result.refused
    assert (refusal.line, refusal.code) == (10, "FSR002")
    assert refusal.reason.startswith("the rewrite would make FSR003 fire: shutdown exception swallowed in a loop")
    assert [(f.line, f.code) for f in result.applied] == [(20, "FSR002")]
    assert result.source.count(b"except BaseException:") == 1


def test_a_file_libcst_cannot_reproduce_is_left_alone() -> None:
    code = b"import threading\n\x0cstop = threading.Event()\n" + source("""\
        while not stop.is_set():
            try:
                pass
            except BaseException:
                pass
    """)
    result = fix(code)
    assert result.source == code
    assert [r.reason for r in result.refused] == [
        "LibCST does not reproduce this file byte for byte (form feeds, or lone CR line endings)"]
    assert [f.code for f in result.remaining] == ["FSR002"]


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
