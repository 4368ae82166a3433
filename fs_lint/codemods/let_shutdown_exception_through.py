"""FSR003's fix: a handler in a loop lets the shutdown exception it names go on.

Two shapes, after what the handler catches:

- Only shutdown exceptions (``except asyncio.CancelledError:``): what the
  handler does stays (logging, cleanup) and it ends with a bare ``raise``.
  A ``continue`` that would go round again becomes that ``raise``, and so does
  a body that was only ``pass``.
- Shutdown exceptions next to ordinary ones (``except (ConnectionError,
  CancelledError)``, ``suppress(OSError, CancelledError)``): the shutdown ones
  are taken out and the ordinary ones handled as before. A ``with
  suppress(CancelledError):`` that suppresses nothing else is removed and its
  body moves out one level.

Either way the program behaves differently only when it is told to stop, so the
fix is safe. It refuses where it cannot be sure that is all it does: a handler
body that tests for the exception being taken out (that code would go dead), a
``continue`` inside a nested ``try`` (a bare ``raise`` there would re-raise the
wrong exception), a ``finally`` that can ``continue`` (it would swallow the
exception again), and a ``with suppress(...)`` block whose trailing comments
would lose their place.
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
from ..analysis.shutdown_exceptions import classify
from .base import CannotFix, Edit, FixContext, NodeChange
from .exception_lists import (cst_handler_class, drop_with_items, edit_call_args, edit_handler_type, has_comment,
                              shutdown_tests)

CODE = "FSR003"
_TRY_TYPES = (ast.Try,) + ((ast.TryStar,) if hasattr(ast, "TryStar") else ())
_LOOP_TYPES = (ast.While, ast.For, ast.AsyncFor)


def plan(finding: Finding, context: FixContext) -> Edit:
    handler = context.handler_at(finding)
    elements = _elements(handler)
    imports = context.analysis.imports
    shutdown = {i for i, element in enumerate(elements) if classify(element, imports).kinds}
    if any(isinstance(elements[i], ast.Tuple) for i in shutdown):
        raise CannotFix("the shutdown exception sits in a nested tuple; take it out by hand")
    if len(shutdown) < len(elements):
        return _take_out(finding, handler, shutdown, context)
    if handler.is_suppress:
        return _remove_suppress(finding, handler, context)
    return _reraise(finding, handler, context)


def _elements(handler: Handler) -> list[ast.expr]:
    if handler.is_suppress:
        return list(handler.node.args)
    caught = handler.node.type
    return list(caught.elts) if isinstance(caught, ast.Tuple) else [caught]


# -- shutdown exceptions next to ordinary ones: take them out ----------------------------------


def _take_out(finding: Finding, handler: Handler, shutdown: set[int], context: FixContext) -> Edit:
    for mention in shutdown_tests(handler):
        raise CannotFix(
            f"the handler body tests for `{ast.unparse(mention)}` (line {mention.lineno}); taking it out of "
            "the handler would leave that code dead")
    position = context.position(handler.node)
    if handler.is_suppress:
        change = NodeChange(cst.Call, position, partial(edit_call_args, replace={}, drop=shutdown))
    else:
        change = NodeChange(cst_handler_class(handler), position,
                            partial(edit_handler_type, replace={}, drop=shutdown))
    return Edit(finding, (change,))


# -- only shutdown exceptions: re-raise -----------------------------------------------------------


def _reraise(finding: Finding, handler: Handler, context: FixContext) -> Edit:
    _refuse_a_deliberate_handler(handler, context)
    for node, _ in _continues(handler.statement.finalbody):
        raise CannotFix(f"the `continue` at line {node.lineno}, in the `finally` block, would swallow the "
                        "re-raised exception again")
    changes = []
    for node, in_a_try in _continues(handler.body):
        if in_a_try:  # a bare ``raise`` there could re-raise the nested handler's exception, or be caught
            raise CannotFix(f"the `continue` at line {node.lineno} is inside a nested `try`; re-raise there by hand")
        changes.append(NodeChange(cst.Continue, context.position(node), _raise_instead))
    if cf.NEXT in cf.outcomes(handler.body, context.analysis.imports.qualified_name):
        only = handler.body[0] if len(handler.body) == 1 else None
        if isinstance(only, ast.Pass):
            changes.append(NodeChange(cst.Pass, context.position(only), _raise_instead))
        elif isinstance(only, ast.Expr) and isinstance(only.value, ast.Constant) and only.value.value is Ellipsis:
            changes.append(NodeChange(cst.Expr, context.position(only), _raise_instead))
        else:
            changes.append(NodeChange(cst_handler_class(handler), context.position(handler.node), _end_with_raise))
    return Edit(finding, tuple(changes))


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


def _end_with_raise(handler: cst.ExceptHandler) -> cst.ExceptHandler:
    body = handler.body
    if isinstance(body, cst.IndentedBlock):
        return handler.with_changes(body=body.with_changes(
            body=[*body.body, cst.SimpleStatementLine(body=[cst.Raise()])]))
    return handler.with_changes(body=body.with_changes(body=[*body.body, cst.Raise()]))


# -- ``with suppress(CancelledError):``: the item goes, and the ``with`` if it was the only one ----


def _remove_suppress(finding: Finding, handler: Handler, context: FixContext) -> Edit:
    statement = handler.statement
    item = next(i for i in statement.items if i.context_expr is handler.node)
    if item.optional_vars is not None:
        raise CannotFix("the `with` binds the suppress() context manager to a name; remove it by hand")
    removal = _ItemRemoval()
    return Edit(finding, (
        NodeChange(cst.WithItem, context.position(handler.node), removal.mark),
        NodeChange(cst.With, context.position(statement), removal.apply),
    ))


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
