"""FSR001's fix: a retry loop reads the shutdown flag or event the code already has.

``shutdown_indicators`` finds it (``self._closing``, ``stop_event``, ``self._running``);
this module makes the loop read it:

- ``while True:`` becomes ``while not self._closing:`` (``while self._running:``
  for a flag that says "go on", ``while not stop.is_set():`` for an Event);
- ``while cond:`` becomes ``while cond and not self._closing:``;
- a ``for`` over an endless iterator gets ``if self._closing: break`` first;
- with a ``threading.Event``, a ``time.sleep(d)`` standing alone in the loop
  body or in a handler of the loop becomes ``if stop.wait(d): break``: it
  pauses as long, and wakes up as soon as the event is set.

The loop then behaves differently only once the program is told to stop: a
safe fix. Where leaving the loop would run code written for success (code
after the loop, a ``while ... else:``, an enclosing loop that would go round
again), the function ends where the loop is stopped instead: ``if
self._closing: return`` first in the loop (and ``if stop.wait(d): return`` for
its pauses), so that code still runs only after a success. That is refused in a
function annotated ``NoReturn``, and at module level, where there is no function
to end, the loop falls through as before (unsafe) unless what follows exits
with a failure, logs a CRITICAL line or launches a program: then it is refused,
naming that code. The fix is unsafe when the function returns a value (it would
return None on a stop) or when the indicator might not hold its "go on" value,
or not exist, when the loop first reads it; and it is refused when the flag
belongs to a thread object while other threads run the loop's method too. Without an indicator
there is no fix: inventing a flag that nothing sets would only hide the finding.
"""

from __future__ import annotations

import ast
from functools import partial
from typing import Iterator

import libcst as cst

from ..findings import Finding
from ..syntax.local_nodes import is_none, walk_local
from ..analysis.retry_loops import Loop
from ..analysis.shutdown_indicators import NoIndicator, find_indicator
from .base import CannotFix, Edit, FixContext, NodeChange

CODE = "FSR001"
_LOOP_TYPES = (ast.While, ast.For, ast.AsyncFor)
_TRY_TYPES = (ast.Try,) + ((ast.TryStar,) if hasattr(ast, "TryStar") else ())
# Expressions that bind looser than ``and``: ``a or b and not stop`` would not mean what it says.
_LOOSER_THAN_AND = (cst.IfExp, cst.Lambda, cst.NamedExpr)


def plan(finding: Finding, context: FixContext) -> Edit:
    loop = context.loop_at(finding)
    try:
        indicator = find_indicator(loop, context.tree, context.parents)
    except NoIndicator as missing:
        raise CannotFix(str(missing)) from missing
    _refuse_another_threads_flag(loop, indicator.expression, context)
    node = loop.node
    position = context.position(node)
    falls_into = _what_else_changes(loop, context)
    function = loop.function.node
    if falls_into is not None and function is not None:
        # Code written for success follows: the function ends where the loop is told to stop instead.
        _refuse_a_function_that_never_returns(function, falls_into)
        changes = [NodeChange(_cst_loop(node), position, partial(_return_first, test=indicator.stop_test))]
        if indicator.can_wait:
            changes += [NodeChange(cst.SimpleStatementLine, context.position(pause),
                                   partial(_wait_instead, event=indicator.expression, leave=cst.Return))
                        for pause in _sleeps(loop, context)]
        return Edit(finding, tuple(changes), unsafe_because=indicator.caveat or _returns_a_value(loop))
    if falls_into is not None and function is None:
        _refuse_what_was_never_meant_to_run(loop, context)
    if isinstance(node, ast.While):
        if isinstance(node.test, ast.Constant) and node.test.value:
            change = NodeChange(cst.While, position, partial(_test_instead, test=indicator.go_on_test))
        else:
            change = NodeChange(cst.While, position, partial(_test_also, test=indicator.go_on_test))
    else:
        change = NodeChange(cst.For, position, partial(_break_first, test=indicator.stop_test))
    changes = [change]
    if indicator.can_wait:
        changes += [NodeChange(cst.SimpleStatementLine, context.position(pause),
                               partial(_wait_instead, event=indicator.expression))
                    for pause in _sleeps(loop, context)]
    return Edit(finding, tuple(changes), unsafe_because=indicator.caveat or falls_into or _returns_a_value(loop))


# -- the loop header --------------------------------------------------------------------------------


def _test_instead(loop: cst.While, test: str) -> cst.While:
    old = loop.test
    return loop.with_changes(test=cst.parse_expression(test).with_changes(lpar=old.lpar, rpar=old.rpar))


def _test_also(loop: cst.While, test: str) -> cst.While:
    condition = loop.test
    looser = isinstance(condition, _LOOSER_THAN_AND) or (
        isinstance(condition, cst.BooleanOperation) and isinstance(condition.operator, cst.Or))
    if looser and not condition.lpar:
        condition = condition.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    both = cst.BooleanOperation(left=condition, operator=cst.And(), right=cst.parse_expression(test))
    return loop.with_changes(test=both)


def _break_first(loop: cst.For, test: str) -> cst.For:
    body = loop.body
    if not isinstance(body, cst.IndentedBlock):
        raise CannotFix("the loop body shares its line with the `for`; add the check by hand")
    check = cst.If(test=cst.parse_expression(test),
                   body=cst.IndentedBlock(body=[cst.SimpleStatementLine(body=[cst.Break()])]))
    return loop.with_changes(body=body.with_changes(body=[check, *body.body]))


# -- pauses that can wait on the event instead ----------------------------------------------------------


def _sleeps(loop: Loop, context: FixContext) -> Iterator[ast.Expr]:
    """``time.sleep(d)`` statements, alone on their line, in the loop body or a handler's body."""
    blocks = [loop.node.body] + [h.body for h in loop.handlers if not h.is_suppress]
    qualify = context.analysis.imports.qualified_name
    for block in blocks:
        for index, stmt in enumerate(block):
            if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
                continue
            call = stmt.value
            if (qualify(call.func) != "time.sleep" or len(call.args) != 1 or call.keywords
                    or isinstance(call.args[0], ast.Starred)):
                continue
            if _shares_a_line(block, index, context):
                continue
            yield stmt


def _shares_a_line(block: list[ast.stmt], index: int, context: FixContext) -> bool:
    stmt = block[index]
    if index > 0 and block[index - 1].end_lineno == stmt.lineno:
        return True
    if index + 1 < len(block) and block[index + 1].lineno == stmt.end_lineno:
        return True
    return context.line(stmt.lineno)[: stmt.col_offset].strip() != b""  # ``except OSError: time.sleep(1)``


def _wait_instead(line: cst.SimpleStatementLine, event: str, leave: type = cst.Break) -> cst.If:
    (statement,) = line.body
    call = statement.value  # type: ignore[attr-defined]
    (delay,) = call.args
    wait = cst.Call(func=cst.Attribute(value=cst.parse_expression(event), attr=cst.Name("wait")),
                    args=[delay.with_changes(comma=cst.MaybeSentinel.DEFAULT)])
    return cst.If(test=wait, leading_lines=line.leading_lines,
                  body=cst.IndentedBlock(header=line.trailing_whitespace,
                                         body=[cst.SimpleStatementLine(body=[leave()])]))


# -- what else stopping the loop would run ----------------------------------------------------------


def _what_else_changes(loop: Loop, context: FixContext) -> str | None:
    """Why leaving the loop on shutdown would run code that a shutdown did not reach before, if it would
    (then the fix ends the function where the loop is stopped instead, when there is a function)."""
    node = loop.node
    if isinstance(node, ast.While) and node.orelse:
        return f"the loop's `else:` block (line {node.orelse[0].lineno}) would run when it stops for shutdown"
    function = loop.function.node
    current: ast.AST = node
    while True:
        parent = context.parents.get(id(current))
        if parent is None:
            break
        if isinstance(parent, (ast.ExceptHandler, ast.match_case)):
            current = context.parents[id(parent)]
            continue
        block = _block_holding(parent, current)
        after = block[block.index(current) + 1:] if block is not None else []
        if after:
            return f"the code after the loop (line {after[0].lineno}) would run when it stops for shutdown"
        if parent is function or isinstance(parent, (ast.Module, ast.ClassDef)):
            break
        if isinstance(parent, _LOOP_TYPES) and block is parent.body:
            return f"the enclosing loop at line {parent.lineno} would go round again"
        if isinstance(parent, _TRY_TYPES) and block is parent.body and parent.orelse:
            return (f"the `else:` block at line {parent.orelse[0].lineno} would run when the loop "
                    "stops for shutdown")
        current = parent
    return None


def _returns_a_value(loop: Loop) -> str | None:
    function = loop.function.node
    if function is None or loop.function.is_generator:
        return None
    for inner in walk_local(function.body):
        if isinstance(inner, ast.Return) and inner.value is not None and not is_none(inner.value):
            return (f"`{function.name}()` returns a value (line {inner.lineno}); stopping the loop for "
                    "shutdown would make it return None")
    return None


def _cst_loop(node: ast.AST) -> type[cst.CSTNode]:
    return cst.While if isinstance(node, ast.While) else cst.For


def _return_first(loop: cst.While | cst.For, test: str) -> cst.While | cst.For:
    """``if self._closing: return`` as the loop's first statement: the stop ends the function, and the
    code after the loop, written for success, does not run."""
    body = loop.body
    if not isinstance(body, cst.IndentedBlock):
        raise CannotFix("the loop body shares its line with the loop; add the check by hand")
    check = cst.If(test=cst.parse_expression(test),
                   body=cst.IndentedBlock(body=[cst.SimpleStatementLine(body=[cst.Return()])]))
    return loop.with_changes(body=body.with_changes(body=[check, *body.body]))


_NEVER_RETURNS = frozenset({"NoReturn", "Never", "typing.NoReturn", "typing.Never", "typing_extensions.NoReturn",
                            "typing_extensions.Never"})


def _refuse_a_function_that_never_returns(function: ast.FunctionDef | ast.AsyncFunctionDef, falls_into: str) -> None:
    """Ending a ``NoReturn`` function at the stop would break its promise; falling through runs ``falls_into``."""
    returns = function.returns
    text = ast.unparse(returns).strip("'\"") if returns is not None else ""
    if text in _NEVER_RETURNS:
        raise CannotFix(f"`{function.name}()` is annotated `{text}`, so it cannot end where the loop is stopped, "
                        f"and leaving the loop instead, {falls_into}")


_FAILURE_WORDS = ("critical", "fatal")
_LAUNCHES = ("subprocess.", "os.exec", "os.spawn", "os.fork", "os.system", "os.popen")


def _refuse_what_was_never_meant_to_run(loop: Loop, context: FixContext) -> None:
    """Module-level code after the loop that ends the program as a failure, or launches something."""
    qualify = context.analysis.imports.qualified_name
    for statement in _after_in_its_block(loop.node, context.parents.get(id(loop.node))):
        for node in ast.walk(statement):
            if not isinstance(node, ast.Call):
                continue
            name = qualify(node.func) or ast.unparse(node.func)
            failing_exit = name in ("sys.exit", "os._exit", "exit") and not (
                not node.args or isinstance(node.args[0], ast.Constant) and node.args[0].value in (0, None))
            if failing_exit or name.rsplit(".", 1)[-1] in _FAILURE_WORDS or name.startswith(_LAUNCHES):
                raise CannotFix(f"the code after the loop, `{ast.unparse(node)[:60]}` at line {node.lineno}, was "
                                "never meant to run on a stop; end the program where the loop is stopped by hand")


def _refuse_another_threads_flag(loop: Loop, expression: str, context: FixContext) -> None:
    """``self.running`` of a Thread subclass, read by a method that other threads call too.

    The flag stops that one thread object; the same method run by another thread (``WorkerThread``
    calling ``consumer.post_process_message(...)``) goes on until that object is stopped, which is
    not what stops the caller.
    """
    function = loop.function.node
    if function is None or not expression.startswith("self."):
        return
    contexts = context.analysis.contexts
    cls = contexts.class_of(function)
    if cls is None or not contexts.is_thread_class(cls):
        return
    for caller in contexts.functions:
        caller_class = contexts.class_of(caller)
        if caller_class is None or caller_class is cls:
            continue
        for node in walk_local(caller.body):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr == function.name and not _is_own(node.func.value):
                raise CannotFix(f"`{expression}` is the flag of the `{cls.name}` object, but `{function.name}()` also "
                                f"runs on `{caller_class.name}`'s thread (line {node.lineno}), which that flag does "
                                "not stop")


def _is_own(receiver: ast.expr) -> bool:
    return isinstance(receiver, ast.Name) and receiver.id in ("self", "cls")


def _after_in_its_block(node: ast.AST, parent: ast.AST | None) -> list[ast.stmt]:
    """The statements after ``node`` in the block of ``parent`` that holds it."""
    block = _block_holding(parent, node) if parent is not None else None
    return block[block.index(node) + 1:] if block is not None else []


def _block_holding(parent: ast.AST, child: ast.AST) -> list[ast.stmt] | None:
    for name in ("body", "orelse", "finalbody"):
        block = getattr(parent, name, None)
        if isinstance(block, list) and any(s is child for s in block):
            return block
    return None
