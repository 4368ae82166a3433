from __future__ import annotations

from typing import Iterator

from ..findings import Finding
from ..analysis.callee_handlers import swallowed_in_callees
from ..analysis.retry_loops import ModuleAnalysis
from ..wording import consequence, name_kinds, spell_clause, spell_handler
from . import Rule, register


@register
class ShutdownExceptionSwallowed(Rule):
    """
    ## What it does
    Flags a handler inside a loop that names a shutdown exception other than `BaseException`:
    `asyncio.CancelledError` (under any alias, also `asyncio.exceptions.CancelledError`),
    `KeyboardInterrupt`, `SystemExit`, `GeneratorExit`, `trio.Cancelled` or
    `anyio.get_cancelled_exc_class()`, alone or in a tuple, or inside `contextlib.suppress(...)`,
    when the handler lets the loop go round again.

    As for FSR002, only what can arrive there counts: `except KeyboardInterrupt` in a thread, or
    in a program whose own SIGINT handler raises no `KeyboardInterrupt` (it records the signal,
    stops the program and exits, which raises `SystemExit` instead, or is `SIG_DFL` or `SIG_IGN`,
    set by the module or by a sibling module it imports), catches nothing
    (`strict = true` reports it anyway).

    The handler may also sit in a function that a loop calls: `reconnect()` catches
    `KeyboardInterrupt` around its connect and only logs it, and `run()` calls `reconnect()` as a
    statement of its `while True:` loop. The stop ends in `reconnect()` and the loop goes round
    again. Reported when the clause names the stop (not `BaseException`, FSR002's), its body only
    logs, prints, passes or returns, its `try` waits (awaits, for the cancellation), and a loop that
    goes on (not a pass over a finite set of items) calls the function without reading its result;
    the message names the loop. The function may be in another module of the project, imported by
    name (`from .conn import reconnect`) or with its module (`conn.reconnect()`): the finding is
    then on the call, since a finding stays in the file that is checked, and names the clause's
    file and line. Such a finding has no automatic fix.

    ## Why is this bad?
    These exceptions are how a program is told to stop. Catching one and going on means the
    request is lost: a cancelled FastStream or asyncio task keeps running (and the event loop
    waits for it at shutdown), Ctrl-C is ignored, `sys.exit()` from a SIGTERM handler does
    nothing. asyncio expects a cancelled task to finish by raising `CancelledError`.

    ## Exemptions
    - Handlers that re-raise, break, return or raise on every path (a call of `sys.exit()`, or of a
      function of the module that always raises, such as `def exit_program(code): ...; raise
      SystemExit(code)`, is a raise), or first re-raise when
      `asyncio.current_task().cancelling()` says the task itself is being cancelled, or when a
      shutdown flag says so (`if connection.is_closed: raise`), or leave when the loop's own
      condition says it is stopping (`while not self.done.is_set(): ... if self.done.is_set(): return`).
    - Handlers that keep the exception to raise it after the loop (`cancellation = error`), in a
      loop that ends.
    - Outside `strict`, a handler that records the stop in a flag the loop acts on by calling the
      program's stop: `except KeyboardInterrupt: self.signal = "shutdown"`, where the loop tests
      `self.signal` and, on that branch, calls `self.shutdown()` or `sys.exit()`.
    - Outside `strict`, a deliberate two-stage Ctrl-C: `except KeyboardInterrupt:` that remembers
      the press in a flag or a count it sets itself (`interrupted = True`, `self.presses += 1`),
      which nothing else in the loop resets, and leaves on the branch that tests it
      (`if interrupted: raise`, `sys.exit()`, `os._exit()`): the first press asks for a graceful
      stop, the next one leaves. A broad handler that counts its failures is not one.
    - Outside `strict`, a stop under way repeated until it completes: a loop inside an `except
      KeyboardInterrupt:` (the first press has been caught) whose `try` calls the program's stop
      and leaves once it returns (`while True: try: self.stop(); break except KeyboardInterrupt:
      pass`): a further press arrives while that stop runs, and the loop ends with it.
    - Outside `strict`, a handler that re-raises what it caught once the loop's attempts run out
      (`tries += 1; if tries > 3: raise`): the stop is held up by the attempts left, or, when a
      later attempt succeeds, takes a second Ctrl-C. Not where a SIGTERM handler raises `SystemExit`:
      a SIGTERM is sent once, and a later attempt that succeeds loses it. A
      limit that is None by default, or a deadline longer than `max-retry-time`, is no limit.
    - A REPL that catches `KeyboardInterrupt` around `input()` to cancel the current line, also
      through a function of the module that asks for the line (in a reader thread of its own, say).
    - Outside `strict`, a REPL whose every round asks for a line before the `try` and runs the
      command in it: a `SystemExit` or `KeyboardInterrupt` the command raises (a click command's
      exit, argparse on a bad line) ends that command, and the loop goes back to the prompt.
    - Awaiting tasks that the same function has just cancelled (itself, or through a function of
      the project that cancels what it is handed), inside `suppress(asyncio.CancelledError)` or
      `try/except CancelledError`: that cancellation is the one it asked for.
    - `except asyncio.CancelledError` around code that does not await (such as
      `task.result()` of a finished task), or whose only awaits are of tasks the code has just seen
      finish (`if task.done(): await task`, which does not suspend): the task's own cancellation
      cannot arrive there.
    - Outside `strict`, a task's cancellation swallowed in an async function's `for` over a finite
      collection (no loop around it that goes on, no `await task` of other work in the `try`) that
      nothing in the project awaits inside a loop that goes on: the task skips one item and ends
      after the rest (FSR002's page says more); and one
      whose every cancellation the module shows sets the loop's flag first (`self.running = False`,
      then `self._task.cancel()`): the loop ends at its next test.
    - `except GeneratorExit` outside a generator, or around code that does not yield; outside
      `strict`, in a generator that its decorator runs as a coroutine (the library table's
      `drives`: Twisted's `@inlineCallbacks`, Tornado's `@gen.coroutine`), which nothing closes.
    - A handler that sets a flag which the code after the `try`, the loop condition, or a test
      every round goes through (`if self.aborted: return`) tests to stop, also by calling a method
      of the class that sets it (`except KeyboardInterrupt: self.stop()` where `stop()` sets the
      loop's flag).
    - In a function a loop calls: a handler that does anything but log, print, pass or return (it
      may be telling the caller), a call whose result the loop reads (`if not connect(): break`),
      a `try` around `input()` (a prompt cancels the line), a function that is not awaited (a task
      of its own); outside `strict`, the task's cancellation swallowed there when the calling loop
      stops on a flag or event that a stop path sets (`while not self._stopping.is_set():` and
      `stop()` sets it): the cancellation goes back to the loop's check, which ends it.

    ## Example
    ```python
    async def forward(message):
        while True:
            try:
                await downstream.send(message)
                return
            except (ConnectionError, asyncio.CancelledError):
                await asyncio.sleep(1)
    ```

    ## Use instead
    ```python
    async def forward(message):
        while True:
            try:
                await downstream.send(message)
                return
            except ConnectionError:
                await asyncio.sleep(1)
    ```
    When the handler must clean up on cancellation, do it and end with a bare `raise`.

    ## Fix safety
    Safe: a handler of the task's cancellation (asyncio) re-raises first when the task itself is
    being cancelled, `if asyncio.current_task().cancelling(): raise` (Python 3.11+, from
    `target-version` or `requires-python`) or the stop flag the code sets where it cancels this
    task (before 3.11; refused without one), and handles a child task's cancellation or a
    pre-empted operation as before; a `with suppress(CancelledError):` becomes such a `try`. A
    handler that catches only other shutdown exceptions keeps what it does and ends with a bare
    `raise` (a `continue`, or a body that was only `pass`, becomes that `raise`); those next to
    ordinary ones are taken out of the tuple or the `suppress(...)` call, and a
    `with suppress(KeyboardInterrupt):` that suppresses nothing else gives way to its body. A
    comment or log line on the handler that the fix makes false goes. Unsafe where a
    `KeyboardInterrupt` cannot be a Ctrl-C (a thread). Refused when the handler body tests for the
    exception being taken out, when a `continue` sits in a nested `try` or in a `finally`, when
    the handler already raises on some path (it consumes a cancellation on purpose), when it
    calls a stop method that sets what the loop tests, and around code that loads or runs other
    people's code, where a `SystemExit` may be that code's failure. See [fix safety](../fix-safety.md).

    ## Options
    - `strict`: also report what cannot arrive there.
    - `include-tests`: also report in test code, left out by default.
    - `include-examples`: also report in examples (`examples/`, `samples/`, `demo/`...), left out
      by default.
    - `include-vendored`: also report in copies of other libraries carried in the tree (a folder the
      project puts on `sys.path`, or `vendor/`, `_vendor/`, `third_party/`...), left out by default.
    - `include-backups`: also report in copies of the project's own modules kept aside
      (`worker_old.py` beside `worker.py`, a `backup/` folder) that nothing in the project imports,
      left out by default.
    """

    code = "FSR003"
    # ``while``/``for``: a loop that calls a helper of another module, whose handler ends the stop,
    # says ``except`` nowhere in its own file
    needles = (b"except", b"suppress", b"while", b"for")
    name = "shutdown-exception-swallowed"
    summary = "shutdown exception swallowed in a loop"
    fix = "safe"

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        for handler in analysis.handlers:
            if handler.catches.broad:
                continue  # FSR002's
            kinds = handler.swallows
            if kinds:
                what = name_kinds(kinds, analysis.cancellation_name_in(handler.loop.node))
                arrival = handler.arrival(kinds)
                evidence = f" ({arrival})" if arrival else ""
                yield self.finding(
                    handler.position,
                    f"`{spell_handler(handler)}` lets the loop go on after {what}, so "
                    f"{consequence(kinds)}{evidence}; re-raise it",
                )
        for swallowed in swallowed_in_callees(analysis):
            contexts = analysis.contexts
            what = name_kinds(swallowed.kinds, analysis.cancellation_name_in(swallowed.function))
            caller = swallowed.loop.function.node
            where = f"`{contexts.title(caller)}()`" if caller is not None else "the module's code"
            clause = spell_clause(swallowed.clause, swallowed.statement)
            if swallowed.elsewhere is not None:
                yield self.finding(
                    swallowed.position,
                    f"`{swallowed.function.name}()` ({swallowed.elsewhere}:{swallowed.clause.lineno}) ends {what} in "
                    f"`{clause}`, and {where} calls it here in a loop that goes on (line {swallowed.loop.node.lineno}), "
                    f"so {consequence(swallowed.kinds)}; re-raise it there",
                )
                continue
            yield self.finding(
                swallowed.position,
                f"`{clause}` in `{contexts.title(swallowed.function)}()` "
                f"ends {what} there, and {where} calls it in a loop that goes on (line {swallowed.loop.node.lineno}), "
                f"so {consequence(swallowed.kinds)}; re-raise it",
            )
