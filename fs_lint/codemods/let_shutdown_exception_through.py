"""FSR003's fix: a handler in a loop lets the shutdown exceptions at stake go on.

What it does depends on what the handler catches, and on what each exception means there
(``own_stop``):

- The task's cancellation (asyncio), alone or next to ordinary errors: the handler re-raises
  first when the task itself is being cancelled, ``if asyncio.current_task().cancelling():
  raise`` (Python 3.11+) or the stop flag the code sets where it cancels this task, and handles
  every other ``CancelledError`` (a job that was cancelled, a pre-empted operation) as before.
- Only other shutdown exceptions (``except KeyboardInterrupt:``): what the handler does stays
  (logging, cleanup) and it ends with a bare ``raise``. A ``continue`` that would go round again
  becomes that ``raise``, and so does a body that was only ``pass``. A comment or log line that
  says it goes on is removed (``stale_words``).
- Those next to ordinary ones (``except (ConnectionError, KeyboardInterrupt)``,
  ``suppress(OSError, SystemExit)``): they are taken out and the ordinary ones handled as before.
  A ``with suppress(KeyboardInterrupt):`` that suppresses nothing else is removed, its body moves
  out one level, and ``contextlib`` goes if nothing else uses it.

Either way the program behaves differently only when it is told to stop, so the fix is safe
(unless ``own_stop`` says otherwise). It refuses where it cannot be sure that is all it does: a
handler body that tests for the exception being taken out (that code would go dead), a
``continue`` inside a nested ``try`` (a bare ``raise`` there would re-raise the wrong exception),
a ``finally`` that can ``continue`` (it would swallow the exception again), a handler that already
re-raises by its own logic or stops on purpose, a ``with suppress(...)`` block whose trailing
comments would lose their place, a ``suppress(...)`` of the task's cancellation (it has no place
for the guard), and what ``own_stop`` refuses.
"""

from __future__ import annotations

import ast
from functools import partial
from typing import Iterator

import libcst as cst

from ..analysis import control_flow as cf
from ..findings import Finding
from ..syntax.local_nodes import walk_local
from ..analysis.retry_loops import Handler
from ..analysis.shutdown_exceptions import CANCELLATION, classify
from .base import CannotFix, Edit, FixContext, NodeChange
from .exception_lists import (cst_handler_class, drop_with_items, edit_call_args, edit_handler_type, has_comment,
                              shutdown_tests)
from .handler_bodies import as_indented_block, guard_first, raise_at_end
from .module_names import import_behind
from .own_stop import ASYNCIO, OwnStop, cancellation_flavor, own_stop
from .source_text import code_of
from .stale_words import ALWAYS_RERAISES, OWN_CANCELLATION, STILL_HANDLES, Stale, stale_texts, without_stale

CODE = "FSR003"
_TRY_TYPES = (ast.Try,) + ((ast.TryStar,) if hasattr(ast, "TryStar") else ())
_LOOP_TYPES = (ast.While, ast.For, ast.AsyncFor)


def plan(finding: Finding, context: FixContext) -> Edit:
    handler = context.handler_at(finding)
    elements = _elements(handler)
    imports = context.analysis.imports
    kinds = [classify(element, imports).kinds for element in elements]
    shutdown = {i for i, k in enumerate(kinds) if k}
    if any(isinstance(elements[i], ast.Tuple) for i in shutdown):
        raise CannotFix("the shutdown exception sits in a nested tuple; take it out by hand")
    stake = handler.swallows
    # The task's own cancellation (asyncio's) is told apart by a guard; trio's and anyio's, and the
    # other stop requests, leave the handler.
    guarded = {i for i in shutdown if CANCELLATION in kinds[i] and cancellation_flavor(elements[i], context) == ASYNCIO}
    if guarded:
        flavor = ASYNCIO
    else:
        flavor = next((cancellation_flavor(elements[i], context) for i in shutdown if CANCELLATION in kinds[i]), None)
    stop = own_stop(handler, stake, context, flavor)
    out = {i for i in shutdown - guarded if kinds[i] & stake}
    taken_out = frozenset().union(*(kinds[i] for i in out)) if out else frozenset()
    if guarded:
        return _guard(finding, handler, stop, out, taken_out, context)
    if len(out) < len(elements):
        return _take_out(finding, handler, out, taken_out, stop, context)
    if handler.is_suppress:
        return _remove_suppress(finding, handler, stop, context)
    return _reraise(finding, handler, stop, context)


def _elements(handler: Handler) -> list[ast.expr]:
    if handler.is_suppress:
        return list(handler.node.args)
    caught = handler.node.type
    return list(caught.elts) if isinstance(caught, ast.Tuple) else [caught]


def _edit(finding: Finding, changes: list[NodeChange], stop: OwnStop, stale: list[Stale] = (), **more) -> Edit:
    return Edit(finding, tuple(changes), unsafe_because=stop.unsafe_because, adds_imports=stop.guard_imports,
                notes=tuple(s.note() for s in stale), **more)


# -- the task's own cancellation: re-raise it first, handle the others as before ----------------


def _guard(finding: Finding, handler: Handler, stop: OwnStop, out: set[int], taken_out: frozenset[str],
           context: FixContext) -> Edit:
    if handler.is_suppress:
        return _suppress_as_try(finding, handler, stop, out, context)
    _refuse_a_deliberate_handler(handler, context)
    _refuse_a_finally_that_goes_on(handler)
    if out:
        _refuse_dead_tests(handler)
    stale = stale_texts(handler, context, STILL_HANDLES if out else OWN_CANCELLATION, taken_out)
    change = NodeChange(cst_handler_class(handler), context.position(handler.node),
                        partial(_guard_and_take_out, test=stop.guard, drop=out, stale=stale))
    return _edit(finding, [change], stop, stale)


def _guard_and_take_out(clause: cst.ExceptHandler, test: str, drop: set[int], stale: list[Stale]) -> cst.ExceptHandler:
    if drop:
        clause = edit_handler_type(clause, replace={}, drop=drop)
    return guard_first(without_stale(clause, stale), test)


def _suppress_as_try(finding: Finding, handler: Handler, stop: OwnStop, out: set[int], context: FixContext) -> Edit:
    """``with suppress(CancelledError): body`` -> ``try: body`` / ``except CancelledError:`` with the guard:
    ``suppress`` has no place for it."""
    statement = handler.statement
    if len(statement.items) != 1 or statement.items[0].optional_vars is not None:
        raise CannotFix("`suppress(...)` has no place to tell the task's own cancellation from that of a task it "
                        "awaits, and this `with` does more than suppress; write it as a `try` whose `except` "
                        f"re-raises first when `{stop.guard}`")
    unused = import_behind(context, handler.node.func, "contextlib")
    change = NodeChange(cst.With, context.position(statement), partial(_try_instead, test=stop.guard, drop=out))
    return _edit(finding, [change], stop, unused_imports=(unused,) if unused else ())


def _try_instead(statement: cst.With, test: str, drop: set[int]) -> cst.Try:
    call = statement.items[0].item
    if not isinstance(call, cst.Call) or statement.asynchronous is not None:
        raise CannotFix("the `with` no longer holds the suppress() call where it was planned")
    kept = [code_of(arg.value) for i, arg in enumerate(call.args) if i not in drop]
    if any(arg.star for arg in call.args) or not kept:
        raise CannotFix("the suppress() call unpacks its exceptions; write the `try` by hand")
    body = as_indented_block(statement.body)
    caught = kept[0] if len(kept) == 1 else f"({', '.join(kept)})"
    clause = guard_first(cst.ExceptHandler(body=cst.IndentedBlock(body=[], indent=body.indent),
                                           type=cst.parse_expression(caught)), test)
    return cst.Try(body=body, handlers=[clause], leading_lines=statement.leading_lines)


# -- shutdown exceptions next to ordinary ones: take them out ----------------------------------


def _take_out(finding: Finding, handler: Handler, out: set[int], taken_out: frozenset[str], stop: OwnStop,
              context: FixContext) -> Edit:
    _refuse_dead_tests(handler)
    position = context.position(handler.node)
    if handler.is_suppress:
        change = NodeChange(cst.Call, position, partial(edit_call_args, replace={}, drop=out))
        return _edit(finding, [change], stop)
    stale = stale_texts(handler, context, STILL_HANDLES, taken_out)
    change = NodeChange(cst_handler_class(handler), position, partial(_take_out_of_clause, drop=out, stale=stale))
    return _edit(finding, [change], stop, stale)


def _take_out_of_clause(clause: cst.ExceptHandler, drop: set[int], stale: list[Stale]) -> cst.ExceptHandler:
    return without_stale(edit_handler_type(clause, replace={}, drop=drop), stale)


def _refuse_dead_tests(handler: Handler) -> None:
    for mention in shutdown_tests(handler):
        raise CannotFix(
            f"the handler body tests for `{ast.unparse(mention)}` (line {mention.lineno}); taking it out of "
            "the handler would leave that code dead")


# -- only shutdown exceptions: re-raise -----------------------------------------------------------


def _reraise(finding: Finding, handler: Handler, stop: OwnStop, context: FixContext) -> Edit:
    _refuse_a_deliberate_handler(handler, context)
    _refuse_a_finally_that_goes_on(handler)
    stale = stale_texts(handler, context, ALWAYS_RERAISES, handler.swallows)
    changes = []
    for node, in_a_try in _continues(handler.body):
        if in_a_try:  # a bare ``raise`` there could re-raise the nested handler's exception, or be caught
            raise CannotFix(f"the `continue` at line {node.lineno} is inside a nested `try`; re-raise there by hand")
        changes.append(NodeChange(cst.Continue, context.position(node), _raise_instead))
    ends_with_raise = False
    if cf.NEXT in cf.outcomes(handler.body, context.analysis.qualify):
        only = handler.body[0] if len(handler.body) == 1 else None
        if isinstance(only, ast.Pass):
            changes.append(NodeChange(cst.Pass, context.position(only), _raise_instead))
        elif isinstance(only, ast.Expr) and isinstance(only.value, ast.Constant) and only.value.value is Ellipsis:
            changes.append(NodeChange(cst.Expr, context.position(only), _raise_instead))
        else:
            ends_with_raise = True
    if ends_with_raise or stale:
        changes.append(NodeChange(cst_handler_class(handler), context.position(handler.node),
                                  partial(_finish_handler, end_with_raise=ends_with_raise, stale=stale)))
    return _edit(finding, changes, stop, stale)


def _finish_handler(clause: cst.ExceptHandler, end_with_raise: bool, stale: list[Stale]) -> cst.ExceptHandler:
    if end_with_raise:
        clause = raise_at_end(clause)
    return without_stale(clause, stale)


def _refuse_a_finally_that_goes_on(handler: Handler) -> None:
    for node, _ in _continues(handler.statement.finalbody):
        raise CannotFix(f"the `continue` at line {node.lineno}, in the `finally` block, would swallow the "
                        "re-raised exception again")


def _refuse_a_deliberate_handler(handler: Handler, context: FixContext) -> None:
    """A handler that re-raises on some path, or asks its object to stop, decides by its own logic.

    ``if interrupt: interrupt = False`` / ``else: raise`` consumes one cancellation the code sent
    itself; ``except KeyboardInterrupt: self.stop()`` is a graceful stop. A ``raise`` appended
    after either would make that logic dead: the handler is left to its author.
    """
    for node in walk_local(handler.body):
        if isinstance(node, ast.Raise):
            raise CannotFix(f"the handler already raises at line {node.lineno} and goes on only on the other paths, "
                            "by its own logic; a `raise` at its end would make that logic dead")
    call = handler.stop_call
    if call is not None:
        raise CannotFix(f"the handler stops on purpose: `{ast.unparse(call.func)}()` at line {call.lineno} sets what "
                        "the loop tests; a `raise` at its end would turn that stop into a traceback")


def _continues(body: list[ast.stmt], in_a_try: bool = False) -> Iterator[tuple[ast.Continue, bool]]:
    """The ``continue`` statements of ``body`` that go round the enclosing loop, and whether a ``try``
    inside ``body`` holds them (a ``continue`` of a loop nested in ``body`` is that loop's)."""
    for stmt in body:
        if isinstance(stmt, ast.Continue):
            yield stmt, in_a_try
        elif isinstance(stmt, _TRY_TYPES):
            for block in (stmt.body, *(h.body for h in stmt.handlers), stmt.orelse, stmt.finalbody):
                yield from _continues(block, True)
        elif isinstance(stmt, ast.If):
            yield from _continues(stmt.body, in_a_try)
            yield from _continues(stmt.orelse, in_a_try)
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            yield from _continues(stmt.body, in_a_try)
        elif isinstance(stmt, ast.Match):
            for case in stmt.cases:
                yield from _continues(case.body, in_a_try)
        elif isinstance(stmt, _LOOP_TYPES):
            yield from _continues(stmt.orelse, in_a_try)


def _raise_instead(statement: cst.Continue | cst.Pass | cst.Expr) -> cst.Raise:
    return cst.Raise(semicolon=statement.semicolon)


# -- ``with suppress(KeyboardInterrupt):``: the item goes, and the ``with`` if it was the only one ---


def _remove_suppress(finding: Finding, handler: Handler, stop: OwnStop, context: FixContext) -> Edit:
    statement = handler.statement
    item = next(i for i in statement.items if i.context_expr is handler.node)
    if item.optional_vars is not None:
        raise CannotFix("the `with` binds the suppress() context manager to a name; remove it by hand")
    removal = _ItemRemoval()
    unused = import_behind(context, handler.node.func, "contextlib")
    changes = [NodeChange(cst.WithItem, context.position(handler.node), removal.mark),
               NodeChange(cst.With, context.position(statement), removal.apply)]
    return _edit(finding, changes, stop, unused_imports=(unused,) if unused else ())


class _ItemRemoval:
    """Takes one item out of a ``with``: the item is marked on the way up, then dropped by its statement.

    (LibCST cannot remove the last item of a ``with`` on its own: a ``with``
    without items is not a node it can build, so the statement decides.)
    """

    def __init__(self) -> None:
        self._item: cst.WithItem | None = None

    def mark(self, item: cst.WithItem) -> cst.WithItem:
        self._item = item
        return item

    def apply(self, statement: cst.With) -> cst.With | cst.FlattenSentinel | cst.SimpleStatementLine:
        index = next((i for i, item in enumerate(statement.items) if item is self._item), None)
        if index is None:
            raise CannotFix("the suppress() item was not found in its `with` statement")
        if len(statement.items) == 1:
            return _unwrap(statement)
        return drop_with_items(statement, {index})


def _unwrap(statement: cst.With) -> cst.FlattenSentinel | cst.SimpleStatementLine:
    body = statement.body
    if isinstance(body, cst.SimpleStatementSuite):
        return cst.SimpleStatementLine(body=body.body, leading_lines=statement.leading_lines,
                                       trailing_whitespace=body.trailing_whitespace)
    assert isinstance(body, cst.IndentedBlock)
    if body.footer:
        raise CannotFix("the comments at the end of the `with suppress(...)` block would lose their place; "
                        "remove the `with` by hand")
    header_alone = statement.with_changes(body=cst.SimpleStatementSuite(body=[cst.Pass()]), leading_lines=())
    if has_comment(header_alone):
        raise CannotFix("the comments inside the `with suppress(...)` line would be lost; remove it by hand")
    header = []
    if body.header.comment is not None:  # ``with suppress(X):  # why`` keeps its comment, on a line of its own
        header = [cst.EmptyLine(comment=body.header.comment)]
    first, *rest = body.body
    first = first.with_changes(leading_lines=[*statement.leading_lines, *header, *first.leading_lines])
    return cst.FlattenSentinel([first, *rest])
