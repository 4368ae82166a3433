"""FSR002's fix: the broad handler lets through the stop requests at stake, and only them.

``except:`` and ``except BaseException`` catch what Python raises to say
"stop" (KeyboardInterrupt, SystemExit, a task's cancellation, GeneratorExit),
but also every other ``BaseException`` subclass: gevent's and eventlet's
``Timeout`` and ``GreenletExit``, a library's own ``BaseException`` errors.
Narrowing the handler to ``Exception`` would stop catching those too, which
changes what the program does while it runs (tenacity retries
``gevent.Timeout`` on purpose). So the handler stays as it is, and only the stop
requests that the finding names, and that mean "stop" there (``own_stop``), get
through:

- KeyboardInterrupt, SystemExit, GeneratorExit and trio's or anyio's
  cancellation in a clause before it::

      except KeyboardInterrupt:
          raise
      except BaseException:
          ...

- the task's own cancellation (asyncio) by a guard first in the broad handler,
  ``if asyncio.current_task().cancelling(): raise`` (Python 3.11+) or the stop
  flag the code sets where it cancels this task: a ``CancelledError`` that only
  says a task it awaited was cancelled is handled as before.

A handler that finishes the step it guards (``self._task_done(task)``,
``pending.discard(task)``: quick calls and logging, no pause, no ``continue``)
would leave the task pending if a stop skipped it: there the stop requests are
re-raised at its end instead, ``if isinstance(exc, (...)): raise`` (or the
guard), binding ``as exc`` when the handler had no name. Everything else is
caught and handled as before, so the fix is safe, unless ``own_stop`` says a
KeyboardInterrupt cannot be a Ctrl-C there. A comment on the handler that says
it goes on after one of those stop requests is removed (``stale_words``).

Refused: ``suppress(BaseException)``, which has no clause to put first (write
the ``try`` by hand); a handler body that tests for a shutdown exception
(that code would go dead); a module that binds one of the names the clause
spells; whatever ``own_stop`` refuses (a ``SystemExit`` around plugins, a
cancellation before 3.11 without a stop flag).
"""

from __future__ import annotations

import ast
from functools import partial

import libcst as cst

from ..analysis import control_flow as cf
from ..syntax.local_nodes import walk_local
from ..analysis.quick_calls import body_can_block, is_logging
from ..syntax.names import last_name, words
from ..analysis.retry_loops import Handler
from ..findings import Finding
from .base import CannotFix, Edit, FixContext, NodeChange
from .exception_lists import cst_handler_class, cst_try_class, shutdown_tests
from .handler_bodies import guard_first, reraise_after
from .own_stop import own_stop
from .stale_words import STILL_HANDLES, Stale, stale_texts, without_stale

CODE = "FSR002"
# Words of a call that finishes the step a handler guards: ``self._task_done(task)``, ``pending.discard(t)``.
_FINISHING_WORDS = frozenset({"done", "discard", "remove", "release", "finish", "finished", "complete",
                              "completed", "cleanup", "unregister", "set_exception", "fail", "failed"})


def plan(finding: Finding, context: FixContext) -> Edit:
    handler = context.handler_at(finding)
    kinds = handler.swallows
    if not kinds:
        raise CannotFix("the handler lets no shutdown exception through that this code can receive")
    stop = own_stop(handler, kinds, context)
    if handler.is_suppress:
        instead = [f"an `except {stop.clause}: raise` clause before the broad one"] if stop.clause else []
        instead += [f"the broad `except` re-raising first when `{stop.guard}`"] if stop.guard else []
        raise CannotFix("`suppress(...)` has no clause to let the stop requests through first; write it as a "
                        f"`try` with {' and '.join(instead)}")
    for mention in shutdown_tests(handler):
        raise CannotFix(
            f"the handler body tests for `{ast.unparse(mention)}` (line {mention.lineno}); letting it through "
            "first would leave that code dead")
    stale = stale_texts(handler, context, STILL_HANDLES, kinds)
    notes = tuple(s.note() for s in stale)
    imports = stop.raised_imports + stop.guard_imports
    if _does_bookkeeping(handler, context):
        name = handler.node.name or _free_name(handler, context)
        tests = [test for test in (stop.guard, stop.clause and f"isinstance({name}, {stop.clause})") if test]
        change = NodeChange(cst_handler_class(handler), context.position(handler.node),
                            partial(_reraise_after, name=name, tests=tests, stale=stale))
        return Edit(finding, (change,), unsafe_because=stop.unsafe_because, adds_imports=imports, notes=notes)
    changes = []
    if stop.guard is not None or stale:
        changes.append(NodeChange(cst_handler_class(handler), context.position(handler.node),
                                  partial(_guard_first, guard=stop.guard, stale=stale)))
    if stop.clause is not None:
        statement = handler.statement
        index = statement.handlers.index(handler.node)
        changes.append(NodeChange(cst_try_class(statement), context.position(statement),
                                  partial(_insert_before, index=index, caught=stop.clause)))
    return Edit(finding, tuple(changes), unsafe_because=stop.unsafe_because, adds_imports=imports, notes=notes)


def _guard_first(clause: cst.ExceptHandler, guard: str | None, stale: list[Stale]) -> cst.ExceptHandler:
    clause = without_stale(clause, stale)
    return guard_first(clause, guard) if guard is not None else clause


def _reraise_after(clause: cst.ExceptHandler, name: str, tests: list[str], stale: list[Stale]) -> cst.ExceptHandler:
    return reraise_after(without_stale(clause, stale), name, tests)


def _does_bookkeeping(handler: Handler, context: FixContext) -> bool:
    """The handler records that the work is over (``self._task_done(task)``), quickly, and moves on.

    Such a handler ends every failed step, and a stop request should not skip it either (the
    task would stay pending): the stop exceptions are re-raised after it instead of before. A
    handler that pauses, goes round with ``continue``, or calls what may block (a reconnect)
    is a retry, and the stop requests skip it.
    """
    if handler.node.type is None or cf.outcomes(handler.body, context.analysis.qualify) != {cf.NEXT}:
        return False
    imports = context.analysis.imports
    calls = [n for n in walk_local(handler.body) if isinstance(n, ast.Call)]
    if not any(not is_logging(call, imports) and _FINISHING_WORDS & set(words(last_name(call.func) or ""))
               for call in calls):
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
