"""FSR901's fix: a wait in a shutdown path gets a bound, and the shutdown goes on after it.

An unsafe fix: once bounded, the stop returns while the thread or task it waited for may still
run, and a sentinel that does not fit in a full queue is dropped. ``N`` is the
``shutdown-timeout`` option, written as a number.

- ``x.join()`` (a statement of its own) becomes ``x.join(timeout=N)`` followed by
  ``if x.is_alive():`` and a warning.
- ``await task`` becomes ``await asyncio.wait_for(asyncio.shield(task), N)`` in a ``try`` whose
  ``except asyncio.TimeoutError:`` cancels the task and warns: the shield makes the wait end
  after ``N`` seconds even when the task is slow to take its cancellation, and the rest of the
  shutdown path runs (the whole point: in FastStream #1231 ``connection.close()`` was never
  reached). A ``gather`` of tasks is treated the same way, each task cancelled on timeout; a
  ``gather`` of coroutines, ``e.wait()``, ``w.drain()``, ``w.wait_closed()`` and ``q.join()`` are
  bounded by ``asyncio.wait_for`` alone, which cancels them on timeout.
- ``asyncio.wait(tasks)`` gets ``timeout=N``.
- ``e.wait()`` on a ``threading.Event`` the module makes becomes ``if not e.wait(timeout=N):`` and
  a warning.
- A sentinel put (``q.put(STOP)``, awaited or not) becomes ``q.put_nowait(STOP)`` in a ``try``
  that warns on ``queue.Full`` / ``asyncio.QueueFull``.

Where the code targets Python 3.11 or newer (``target-version``, or ``requires-python``), an
awaited wait is bounded by ``async with asyncio.timeout(N):`` instead, and ``except TimeoutError:``
(what that scope raises) handles it; otherwise ``asyncio.wait_for``, which every Python has. The
warning goes to the module's logger (a module-level ``name = logging.getLogger(...)``), else to
``logging.getLogger(__name__)``.

It refuses, saying why, where no rewrite keeps the code's meaning: ``x.wait()`` on anything the
module does not show to be a ``threading.Event``, and ``future.result()`` (a timeout makes a
process's ``wait`` or a future's ``result`` raise, and an Event's ``wait`` return False: the code
must choose), ``get()``, a put of data rather than a sentinel, the join of
a queue or a pool (no timeout to give), and a wait whose value is used or that shares its line.
"""

from __future__ import annotations

import ast
from functools import partial

import libcst as cst

from ..analysis import shutdown_waits as kinds
from ..syntax.local_nodes import key
from ..syntax.names import last_name, words
from ..analysis.shutdown_waits import ModuleShutdownWaits, Wait
from ..findings import Finding
from .base import CannotFix, Edit, FixContext, ModuleImport, NodeChange
from .module_names import module_reference
from .source_text import code_of, number

CODE = "FSR901"
UNSAFE = "the shutdown goes on while what it waited for may still be running"
GUARD_UNSAFE = ("the call is skipped while the peer is gone (the broker forgets what it would have undone when the "
                "connection closes)")
_NO_TIMEOUT_JOINS = frozenset({"pool", "group", "executor", "queue", "q"})
_LOGGER_FACTORIES = frozenset({"getLogger", "get_logger", "getChild"})
_AWAITED_CALLS = (kinds.EVENT_WAIT, kinds.WAIT_CLOSED, kinds.DRAIN, kinds.QUEUE_JOIN)


def plan(finding: Finding, context: FixContext) -> Edit:
    wait = ModuleShutdownWaits.of(context.analysis).wait_at((finding.line, finding.col))
    if wait is None:
        raise CannotFix(f"no wait starts at line {finding.line}, column {finding.col + 1}")
    seconds = number(context.analysis.settings.shutdown_timeout)
    if wait.kind in _MODEL_KINDS:
        return _plan_model_wait(finding, wait, context, seconds)
    if wait.kind == kinds.ASYNCIO_WAIT:
        change = NodeChange(cst.Call, context.position(wait.waited), partial(_add_timeout, seconds=seconds))
        return Edit(finding, (change,), unsafe_because=UNSAFE, also_fixes=frozenset())
    statement = _statement(wait, context)
    if wait.kind == kinds.JOIN and not wait.awaited:
        if set(words(wait.target.rsplit(".", 1)[-1].split("[")[0])) & _NO_TIMEOUT_JOINS:
            raise CannotFix(f"`{wait.target}.join()` may take no timeout (a pool's or a queue's does not); "
                            "bound what it waits for by hand")
        logger, needed = _logger(context)
        rewrite = partial(_bounded_join, target=wait.target, seconds=seconds, logger=logger)
    elif wait.kind == kinds.EVENT_WAIT and not wait.awaited and _is_threading_event(wait, context):
        logger, needed = _logger(context)
        rewrite = partial(_bounded_event_wait, target=wait.target, seconds=seconds, logger=logger)
    elif wait.kind == kinds.PUT:
        sentinel = wait.waited.args[0]
        if not _is_sentinel(sentinel):
            raise CannotFix(f"`{ast.unparse(sentinel)}` does not look like a stop sentinel: putting it with "
                            "`put_nowait` could drop data; bound the put by hand")
        logger, needed = _logger(context)
        module, exception = ("asyncio", "QueueFull") if wait.awaited else ("queue", "Full")
        name, more = module_reference(context, module)
        needed += more
        rewrite = partial(_put_nowait, target=wait.target, full=f"{name}.{exception}", logger=logger)
    elif wait.awaited and wait.kind in (kinds.TASK, kinds.GATHER, *_AWAITED_CALLS):
        logger, needed = _logger(context)
        asyncio_name, more = module_reference(context, "asyncio")
        needed += more
        scope = context.analysis.settings.python_at_least(3, 11) and "TimeoutError" not in context.bound_names
        rewrite = partial(_bounded_await, asyncio=asyncio_name, seconds=seconds, logger=logger, tasks=_tasks(wait),
                          what=_what(wait), scope=scope)
    else:
        raise CannotFix(_refusal(wait))
    change = NodeChange(cst.SimpleStatementLine, context.position(statement), rewrite)
    return Edit(finding, (change,), unsafe_because=UNSAFE, adds_imports=needed, also_fixes=frozenset())


_MODEL_KINDS = frozenset({"reconnect", "peer", "loop", "swallows", "thread", "task", "process", "greenlet", "jobs",
                          "event", "lock", "queue-space", "queue-item", "queue-drain"}) - {kinds.TASK}


def _plan_model_wait(finding: Finding, wait: Wait, context: FixContext, seconds: str) -> Edit:
    """A wait the program and library models found: guard it with the library's liveness test, or bound
    an awaited call with ``asyncio.wait_for``; a loop, or a blocking call, is left to a person."""
    if wait.kind == "loop":
        raise CannotFix("the loop has no deadline: give it one (`while ... and loop.time() < deadline:`) and "
                        "decide what becomes of what is still running")
    node = _node_at(context.tree, finding.line, finding.col)
    if node is None:
        raise CannotFix(f"no call starts at line {finding.line}, column {finding.col + 1}")
    statement = context.parents.get(id(node))
    if not isinstance(statement, ast.Expr) or not context.stands_alone(statement):
        raise CannotFix("the wait's value is used, or it shares its line with other code; bound it by hand")
    if wait.guard:
        rewrite = partial(_guarded, guard=wait.guard)
        change = NodeChange(cst.SimpleStatementLine, context.position(statement), rewrite)
        return Edit(finding, (change,), unsafe_because=GUARD_UNSAFE, also_fixes=frozenset())
    if not isinstance(node, ast.Await):
        raise CannotFix("a blocking call with no bound of its own here: bound it the library's way (a timeout "
                        "argument, or close the client from another thread) by hand")
    logger, needed = _logger(context)
    asyncio_name, more = module_reference(context, "asyncio")
    rewrite = partial(_bounded_await, asyncio=asyncio_name, seconds=seconds, logger=logger, tasks=None,
                      what=ast.unparse(node.value))
    change = NodeChange(cst.SimpleStatementLine, context.position(statement), rewrite)
    return Edit(finding, (change,), unsafe_because=UNSAFE, adds_imports=needed + more, also_fixes=frozenset())


def _node_at(tree: ast.Module, line: int, col: int) -> ast.expr | None:
    """The ``await`` (or else the call) that starts at a finding's place."""
    found = None
    for node in ast.walk(tree):
        if isinstance(node, (ast.Await, ast.Call)) and node.lineno == line and node.col_offset == col:
            if isinstance(node, ast.Await):
                return node
            found = found or node
    if found is not None:
        for node in ast.walk(tree):
            if isinstance(node, ast.Await) and node.value is found:
                return node
    return found


def _guarded(line: cst.SimpleStatementLine, guard: str) -> cst.FlattenSentinel:
    """``await q.cancel(tag)`` -> ``if not q.channel.is_closed:`` around it: skipped while the peer is gone."""
    body = line.with_changes(leading_lines=())
    block = cst.If(test=cst.parse_expression(f"not {guard}"), body=cst.IndentedBlock(body=[body]),
                   leading_lines=line.leading_lines)
    return cst.FlattenSentinel([block])


def _is_threading_event(wait: Wait, context: FixContext) -> bool:
    """The module makes ``wait.target`` a ``threading.Event`` (and nothing else): its ``wait(timeout)``
    returns False on timeout."""
    values = ModuleShutdownWaits.of(context.analysis).values_of(wait.target, wait.path.function)
    qualify = context.analysis.imports.qualified_name
    return bool(values) and all(isinstance(v, ast.Call) and qualify(v.func) == "threading.Event" for v in values)


def _refusal(wait: Wait) -> str:
    if wait.kind == kinds.EVENT_WAIT:
        return (f"`{wait.target}` is not shown to be a `threading.Event`: `wait(timeout)` returns False for an "
                "Event but raises for a process; bound it by hand, saying what to do when it times out")
    if wait.kind == kinds.RESULT:
        return f"`{wait.target}.result(timeout)` raises on timeout: bound it by hand and handle the timeout"
    if wait.kind == kinds.GET:
        return "a `get()` with a timeout raises when nothing comes: bound it by hand and handle `Empty`"
    return f"`{wait.target}.join()` takes no timeout: bound what it waits for by hand"


def _statement(wait: Wait, context: FixContext) -> ast.stmt:
    statement = context.parents.get(id(wait.node))
    if not isinstance(statement, ast.Expr):
        raise CannotFix("the wait's value is used; bound it by hand")
    if not context.stands_alone(statement):
        raise CannotFix("the wait shares its line with other code; bound it there by hand")
    return statement


def _logger(context: FixContext) -> tuple[str, tuple[ModuleImport, ...]]:
    """The module's logger, or ``logging.getLogger(__name__)`` and the import it needs."""
    for statement in context.tree.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1 \
                and isinstance(statement.targets[0], ast.Name) and isinstance(statement.value, ast.Call) \
                and last_name(statement.value.func) in _LOGGER_FACTORIES:
            return statement.targets[0].id, ()
    name, needed = module_reference(context, "logging")
    return f"{name}.getLogger(__name__)", needed


def _is_sentinel(node: ast.expr) -> bool:
    """``STOP``, ``self._SHUTDOWN``, ``KeyWatcher.STOP_ITER``, ``None``, ``"stop"``: a marker, not data."""
    if isinstance(node, ast.Constant):
        return True
    name = last_name(node)
    return bool(name) and name.strip("_").isupper()


def _what(wait: Wait) -> str:
    """How the warning names what did not finish: ``self._task``, ``done.wait()``, ``asyncio.gather(a, b)``."""
    if wait.kind in (kinds.TASK, kinds.GATHER):
        return wait.target
    return f"{wait.target}.{wait.waited.func.attr}()"


def _tasks(wait: Wait) -> tuple[str, ...] | None:
    """What to cancel on timeout, when shielding: the task, or the tasks a gather names (``*tasks``
    as ``tasks``); None for a wait on coroutines, which ``wait_for`` cancels by itself."""
    if wait.kind == kinds.TASK:
        return (wait.target,)
    if wait.kind != kinds.GATHER:
        return None
    names: list[str] = []
    for arg in wait.waited.args:
        starred = isinstance(arg, ast.Starred)
        name = key(arg.value if starred else arg)
        if name is None:
            return None
        names.append("*" + name if starred else name)
    return tuple(names)


# -- the rewrites ------------------------------------------------------------------------------------


def _string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _expression(line: cst.SimpleStatementLine) -> cst.BaseExpression:
    if len(line.body) != 1 or not isinstance(line.body[0], cst.Expr):
        raise CannotFix("the wait is no longer a statement of its own where it was planned")
    return line.body[0].value


def _replace(line: cst.SimpleStatementLine, code: str) -> cst.FlattenSentinel:
    """The statements of ``code`` where ``line`` was, keeping its leading comments and its trailing one."""
    statements = list(cst.parse_module(code).body)
    first = statements[0].with_changes(leading_lines=line.leading_lines)
    if isinstance(first, cst.SimpleStatementLine):
        first = first.with_changes(trailing_whitespace=line.trailing_whitespace)
    elif isinstance(first.body, cst.IndentedBlock):
        first = first.with_changes(body=first.body.with_changes(header=line.trailing_whitespace))
    return cst.FlattenSentinel([first, *statements[1:]])


def _bounded_join(line: cst.SimpleStatementLine, target: str, seconds: str, logger: str) -> cst.FlattenSentinel:
    call = _expression(line)
    if not isinstance(call, cst.Call):
        raise CannotFix("the join is no longer a call where it was planned")
    receiver = code_of(call.func.value) if isinstance(call.func, cst.Attribute) else target
    joined = f"{code_of(call.func)}(timeout={seconds})"
    message = _string(f"{receiver} did not stop within {seconds} s")
    return _replace(line, f"{joined}\nif {receiver}.is_alive():\n    {logger}.warning({message})\n")


def _bounded_event_wait(line: cst.SimpleStatementLine, target: str, seconds: str,
                        logger: str) -> cst.FlattenSentinel:
    call = _expression(line)
    if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
        raise CannotFix("the wait is no longer a call where it was planned")
    message = _string(f"{code_of(call.func.value)} was not set within {seconds} s")
    return _replace(line, f"if not {code_of(call.func)}(timeout={seconds}):\n    {logger}.warning({message})\n")


def _put_nowait(line: cst.SimpleStatementLine, target: str, full: str, logger: str) -> cst.FlattenSentinel:
    value = _expression(line)
    call = value.expression if isinstance(value, cst.Await) else value
    if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
        raise CannotFix("the put is no longer a call where it was planned")
    put = code_of(call.with_changes(func=call.func.with_changes(attr=cst.Name("put_nowait"))))
    receiver = code_of(call.func.value)
    message = _string(f"{receiver} is full; the stop sentinel was not sent")
    return _replace(line, f"try:\n    {put}\nexcept {full}:\n    {logger}.warning({message})\n")


def _bounded_await(line: cst.SimpleStatementLine, asyncio: str, seconds: str, logger: str,
                   tasks: tuple[str, ...] | None, what: str, scope: bool) -> cst.FlattenSentinel:
    """``await x`` bounded by ``asyncio.timeout`` (``scope``: 3.11+) or ``asyncio.wait_for``."""
    value = _expression(line)
    if not isinstance(value, cst.Await):
        raise CannotFix("the wait is no longer awaited where it was planned")
    awaited = code_of(value.expression)
    if tasks is None:
        cancels = ""
        outcome = f"did not return within {seconds} s"
    else:
        awaited = f"{asyncio}.shield({awaited})"
        cancels = "".join(f"    for unfinished in {t[1:]}:\n        unfinished.cancel()\n" if t.startswith("*")
                          else f"    {t}.cancel()\n" for t in tasks)
        cancelled = "it" if what == tasks[0] else "its tasks"
        outcome = f"did not finish within {seconds} s; cancelled {cancelled}"
    message = _string(f"{' '.join(what.split())} {outcome}")
    if scope:
        bounded, timeout = f"async with {asyncio}.timeout({seconds}):\n        await {awaited}", "TimeoutError"
    else:
        bounded, timeout = f"await {asyncio}.wait_for({awaited}, {seconds})", f"{asyncio}.TimeoutError"
    return _replace(line, f"try:\n    {bounded}\nexcept {timeout}:\n{cancels}    {logger}.warning({message})\n")


def _add_timeout(call: cst.Call, seconds: str) -> cst.Call:
    """``asyncio.wait(tasks)`` -> ``asyncio.wait(tasks, timeout=N)`` (a ``timeout=None`` is replaced)."""
    args = [a for a in call.args if not (a.keyword is not None and a.keyword.value == "timeout")]
    if args:
        args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    args.append(cst.Arg(value=cst.parse_expression(seconds), keyword=cst.Name("timeout"),
                        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                              whitespace_after=cst.SimpleWhitespace(""))))
    return call.with_changes(args=args)
