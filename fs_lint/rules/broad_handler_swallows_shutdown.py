from __future__ import annotations

from typing import Iterator

from ..findings import Finding
from ..analysis.retry_loops import ModuleAnalysis
from ..wording import consequence, name_kinds, spell_handler
from . import Rule, register


@register
class BroadHandlerSwallowsShutdown(Rule):
    """
    ## What it does
    Flags a bare `except:`, an `except BaseException` (alone or inside a tuple) or a
    `contextlib.suppress(BaseException)` inside a loop, when the handler lets the loop go round
    again.

    A handler *lets the loop go on* when some path through it neither raises, returns nor
    breaks, and it does not set a flag that the code after the `try` (or the loop condition, or
    a test every round goes through) tests to stop. A handler only catches what earlier clauses of the same `try` let through:
    after `except asyncio.CancelledError: raise`, an async `except BaseException` no longer
    swallows cancellation.

    The message names what is at stake in that code, and only what can really arrive there:

    - in an `async def` whose `try` body awaits, the task's cancellation;
    - `KeyboardInterrupt` only in code that may run in the main thread: not in a `Thread`
      subclass's `run` or a `Thread(target=...)` function, nor in a function handed to
      `gevent.spawn` or a pool's `spawn` (gevent raises it in the main greenlet), and what only
      they call; nor in a module-level function that the project, in any module, only hands to a
      thread (`asyncio.to_thread(f)`, `loop.run_in_executor(pool, f)`, `executor.submit(f)`, or a
      helper of the project that runs its parameter in one: `await run_blocking(f, url)`; also
      named as an attribute of its module, `start(helpers.worker, q)`), with every mention of its
      name accounted for, and what only it calls; nor in a handler a library calls in a thread of
      its own (a decorator the library table says `drives = "thread"`: `@cherrypy.expose`) that no
      code of the project calls by its name, nor in a module-level function called only from such
      code, up to two callers up; and not in
      a program whose own SIGINT handler raises no `KeyboardInterrupt` (a handler that sets a flag
      or records the signal, or stops the program and calls `sys.exit()`, which raises `SystemExit`
      instead, in the module or anywhere in its top-level package: `signal.signal(SIGINT,
      record)`, `signal.signal(SIGINT, self.stop)`, `loop.add_signal_handler`, a loop that
      compares a received signal with `signal.SIGINT`), or that gives SIGINT back to the operating
      system's action or ignores it (`signal.signal(SIGINT, SIG_DFL)`: Ctrl-C ends the process with
      no exception), in the module or in a sibling module it imports that does so when imported
      (`import util`, whose top level runs it; a package's own tool that does it is not counted);
    - `SystemExit` caught by a broad handler only where the protected code itself calls
      `sys.exit()` (the message names the line) or a signal handler of the module exits (not
      `SIG_DFL`, which ends the process with no exception);
    - neither where the `try` body makes only quick calls (string, number and container
      operations, `json`, `re`, `os.path`, one local syscall such as `os.link` or `os.mkdir`,
      logging, through an imported logger module too (`from myproject import log`;
      `log.exception(...)`), or module code made only of those): a stop request lands in the pause or the
      blocking call around it, practically never inside;
    - in a loop over a batch (a `for` over a finite collection, `while items: item =
      items.pop()`, or `while i < total:` that moves `i` on in every round, with no loop around it
      in the function that goes on), `KeyboardInterrupt` and a
      signal's `SystemExit` only where the `try` body waits as the library and program models
      say: a call the library table knows to wait (an HTTP request, a broker round trip, a child
      process, a pause), directly or in project code it calls a few levels down (not in its
      `except` clauses, which run only after a failure), or a call of the very items the loop
      takes (`for hook in hooks: hook(event)`, an event loop's `task()`). The message names that
      call: a Ctrl-C lands there and skips one item. Code the models cannot see (another
      library's method, a callback) is not taken to wait.
    - `asyncio.CancelledError` in an async function's `for` over a finite collection (not an
      `async for`, which goes through a stream), whose `try` body calls what it awaits (not an
      `await task` of other work), and which nothing in the project awaits inside a loop that goes
      on (a `while`, an endless `for`), directly or through two awaiting callers: run as a task of
      its own per event (`create_task(fire_hooks(event))`), a swallowed cancellation skips one item
      and the task ends after the rest. Awaited in a worker's `while True:`, the cancellation is
      lost for good: reported.

    `strict = true` reports every broad handler that lets the loop go on, as the rule's letter
    reads.

    ## Why is this bad?
    `BaseException` is what Python uses to say "stop": `KeyboardInterrupt` on Ctrl-C,
    `SystemExit` from `sys.exit()` (and from the SIGTERM handlers that call it),
    `asyncio.CancelledError` when FastStream, anyio or asyncio cancel a task on shutdown. A broad
    handler in a loop catches that request and goes round again: the service logs the "error",
    retries, and never stops. Under anyio the cancellation is delivered again at every await, so
    the loop spins at full CPU.

    ## Exemptions
    - Handlers that end with `raise`, or that break, return or raise on every path.
    - Handlers that first re-raise what is at stake: `if isinstance(exc, asyncio.CancelledError): raise`,
      `if asyncio.current_task().cancelling(): raise`, or re-raise when a shutdown flag says so
      (`if self._closing: raise`), or leave when the loop's own condition says it is stopping
      (`while not self.done.is_set(): ... if self.done.is_set(): return`).
    - Handlers that hand the exception on: kept and raised or returned later
      (`errors.append((exc, item))` then `return errors`; `pending = sys.exc_info()` then
      `reraise(*pending)`), given to its owner (`future.set_exception(exc)`,
      `task.inject_exc(exc)`), or re-raised through a helper (`reraise(...)`, `six.raise_from`),
      in a loop that ends. Keeping it only to format a message is not handing it on.
    - A handler that sets a flag which the code after the `try`, or the loop condition, tests
      to stop; or which every round of the loop tests on its way and leaves on
      (`if self.aborted: return` before the `try`), also, for a loop over a finite set of items,
      a round of a loop around it (the loop over the folders, around the loop over their files).
    - Outside `strict`, a handler that records the stop in a flag the loop acts on by calling the
      program's stop: `except KeyboardInterrupt: self.signal = "shutdown"`, where the loop tests
      `self.signal` and, on that branch, calls `self.shutdown()` or `sys.exit()`.
    - Outside `strict`, a handler that re-raises what it caught once the loop's attempts run out
      (`tries += 1; if tries > 3: raise`): the stop is held up by the attempts left, or, when a
      later attempt succeeds, takes a second Ctrl-C. Not where a SIGTERM handler raises `SystemExit`:
      a SIGTERM is sent once, and a later attempt that succeeds loses it. A
      limit that is None by default, a deadline longer than `max-retry-time`, or raising another
      exception instead (which an `except Exception` further up takes for a failure) is no limit.
    - An earlier clause of the same `try` that handles the shutdown exception.
    - Outside `strict`, a REPL whose every round asks for a line before the `try` and runs the
      command in it: the command's `SystemExit` or Ctrl-C ends that command, and the loop goes back
      to the prompt.
    - In an `async def`, a `try` body without an await: cancellation cannot arrive there.
    - `GeneratorExit` only in a generator whose `try` body yields, and, outside `strict`, not in one
      that its decorator runs as a coroutine (the library table's `drives`: Twisted's
      `@inlineCallbacks`, Tornado's `@gen.coroutine`): the library resumes it and never closes it.
      A handler that ends with a call the table says always raises (Twisted's `returnValue()`)
      leaves the loop.
    - Outside `strict`, a `for` loop over a collection in a stop path (`close`, `stop`, `shutdown`,
      `__exit__`...) that goes through the things it ends, one failure not stopping the rest: the
      stop is already under way and the loop ends with its items (a wait with no bound in it is
      FSR901's to report).
    - Broad handlers outside any loop: other linters cover those (ruff BLE001, bugbear B036).

    ## Example
    ```python
    async def consume(channel):
        while True:
            try:
                await channel.consume(handle)
            except BaseException:
                logger.exception("consumer failed, retrying")
                await asyncio.sleep(1)
    ```

    ## Use instead
    ```python
    async def consume(channel):
        while True:
            try:
                await channel.consume(handle)
            except BaseException:
                if asyncio.current_task().cancelling():
                    raise
                logger.exception("consumer failed, retrying")
                await asyncio.sleep(1)
    ```
    or catch Exception when nothing but ordinary errors should be caught.

    ## Fix safety
    Safe: the broad handler stays, and only the stop requests at stake, where they mean "stop",
    get through. In sync code a clause before it, `except KeyboardInterrupt: raise` (with
    `SystemExit` where the code exits or a signal handler does); in asyncio code the handler
    re-raises first when the task itself is being cancelled,
    `if asyncio.current_task().cancelling(): raise` (Python 3.11+, from `target-version` or
    `requires-python`), or when the stop flag the code sets where it cancels this task says so
    (before 3.11; refused without one), so that a child task's cancellation or a pre-empted
    operation is handled as before; trio's and anyio's cancellation and `GeneratorExit` in the
    clause. Every other `BaseException` (gevent's `Timeout` and `GreenletExit`, a library's own) is
    caught and handled as before; narrowing to `Exception` would not keep that. A handler that
    finishes the step it guards (`self._task_done(task)`) keeps its work for a stop too and ends
    with `if isinstance(exc, KeyboardInterrupt): raise`. A comment on the handler that the fix
    makes false goes. Unsafe where a `KeyboardInterrupt` cannot be a Ctrl-C (a thread, a SIGINT
    handler that does not raise). Refused for `suppress(BaseException)` (write the `try` by hand),
    when the handler body acts on a shutdown exception (that code would go dead), when the module
    binds one of the names, and around code that loads or runs other people's code, where a
    `SystemExit` may be that code's failure. See [fix safety](../fix-safety.md).

    ## Options
    - `strict`: report what the rule's letter describes, whether it can arrive or not.
    - `include-tests`: also report in test code, left out by default.
    - `include-examples`: also report in examples (`examples/`, `samples/`, `demo/`...), left out
      by default.
    - `include-vendored`: also report in copies of other libraries carried in the tree (a folder the
      project puts on `sys.path`, or `vendor/`, `_vendor/`, `third_party/`...), left out by default.
    - `include-backups`: also report in copies of the project's own modules kept aside
      (`worker_old.py` beside `worker.py`, a `backup/` folder) that nothing in the project imports,
      left out by default.
    """

    code = "FSR002"
    name = "broad-handler-swallows-shutdown"
    summary = "broad handler swallows shutdown in a loop"
    fix = "safe"

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        for handler in analysis.handlers:
            if not handler.catches.broad:
                continue
            kinds = handler.swallows
            if kinds:
                what = name_kinds(kinds, analysis.cancellation_name_in(handler.loop.node))
                arrival = handler.arrival(kinds)
                evidence = f" ({arrival})" if arrival else ""
                yield self.finding(
                    handler.position,
                    f"`{spell_handler(handler)}` catches {what} and the loop goes on, so "
                    f"{consequence(kinds)}{evidence}; catch Exception instead, or re-raise",
                )
