from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Iterator

from ..analysis.retry_loops import ModuleAnalysis
from ..findings import Finding
from ..settings import Settings
from . import Rule, register

if TYPE_CHECKING:  # the waits and the models beneath them are imported when the rule runs (it is off by default)
    from ..analysis.shutdown_waits import Wait


@register
class UnboundedWaitInShutdownPath(Rule):
    """
    ## What it does
    Flags a statement of a shutdown path that cannot return until something else happens, with no
    bound: code that runs while the program stops and waits for a broker to come back, a peer to
    answer, a thread or task that may never end.

    It decides from what the called code does, through the program model (the project's modules,
    classes, attribute types and calls, followed a few calls deep into any module) and the library
    model (`fs_lint/model/library/apis.toml`: what each library API waits for, how it takes a
    bound; `fs-lint rules` says where; add your own wrappers under `[tool.fs-lint.library]`, see
    [the library model](../library-model.md)). It reports:

    - a library call that waits for a reconnect or a peer: `await queue.cancel(tag)` on an aio-pika
      `RobustQueue` parks until RabbitMQ is back (its `timeout=` covers only the round trip after
      that), `producer.flush()` of confluent-kafka, `StreamWriter.drain()`/`wait_closed()`;
    - a call into project code, in this module or another, that reaches such a wait, or a loop that
      goes round with no deadline (a retry, a poll) without looking at the flag the path set (in
      its condition or a test that leaves, or in a helper its condition asks: `while
      self._run_next():` where `_run_next()` returns at once once `self.stop_event.wait(wait)` says so);
    - a wait for a thread, task, process or greenlet (`join()`, `await task`, `gather`,
      `asyncio.wait`), when what it runs may not end once told to stop (a loop that ignores the
      stop, a reconnect, a handler that swallows its cancellation after `task.cancel()`), or when
      the model cannot see what it runs; a `join()` after a bounded `join(timeout)` that the thread
      outlived; a wait for work that waits, with no timeout, on an event the path sets only after
      that wait (`stop.set(); status.join(); ping.set()` where the thread does `ping.wait()`): only
      what the path sets *before* a wait counts as telling the work to end;
    - `event.wait()`, `future.result()`, a blocking `put` on a queue made with a size, `get()`,
      `queue.join()`, typed through the models where they can be, by shape where they cannot;
    - a loop in the path that polls with no deadline (`while self.tasks: await asyncio.sleep(0.1)`),
      or that reads with a per-read timeout until the peer sends the message it waits for;
    - a wait for a peer in the cancellation handler of a task (`except CancelledError:` then
      `await writer.drain()`): whoever cancelled the task waits with it.

    The shutdown paths are:

    - functions and methods named like a stop: the stop-path model's words that end an object's
      work (`stop`, `close`, `shutdown`, `disconnect`, `terminate`, `teardown`, `aclose`, `quit`,
      `halt`), matched as words (`loop_stop`, `_close_all`, `on_disconnect`), and the words of
      `shutdown-path-names`; not the words that may end one operation only (`kill_task`,
      `cancel_order`, `abort_transaction`, `_entry_exit`), nor names that ask or wait (`is_closed`,
      `wait_closed`, `get_stop_event`, `checks_stop`), nor a function that goes round a loop retrying
      a connection (a `_force_disconnect()` that tears the link down and reconnects: the stop is
      elsewhere). A name with a stop word *and more* (`stop_capture`, `close_job`, `loop_stop`) ends
      something the other words name, maybe one capture or one remote job while the service goes on:
      outside `strict` it is a shutdown path only when a stop reaches it (a function of its module
      named only like a stop, a hook, a handler, an exit, the module's top level or `main()` calls or
      hands it on, directly or through the module's functions, or runs it in an `except` that catches
      the cancellation; or a function of the project named only like a stop calls something of its
      name, up to three callers up), or when nothing in the project calls it at all (an API such as
      a client's `loop_stop()`, whose callers stop with it). `stop_capture()` called only from a
      request handler is left alone;
    - `__exit__` and `__aexit__` when the exit ends something: it calls a stop (`close()`,
      `cancel()`, an exit stack's `aclose()`), sets an event, joins or waits (`result()` too), or
      awaits a task or a future. An exit that only resets, commits or executes through its own object
      (`await self.reset()`, `await self._pipe.execute()`) ends one use of the object, as a
      pipeline's `async with` block does, and is not a stop;
    - the signal handlers (`signal.signal`, `loop.add_signal_handler`, not SIGHUP/SIGUSR1-like
      signals) and `atexit` hooks the module registers;
    - framework shutdown hooks: FastStream `@app.on_shutdown` / `@app.after_shutdown` (and
      `on_shutdown=[...]`, `after_shutdown=[...]`), FastAPI `@app.on_event("shutdown")` /
      `add_event_handler("shutdown", f)`, aiohttp `app.on_shutdown.append(f)` / `on_cleanup`,
      Quart `@app.after_serving`, Sanic `before_server_stop` / `after_server_stop`;
    - lifespan teardown: the code after the `yield` of a context manager passed as `lifespan=`
      (FastStream, FastAPI, Starlette) or an `@asynccontextmanager` named like a lifespan.

    **Where a wait reached through calls is reported.** At the statement of the shutdown path that
    reaches it (the call), naming the wait with its file and line, not at the wait itself: the
    call is where the path's author can bound or guard it, a helper that waits may also run
    where waiting is right, and the same wait reached from two stops is two hazards. A chain of
    stop methods (`Consumer.close()` calls `Coordinator.close()`, which waits) is reported in each
    stop of the chain, at its own call; bounding or guarding the innermost wait clears them all.
    `fs-lint check --explain` prints each step with its file and line. A `self.close()` called
    from another stop method of the same object is reported where `close()` waits.

    The message names the path, the wait, what it waits for and what the path never reaches.

    Off by default (the `FSR9` range): select it with `--select FSR901` or
    `extend-select = ["FSR901"]`.

    ## Why is this bad?
    A stop that waits for a thread, a task, a queue or a peer with no bound returns only if that
    thread ends, that task finishes, that queue has room, that peer answers. While the broker is
    down, the thread is reconnecting and the peer is gone, none of that happens: the service does
    not stop until it is killed, and what the stop had still to do after the wait (close the
    connection, flush, commit) is never done. This was the FastStream report this project grew
    from (#1231: `LogicHandler.close()` awaited `RobustQueue.cancel()`, which waits for RabbitMQ to
    come back, so `connection.close()` was never reached), and the same shape was fixed in aiokafka
    (#659), kafka-python (#1974, #2564), nats.py (#899, `d0094cb`), pika (#1582, #1651), paho-mqtt
    (#52), aiormq (#164), websockets (#112), uvicorn (#1950), redis-py (#3941) and aiohttp (#1002).

    Documented cases it catches on the statement that hung (`benchmarks/shutdown_cases.py`): 14 of
    16. The two it misses: pika #1651's second hang, a `join()` of a pool worker that checks the
    flag its stop sets but runs callables handed to it (one wedged callback holds the join): the
    model reads the worker as a deliberate drain; and aiormq `8a5ccbe`, a reader task's `finally:`
    that awaits `self.close()`, whose wait for the broker's `CloseOk` is reported where `close()`
    waits, not in the reader.

    ## Exemptions
    - A bound: a timeout argument, positional or keyword (`join(5)`, `wait(timeout=t)`,
      `get(block=False)`, `put(item, True, 5)`, any argument named like a timeout), or a scope
      around the wait: the library model's scopes (`asyncio.timeout`, `async_timeout.timeout`,
      `anyio.move_on_after` / `fail_after`, `trio` scopes) or a context manager named like a
      timeout or deadline. `None` is no bound, and neither is a scope given a value that is
      `None` unless a caller says otherwise (`asyncio.timeout(self.connect_timeout)` where that
      defaults to `None`); a parameter that defaults to `None` but that the function replaces
      before the wait (`if timeout is None: timeout = self.idle_time`) is a bound, unless what
      replaces it waits for ever too (`threading.TIMEOUT_MAX`). A loop whose condition compares
      a name it sets from the clock each round (`left = end - time.time()`) has a deadline.
      A library bound that covers only the round trip (`covers = "rpc"`)
      does not bound the wait for the reconnect.
    - A liveness guard the library offers, around or before the call
      (`if not queue.channel.is_closed:`), and the keywords that make the call return at once
      (`nowait=True`, `block=False`, `wait=False`).
    - What the library model says never blocks or is bounded by the library itself: a `put` on a
      `SimpleQueue`, a Twisted `DeferredQueue`, an `asyncio.Queue()` or `queue.Queue()` made with
      no size; nats-py's `publish()`; aio-pika's `Connection.close()` (bounded by the heartbeat).
      Outside `strict`, a `put` is reported only on a queue the code shows made with a size (in the
      module, or where the program model follows it to its making): one handed in or only annotated
      shows none, and most queues have none.
    - Work shown to end once told to stop: the thread or task tests the flag or event the path
      sets (itself or through the calls it makes) and nothing it does, followed a few calls deep,
      waits for a peer or goes round without looking at it; or it does a finite piece of work.
      This is the deliberate drain: a stop that waits for the item in hand to be finished.
    - Work the code has just seen finish: a join or an await under a test that says the thread
      has ended or the task is done (`if not t.is_alive(): t.join()`, `if task.done(): await
      task`), or below an early exit that leaves while it runs (`if not task.done(): return`).
      An assignment to the attribute in between forgets what the test said; `if t.is_alive():
      t.join()` is a join of a thread known to be running.
    - Cancelled first: `task.cancel()` earlier in the function, on the task or the collection it
      comes from, unless what the task runs catches its cancellation and goes round; any
      `.cancel()` before a `gather` or `asyncio.wait`; `await stopped.wait()` on a name like
      `stopped`/`closed`/`done` after a cancel, or an event set by the done callback
      (`add_done_callback`) of the task the path cancels. Killed first: `p.kill()` (or `os.kill` with
      SIGKILL) before `p.join()` / `p.wait()`.
    - A kill that ends what it waits for: gevent's `greenlet.kill()`, `killall()` and a pool's
      `kill()` raise `GreenletExit` in the greenlet before they wait (the library table's
      `interrupts`), so the greenlet ends wherever it waits, unless what it runs catches
      `GreenletExit` (or `BaseException`, or everything) in a loop and goes round: that one is
      reported. In `strict`, a kill with no bound is reported as its pattern reads.
    - The path's own trigger: an event the path makes and hands to a callback (a signal handler),
      then waits for before it stops anything: `event = Event(); on_signal(lambda *_: event.set());
      await event.wait()` comes before the stop, it is not a wait inside it.
    - Delegation, checked where the wait is written: `self.wait_closed()` or a `join` the class
      defines itself, `super().join()`, a stop method of the same object, a task named like a close
      (`self._close_task`) or made in the same function from a close or a coroutine the module
      defines, `gather(a.close(), b.close())`.
    - `asyncio.wait(..., return_when=FIRST_COMPLETED)`: a race, typically against a stop event.
    - A wait the caller opts into: under `if wait:` or `wait and ...`, where `wait` (any name) is
      a parameter of the shutdown path that defaults to `False` (`stop(self, graceful=False)`).
      A caller's literal argument that makes the test false rules out the wait under it: an `if`
      (`if channel != "admin":` for `"admin"`), and a loop's condition (`stop_all(w, block=False)`
      with `while block and not all(...)`: the loop never goes round).
    - A writer's `wait_closed()` after its `drain()` or its transport's `abort()` in the same
      function: nothing is left to flush, or the connection is dropped on the loop's next round.
    - Code the model cannot read: a call it cannot resolve is judged by its shape only for the
      waits listed above; a wait deeper than three calls is not looked for.
    - A `wait_closed()` or `drain()` of an object whose type the models do not know: only the
      library table says which of those wait for a peer (asyncio's streams and servers do; a
      tunnel interface's `wait_closed()` may end with its own tasks). `strict` reports it by its
      name.

    ## Example
    ```python
    class Subscriber:
        _queue: Optional[aio_pika.RobustQueue]

        async def close(self):
            await self._queue.cancel(self._tag)   # waits for RabbitMQ to come back

    class Consumer:
        def start(self):
            self._thread = threading.Thread(target=self._run)
            self._thread.start()

        def _run(self):
            while not self._stopping.is_set():
                self._reconnect()               # retries every 5 s, never looks at the flag

        def stop(self):
            self._stopping.set()
            self._thread.join()
    ```

    ## Use instead
    ```python
    class Subscriber:
        async def close(self):
            if not self._queue.channel.is_closed:   # skipped while the broker is away
                await self._queue.cancel(self._tag)

    class Consumer:
        def stop(self):
            self._stopping.set()
            self._thread.join(timeout=10)
            if self._thread.is_alive():
                log.warning("self._thread did not stop within 10 s")
    ```
    And make `_reconnect()` look at the flag (`while not self._stopping.wait(5):`). A queue
    sentinel: `queue.put_nowait(STOP)`, handling `queue.Full` / `asyncio.QueueFull`.

    ## Fix safety
    Unsafe: a bounded wait lets the shutdown go on while the thread or task may still be running,
    a guarded call is skipped while the peer is gone, and a sentinel that does not fit in a full
    queue is dropped. With `--unsafe-fixes`:

    - a library call that waits for a reconnect, where the library offers a liveness test, is
      guarded by it: `await q.cancel(tag)` goes under `if not q.channel.is_closed:` (FastStream's
      own fix of #1231);
    - any other awaited call the models flag (a library call, a call into project code that
      reaches a wait) is bounded, with a warning on timeout, so that the rest of the shutdown path
      runs: `async with asyncio.timeout(N):` / `except TimeoutError:` where the code targets
      Python 3.11+ (`target-version`, or `requires-python`), `try: await asyncio.wait_for(<call>,
      N)` / `except asyncio.TimeoutError:` otherwise;
    - `x.join()` (a statement of its own) becomes `x.join(timeout=N)` followed by
      `if x.is_alive():` and a warning;
    - `await x` (a task), `await asyncio.gather(...)` and `await e.wait()`, `await w.drain()`,
      `await w.wait_closed()`, `await q.join()` (statements of their own) are wrapped in
      the same bound (`asyncio.timeout` on 3.11+, `asyncio.wait_for` before) with a warning. A task
      or a gather is shielded and then cancelled on timeout (`asyncio.shield`, then `.cancel()`):
      the wait ends after `N` seconds even if the task is slow to take its cancellation. When the
      target Python is unknown the rewrite uses `asyncio.wait_for`, which works on every Python;
    - `await asyncio.wait(tasks)` gets `timeout=N`;
    - `e.wait()` on a `threading.Event` the module makes becomes `if not e.wait(timeout=N):` and
      a warning;
    - `q.put(SENTINEL)` (an all-caps name, `None` or a constant) becomes `q.put_nowait(SENTINEL)`
      in a `try` that logs `queue.Full` / `asyncio.QueueFull`.

    `N` is `shutdown-timeout` (10 s by default), written as a number. Each wait gets its own
    `N`: a path with three waits may take three times as long, and a `join()` in a loop over
    threads `N` per thread; lower the option, or share one deadline by hand, when the stop
    must fit in the orchestrator's grace period. The warning goes to the module's logger when it
    has one (`log = logging.getLogger(__name__)` at module level, any name), else to
    `logging.getLogger(__name__)`, adding `import logging`.

    No automatic fix, with the reason, for: a loop with no deadline (it needs one, and a decision
    about what is still running), a blocking library call with no bound argument (pika's
    `close()`, confluent-kafka's `flush()` without a timeout: bound it the library's way), an
    `x.wait()` on anything the module does not show to be a `threading.Event`, a
    `future.result()`, a `get()`, a `put` of data rather than a sentinel, a `join()` of a queue or
    a pool (no timeout to give), a wait whose value is used, and a wait that is not a statement
    of its own. See [fix safety](../fix-safety.md).

    ## Options
    - `shutdown-timeout` (seconds, default 10): the bound the fixes write (`--shutdown-timeout`,
      `--fsr-shutdown-timeout` in flake8).
    - `shutdown-path-names`: more words that make a function a shutdown path
      (`shutdown-path-names = ["drain", "cleanup"]`), added to the stop-path model's words.
    - `library` (`[tool.fs-lint.library]`): the project's own library entries, in the form of the
      shipped table: what its broker and client wrappers wait for.
    - `cache` (default true; `--no-cache`): keep each module's facts in `.fs-lint-cache/`.
    - `include-tests` / `include-examples`: also report in test code / in examples
      (`examples/`, `samples/`, `demo/`...), both left out by default.
    - `include-vendored`: also report in copies of other libraries carried in the tree (a folder the
      project puts on `sys.path`, or `vendor/`, `_vendor/`, `third_party/`...), left out by default.
    - `include-backups`: also report in copies of the project's own modules kept aside
      (`worker_old.py` beside `worker.py`, a `backup/` folder) that nothing in the project imports,
      left out by default.
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
        from ..analysis.shutdown_waits import ModuleShutdownWaits

        for wait in ModuleShutdownWaits.of(analysis).waits:
            finding = self.finding(wait.position, describe(wait))
            yield replace(finding, evidence=wait.evidence) if wait.evidence else finding


def describe(wait: Wait) -> str:
    """"`Consumer.stop()` joins `self._thread` with no timeout; while that thread is ..., stop never returns"."""
    if wait.detail:
        return wait.detail
    text = _described_by_shape(wait)
    if wait.forever:
        return text.replace(" with no timeout", f" with `{wait.forever}`, a timeout that is None or for ever unless "
                                                f"a caller passes one", 1)
    return text


def _described_by_shape(wait: Wait) -> str:
    from ..analysis import shutdown_waits as kinds

    path, target = wait.path, wait.target
    never = path.never_returns
    made = wait.made
    if wait.kind == kinds.JOIN:
        who = made or "that thread or process"
        return f"{path.title} joins `{target}` with no timeout; until {who} ends, {never}"
    if wait.kind == kinds.QUEUE_JOIN:
        verb = "awaits" if wait.awaited else "calls"
        return (f"{path.title} {verb} `{target}.join()`, which has no timeout; until every item put on it is "
                f"processed, {never}")
    if wait.kind == kinds.EVENT_WAIT:
        verb = "awaits" if wait.awaited else "calls"
        until = "the child process exits" if made == kinds.CHILD_PROCESS else "it is set (or the process exits)"
        return f"{path.title} {verb} `{target}.wait()` with no timeout; until {until}, {never}"
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
        return f"{path.title} awaits `{target}` with no timeout; until {who} ends, {never}"
    if wait.kind == kinds.WAIT_CLOSED:
        return (f"{path.title} awaits `{target}.wait_closed()` with no timeout; while the peer does not close "
                f"its end (or a connection stays open), {never}")
    if wait.kind == kinds.DRAIN:
        method = wait.waited.func.attr if hasattr(wait.waited, "func") else "drain"
        return (f"{path.title} awaits `{target}.{method}()` with no timeout; while the peer does not read, "
                f"{never}")
    # gather, asyncio.wait
    return f"{path.title} awaits `{target}` with no timeout; while any of its tasks is still running, {never}"
