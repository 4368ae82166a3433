"""FSR002's fix: a clause before the broad handler lets the stop requests through, and only them.

``except:`` and ``except BaseException`` catch what Python raises to say
"stop" (KeyboardInterrupt, SystemExit, a task's cancellation, GeneratorExit),
but also every other ``BaseException`` subclass: gevent's and eventlet's
``Timeout`` and ``GreenletExit``, a library's own ``BaseException`` errors.
Narrowing the handler to ``Exception`` would stop catching those too, which
changes what the program does while it runs (tenacity retries
``gevent.Timeout`` on purpose). So the handler stays as it is, and a clause
before it re-raises exactly the shutdown exceptions the finding names::

    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:
        ...

The clause names what the finding says can arrive there:
``asyncio.CancelledError`` (or ``trio.Cancelled``, or anyio's
``get_cancelled_exc_class()``) in async code; KeyboardInterrupt and SystemExit,
always both, as the idiom writes them, where either can land; ``GeneratorExit``
in a generator.

A handler that only records that a step is over (``self._task_done(task)``,
quick calls and logging, no pause, no ``continue``) ends every failed step, and
a stop should not skip it (the task would stay pending): there the stop
exceptions are re-raised at its end instead, ``if isinstance(exc, (...)): raise``,
binding ``as exc`` when the handler had no name. Everything else is caught and handled as before, so the fix is safe.

Refused: ``suppress(BaseException)``, which has no clause to put first (write
the ``try`` by hand); a handler body that tests for a shutdown exception
(that code would go dead); a module that binds one of the names the clause
spells.
"""

from __future__ import annotations

import ast
from functools import partial

import libcst as cst

from ..analysis import control_flow as cf
from ..syntax.local_nodes import walk_local
from ..analysis.quick_calls import body_can_block, is_logging
from ..analysis.retry_loops import Handler
from ..analysis.shutdown_exceptions import CANCELLATION, GENERATOR_EXIT, KEYBOARD_INTERRUPT, SYSTEM_EXIT
from ..findings import Finding
from .base import CannotFix, Edit, FixContext, ModuleImport, NodeChange
from .exception_lists import cst_handler_class, cst_try_class, shutdown_tests
from .module_names import imported_name, module_reference

CODE = "FSR002"
_ORDER = (CANCELLATION, KEYBOARD_INTERRUPT, SYSTEM_EXIT, GENERATOR_EXIT)
_INTERRUPTS = frozenset({KEYBOARD_INTERRUPT, SYSTEM_EXIT})


def plan(finding: Finding, context: FixContext) -> Edit:
    handler = context.handler_at(finding)
    if handler.is_suppress:
        raise CannotFix("`suppress(...)` has no clause to let the stop requests through first; write it as a "
                        "`try` with an `except (KeyboardInterrupt, SystemExit): raise` clause before the broad one")
    for mention in shutdown_tests(handler):
        raise CannotFix(
            f"the handler body tests for `{ast.unparse(mention)}` (line {mention.lineno}); letting it through "
            "first would leave that code dead")
    kinds = handler.swallows
    if not kinds:
        raise CannotFix("the handler lets no shutdown exception through that this code can receive")
    spelled, imports = _spell(kinds, context)
    if _does_bookkeeping(handler, context):
        name = handler.node.name or _free_name(handler, context)
        change = NodeChange(cst_handler_class(handler), context.position(handler.node),
                            partial(_reraise_after, name=name, caught=spelled))
        return Edit(finding, (change,), adds_imports=imports)
    statement = handler.statement
    index = statement.handlers.index(handler.node)
    change = NodeChange(cst_try_class(statement), context.position(statement),
                        partial(_insert_before, index=index, caught=spelled))
    return Edit(finding, (change,), adds_imports=imports)


def _does_bookkeeping(handler: Handler, context: FixContext) -> bool:
    """The handler records that the work is over (``self._task_done(task)``), quickly, and moves on.

    Such a handler ends every failed step, and a stop request should not skip it either (the
    task would stay pending): the stop exceptions are re-raised after it instead of before. A
    handler that pauses, goes round with ``continue``, or calls what may block (a reconnect)
    is a retry, and the stop requests skip it.
    """
    if handler.node.type is None or cf.outcomes(handler.body, context.analysis.imports.qualified_name) != {cf.NEXT}:
        return False
    imports = context.analysis.imports
    calls = [n for n in walk_local(handler.body) if isinstance(n, ast.Call)]
    if not any(not is_logging(call, imports) for call in calls):
        return False
    function = handler.function.node

    def resolve(func: ast.expr):
        return context.analysis.contexts.resolve(func, function)

    return not body_can_block(handler.body, imports, resolve)


def _free_name(handler: Handler, context: FixContext) -> str:
    """A name for the caught exception that the module binds only as other handlers' exception, if at all."""
    handler_names = {n.name for n in ast.walk(context.tree) if isinstance(n, ast.ExceptHandler) and n.name}
    others = {n.id for n in ast.walk(context.tree) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    used = {n.id for n in walk_local(handler.body) if isinstance(n, ast.Name)}
    for name in ("exc", "error", "exc_"):
        if name not in used and (name not in context.bound_names or (name in handler_names and name not in others)):
            return name
    raise CannotFix("found no free name to bind the exception to")


def _reraise_after(clause: cst.ExceptHandler, name: str, caught: str) -> cst.ExceptHandler:
    """The handler's own work, then ``if isinstance(exc, (KeyboardInterrupt, SystemExit)): raise``."""
    guard = cst.parse_statement(f"if isinstance({name}, {caught}):\n    raise\n")
    body = clause.body
    if not isinstance(body, cst.IndentedBlock):
        raise CannotFix("the handler is written on one line; re-raise after it by hand")
    if body.footer:
        raise CannotFix("comments end the handler; re-raise after its work by hand")
    guard = guard.with_changes(body=guard.body.with_changes(indent=body.indent))
    changes: dict = {"body": body.with_changes(body=[*body.body, guard])}
    if clause.name is None:
        changes["name"] = cst.AsName(name=cst.Name(name))
    return clause.with_changes(**changes)


def _spell(kinds: frozenset[str], context: FixContext) -> tuple[str, tuple[ModuleImport, ...]]:
    """The exceptions to re-raise, as this module writes them, and the import they need."""
    names: list[str] = []
    imports: tuple[ModuleImport, ...] = ()
    if kinds & _INTERRUPTS:  # the idiom names both: letting through one that cannot arrive costs nothing
        kinds = kinds | _INTERRUPTS
    for kind in _ORDER:
        if kind not in kinds:
            continue
        if kind == CANCELLATION:
            name, imports = _cancellation(context)
        else:
            if kind in context.bound_names:
                raise CannotFix(f"this module binds its own name `{kind}`, so it might not mean the built-in")
            name = kind
        names.append(name)
    return (names[0] if len(names) == 1 else f"({', '.join(names)})"), imports


def _cancellation(context: FixContext) -> tuple[str, tuple[ModuleImport, ...]]:
    imports = context.analysis.imports
    if imports.imports_module("anyio") and not imports.imports_module("asyncio"):
        module, needed = module_reference(context, "anyio")
        return f"{module}.get_cancelled_exc_class()", needed
    if context.analysis.cancellation_name == "trio.Cancelled":
        module, needed = module_reference(context, "trio")
        return f"{module}.Cancelled", needed
    for source in ("asyncio", "asyncio.exceptions"):
        existing = imported_name(context, source, "CancelledError")
        if existing is not None:
            return existing, ()
    module, needed = module_reference(context, "asyncio")
    return f"{module}.CancelledError", needed


def _insert_before(statement: cst.Try | cst.TryStar, index: int, caught: str) -> cst.Try | cst.TryStar:
    handlers = list(statement.handlers)
    broad = handlers[index]
    star = isinstance(broad, cst.ExceptStarHandler)
    raise_line = cst.SimpleStatementLine(body=[cst.Raise()])
    # The blank lines above the broad clause (not its comments, which speak of it) go above the new one.
    blank = []
    for line in broad.leading_lines:
        if line.comment is not None:
            break
        blank.append(line)
    clause_type = cst.parse_expression(caught)
    body = cst.IndentedBlock(body=[raise_line], indent=broad.body.indent if isinstance(broad.body, cst.IndentedBlock)
                             else None)
    if star:
        clause: cst.CSTNode = cst.ExceptStarHandler(body=body, type=clause_type, leading_lines=blank)
    else:
        clause = cst.ExceptHandler(body=body, type=clause_type, leading_lines=blank)
    handlers.insert(index, clause)
    return statement.with_changes(handlers=handlers)
