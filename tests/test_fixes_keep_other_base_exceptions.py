"""Safe rewrites change only what happens to the exceptions that mean "stop".

Each snippet is a loop with a handler FSR002 or FSR003 rewrites. The original and the fixed code are
both run: an ordinary ``BaseException`` subclass (as gevent's ``Timeout`` or ``GreenletExit`` are, or a
library's own) raised in the ``try`` body must be handled exactly as before, and the stop request
(KeyboardInterrupt, task cancellation) must now get through.
"""

from __future__ import annotations

import asyncio
import textwrap
import types

import pytest

from fs_lint.fixing import fix_source
from fs_lint.settings import Settings

STRICT = Settings(strict=True)


class Timeout(BaseException):
    """What gevent raises: a BaseException that is an ordinary error to the program."""


SYNC_CASES = {
    "except BaseException": """\
        def run(attempts, log):
            while not stop.is_set():
                try:
                    return attempts.pop(0)()
                except BaseException as exc:
                    log.append(type(exc).__name__)
    """,
    "bare except": """\
        def run(attempts, log):
            while not stop.is_set():
                try:
                    return attempts.pop(0)()
                except:
                    log.append("caught")
    """,
    "BaseException in a tuple": """\
        def run(attempts, log):
            while not stop.is_set():
                try:
                    return attempts.pop(0)()
                except (ValueError, BaseException):
                    log.append("caught")
    """,
    "bookkeeping handler": """\
        def run(attempts, log):
            while not stop.is_set():
                try:
                    return attempts.pop(0)()
                except BaseException:
                    log.append("done")
                    done.add(len(log))
    """,
}

ASYNC_CASES = {
    "async except BaseException": """\
        async def run(attempts, log):
            while not stop.is_set():
                try:
                    return await attempts.pop(0)()
                except BaseException as exc:
                    log.append(type(exc).__name__)
    """,
}

HEADER = "import asyncio\nimport threading\nstop = threading.Event()\ndone = set()\n\n\n"


def _load(source: str, name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    exec(compile(source, name, "exec"), module.__dict__)  # noqa: S102 - the fixture's own code
    return module


def _original_and_fixed(body: str) -> tuple[types.ModuleType, types.ModuleType]:
    source = HEADER + textwrap.dedent(body)
    result = fix_source(source.encode(), STRICT, None, False, "app.py")
    assert result.applied, f"no safe fix was applied: {result.refused}"
    fixed = result.source.decode()
    assert fixed != source
    return _load(source, "original"), _load(fixed, "fixed")


def _raising(exc: BaseException):
    def attempt():
        raise exc
    return attempt


@pytest.mark.parametrize("body", SYNC_CASES.values(), ids=SYNC_CASES.keys())
def test_an_ordinary_base_exception_is_still_handled_and_a_stop_gets_through(body: str) -> None:
    original, fixed = _original_and_fixed(body)
    for module in (original, fixed):
        log: list[str] = []
        attempts = [_raising(Timeout()), _raising(Timeout()), lambda: "ok"]
        assert module.run(attempts, log) == "ok"
        assert len(log) == 2, f"{module.__name__}: the Timeout was not handled as before"
    swallowed: list[str] = []
    assert original.run([_raising(KeyboardInterrupt()), lambda: "ok"], swallowed) == "ok"
    with pytest.raises(KeyboardInterrupt):
        fixed.run([_raising(KeyboardInterrupt()), lambda: "ok"], [])
    with pytest.raises(SystemExit):
        fixed.run([_raising(SystemExit(1)), lambda: "ok"], [])


def test_the_bookkeeping_is_done_for_a_stop_too() -> None:
    _, fixed = _original_and_fixed(SYNC_CASES["bookkeeping handler"])
    log: list[str] = []
    with pytest.raises(KeyboardInterrupt):
        fixed.run([_raising(KeyboardInterrupt())], log)
    assert log == ["done"] and fixed.done == {1}


@pytest.mark.parametrize("body", ASYNC_CASES.values(), ids=ASYNC_CASES.keys())
def test_async_an_ordinary_base_exception_is_still_handled_and_cancellation_gets_through(body: str) -> None:
    original, fixed = _original_and_fixed(body)

    def timeout_attempt():
        async def attempt():
            raise Timeout()
        return attempt

    async def ok():
        return "ok"

    for module in (original, fixed):
        log: list[str] = []
        assert asyncio.run(module.run([timeout_attempt(), timeout_attempt(), ok], log)) == "ok"
        assert log == ["Timeout", "Timeout"], module.__name__

    async def cancelled_while_waiting(module):
        started = asyncio.Event()

        async def hang():
            started.set()
            await asyncio.sleep(3600)

        task = asyncio.ensure_future(module.run([hang, ok], []))
        await started.wait()
        task.cancel()
        try:
            return await asyncio.wait_for(task, 2)
        except asyncio.CancelledError:
            return "cancelled"

    assert asyncio.run(cancelled_while_waiting(original)) == "ok"  # the original swallowed the cancellation
    assert asyncio.run(cancelled_while_waiting(fixed)) == "cancelled"
