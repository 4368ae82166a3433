from __future__ import annotations

from dataclasses import replace
from typing import Iterator

from ..analysis import shutdown_waits as kinds
from ..analysis.retry_loops import ModuleAnalysis
from ..analysis.shutdown_waits import ModuleShutdownWaits, Wait
from ..findings import Finding
from ..settings import Settings
from . import Rule, register


@register
class UnboundedWaitInShutdownPath(Rule):
    """
    ## What it does
    Flags a wait with no bound in a shutdown path: code that runs while the program stops and
    cannot return until something else happens.

    The shutdown paths are:

    - functions and methods named like a stop: the stop-path model's words that end an object's
      work (`stop`, `close`, `shutdown`, `disconnect`, `terminate`, `teardown`, `aclose`, `quit`,
      `halt`), matched as words (`loop_stop`, `_close_all`, `on_disconnect`), `__exit__` and
      `__aexit__`, and the words of `shutdown-path-names`; not the words that may end one
      operation only (`kill_task`, `cancel_order`, `abort_transaction`, `_entry_exit`), nor
      names that ask or wait (`is_closed`, `wait_closed`, `get_stop_event`);
    - the signal handlers (`signal.signal`, `loop.add_signal_handler`, not SIGHUP/SIGUSR1-like
      signals) and `atexit` hooks the module registers;
    - framework shutdown hooks: FastStream `@app.on_shutdown` / `@app.after_shutdown` (and
      `on_shutdown=[...]`, `after_shutdown=[...]`), FastAPI `@app.on_event("shutdown")` /
      `add_event_handler("shutdown", f)`, aiohttp `app.on_shutdown.append(f)` / `on_cleanup`,
      Quart `@app.after_serving`, Sanic `before_server_stop` / `after_server_stop`;
    - lifespan teardown: the code after the `yield` of a context manager passed as `lifespan=`
      (FastStream, FastAPI, Starlette) or an `@asynccontextmanager` named like a lifespan.

    The waits:

    - `thread.join()` (a thread or process), `queue.join()`;
    - `event.wait()` (an Event, a Condition, a process);
    - `future.result()` in a regular function;
    - a blocking `queue.put(item)` / `queue.get()`, awaited or not;
    - `await task` (a name the module makes with `create_task` / `ensure_future`, or named like a
      task, future, worker, thread or waiter);
    - `await event.wait()`, `await writer.drain()`, `await writer.wait_closed()`,
      `await queue.join()`;
    - `await asyncio.gather(...)` and `await asyncio.wait(...)`.

    The message names the wait, the shutdown path (its line, for a hook or a lifespan) and what it
    waits for, with the line that makes the thread or task when the module shows it.

    Off by default (the `FSR9` range): select it with `--select FSR901` or
    `extend-select = ["FSR901"]`.

    ## Why is this bad?
    A stop that waits for a thread, a task, a queue or a peer with no bound returns only if that
    thread ends, that task finishes, that queue has room, that peer answers. While the broker is
    down, the thread is reconnecting and the peer is gone, none of that happens: the service does
    not stop until it is killed, and what the stop had still to do after the wait (close the
    connection, flush, commit) is never done. This was the FastStream report this project grew
    from (#1231: the close path awaited a consumer cancel that waits for RabbitMQ to come back, so
    `connection.close()` was never reached), and the same shape was fixed in aiokafka (#659: awaiting
    the coordination task), kafka-python (#1974: joining the sender thread), nats.py (#899: a put on
    a full queue), pika (#1582, #1651: thread joins and a sentinel put) and paho-mqtt (#52:
    `loop_stop()` joining a thread stuck in its first connect).

    Documented cases it catches on the statement that hung (`benchmarks/shutdown_cases.py`):
    aiokafka #659, kafka-python #1974, nats.py #899, pika #1582 and #1651 (both commits), paho-mqtt #52.
    Shapes it knows it misses: a close that delegates into a library's retry loop
    (kafka-python #2564, `self._coordinator.close()`); a task that swallows its cancellation (nats.py
    `d0094cb`: cancel first, then await, is left alone; FSR003 reports the loop); a wait reached
    through a call (websockets #112's `write_frame` → `drain()`; aiormq `8a5ccbe`'s `close()` is
    reported where its `wait()` is written, in `_on_close`); a `drain()` in the
    `except CancelledError:` of a writer task, which is not a shutdown path (aiormq #164); a poll
    loop with no deadline (uvicorn #1950); a loop around a per-iteration timeout (aiohttp #1002);
    a library teardown that waits for a peer inside the library: the FastStream #1231 shape itself
    (`await queue.cancel(tag)` on a robust channel) and redis-py #3941 (`disconnect()` →
    `wait_closed()`).

    ## Exemptions
    - A bound: a timeout argument, positional or keyword (`join(5)`, `wait(timeout=t)`,
      `get(block=False)`, `put(item, True, 5)`, any argument named like a timeout), or a scope
      around the wait: `asyncio.timeout`, `asyncio.wait_for`, `anyio.move_on_after` /
      `fail_after`, `trio` scopes, `async_timeout.timeout`, `CancelScope(deadline=...)`, a context
      manager named like a timeout or deadline. `None` is no bound.
    - Cancelled first: `task.cancel()` earlier in the function, on the task or the collection it
      comes from; any `.cancel()` before a `gather` or `asyncio.wait`; `await stopped.wait()` on a
      name like `stopped`/`closed`/`done` after a cancel. Killed first: `p.kill()` (or `os.kill`)
      before `p.join()` / `p.wait()`.
    - Delegation, checked where the wait is written: `self.wait_closed()` or a `join` the class
      defines itself, `super().join()`, a task named like a close (`self._close_task`) or made in
      the same function from a close or a coroutine the module defines
      (`t = create_task(self.close())`), `gather(a.close(), b.close())`, a `gather` or
      `asyncio.wait` of a list the function fills with `create_task(x.close())`.
    - A `put` on a queue the module makes with no `maxsize` (`asyncio.Queue()`, `queue.Queue()`,
      `SimpleQueue()`): it never blocks.
    - `asyncio.wait(..., return_when=FIRST_COMPLETED)`: a race, typically against a stop event.
    - A wait the caller opts into: under `if wait:` or `wait and ...`, where `wait` (any name) is
      a parameter of the shutdown path that defaults to `False` (`stop(self, graceful=False)`).
    - Calls inside a shutdown path are not followed; a nested `def` is a scope of its own. The
      part after the `yield` of a context manager that is not a lifespan is not a shutdown path.
    - What a thread or task does cannot be read: a join of a thread that does bounded work and
      polls its flag is reported all the same, as is a warm shutdown that waits for running jobs
      on purpose. That is why the rule is off by default.

    ## Example
    ```python
    class Consumer:
        def start(self):
            self._thread = threading.Thread(target=self._run)
            self._thread.start()

        def stop(self):
            self._stopping.set()
            self._thread.join()

    @app.on_shutdown
    async def stop_worker():
        await worker_task
        await connection.close()
    ```

    ## Use instead
    ```python
    class Consumer:
        def stop(self):
            self._stopping.set()
            self._thread.join(timeout=10)
            if self._thread.is_alive():
                log.warning("self._thread did not stop within 10 s")

    @app.on_shutdown
    async def stop_worker():
        try:
            await asyncio.wait_for(asyncio.shield(worker_task), 10)
        except asyncio.TimeoutError:
            worker_task.cancel()
            log.warning("worker_task did not finish within 10 s; cancelled it")
        await connection.close()
    ```
    A queue sentinel: `queue.put_nowait(STOP)`, handling `queue.Full` / `asyncio.QueueFull`.

    ## Fix safety
    Unsafe: a bounded wait lets the shutdown go on while the thread or task may still be running,
    and drops a sentinel that does not fit in a full queue. With `--unsafe-fixes`:

    - `x.join()` (a statement of its own) becomes `x.join(timeout=N)` followed by
      `if x.is_alive():` and a warning;
    - `await x` (a task), `await asyncio.gather(...)` and `await e.wait()`, `await w.drain()`,
      `await w.wait_closed()`, `await q.join()` (statements of their own) are wrapped in
      `try: await asyncio.wait_for(..., N)` / `except asyncio.TimeoutError:` with a warning, so
      that the rest of the shutdown path still runs. A task or a gather is shielded and then
      cancelled on timeout (`asyncio.shield`, then `.cancel()`): the wait ends after `N` seconds
      even if the task is slow to take its cancellation. `asyncio.wait_for` rather than
      `asyncio.timeout` (3.11+) because fs-lint cannot know which Python the code targets, and
      `wait_for` works on all of them; on 3.11+ `asyncio.TimeoutError` is `TimeoutError`;
    - `await asyncio.wait(tasks)` gets `timeout=N`;
    - `e.wait()` on a `threading.Event` the module makes becomes `if not e.wait(timeout=N):` and
      a warning;
    - `q.put(SENTINEL)` (an all-caps name, `None` or a constant) becomes `q.put_nowait(SENTINEL)`
      in a `try` that logs `queue.Full` / `asyncio.QueueFull`.

    `N` is `shutdown-timeout` (10 s by default), written as a number. Each wait gets its own
    `N`: a path with three waits may take three times as long, and a `join()` in a loop over
    threads `N` per thread; lower the option, or share one deadline by hand, when the stop
    must fit in the orchestrator's grace period. The warning goes to the
    module's logger when it has one (`log = logging.getLogger(__name__)` at module level, any
    name), else to `logging.getLogger(__name__)`, adding `import logging`: a maintainer reads a
    thread that outlived its stop in the service's logs, not as a `warnings.warn` meant for
    developers.

    No automatic fix, with the reason, for: an `x.wait()` on anything the module does not show to
    be a `threading.Event`, or a `future.result()` (with a timeout, a process's `wait` and a
    future's `result` raise and an Event's `wait` returns False: the code must say which),
    a `get()`, a `put` of data rather than a sentinel, a `join()` of a queue or a pool (no
    timeout to give), a wait whose value is used (`result = await task`), and a wait that is not
    a statement of its own. See [fix safety](../fix-safety.md).

    ## Options
    - `shutdown-timeout` (seconds, default 10): the bound the fixes write (`--shutdown-timeout`,
      `--fsr-shutdown-timeout` in flake8).
    - `shutdown-path-names`: more words that make a function a shutdown path
      (`shutdown-path-names = ["drain", "cleanup"]`), added to the stop-path model's words.
    """

    code = "FSR901"
    name = "unbounded-wait-in-shutdown-path"
    summary = "unbounded wait in a shutdown path"
    fix = "unsafe"
    default_enabled = False
    # A shutdown path is named like a stop, registered as a hook or a handler, or a cancellation
    # handler: a file with none of these words has none (what it waits for may be anything).
    needles = (b"stop", b"close", b"shut", b"exit", b"disconnect", b"terminate", b"teardown", b"quit", b"halt",
               b"signal", b"atexit", b"lifespan", b"Cancelled", b"serving", b"cleanup", b"finally")

    @classmethod
    def needles_for(cls, settings: Settings) -> tuple[bytes, ...]:
        return cls.needles + tuple(word.encode() for word in settings.shutdown_path_names)

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        for wait in ModuleShutdownWaits.of(analysis).waits:
            finding = self.finding(wait.position, describe(wait))
            yield replace(finding, evidence=wait.evidence) if wait.evidence else finding


def describe(wait: Wait) -> str:
    """"`Consumer.stop()` joins `self._thread` with no timeout; while that thread is ..., stop never returns"."""
    if wait.detail:
        return wait.detail
    path, target = wait.path, wait.target
    never = path.never_returns
    made = wait.made
    if wait.kind == kinds.JOIN:
        who = made or "that thread or process"
        return f"{path.title} joins `{target}` with no timeout; while {who} is reconnecting or blocked, {never}"
    if wait.kind == kinds.QUEUE_JOIN:
        verb = "awaits" if wait.awaited else "calls"
        return (f"{path.title} {verb} `{target}.join()`, which has no timeout; until every item put on it is "
                f"processed, {never}")
    if wait.kind == kinds.EVENT_WAIT:
        verb = "awaits" if wait.awaited else "calls"
        return (f"{path.title} {verb} `{target}.wait()` with no timeout; until it is set (or the process "
                f"exits), {never}")
    if wait.kind == kinds.RESULT:
        return (f"{path.title} waits for `{target}.result()` with no timeout; while that work is still running, "
                f"{never}")
    if wait.kind == kinds.PUT:
        verb = "awaits" if wait.awaited else "calls"
        return (f"{path.title} {verb} `{target}.put(...)` with no timeout; while the queue is full and nothing "
                f"reads it, {never}")
    if wait.kind == kinds.GET:
        return f"{path.title} waits for an item of `{target}` with no timeout; if none comes, {never}"
    if wait.kind == kinds.TASK:
        who = made or "that task"
        return (f"{path.title} awaits `{target}` with no timeout; while {who} is reconnecting or waiting on a "
                f"peer, {never}")
    if wait.kind == kinds.WAIT_CLOSED:
        return (f"{path.title} awaits `{target}.wait_closed()` with no timeout; while the peer does not close "
                f"its end (or a connection stays open), {never}")
    if wait.kind == kinds.DRAIN:
        method = wait.waited.func.attr if hasattr(wait.waited, "func") else "drain"
        return (f"{path.title} awaits `{target}.{method}()` with no timeout; while the peer does not read, "
                f"{never}")
    # gather, asyncio.wait
    return f"{path.title} awaits `{target}` with no timeout; while any of its tasks is still running, {never}"
