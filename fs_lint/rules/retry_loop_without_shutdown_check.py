from __future__ import annotations

from typing import Iterator

from ..findings import Finding
from ..analysis.loop_hazards import defeated_stop
from ..analysis.retry_loops import ModuleAnalysis
from ..analysis.shutdown_exceptions import CANCELLATION
from . import Rule, register


@register
class RetryLoopWithoutShutdownCheck(Rule):
    """
    ## What it does
    Flags a retry loop that can go round forever and never looks at a shutdown flag or event.

    A *retry loop* is a `while` or `for` loop in which a caught exception leads to another
    iteration, and which either pauses between attempts (`time.sleep`, `asyncio.sleep`,
    `Event.wait(timeout)`, …) or calls something connection-like in its `try` body (`connect`,
    `reconnect`, `create_connection`, `login`, `subscribe`, …, matched as words inside the name).

    The loop is reported when it is **unbounded** (no attempt counter, no deadline, no timeout
    scope around it, and not once through the items of a collection or a queue it drains, putting
    none back: `while not pool.empty(): conn = pool.get_nowait()`), has **no shutdown check** (neither its condition nor an `if` that leaves it
    reads a name like `stop`, `shutdown`, `closing`, `running`, a flag a stop method sets, or calls
    a function of the module whose returned value reads one (`while self._rest(30):` where `_rest`
    returns `self.alive`), nor is its `while` condition a flag or event that another function of
    the module sets to end it, whatever its name (`keepalive_halt()` sets `_keepalive_evt`; not
    `__init__`, a setup method or `__setstate__`), nor a handler leaves it on
    `KeyboardInterrupt`/`SystemExit`, nor does
    every round call, outside any `try` of the loop, a function of the project (inherited too)
    that raises when a stop flag says so: `self._check_shutdown()` whose body is
    `if self._shutdown: raise ShutdownError()`), and
    **a real stop is defeated**. The
    message names that stop and its line:

    - the loop swallows what would stop it: a handler that catches `KeyboardInterrupt` (in the
      main thread) or `SystemExit` and goes round again (`its handler at line 12 swallows ...`),
      only in `strict` mode: by default that handler is one hazard with one finding, FSR002's or
      FSR003's on the handler, and the loop is reported too only for another of these reasons;
    - it runs in a **non-daemon thread** (`threading.Thread(target=...)` without `daemon=True`, a
      `Thread` subclass's `run`): the interpreter waits for it at exit. A `Thread` subclass that
      nothing makes (its module names it only where it defines it, and no other file of the project
      holds its name: a start left in a comment) runs no thread;
    - the class or module has a **stop path** this loop ignores: a method named like `stop`,
      `close`, `shutdown`, `disconnect`, `terminate`, `on_stop`, `please_stop` or `__exit__` that
      sets a flag or event (`Consumer.stop() (line 88) sets self._running`), closes a resource the
      loop retries on, or joins the thread that runs the loop; any other function (a signal
      handler) that sets a shutdown flag to "stop"; another loop of the class that stops on a flag
      this one never reads (by default not for a loop in a daemon thread that nothing joins: it ends
      with the process that the other loop's flag lets exit); an Event the caller hands to the function; a question the caller hands
      in (`is_running`, a parameter the function calls, or annotates `Callable[[], bool]`) that this
      loop never asks; a stop method of a **subclass**, in this module or any other of the project,
      that sets a flag of the object this loop never reads (`PriceFeed.stop() (feeds/price.py:6)
      sets self.stopping`), unless the subclass runs a loop method of its own instead or the class
      reads the flag elsewhere. An `atexit` hook that nothing else calls (a nested function, or a
      private one the module never calls) is a stop path only for a loop in a daemon thread: Python
      runs it once the main thread has returned and the non-daemon threads were joined;
    - in an `async def`, it never awaits; or it swallows cancellation itself (by default only
      when it also ignores a stop of its own, as above: the handler is FSR002's or FSR003's).

    A main-thread loop whose handlers let `KeyboardInterrupt` and `SystemExit` through, in a
    program with no graceful stop of its own, is not reported: Ctrl-C, SIGTERM and `sys.exit()`
    stop it like any code. With `strict = true` every unbounded retry loop without a shutdown
    check is reported, as this page's first paragraph reads, evidence or not.

    ## Why is this bad?
    When the broker goes away the loop starts retrying; when the service is then told to stop
    (SIGTERM from the orchestrator, `close()` from the application), nothing in the loop notices.
    A thread that runs it keeps the interpreter alive, a `close()` that sets a flag waits forever,
    and the orchestrator ends up killing the process after its grace period, losing in-flight work.

    ## Exemptions
    - Loops bounded by `for _ in range(n)` (or any finite iterable), a condition on an attempt
      counter or a deadline, an `if` that gives up once a counter or the clock passes a limit, or
      a timeout scope around the loop (`asyncio.timeout`, `asyncio.wait_for(...)` of the function,
      `anyio`/`trio` `move_on_after`/`fail_after`). A limit that is None by default is no bound:
      `if self.max_attempts is not None and attempt >= self.max_attempts: raise`, where
      `max_attempts` is a parameter defaulting to None (or `self.x` that `__init__` sets from one),
      gives up only when a caller sets it; the message says "it retries forever unless
      `self.max_attempts` is given".
    - A loop whose handlers break, return or raise: it is not a retry loop; an `if` whose `else`
      gives up (`if n < limit: retry... else: raise`) is a bound like any other.
    - Deadlines kept by objects or helpers: `while not watch.expired()`, `timer.check_return()`,
      `remaining()`, clock calls whose name holds a clock word (`time_now()`, `monotonic_ms()`),
      names with `deadline`, `timeout` or `expire` in an exit test. A deadline whose length the code
      writes out (`time.monotonic() + 86400`, `timedelta(days=1)`, a module constant) is a bound only
      up to `max-retry-time` (default 3600 s): a loop that retries for a day is no more bounded, for a
      stop, than one that retries for ever; the message says how long it retries.
    - A retry engine that stores the exception in an object and hands that object to its policy
      before the next attempt (`state.set_exception(sys.exc_info())`, then `self.iter(state)`):
      the caller's policy decides (FSR004 checks it).
    - A handler that sets the flag the loop condition tests and then `continue`s, with a value
      that ends the loop (`err = exc; continue` under `while not err:`); a handler that calls a
      method of the class that sets the loop's flag (`self.stop()`).
    - A pause only on the way out (`time.sleep(1); return None`): it does not pause between
      attempts.
    - A queue worker that handles one item per iteration and logs failures, without pausing and
      without connecting: it is not a retry loop.
    - A server or worker that takes a new item before its `try` on every pass
      (`client, _ = server.accept()`, `job = jobs.get()`, `data = sock.recv(4096)`): a failure moves
      on to the next item instead of retrying the same attempt.
    - A generator's loop that yields in every round that goes well (`while True: ...; yield`, a
      `yield` in the body of its `try`): each `yield` hands control to the code that iterates it,
      which resumes it one round at a time and is where a stop is checked (a `for` that breaks, a
      decorator that tests a global flag between rounds, `close()`). A `yield` only under an `if`,
      in a handler or in an inner loop that may not run does not count: the rounds that skip it go
      on with no one asked. Reported in `strict` mode.
    - A loop in a greenlet that a stop path kills (`self._reader.kill()`, `gevent.killall(...)`, or
      each greenlet of the container the module keeps it in: `for g in self.greenlets:
      self.greenlets[g].kill()`), unless a handler of the loop takes `GreenletExit` and goes round.
    - In an `async def` that awaits inside the loop and lets cancellation through, cancelling the
      task is the shutdown check (FastStream, anyio and asyncio stop tasks that way). Set
      `async-requires-check` to flag those too.

    ## Example
    ```python
    class Consumer:
        def close(self):
            self._closing = True

        def run(self):
            while True:
                try:
                    self._connect_and_consume()
                except ConnectionError:
                    time.sleep(5)
    ```

    ## Use instead
    ```python
    class Consumer:
        def close(self):
            self._closing = True

        def run(self):
            while not self._closing:
                try:
                    self._connect_and_consume()
                except ConnectionError:
                    time.sleep(5)
    ```
    Better still, wait on a `threading.Event` so that `close()` also cuts the pause short:
    `if self._stop.wait(5): break`.

    ## Fix safety
    Safe when the code already has a shutdown indicator the loop can read: an Event parameter, a
    question parameter (`while is_running():`), a local Event or flag that other code sets, an
    attribute of the class that another method sets (`self._closing = True` in `close()`,
    `self._stop.set()` in `stop()`), or that the class creates and a subclass's stop method sets,
    or a module-level Event or flag. `while True:` becomes `while not self._closing:` (`while self._running:` for
    a flag that says "go on", `while not stop.is_set():` for an Event), `while cond:` becomes
    `while cond and not ...:`, and a `for` over an endless iterator gets `if ...: break` first.
    With a `threading.Event`, a `time.sleep(d)` on its own line becomes `if stop.wait(d): break`.
    Where leaving the loop would run code written for success (code after the loop, a
    `while ... else:`, an enclosing loop), the function ends where the loop is stopped instead:
    `if self._closing: return` first in the loop. Unsafe, applied only with `--unsafe-fixes`,
    when the function returns a value (None on a stop), when a module-level loop falls through,
    or when the indicator is not in its "go on" state when the loop starts. Refused in a
    `NoReturn` function, before module-level code that exits with a failure or logs CRITICAL,
    and for the flag of a thread object whose method other threads run too.
    No fix without an indicator, or with two equally near ones: the fix never invents a flag.
    See [fix safety](../fix-safety.md).

    ## Options
    - `strict`: report every unbounded retry loop without a shutdown check, as the rule's letter
      says, not only those with evidence of a defeated stop.
    - `max-retry-time` (seconds, default 3600): the longest deadline that counts as a bound.
    - `include-tests`: also report in test code (`tests/`, `test_*.py`, `*_test.py`,
      `tests.py`, `test.py`, `conftest.py`), which is left out by default.
    - `include-examples`: also report in examples (`examples/`, `samples/`, `demo/`...), left out
      by default.
    - `include-vendored`: also report in copies of other libraries carried in the tree (a folder the
      project puts on `sys.path`, or `vendor/`, `_vendor/`, `third_party/`...), left out by default.
    - `include-backups`: also report in copies of the project's own modules kept aside
      (`worker_old.py` beside `worker.py`, a `backup/` folder) that nothing in the project imports,
      left out by default.
    - `shutdown-names` / `extend-shutdown-names`: the words that make a name a shutdown indicator.
    - `connect-names` / `extend-connect-names`: the words that make a call connection-like.
    - `async-requires-check`: also flag async loops that only cancellation stops.
    """

    code = "FSR001"
    name = "retry-loop-without-shutdown-check"
    summary = "retry loop without shutdown check"
    fix = "safe"

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        strict = analysis.settings.strict
        for loop in analysis.loops:
            if not loop.is_retry_loop or loop.is_bounded or loop.checks_a_stop_flag:
                continue
            if loop.calls_a_raising_stop_check is not None:
                continue  # ``self._check_shutdown()`` each round raises on the stop: a check, by exception
            if loop.leaves_on_shutdown_exception is not None and (strict or loop.function.is_async):
                continue
            if loop.yields_to_its_consumer and not strict:
                continue  # the code that iterates the generator resumes it round by round: the stop is its own
            if not loop.function.is_async:
                # One hazard, one finding: a handler that swallows the stop is FSR002's or FSR003's to report.
                evidence = defeated_stop(loop, handlers=strict)
                if evidence is not None:
                    why = f"it retries {loop.retries_for} and never checks for a stop: {evidence}"
                elif strict:
                    retries_for = loop.retries_for
                    why = (f"it retries {retries_for} and reads no stop flag or event, so a graceful shutdown "
                           f"waits on it{' forever' if retries_for == 'forever' else ''}")
                else:
                    continue  # Ctrl-C and SIGTERM stop it like any code, and nothing else asks it to stop
            elif CANCELLATION in loop.swallowed_kinds and not strict:
                # The handler that swallows it is FSR002's or FSR003's finding (one hazard, one finding); the
                # loop is this rule's only where it also ignores a stop of its own (an event handed in, a flag).
                evidence = defeated_stop(loop, handlers=False)
                if evidence is None:
                    continue
                why = f"it retries {loop.retries_for} and never checks for a stop: {evidence}"
            elif CANCELLATION in loop.swallowed_kinds:
                why = f"it swallows {analysis.cancellation_name_in(loop.node)}, so cancelling its task does not stop it"
            elif not loop.awaits:
                why = "it never awaits, so cancellation cannot reach it and it blocks the event loop"
            elif analysis.settings.async_requires_check:
                why = "it reads no stop flag or event and only stops when its task is cancelled"
            else:
                continue
            yield self.finding(loop.position, why)
