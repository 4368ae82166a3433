"""Every form of the handler rewrites (FSR002, FSR003), run on its normal path, before and after the fix.

A safe fix may change what the program does only while it is being stopped. The exceptions the
handler rewrites let through do not always mean "stop", so each form is run here on the arrivals
that are *not* a stop and that a real program meets while it runs normally:

- a cancelled child task: the loop awaits a job that was cancelled (its outcome, not the loop's);
- a pre-empted operation: what the loop awaits is cancelled by someone else (a manual refresh);
- a plugin that exits: code the loop runs calls ``sys.exit()``;
- a gevent-style ``BaseException`` (``Timeout``), an ordinary error to the program;
- a thread's ``KeyboardInterrupt``: raised by code, since no Ctrl-C reaches a thread.

The original and the fixed module must do the same on each of them. Then the stop request the
finding names is sent: the original swallows it, the fixed one stops. A form that would change a
normal run is not safe: ``test_a_keyboard_interrupt_in_a_thread_makes_the_fix_unsafe`` shows the
one that is classified unsafe for that reason, and ``test_a_plugin_s_exit_is_never_re_raised`` the
one that is refused. ``docs/fix-safety.md`` names the test of each form.
"""

from __future__ import annotations

import asyncio
import sys
import textwrap
import types
from typing import Callable

import pytest

from fs_lint.fixing import fix_source
from fs_lint.settings import Settings

PY311 = Settings(target_version=(3, 11))
PY310 = Settings(target_version=(3, 10))
STRICT = Settings(strict=True, target_version=(3, 11))


class Timeout(BaseException):
    """What gevent raises: a BaseException that is an ordinary error to the program."""


def _load(source: str, name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    module.Timeout = Timeout
    exec(compile(source, name, "exec"), module.__dict__)  # noqa: S102 - the fixture's own code
    return module


def original_and_fixed(code: str, settings: Settings, expected: str,
                       unsafe: bool = False) -> tuple[types.ModuleType, types.ModuleType]:
    """The module as written and after ``fix_source``; ``expected`` must be in the fixed source (the form)."""
    source = textwrap.dedent(code)
    result = fix_source(source.encode(), settings, None, unsafe, "app.py")
    assert result.applied, f"no fix was applied: {result.refused}"
    fixed = result.source.decode()
    assert _holds_lines(fixed, expected), fixed
    return _load(source, "original"), _load(fixed, "fixed")


def _holds_lines(text: str, expected: str) -> bool:
    """``expected``'s lines follow one another in ``text``, whatever their common indentation."""
    lines = [line.strip() for line in text.splitlines()]
    wanted = [line.strip() for line in expected.strip().splitlines()]
    return any(lines[i:i + len(wanted)] == wanted for i in range(len(lines)))


def same_on_both(original: types.ModuleType, fixed: types.ModuleType, run: Callable[[types.ModuleType], object]):
    before, after = outcome(run, original), outcome(run, fixed)
    assert before == after, f"the normal path changed: {before!r} before the fix, {after!r} after"
    return after


def outcome(run: Callable[[types.ModuleType], object], module: types.ModuleType) -> object:
    try:
        return run(module)
    except BaseException as exc:  # which exception gets out is the point
        return f"raised {type(exc).__name__}"


def run_async(coroutine_function, *args, timeout: float = 5.0):
    async def bounded():
        return await asyncio.wait_for(coroutine_function(*args), timeout)
    return asyncio.run(bounded())


# -- asyncio scenarios ------------------------------------------------------------------------------


async def cancelled_job():
    """A finished task whose outcome is its cancellation: the job that ``close()`` cancelled."""
    job = asyncio.ensure_future(asyncio.sleep(10))
    await asyncio.sleep(0)
    job.cancel()
    await asyncio.sleep(0)
    return job


async def finished_job(value):
    """A task that finished with ``value``."""
    job = asyncio.ensure_future(asyncio.sleep(0, value))
    await job
    return job


def _raising(error: BaseException):
    future = asyncio.get_running_loop().create_future()
    future.set_exception(error)
    return future


async def preempted():
    """A job that someone else cancels while the loop awaits it: a manual refresh pre-empting it."""
    job = asyncio.ensure_future(asyncio.sleep(10))
    asyncio.get_running_loop().call_later(0.01, job.cancel)
    return job


async def hanging_job():
    """A job that takes long: the loop is waiting on it when its own task is cancelled."""
    return asyncio.sleep(10)


def runs(function: str, jobs: Callable[[], list]):
    """The module's ``function(jobs, log)`` run to its end: what it returned, and what it logged."""
    def run(module):
        log: list[str] = []
        return run_async(getattr(module, function), jobs(), log), log
    return run


def cancelled_while_waiting(function: str):
    """The stop: the task that runs ``function`` is cancelled while it waits on a job. What the
    function returned (it swallowed its own cancellation and went on), or "stopped"."""
    async def scenario(module):
        task = asyncio.ensure_future(getattr(module, function)([hanging_job, lambda: finished_job("after")], []))
        await asyncio.sleep(0.01)
        task.cancel()
        try:
            return await task
        except asyncio.CancelledError:
            return "stopped"
    return lambda module: run_async(scenario, module)


def a_cancelled_child_then(value):
    return lambda: [cancelled_job, lambda: finished_job(value)]


def a_pre_emption_then(value):
    return lambda: [preempted, lambda: finished_job(value)]


# -- FSR002 in async code: the task's own cancellation, guarded first in the broad handler ----------

COLLECT = """\
    import asyncio


    async def collect(jobs, log):
        results = []
        for make in jobs:
            try:
                results.append(await (await make()))
            except BaseException as exc:
                log.append(type(exc).__name__)
        return results
"""


def test_fsr002_guard_own_cancellation_first() -> None:
    original, fixed = original_and_fixed(COLLECT, PY311, """\
            except BaseException as exc:
                if asyncio.current_task().cancelling():
                    raise
                log.append(type(exc).__name__)
    """)

    # a cancelled child task, a pre-empted operation, a gevent-style BaseException: handled as before
    assert same_on_both(original, fixed, runs("collect", a_cancelled_child_then("ok"))) == (["ok"], ["CancelledError"])
    assert same_on_both(original, fixed, runs("collect", a_pre_emption_then("ok"))) == (["ok"], ["CancelledError"])
    assert same_on_both(original, fixed, runs("collect", lambda: [lambda: asyncio.sleep(0, _raising(Timeout())),
                                                                  lambda: finished_job("ok")])) == (["ok"], ["Timeout"])
    # the stop: the original swallowed its own cancellation and went on to the next job
    assert cancelled_while_waiting("collect")(original) == ["after"]
    assert cancelled_while_waiting("collect")(fixed) == "stopped"


# -- before 3.11: the stop flag set where the code cancels this task --------------------------------

PUMP = """\
    import asyncio


    class Pump:
        def __init__(self, jobs, log):
            self._closing = False
            self._jobs = jobs
            self.log = log
            self._task = None

        def start(self):
            self._task = asyncio.ensure_future(self._run())

        async def close(self):
            self._closing = True
            self._task.cancel()

        async def _run(self):
            while self._jobs:
                make = self._jobs.pop(0)
                try:
                    self.log.append(await (await make()))
                except asyncio.CancelledError:
                    self.log.append("cancelled")
"""


def test_fsr003_guard_with_the_stop_flag_before_3_11() -> None:
    original, fixed = original_and_fixed(PUMP, PY310, """\
                except asyncio.CancelledError:
                    if self._closing:
                        raise
                    self.log.append("cancelled")
    """)

    async def drain(module, jobs):
        pump = module.Pump(jobs, [])
        pump.start()
        await pump._task
        return pump.log

    def pumped(jobs):
        return lambda module: run_async(drain, module, jobs())

    assert same_on_both(original, fixed, pumped(lambda: [cancelled_job, lambda: finished_job(1)])) == ["cancelled", 1]
    assert same_on_both(original, fixed, pumped(lambda: [preempted, lambda: finished_job(1)])) == [
        "cancelled", 1]

    async def close_while_waiting(module):
        pump = module.Pump([lambda: asyncio.sleep(0, asyncio.sleep(10)), lambda: finished_job("after")], [])
        pump.start()
        await asyncio.sleep(0.01)
        await pump.close()
        try:
            await pump._task
        except asyncio.CancelledError:
            return "stopped"
        return pump.log

    assert run_async(close_while_waiting, original) == ["cancelled", "after"]
    assert run_async(close_while_waiting, fixed) == "stopped"


# -- FSR003: a handler of the cancellation alone, or next to ordinary errors ------------------------

RETRY = """\
    import asyncio


    async def send(attempts, log):
        while attempts:
            attempt = attempts.pop(0)
            try:
                return await (await attempt())
            except (ConnectionError, asyncio.CancelledError) as exc:
                log.append(type(exc).__name__)
"""


def test_fsr003_guard_keeps_the_tuple() -> None:
    original, fixed = original_and_fixed(RETRY, PY311, """\
            except (ConnectionError, asyncio.CancelledError) as exc:
                if asyncio.current_task().cancelling():
                    raise
                log.append(type(exc).__name__)
    """)

    assert same_on_both(original, fixed, runs("send", a_cancelled_child_then("sent"))) == ("sent", ["CancelledError"])
    assert same_on_both(original, fixed, runs("send", a_pre_emption_then("sent"))) == ("sent", ["CancelledError"])
    assert same_on_both(original, fixed, runs("send", lambda: [lambda: asyncio.sleep(0, _raising(ConnectionError())),
                                                               lambda: finished_job("sent")])) == (
        "sent", ["ConnectionError"])
    # a gevent-style BaseException was never caught here, and still is not
    assert same_on_both(original, fixed, runs("send", lambda: [lambda: asyncio.sleep(0, _raising(Timeout()))])) == \
        "raised Timeout"
    assert cancelled_while_waiting("send")(original) == "after"
    assert cancelled_while_waiting("send")(fixed) == "stopped"


SUPPRESSED = """\
    import asyncio
    import contextlib


    async def drain(jobs, log):
        while jobs:
            make = jobs.pop(0)
            with contextlib.suppress(asyncio.CancelledError):
                log.append(await (await make()))
        return log
"""


def test_fsr003_suppress_of_the_cancellation_becomes_a_guarded_try() -> None:
    original, fixed = original_and_fixed(SUPPRESSED, PY311, """\
            try:
                log.append(await (await make()))
            except asyncio.CancelledError:
                if asyncio.current_task().cancelling():
                    raise
    """)
    assert "contextlib" not in fixed.__dict__  # the import the rewrite left unused is gone

    assert same_on_both(original, fixed, runs("drain", a_cancelled_child_then(1))) == ([1], [1])
    assert same_on_both(original, fixed, runs("drain", a_pre_emption_then(1))) == ([1], [1])
    assert cancelled_while_waiting("drain")(original) == ["after"]
    assert cancelled_while_waiting("drain")(fixed) == "stopped"


# -- FSR002 in sync code: a clause before the broad handler -----------------------------------------

ATTEMPTS = """\
    import threading

    stop = threading.Event()


    def run(attempts, log):
        while not stop.is_set():
            try:
                return attempts.pop(0)()
            HANDLER
                log.append(sys.exc_info()[0].__name__)
"""


def _raise(error: BaseException):
    def attempt():
        raise error
    return attempt


def _exit():
    sys.exit(3)


@pytest.mark.parametrize("handler", ["except BaseException as exc:", "except:", "except (ValueError, BaseException):"])
def test_fsr002_clause_before_the_broad_handler(handler: str) -> None:
    code = ATTEMPTS.replace("HANDLER", handler).replace("import threading", "import sys\n    import threading")
    original, fixed = original_and_fixed(code, Settings(), f"""\
            except KeyboardInterrupt:
                raise
            {handler}
    """)

    def run(attempts):
        def runner(module):
            log = []
            return module.run(attempts(), log), log
        return runner

    # a gevent-style BaseException, a plugin that exits, an ordinary error: handled as before
    assert same_on_both(original, fixed, run(lambda: [_raise(Timeout()), lambda: "ok"])) == ("ok", ["Timeout"])
    assert same_on_both(original, fixed, run(lambda: [_exit, lambda: "ok"])) == ("ok", ["SystemExit"])
    assert same_on_both(original, fixed, run(lambda: [_raise(ValueError()), lambda: "ok"])) == ("ok", ["ValueError"])
    # the stop: Ctrl-C
    assert outcome(run(lambda: [_raise(KeyboardInterrupt()), lambda: "ok"]), original) == ("ok", ["KeyboardInterrupt"])
    assert outcome(run(lambda: [_raise(KeyboardInterrupt()), lambda: "ok"]), fixed) == "raised KeyboardInterrupt"


SERVE = """\
    import sys
    import threading
    import time

    stop = threading.Event()


    def handle(request):
        time.sleep(0)
        if request == "quit":
            sys.exit(0)
        return request.upper()


    def serve(requests, log):
        while not stop.is_set():
            request = requests.pop(0)
            try:
                if request == "exit":
                    sys.exit(0)
                return handle(request)
            except BaseException as exc:
                log.append(type(exc).__name__)
"""


def test_fsr002_clause_with_system_exit_where_the_code_exits() -> None:
    """``sys.exit()`` in the protected code is the program's own request to stop: both are let through."""
    original, fixed = original_and_fixed(SERVE, Settings(), """\
            except (KeyboardInterrupt, SystemExit):
                raise
    """)

    def serve(requests):
        def runner(module):
            log = []
            return module.serve(requests, log), log
        return runner

    original.handle = fixed.handle = _raise(Timeout())
    assert same_on_both(original, fixed, serve(["x", "y"])) == "raised IndexError"
    assert outcome(serve(["exit", "x"]), original) == "raised IndexError"  # swallowed, went on
    assert outcome(serve(["exit", "x"]), fixed) == "raised SystemExit"


BOOKKEEPING = """\
    import threading

    stop = threading.Event()
    pending = set()


    def step(tasks, log):
        while not stop.is_set() and tasks:
            task = tasks.pop(0)
            try:
                task()
            except BaseException:
                log.append("failed")
                pending.discard(task)
"""


def test_fsr002_bookkeeping_then_reraise() -> None:
    """A handler that finishes the step does so for a stop too, then re-raises it."""
    original, fixed = original_and_fixed(BOOKKEEPING, Settings(), """\
            except BaseException as exc:
                log.append("failed")
                pending.discard(task)
                if isinstance(exc, KeyboardInterrupt):
                    raise
    """)

    def step(tasks):
        def runner(module):
            log = []
            module.pending.clear()
            module.pending.update(tasks)
            return module.step(list(tasks), log), log, len(module.pending)
        return runner

    timeout, exits = _raise(Timeout()), _exit
    assert same_on_both(original, fixed, step([timeout, exits])) == (None, ["failed", "failed"], 0)
    interrupt = _raise(KeyboardInterrupt())
    assert outcome(step([interrupt, timeout]), original) == (None, ["failed", "failed"], 0)
    fixed.pending.clear()
    fixed.pending.add(interrupt)
    assert outcome(lambda m: m.step([interrupt], []), fixed) == "raised KeyboardInterrupt"
    assert not fixed.pending  # the step was finished before the stop went on


GENERATOR = """\
    def items(source, log):
        while True:
            try:
                yield source()
            except BaseException as exc:
                log.append(type(exc).__name__)
"""


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the original ignores its close
def test_fsr002_generator_exit_in_the_clause() -> None:
    original, fixed = original_and_fixed(GENERATOR, Settings(), """\
            except (KeyboardInterrupt, GeneratorExit):
                raise
    """)

    def throw_timeout(module):
        log = []
        generator = module.items(lambda: 1, log)
        next(generator)
        value = generator.throw(Timeout())
        return value, list(log)  # a copy: the generator's own close, when it is collected, logs too

    assert same_on_both(original, fixed, throw_timeout) == (1, ["Timeout"])

    def close(module):
        generator = module.items(lambda: 1, [])
        next(generator)
        generator.close()
        return "closed"

    assert outcome(close, original) == "raised RuntimeError"  # generator ignored GeneratorExit
    assert outcome(close, fixed) == "closed"


# -- FSR003 in sync code: re-raise, or take the stop request out of the tuple -----------------------

POLL = """\
    import threading

    stop = threading.Event()


    def poll(calls, log):
        while not stop.is_set() and calls:
            try:
                log.append(calls.pop(0)())
            except (ConnectionError, KeyboardInterrupt):
                log.append("retry")
        return log
"""

REPL_LIKE = """\
    import threading

    stop = threading.Event()


    def poll(calls, log):
        while not stop.is_set() and calls:
            try:
                log.append(calls.pop(0)())
            except KeyboardInterrupt:
                # ignore Ctrl-C and keep polling
                continue
        return log
"""


@pytest.mark.parametrize(("code", "form"), [
    (POLL, "            except ConnectionError:\n                log.append(\"retry\")\n"),
    (REPL_LIKE, "            except KeyboardInterrupt:\n                raise\n"),
], ids=["take the interrupt out of the tuple", "re-raise, and the comment it made false goes"])
def test_fsr003_sync_forms(code: str, form: str) -> None:
    original, fixed = original_and_fixed(code, Settings(), form)

    def poll(calls):
        return lambda module: module.poll(calls(), [])

    assert same_on_both(original, fixed, poll(lambda: [_raise(Timeout())])) == "raised Timeout"
    assert same_on_both(original, fixed, poll(lambda: [_exit, lambda: 1])) == "raised SystemExit"
    assert same_on_both(original, fixed, poll(lambda: [lambda: 1, lambda: 2])) == [1, 2]
    assert outcome(poll(lambda: [_raise(KeyboardInterrupt()), lambda: 2]), fixed) == "raised KeyboardInterrupt"
    assert outcome(poll(lambda: [_raise(KeyboardInterrupt()), lambda: 2]), original) != "raised KeyboardInterrupt"


# -- what is not safe: a KeyboardInterrupt in a thread, a plugin's exit -----------------------------

WORKER = """\
    import threading


    class Worker(threading.Thread):
        def __init__(self, jobs, log):
            super().__init__()
            self.jobs = jobs
            self.log = log
            self.stopped = threading.Event()

        def run(self):
            while not self.stopped.is_set() and self.jobs:
                try:
                    self.log.append(self.jobs.pop(0)())
                except KeyboardInterrupt:
                    self.log.append("interrupted")
"""


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the fixed thread ends
def test_a_keyboard_interrupt_in_a_thread_makes_the_fix_unsafe() -> None:
    """No Ctrl-C reaches a thread: a ``KeyboardInterrupt`` there is raised by the code it runs, and
    re-raising it ends the thread. The strict mode reports the handler; its fix changes this normal
    run, so it is unsafe: refused by ``fs-lint fix``, applied with ``--unsafe-fixes``."""
    refused = fix_source(textwrap.dedent(WORKER).encode(), STRICT, None, False, "app.py")
    assert [r.reason.endswith("an unsafe fix, applied only with --unsafe-fixes") for r in refused.refused] == [True]
    original, fixed = original_and_fixed(WORKER, STRICT, "                    raise\n", unsafe=True)

    def in_a_thread(module):
        log = []
        worker = module.Worker([_raise(KeyboardInterrupt()), lambda: "next job"], log)
        worker.start()
        worker.join(5)
        return log

    assert outcome(in_a_thread, original) == ["interrupted", "next job"]
    assert outcome(in_a_thread, fixed) == ["interrupted"]  # the thread ended: a change of the normal run


LOADER = """\
    import importlib


    def load(names, log):
        loaded = []
        for name in names:
            try:
                loaded.append(importlib.import_module(name))
            except SystemExit:
                log.append(f"plugin {name} exited")
        return loaded
"""


def test_a_plugin_s_exit_is_never_re_raised(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A ``SystemExit`` around code that loads plugins is the plugin's failure: no fix, and the
    loader goes on to the next plugin as it did."""
    result = fix_source(textwrap.dedent(LOADER).encode(), Settings(strict=True), None, True, "app.py")
    assert result.source == textwrap.dedent(LOADER).encode()
    assert "loads or runs other people's code" in result.refused[0].reason
    (tmp_path / "bad_plugin.py").write_text("import sys\nsys.exit(2)\n")
    (tmp_path / "good_plugin.py").write_text("NAME = 'good'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    log: list[str] = []
    loaded = _load(textwrap.dedent(LOADER), "loader").load(["bad_plugin", "good_plugin"], log)
    assert [m.NAME for m in loaded] == ["good"] and log == ["plugin bad_plugin exited"]


# -- anyio and trio: cancellation comes only from a scope around the code ---------------------------

CONSUME = """\
    import anyio


    async def consume(receive, log):
        while len(log) < 20:
            try:
                item = await receive()
                if item is None:
                    return
                log.append(item)
            except BaseException as exc:
                log.append(type(exc).__name__)
"""


def test_fsr002_structured_cancellation_in_the_clause() -> None:
    """A cancel scope's cancellation reaches only code inside it, and comes again at every await: a
    scope inside the attempt absorbs its own (a pre-empted operation), a child's stays in its task
    group; what reaches the loop is the stop of a scope around it."""
    anyio = pytest.importorskip("anyio")
    original, fixed = original_and_fixed(CONSUME, Settings(), """\
            except anyio.get_cancelled_exc_class():
                raise
            except BaseException as exc:
    """)

    def receiving(*steps):
        async def run(module):
            pending = list(steps)

            async def receive():
                return await pending.pop(0)() if pending else None
            log: list[str] = []
            await module.consume(receive, log)
            return log
        return lambda module: anyio.run(run, module)

    async def pre_empted():
        with anyio.CancelScope() as scope:
            scope.cancel()  # a manual refresh pre-empts this one
            await anyio.sleep(1)
        return "pre-empted"

    async def with_a_cancelled_child():
        async with anyio.create_task_group() as group:
            group.start_soon(anyio.sleep, 1)
            group.cancel_scope.cancel()
        return "after the child"

    async def gevent_timeout():
        raise Timeout()

    async def ok():
        return "ok"

    assert same_on_both(original, fixed, receiving(pre_empted, with_a_cancelled_child, gevent_timeout, ok)) == [
        "pre-empted", "after the child", "Timeout", "ok"]

    def stopped(module):
        async def run():
            async def forever():
                await anyio.sleep(1)
                return "item"
            log: list[str] = []
            with anyio.move_on_after(0.05):
                await module.consume(forever, log)
            return log[:3]
        return anyio.run(run)

    assert outcome(stopped, original) == ["CancelledError"] * 3  # swallowed, and delivered again at every await
    assert outcome(stopped, fixed) == []


# -- FSR004: a retry policy has no place for a guard ------------------------------------------------

POLICY = """\
    import asyncio

    from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_none


    @retry(stop=stop_after_attempt(3), wait=wait_none(),
           retry=retry_if_exception_type((ConnectionError, asyncio.CancelledError)))
    async def fetch(jobs):
        return await (await jobs.pop(0)())
"""


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_fsr004_no_longer_retrying_the_cancellation_is_unsafe() -> None:
    """A policy that retried ``CancelledError`` also retried a job's cancellation; taking it out
    changes that normal run, and the policy cannot tell the caller's own cancellation apart: the fix
    is unsafe, applied only with --unsafe-fixes."""
    pytest.importorskip("tenacity")
    refused = fix_source(textwrap.dedent(POLICY).encode(), Settings(strict=True), None, False, "app.py")
    assert refused.refused and "an unsafe fix" in refused.refused[0].reason
    original, fixed = original_and_fixed(POLICY, Settings(strict=True),
                                         "retry=retry_if_exception_type(ConnectionError))", unsafe=True)

    def fetch(module):
        return run_async(module.fetch, [cancelled_job, lambda: finished_job("ok")])

    assert outcome(fetch, original) == "ok"  # the job's cancellation was retried
    assert outcome(fetch, fixed) == "raised CancelledError"  # a change of the normal run
