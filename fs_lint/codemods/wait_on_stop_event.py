"""FSR005's fix: a blind pause in a loop that checks a stop event waits on that event instead.

The loop was written to stop when its event is set, but it sleeps without
watching the event, so a shutdown waits out the pause. The fix waits on the
event for as long as the pause lasted: while nobody asks the loop to stop it
pauses exactly as before; once the event is set the pause ends at once. That
is a safe fix.

Which form, after the event's library (``stop_events`` reads it from the code):

- ``threading.Event``: ``time.sleep(d)`` becomes ``if stop.wait(d): break``
  when the sleep is the last thing the loop does before its check, and the
  check is the first thing it does (``while not stop.is_set():``, or ``while
  True:`` starting with ``if stop.is_set(): break``), and the loop has no
  ``else:``. Leaving by ``break`` then skips nothing that stopping the loop
  through its check would run. Anywhere else it becomes ``stop.wait(d)``: the
  pause ends early, the rest of the pass runs as it did, and the loop's own
  check stops it.
- ``asyncio.Event``: ``await asyncio.sleep(d)`` (or a blocking ``time.sleep(d)``)
  becomes ``with contextlib.suppress(asyncio.TimeoutError): await
  asyncio.wait_for(stop.wait(), d)``, and the loop's own check sees the event.
- ``anyio.Event`` / ``trio.Event``: ``with anyio.move_on_after(d): await stop.wait()``.

It refuses when there is nothing sound to wait on: a plain bool flag, a name
the code does not show to be an Event, a loop that does not visibly stop when
the event is set, a ``threading.Event`` in an ``async def`` (its ``wait``
blocks the event loop as the sleep did) or an async Event in a regular
function. It also refuses a pause in a loop nested inside the one that checks
the event: a wait that ends at once would make the inner loop go round again
without pausing at all.
"""

from __future__ import annotations

import ast
from functools import partial

import libcst as cst

from ..findings import Finding
from ..analysis.callee_pauses import CalleePause, callee_pauses
from ..analysis.module_facts import ModuleFacts
from ..analysis.pauses import ASYNC, BLOCKING, COOPERATIVE, Pause
from ..syntax.local_nodes import instance_name
from .base import CannotFix, Edit, FixContext, NodeChange
from .exception_lists import has_comment
from .module_names import import_behind, module_reference
from .stop_events import StopEvent, stop_event

CODE = "FSR005"
_ALSO_FIXES = frozenset({"FSR007"})  # a blocking time.sleep waited on asynchronously no longer blocks
_TRY_TYPES = (ast.Try,) + ((ast.TryStar,) if hasattr(ast, "TryStar") else ())
_PURE_TEST_NODES = (ast.Name, ast.Attribute, ast.Constant, ast.BoolOp, ast.UnaryOp, ast.Compare, ast.Load,
                    ast.boolop, ast.unaryop, ast.cmpop)


def plan(finding: Finding, context: FixContext) -> Edit:
    in_callee = _callee_pause_at(finding, context)
    if in_callee is not None:
        pause = in_callee.pause
        _refuse_cooperative(pause)
        event = stop_event(pause.innermost, context)
        _refuse_unseen_event(in_callee, event, context)
        return _wait_on(finding, pause, event, isinstance(in_callee.callee, ast.AsyncFunctionDef), None, context)
    pause = context.pause_at(finding)
    _refuse_cooperative(pause)
    loop = [candidate for candidate in pause.loops if candidate.has_shutdown_check][-1]
    if pause.innermost is not loop:
        raise CannotFix(f"the pause is in a loop (line {pause.innermost.node.lineno}) inside the one that checks "
                        f"for shutdown (line {loop.node.lineno}); a wait that ends early would make the inner "
                        "loop go round again without pausing")
    event = stop_event(loop, context)
    return _wait_on(finding, pause, event, loop.function.is_async, loop.node, context)


def _refuse_cooperative(pause: Pause) -> None:
    if pause.kind == COOPERATIVE:
        raise CannotFix(f"`{pause.spelling()}` is a {pause.name.split('.')[0]} sleep; wait on the event by hand")


def _wait_on(finding: Finding, pause: Pause, event: StopEvent, in_async: bool, loop: ast.stmt | None,
             context: FixContext) -> Edit:
    """The pause waits on the event for as long as it slept. ``loop``: the loop whose body holds the pause, where
    ``if stop.wait(d): break`` may leave as its own check would; None for a pause in a helper the loop calls."""
    statement = _statement(pause, context)
    if len(pause.call.args) + len(pause.call.keywords) != 1 or pause.duration is None:
        raise CannotFix(f"`{pause.spelling()}` does not pass its delay as its one argument")
    unused = import_behind(context, pause.call.func, "time") if pause.kind == BLOCKING else None
    unused_imports = (unused,) if unused else ()
    if event.library == "threading":
        if in_async:
            raise CannotFix(f"`{event.expression}` is a threading.Event: waiting on it in an `async def` would "
                            "block the event loop as the sleep does")
        if loop is not None and _may_leave_by_break(statement, loop, event, context):
            change = NodeChange(cst.SimpleStatementLine, context.position(statement),
                                partial(_wait_or_break, event=event.expression))
        else:
            change = NodeChange(cst.Call, context.position(pause.call), partial(_wait_instead, event=event.expression))
        return Edit(finding, (change,), unused_imports=unused_imports, also_fixes=_ALSO_FIXES)
    if not in_async:
        raise CannotFix(f"`{event.expression}` is {_a(event.library)}.Event, which a regular function cannot wait on")
    sleeps_with = pause.name.split(".")[0] if pause.kind == ASYNC else None
    if {sleeps_with, event.library} == {"asyncio", "trio"}:
        raise CannotFix(f"the pause is a {sleeps_with} sleep but `{event.expression}` is {_a(event.library)}.Event")
    if not context.stands_alone(statement):
        raise CannotFix("the pause shares its line with other code; wait on the event there by hand")
    if event.library == "asyncio":
        suppress_module, needs_contextlib = module_reference(context, "contextlib")
        asyncio_module, needs_asyncio = module_reference(context, "asyncio")
        rewrite = partial(_wait_for_event, event=event.expression, contextlib=suppress_module, asyncio=asyncio_module)
        needed = needs_contextlib + needs_asyncio
    else:
        library, needed = module_reference(context, event.library)
        rewrite = partial(_move_on_after, event=event.expression, library=library)
    change = NodeChange(cst.SimpleStatementLine, context.position(statement), rewrite)
    return Edit(finding, (change,), adds_imports=needed, unused_imports=unused_imports, also_fixes=_ALSO_FIXES)


def _callee_pause_at(finding: Finding, context: FixContext) -> CalleePause | None:
    facts = ModuleFacts.of(context.analysis)
    if any(pause.position == (finding.line, finding.col) for pause in facts.pauses):
        return None
    found = next((found for found in callee_pauses(facts) if found.position == (finding.line, finding.col)), None)
    if found is not None and found.elsewhere is not None:
        raise CannotFix(f"the pause is in `{found.callee.name}()` ({found.elsewhere}:{found.pause.call.lineno}), "
                        f"another module: hand it the loop's event and wait on it there")
    return found


def _refuse_unseen_event(found: CalleePause, event: StopEvent, context: FixContext) -> None:
    """The helper the loop calls must see the loop's event: a module-level one, or the same object's."""
    helper, loop = found.callee, found.pause.innermost
    contexts = context.analysis.contexts
    root = event.expression.split(".")[0]
    loop_receiver = instance_name(loop.function.node) if loop.function.node is not None else None
    if root == loop_receiver:
        seen = (contexts.class_of(helper) is contexts.class_of(loop.function.node)
                and instance_name(helper) == loop_receiver)
    else:
        seen = context.analysis.stops.is_module_global(root)
    if not seen:
        raise CannotFix(f"the pause is in `{contexts.title(helper)}()`, which does not see `{event.expression}`; "
                        "pass the event to it, or wait on it by hand")


def _a(word: str) -> str:
    return f"{'an' if word[0] in 'aeiou' else 'a'} {word}"


def _statement(pause: Pause, context: FixContext) -> ast.Expr:
    """The expression statement that is the pause (``time.sleep(d)``, ``await asyncio.sleep(d)``)."""
    node = context.parents.get(id(pause.call))
    if isinstance(node, ast.Await):
        node = context.parents.get(id(node))
    if not isinstance(node, ast.Expr):
        raise CannotFix(f"`{pause.spelling()}` is part of a larger expression; wait on the event there by hand")
    return node


# -- when ``break`` leaves the loop as its own check would ------------------------------------------


def _may_leave_by_break(statement: ast.stmt, loop: ast.stmt, event: StopEvent, context: FixContext) -> bool:
    """Is ``if stop.wait(d): break`` here the same as waking up and going round to the check?"""
    return (isinstance(loop, ast.While) and not loop.orelse and context.stands_alone(statement)
            and _checks_first(loop, event) and _last_before_the_check(statement, loop, context))


def _checks_first(loop: ast.While, event: StopEvent) -> bool:
    """The check runs before anything else when the loop goes round: it is the condition, or the
    first statement of ``while True:``; and reading it has no side effect."""
    if event.checked_by is loop.test:
        return _pure(loop.test)
    first = loop.body[0]
    return (isinstance(loop.test, ast.Constant) and loop.test.value is True and isinstance(first, ast.If)
            and first.test is event.checked_by and len(first.body) == 1 and isinstance(first.body[0], ast.Break)
            and not first.orelse and _pure(first.test))


def _pure(test: ast.expr) -> bool:
    """Names, attributes, constants, ``not``/``and``/``or``/comparisons and ``.is_set()``: nothing that acts."""
    for node in ast.walk(test):
        if isinstance(node, ast.Call):
            if not (isinstance(node.func, ast.Attribute) and node.func.attr == "is_set" and not node.args
                    and not node.keywords):
                return False
        elif not isinstance(node, _PURE_TEST_NODES):
            return False
    return True


def _last_before_the_check(statement: ast.stmt, loop: ast.While, context: FixContext) -> bool:
    """Nothing of the loop body runs after ``statement``: it ends its block, and so does every block
    around it, up to the loop body. A ``try`` whose ``else:`` would run, or a ``finally:`` (where a
    ``break`` would swallow an exception in flight), does not count as an end."""
    node: ast.AST = statement
    while True:
        parent = context.parents[id(node)]
        block = _block_holding(parent, node)
        if block is None or block[-1] is not node:
            return False
        if parent is loop:
            return block is loop.body
        if isinstance(parent, (ast.ExceptHandler, ast.match_case)):
            node = context.parents[id(parent)]  # the ``try`` or ``match``: its own place is checked next
            continue
        if isinstance(parent, _TRY_TYPES):
            if block is parent.finalbody or (block is parent.body and parent.orelse):
                return False
        elif not isinstance(parent, (ast.If, ast.With)):
            return False
        node = parent


def _block_holding(parent: ast.AST, child: ast.AST) -> list[ast.stmt] | None:
    for name in ("body", "orelse", "finalbody"):
        block = getattr(parent, name, None)
        if isinstance(block, list) and any(s is child for s in block):
            return block
    return None


# -- the rewrites ---------------------------------------------------------------------------------


def _sleep_call(line: cst.SimpleStatementLine) -> cst.Call:
    (statement,) = line.body
    value = statement.value if isinstance(statement, cst.Expr) else None
    if isinstance(value, cst.Await):
        value = value.expression
    if not isinstance(value, cst.Call) or len(value.args) != 1:
        raise CannotFix("the pause is no longer a call with one argument where it was planned")
    return value


def _delay(line: cst.SimpleStatementLine) -> cst.BaseExpression:
    """The pause's duration, for a rewrite that keeps only that of the call."""
    call = _sleep_call(line)
    if has_comment(call.with_changes(args=[call.args[0].with_changes(value=cst.Name("d"))])):
        raise CannotFix("the comments inside the pause's call would be lost; wait on the event there by hand")
    return call.args[0].value


def _event_method(event: str, method: str) -> cst.Attribute:
    return cst.Attribute(value=cst.parse_expression(event), attr=cst.Name(method))


def _wait_instead(call: cst.Call, event: str) -> cst.Call:
    """``time.sleep(d)`` -> ``stop.wait(d)``: the arguments stay as they are written."""
    return call.with_changes(func=_event_method(event, "wait"))


def _wait_or_break(line: cst.SimpleStatementLine, event: str) -> cst.If:
    wait = _wait_instead(_sleep_call(line), event)
    return cst.If(test=wait, leading_lines=line.leading_lines,
                  body=cst.IndentedBlock(header=line.trailing_whitespace,
                                         body=[cst.SimpleStatementLine(body=[cst.Break()])]))


def _with_block(line: cst.SimpleStatementLine, manager: cst.BaseExpression, inner: cst.BaseExpression) -> cst.With:
    """``with manager:`` around ``await inner``, where the pause's line was, keeping its comments."""
    body = cst.IndentedBlock(header=line.trailing_whitespace,
                             body=[cst.SimpleStatementLine(body=[cst.Expr(cst.Await(inner))])])
    return cst.With(items=[cst.WithItem(manager)], body=body, leading_lines=line.leading_lines)


def _wait_for_event(line: cst.SimpleStatementLine, event: str, contextlib: str, asyncio: str) -> cst.With:
    delay = _delay(line)
    suppress = cst.Call(func=cst.Attribute(cst.Name(contextlib), cst.Name("suppress")),
                        args=[cst.Arg(cst.Attribute(cst.Name(asyncio), cst.Name("TimeoutError")))])
    wait = cst.Call(func=cst.Attribute(cst.Name(asyncio), cst.Name("wait_for")),
                    args=[cst.Arg(cst.Call(func=_event_method(event, "wait")),
                                  comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
                          cst.Arg(delay)])
    return _with_block(line, suppress, wait)


def _move_on_after(line: cst.SimpleStatementLine, event: str, library: str) -> cst.With:
    delay = _delay(line)
    scope = cst.Call(func=cst.Attribute(cst.Name(library), cst.Name("move_on_after")), args=[cst.Arg(delay)])
    return _with_block(line, scope, cst.Call(func=_event_method(event, "wait")))
