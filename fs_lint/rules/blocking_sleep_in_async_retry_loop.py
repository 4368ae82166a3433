from __future__ import annotations

import ast
from typing import Iterator

from ..findings import Finding
from ..analysis.module_facts import ModuleFacts
from ..analysis.pauses import BLOCKING, Pause
from ..analysis.retry_loops import ModuleAnalysis
from . import Rule, register


@register
class BlockingSleepInAsyncRetryLoop(Rule):
    """
    ## What it does
    Flags `time.sleep(...)` (under any alias: `import time as t`, `from time import sleep`)
    called inside a retry loop of an `async def`.

    The call must run in the `async def` itself: a `time.sleep` in a nested regular `def`, in
    a lambda, or passed to a thread (`asyncio.to_thread(time.sleep, 5)`,
    `loop.run_in_executor(None, time.sleep, 5)`) does not block the event loop and is left
    alone. A retry loop is what FSR001 calls one: a caught exception leads to another
    iteration, and the loop pauses or connects.

    ## Why is this bad?
    `time.sleep` blocks the thread, and in an `async def` that thread runs the event loop.
    While the loop waits between attempts, nothing else runs: no other task, no signal
    handler installed with `loop.add_signal_handler`, no `task.cancel()`. A SIGTERM during a
    30 s back-off is only seen 30 s later, and every other connection of the service stalls
    for as long (heartbeats are missed, so brokers drop it).

    ## Exemptions
    - `time.sleep(0)`: it does not block.
    - `time.sleep` in a synchronous loop, in a regular function nested in the `async def`, or
      in a callee run with `asyncio.to_thread` / `run_in_executor`.
    - `time.sleep` in an `async def` outside a retry loop: that is flake8-async's ASYNC251
      (ruff: ASYNC251), which covers every blocking call in async code.

    ## Example
    ```python
    async def connect(url):
        while True:
            try:
                return await aio_pika.connect_robust(url)
            except OSError:
                time.sleep(5)
    ```

    ## Use instead
    ```python
    async def connect(url):
        while True:
            try:
                return await aio_pika.connect_robust(url)
            except OSError:
                await asyncio.sleep(5)
    ```
    (`await anyio.sleep(5)` / `await trio.sleep(5)` in a module that uses anyio or trio.)

    ## Fix safety
    Safe: `time.sleep(d)` becomes `await asyncio.sleep(d)` (`await anyio.sleep(d)` /
    `await trio.sleep(d)` when the module uses that library and not asyncio). The pause lasts
    as long, and cancellation, signal handlers and other tasks run during it. The library is
    written as the module imports it (`import asyncio as aio` gives `aio.sleep`); a missing
    `import asyncio` is added after the other imports, and `import time` (or `from time import
    sleep`) goes when nothing else uses it. Refused when the call is part of a larger
    expression (only a statement of its own is awaited) or does not pass its delay as one
    plain argument. See [fix safety](../fix-safety.md).

    ## Options
    None.
    """

    code = "FSR007"
    name = "blocking-sleep-in-async-retry-loop"
    summary = "blocking sleep in an async retry loop"
    fix = "safe"
    needles = (b"sleep",)

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        facts = ModuleFacts.of(analysis)
        library = facts.async_library
        for pause in facts.pauses:
            if pause.kind != BLOCKING or not pause.innermost.function.is_async or _is_zero(pause):
                continue
            if not any(loop.is_retry_loop for loop in pause.loops):
                continue
            duration = ast.unparse(pause.duration) if pause.duration is not None else ""
            yield self.finding(
                pause.position,
                f"`{pause.spelling()}` blocks the event loop for the whole pause, so signal handlers, "
                f"cancellation and other tasks cannot run until it ends; use `await {library}.sleep({duration})`",
            )


def _is_zero(pause: Pause) -> bool:
    duration = pause.duration
    return isinstance(duration, ast.Constant) and duration.value == 0 and not isinstance(duration.value, bool)
