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
    breaks, and it does not set a flag that the code after the `try` (or the loop condition)
    tests to stop. A handler only catches what earlier clauses of the same `try` let through:
    after `except asyncio.CancelledError: raise`, an async `except BaseException` no longer
    swallows cancellation.

    The message names what is at stake in that code: the task's cancellation in an `async def`
    (whose `try` body awaits), `KeyboardInterrupt` and `SystemExit` elsewhere.

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
      (`if self._closing: raise`).
    - Handlers that keep the exception to raise it after the loop (`errors.append(exc)`,
      `pending = sys.exc_info()`), as cleanup loops like `ExitStack` do, in a loop that ends.
    - A handler that sets a flag which the code after the `try`, or the loop condition, tests
      to stop.
    - An earlier clause of the same `try` that handles the shutdown exception.
    - In an `async def`, a `try` body without an await: cancellation cannot arrive there.
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
            except Exception:
                logger.exception("consumer failed, retrying")
                await asyncio.sleep(1)
    ```
    or keep the broad handler for its logging and end it with a bare `raise`.

    ## Fix safety
    Safe: the handler is narrowed to `Exception`. `except:` and `except BaseException` become
    `except Exception`, `suppress(BaseException)` becomes `suppress(Exception)`, and in a tuple
    `BaseException` is replaced where it stands (`(BaseException, Exception)` becomes
    `Exception`); the `as` name, the body and the comments stay. Only the exceptions that stop a
    program get through. Refused when the handler body acts on a shutdown exception (that code
    would go dead) or when the module binds its own `Exception`. See
    [fix safety](../fix-safety.md).

    ## Options
    None.
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
                what = name_kinds(kinds, analysis.cancellation_name)
                arrival = handler.arrival(kinds)
                evidence = f" ({arrival})" if arrival else ""
                yield self.finding(
                    handler.position,
                    f"`{spell_handler(handler)}` catches {what} and the loop goes on, so "
                    f"{consequence(kinds)}{evidence}; catch Exception instead, or re-raise",
                )
