from __future__ import annotations

import ast
from typing import Iterator

from ..findings import Finding
from ..test_files import is_test_path
from ..syntax.local_nodes import key, keys_read, walk_local
from ..analysis.pause_lengths import INF, Length, pause_length
from ..analysis.module_facts import ModuleFacts
from ..analysis.pauses import ASYNC, BLOCKING, Pause
from ..analysis.callee_pauses import CalleePause, callee_pauses
from ..analysis.loop_hazards import in_unjoined_daemon
from ..analysis.retry_loops import ModuleAnalysis
from ..analysis.task_cancellers import CANCELLING, cancels_what_it_is_given
from . import Rule, register


@register
class PauseIgnoresShutdown(Rule):
    """
    ## What it does
    Flags a plain sleep (`time.sleep`, `await asyncio.sleep`, `anyio.sleep`, `trio.sleep`,
    `gevent.sleep`) inside a loop that checks a shutdown flag or event, when the sleep is long:

    - a constant above `max-blind-sleep` (10 s by default), written as a number, a module
      constant (`RETRY_DELAY = 30`), a local assigned once before the loop, or arithmetic on
      those (`5 * 60`);
    - or a delay that the loop multiplies or exponentiates (`delay *= 2`, `2 ** attempt`,
      `pow(2, n)`) with no cap, or with a cap above `max-blind-sleep`
      (`delay = min(delay * 2, 300)`).

    Any loop with a shutdown check counts, not only retry loops: its condition or an `if` that
    leaves it reads a name like `stop`, `shutdown`, `closing`, `running` (not an attribute of a
    caught exception, such as `e.exit_code`: that tells how an attempt failed, and nothing sets it
    while the loop sleeps). The loop may be the sleep's own loop or one around it in the same
    function.

    The sleep may also be one call away, in a function or method of the same module that the loop
    calls (`self._cool_down()`, awaited when it is async), outside any loop of that helper. There
    a length counts when the code writes it out as above (a local the helper assigns once is
    followed), or when a server chooses it: a `Retry-After` header, or a sleep until a rate
    limit's reset time (`time.sleep(reset_at - time.time())`, where the name or the header key
    says *reset* or *retry after*) with no `min()` to cap it. The finding is on the sleep, and
    names the helper and the loop that calls it. The helper may also be a top-level function of
    another module of the project that the loop's module imports (`from .limits import
    cool_down`, or `limits.cool_down()`), called as a statement of the loop or for the value it
    assigns: the finding is then on the call in the loop, since a finding stays in the file that
    is checked, and names the sleep's file and line.

    A growing pause in a retry loop is also FSR006's (reported on the statement that makes it
    grow): both are reported, since they say different things and neither fix mends the other.
    A cap leaves a pause that still ignores the flag; waiting on the event leaves a pause that
    still grows forever.

    ## Why is this bad?
    The loop was written to stop when asked, but it only looks at its flag between pauses.
    When `close()` sets the flag during a 60 s sleep, the service stays up for up to 60 s
    more; when the pause doubles after each failure, for as long as the last pause, which may
    be hours. Orchestrators give a grace period (Kubernetes: 30 s) and then kill the process,
    losing in-flight work.

    In an `async def`, cancelling the task would cut an `asyncio.sleep` short, but a loop that
    checks a flag is stopped by setting the flag, and the sleep does not watch the flag.

    ## Exemptions
    - By default, a pause that holds up no stop: one in a daemon thread that no stop path joins,
      or joins only with a timeout of at most `max-blind-sleep` seconds (the interpreter does not
      wait for it, and the stop waits no longer than that); the `else` of `if stop: stop.wait(d)` (the event is
      not there to wait on); a pause right after the block set the loop's own flag to "stop" (the
      way out, on purpose); a flag that only code the loop itself runs sets (its own function, or a
      function of the module that only it calls and nothing hands on as a callback, and no other
      module but the tests sets an attribute of that name on such an object): nothing changes the
      flag during the pause. Nor, by default, a call in the loop's test to a function that reads
      only what the program never changes once it runs (`while await _is_running():` asking a
      database row) and calls no other function of the project: no stop of the program changes
      its answer. `strict = true` reports these too.
    - `thread.is_alive()` is another thread's liveness, not a stop flag: a loop that only tests
      it does not "check for shutdown". Nor is a question about the work its arguments name
      (`is_job_running("streaming")`, `process_alive(pid)`): that work's own start and stop answer
      it.
    - Waits that watch the stop event: `stop.wait(timeout)` (`if stop.wait(30): break`),
      `asyncio.wait_for(stop.wait(), 30)`, `anyio.move_on_after(30)` around `stop.wait()`.
    - Sleeps of at most `max-blind-sleep` seconds, and sleeps whose length cannot be read (a
      parameter, an attribute set elsewhere, a call, a cap from configuration).
    - A pause that grows inside a loop bounded by an attempt count, a deadline or a timeout
      scope, unless its largest value can be read (`2 ** attempt` in `for attempt in range(4)`
      is at most 8 s).
    - Loops whose only shutdown check is their own cancellation (an async loop with no flag):
      cancellation does cut `asyncio.sleep` short. FSR001 covers loops with no check at all.
    - In an `async def`, a sleep in a loop whose flag is set by a function that also cancels a
      task or a scope (`self._stopping = True; self._task.cancel()`), itself or through a function
      of the project that cancels what it is handed (`cancel_task_safe(self._task)`): the
      cancellation cuts the sleep short. Likewise when the module shows no function that sets the flag (a base
      class or a framework elsewhere stops it, and may well cancel the task too, as FastStream
      does): an async finding needs a stop path in the module that only sets the flag.
    - Linear growth (`delay += 5`) is not followed.

    ## Example
    ```python
    class Poller:
        def __init__(self):
            self._stop = threading.Event()

        def run(self):
            while not self._stop.is_set():
                try:
                    self._poll()
                except OSError:
                    log.exception("poll failed")
                time.sleep(60)
    ```

    ## Use instead
    ```python
    class Poller:
        def __init__(self):
            self._stop = threading.Event()

        def run(self):
            while not self._stop.is_set():
                try:
                    self._poll()
                except OSError:
                    log.exception("poll failed")
                if self._stop.wait(60):
                    break
    ```
    In asyncio: `with contextlib.suppress(asyncio.TimeoutError): await asyncio.wait_for(stop.wait(), 60)`.
    A plain boolean flag cannot be waited on: make it a `threading.Event` / `asyncio.Event`.

    ## Fix safety
    Safe, when the loop stops on an Event whose kind the code shows (created from
    `threading.Event()`, `asyncio.Event()`, …, or annotated as one): the pause waits on the
    event for as long as it slept, and ends as soon as the event is set.

    - `threading.Event`: `time.sleep(d)` becomes `if stop.wait(d): break` when the sleep is
      the last thing the loop does before its check, the check is the first thing it does
      (`while not stop.is_set():`) and there is no `while ... else:`: leaving by `break` then
      skips nothing. Anywhere else it becomes `stop.wait(d)`, and the loop's own check stops it.
    - `asyncio.Event`: `await asyncio.sleep(d)` (or `time.sleep(d)`) becomes
      `with contextlib.suppress(asyncio.TimeoutError): await asyncio.wait_for(stop.wait(), d)`,
      adding `import contextlib` when needed.
    - `anyio.Event` / `trio.Event`: `with anyio.move_on_after(d): await stop.wait()`.

    In a helper the loop calls, the sleep becomes `stop.wait(d)` (or the async form above), and
    the loop's own check stops it; only when the helper sees the same event: a method of the same
    object, or a module-level event. Otherwise the fix is refused with the reason, as it is for a
    helper in another module (the event has to be handed to it).

    No fix for a plain boolean flag (nothing can wait on it), a name the code does not show to
    be an Event, a loop that does not visibly stop when the event is set, a `threading.Event`
    in an `async def` (its `wait` blocks the event loop too), a pause in a loop nested inside
    the one that checks (a wait that ends at once would make the inner loop spin), or an async
    wait that would hide a growing backoff from FSR006 (fix both with `--unsafe-fixes`). See
    [fix safety](../fix-safety.md).

    ## Options
    - `max-blind-sleep` (seconds, default 10): the longest plain sleep allowed in a loop that
      checks for shutdown.
    - `shutdown-names` / `extend-shutdown-names`: the words that make a name a shutdown flag.
    """

    code = "FSR005"
    name = "pause-ignores-shutdown"
    summary = "pause ignores shutdown"
    fix = "safe"
    # ``while``/``for``: a loop that calls a helper of another module, which sleeps, may say ``sleep``
    # nowhere in its own file
    needles = (b"sleep", b"while", b"for")

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        facts = ModuleFacts.of(analysis)
        limit = float(analysis.settings.max_blind_sleep)
        for pause in facts.pauses if analysis.mentions(b"sleep") else ():  # else only a helper elsewhere can
            if not pause.is_plain_sleep:
                continue
            watching = [loop for loop in pause.loops if loop.has_shutdown_check]
            if not watching:
                continue
            length = pause_length(facts, pause)
            if length.upper is None or length.upper <= limit:
                continue
            indicators = facts.indicator_keys(watching[-1])
            if not analysis.settings.strict:
                indicators = [k for k in indicators if not _asks_outside_the_program(k, watching[-1], analysis)]
            if not indicators:
                continue  # its stop is an exception (Ctrl-C, a cancellation), which ends the pause itself
            if not analysis.settings.strict and _nothing_waits(pause, indicators, facts):
                continue
            if _cancellation_cuts_it_short(pause, indicators, facts):
                continue
            yield self.finding(pause.position, _detail(pause, length, indicators, facts, limit))
        for found in callee_pauses(facts):
            pause = found.pause
            indicators = facts.indicator_keys(pause.innermost)
            if not analysis.settings.strict and in_unjoined_daemon(pause.innermost):
                continue
            if _cancellation_cuts_it_short(pause, indicators, facts):
                continue
            yield self.finding(found.position, _callee_detail(found, indicators, facts, limit))


def _asks_outside_the_program(indicator: str, loop, analysis: ModuleAnalysis) -> bool:
    """``while await _is_running():`` where the function the loop calls reads only what the program never
    changes once it runs (a database row, a setting): its answer is no stop flag, whatever its name, and
    no stop of the program waits for the pause to notice it. A flag is a stop flag only when something
    that stops the program sets it."""
    node = loop.node
    tests = [node.test] if isinstance(node, ast.While) else []
    tests += [n.test for n in walk_local(node.body) if isinstance(n, ast.If)]
    mentions = [n for test in tests for n in ast.walk(test) if key(n) == indicator]
    called = {id(n.func) for test in tests for n in ast.walk(test) if isinstance(n, ast.Call)}
    if not mentions or any(id(n) not in called for n in mentions):
        return False  # read as a value somewhere: a flag
    function = analysis.contexts.resolve(mentions[0], loop.function.node)
    return function is not None and analysis.asks_only_what_the_program_never_changes(function)


def _cancellation_cuts_it_short(pause: Pause, indicators: list[str], facts: ModuleFacts) -> bool:
    """An async pause whose loop is stopped from elsewhere, or by a stop that also cancels: the cancellation
    cuts the sleep short."""
    if pause.kind == BLOCKING:
        return False
    stoppers = _stoppers(facts, indicators, pause.innermost.function.node)
    return not stoppers or any(stoppers)


def _nothing_waits(pause: Pause, indicators: list[str], facts: ModuleFacts) -> bool:
    """The default mode's exemptions: no stop is held up by this pause, or it cannot watch the flag.

    - It runs in a daemon thread that no stop path joins, or joins for a few seconds at most: the
      interpreter does not wait for it.
    - It is the ``else`` of ``if stop: stop.wait(d)``: the event is not there to wait on.
    - The same block has just set the loop's own flag to "stop": the pause is the way out, on purpose.
    - Only code the loop itself runs sets the flag: nothing changes it during the pause.
    """
    loop = pause.innermost
    if in_unjoined_daemon(loop):
        return True
    if _set_only_on_the_loops_way(indicators, facts, pause.loops[0].function.node):
        return True
    wanted = set(indicators)
    for block, index, guard in _enclosing_blocks(loop.node.body, pause.call):
        if guard is not None and wanted & keys_read(guard):
            return True
        if any(_sets_to_stop(stmt, wanted) for stmt in block[:index]):
            return True
    return False


def _set_only_on_the_loops_way(indicators: list[str], facts: ModuleFacts, loop_function: ast.AST | None) -> bool:
    """Every function that sets the loop's flag (but ``__init__``) is the loop's own function or one it calls,
    which nothing else in the module calls or hands on, and no other file of the project sets an attribute of
    that name: the flag changes on the loop's own thread, between pauses, never during one. No stop waits on
    the pause, and an Event would change nothing (a flag set by a helper that then waits for ever, say)."""
    if loop_function is None:
        return False
    wanted = set(indicators)
    contexts = facts.analysis.contexts
    setters = [f for f in contexts.functions if f.name != "__init__" and _sets_any(f, wanted)]
    if not setters:
        return False  # set somewhere this module cannot see
    reached = contexts.called_from(loop_function)
    handed = _handed_on_names(facts.tree)
    for setter in setters:
        if setter is loop_function:
            continue
        if id(setter) not in reached or setter.name in handed:
            return False
        callers = contexts.callers(setter)
        if not callers or not callers <= reached | {id(loop_function)}:
            return False
    return not any(_set_elsewhere(name, facts) for name in wanted if name.startswith("self."))


def _set_elsewhere(flag: str, facts: ModuleFacts) -> bool:
    """Another module of the project (not its tests) sets ``self.<attribute>`` on an object that may be this
    one: through another name (``agent.running = False``), or as ``self`` in a subclass."""
    program = facts.analysis.program
    module = facts.analysis.module_facts
    attribute = flag.rsplit(".", 1)[-1]
    mine = {c.qualname for c in module.classes.values()} if module is not None else set()
    for function, fact in program.setters_of(attribute):
        if module is not None and function.qualname.startswith(module.name + "."):
            continue  # this module's own setters were weighed above
        if is_test_path(program.where(function.qualname).path):
            continue  # a test that stops the loop by hand is not the service's stop
        if not fact.key.startswith("self.") or function.owner is None:
            return True
        if any(base in mine for base in program.lineage(function.owner)):
            return True
    return False


def _sets_any(function: ast.AST, wanted: set[str]) -> bool:
    for node in walk_local(function.body):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(key(t) in wanted for t in targets):
                return True
        elif isinstance(node, ast.Attribute) and node.attr in ("set", "clear") and key(node.value) in wanted:
            return True
    return False


def _handed_on_names(tree: ast.Module) -> set[str]:
    """Names of methods and functions the module mentions other than to call them: handed on as callbacks
    (``signal.signal(SIGTERM, self.stop)``, ``Thread(target=stop)``), they may run anywhere."""
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    handed = set()
    for node in ast.walk(tree):
        if id(node) in called:
            continue
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            handed.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            handed.add(node.id)
    return handed


def _enclosing_blocks(body, call, guard=None):
    """The blocks around ``call``, innermost last, each with the ``if`` test whose ``else`` it is."""
    for index, stmt in enumerate(body):
        if not any(node is call for node in walk_local([stmt])):
            continue
        yield body, index, guard
        if isinstance(stmt, ast.If):
            yield from _enclosing_blocks(stmt.body, call)
            yield from _enclosing_blocks(stmt.orelse, call, stmt.test)
        elif not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for field in ("body", "orelse", "finalbody"):
                inner = getattr(stmt, field, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                    yield from _enclosing_blocks(inner, call)
            for handler in getattr(stmt, "handlers", []):
                yield from _enclosing_blocks(handler.body, call)
        return


def _sets_to_stop(stmt: ast.stmt, wanted: set[str]) -> bool:
    if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Constant):
        return any(key(t) in wanted for t in stmt.targets)
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and isinstance(stmt.value.func, ast.Attribute) \
        and stmt.value.func.attr == "set" and key(stmt.value.func.value) in wanted


def _detail(pause: Pause, length: Length, indicators: list[str], facts: ModuleFacts, limit: float) -> str:
    indicator = indicators[0]
    return (f"`{pause.spelling()}` sleeps {_how_long(length, limit)} and does not watch `{indicator}`, "
            f"so a shutdown waits out the whole pause; {_advice(pause, indicator, facts)}")


def _callee_detail(found: CalleePause, indicators: list[str], facts: ModuleFacts, limit: float) -> str:
    pause, indicator = found.pause, indicators[0]
    loop = pause.innermost
    if found.server_time is not None:
        how_long = f"for as long as the server says (`{found.server_time}`), with no cap"
    else:
        how_long = _how_long(found.length, limit)
    if found.elsewhere is not None:
        helper = found.callee.name
        return (f"`{pause.spelling()}` in `{helper}()` ({found.elsewhere}:{pause.call.lineno}) sleeps {how_long}, "
                f"and the loop at line {loop.node.lineno} that calls it here stops on `{indicator}`, which that pause "
                f"does not watch, so a shutdown waits out the whole pause; hand `{indicator}` to `{helper}()` and "
                f"wait on it there instead of sleeping")
    helper = facts.analysis.contexts.title(found.callee)
    return (f"`{pause.spelling()}` in `{helper}()` sleeps {how_long}, and the loop at line {loop.node.lineno} "
            f"that calls it (line {found.call.lineno}) stops on `{indicator}`, which this pause does not watch, "
            f"so a shutdown waits out the whole pause; {_callee_advice(found, indicator, facts)}")


def _callee_advice(found: CalleePause, indicator: str, facts: ModuleFacts) -> str:
    """As ``_advice``, but in the helper: it waits and returns, and the loop's own check stops it."""
    pause = found.pause
    if indicator in facts.events and not isinstance(found.callee, ast.AsyncFunctionDef):
        duration = ast.unparse(pause.duration) if pause.duration is not None else "timeout"
        return f"wait on the event instead: `{indicator}.wait({duration})`, and the loop's check stops it"
    return _advice(pause, indicator, facts)


def _how_long(length: Length, limit: float) -> str:
    if length.grows_without_limit:
        return "for a delay that grows without limit"
    if length.upper == INF:
        return f"far longer than {limit:g} s"
    return f"{length.upper:g} s" if length.exact else f"up to {length.upper:g} s"


def _advice(pause: Pause, indicator: str, facts: ModuleFacts) -> str:
    duration = ast.unparse(pause.duration) if pause.duration is not None else "timeout"
    in_async = pause.innermost.function.is_async
    library = pause.name.split(".")[0] if pause.kind == ASYNC else facts.async_library
    if indicator not in facts.events:
        event = f"{library}.Event" if in_async else "threading.Event"
        article = "an" if event[0] in "aeiou" else "a"
        return f"replace `{indicator}` with {article} {event} and wait on it with a timeout"
    if not in_async:
        return f"wait on the event instead: `if {indicator}.wait({duration}): break`"
    if library in ("anyio", "trio"):
        return f"wait on the event instead: `with {library}.move_on_after({duration}): await {indicator}.wait()`"
    return (f"wait on the event instead: `await asyncio.wait_for({indicator}.wait(), {duration})`, "
            "suppressing asyncio.TimeoutError")


def _stoppers(facts: ModuleFacts, indicators: list[str], loop_function: ast.AST | None) -> list[bool]:
    """For each function that sets the loop's flag or event, whether it also cancels a task or scope.

    ``__init__`` and the loop's own function do not ask it to stop. Handing ``stop.set`` over as a
    callback (``loop.add_signal_handler(SIGTERM, stop.set)``) counts as setting it.
    """
    wanted = set(indicators)
    found = []
    for function in ast.walk(facts.tree):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)) or function is loop_function \
                or function.name == "__init__":
            continue
        sets_flag = cancels = False
        handing_on = []  # calls that hand something on: they may cancel it (``cancel_task_safe(self._task)``)
        for node in walk_local(function.body):
            if isinstance(node, ast.Assign) and any(key(t) in wanted for t in node.targets):
                sets_flag = True
            elif isinstance(node, ast.Attribute) and node.attr in ("set", "clear") and key(node.value) in wanted:
                sets_flag = True
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in CANCELLING:
                cancels = True
            elif isinstance(node, ast.Call) and node.args:
                handing_on.append(node)
        if sets_flag:
            found.append(cancels or any(cancels_what_it_is_given(call, function, facts.analysis) for call in handing_on))
    return found
