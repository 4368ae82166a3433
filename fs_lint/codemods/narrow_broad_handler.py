"""FSR002's fix: a broad handler in a loop catches ``Exception`` instead.

``except:``, ``except BaseException`` and ``suppress(BaseException)`` catch
what Python raises to say "stop" (KeyboardInterrupt, SystemExit, a task's
cancellation, GeneratorExit). ``Exception`` is everything else, so the handler
keeps doing what it did for every ordinary error and lets only the stop
requests through. That is a safe fix: behaviour changes only while the program
is being stopped.

Only the name changes: ``builtins.BaseException`` becomes ``builtins.Exception``,
``as exc``, the body and its comments stay; inside a tuple ``BaseException``
is replaced in place and an ``Exception`` already there is not repeated.
"""

from __future__ import annotations

import ast
from functools import partial

import libcst as cst

from ..findings import Finding
from ..analysis.retry_loops import Handler
from ..analysis.shutdown_exceptions import classify
from .base import CannotFix, Edit, FixContext, FixFindings, NodeChange
from .exception_lists import edit_call_args, edit_handler_type, exception_named, shutdown_tests, with_handler_type

CODE = "FSR002"
_EXCEPTION = frozenset({"Exception", "builtins.Exception"})


def plan(finding: Finding, context: FixContext) -> Edit:
    handler = context.handler_at(finding)
    for mention in shutdown_tests(handler):
        raise CannotFix(
            f"the handler body tests for `{ast.unparse(mention)}` (line {mention.lineno}); narrowing the "
            "handler to Exception would leave that code dead")
    position = context.position(handler.node)
    if handler.is_suppress:
        replace, drop = _narrowing(handler.node.args, context)
        change = NodeChange(cst.Call, position, partial(edit_call_args, replace=replace, drop=drop))
    elif handler.node.type is None:
        _require_builtin_exception(context)
        change = NodeChange(_handler_node_type(handler), position, _catch_exception)
    else:
        caught = handler.node.type
        elements = caught.elts if isinstance(caught, ast.Tuple) else [caught]
        replace, drop = _narrowing(elements, context)
        change = NodeChange(_handler_node_type(handler), position,
                            partial(edit_handler_type, replace=replace, drop=drop))
    return Edit(finding, (change,))


def _narrowing(elements: list[ast.expr], context: FixContext) -> tuple[dict, set[int]]:
    """Which elements become ``Exception``, and which go because an earlier one already is."""
    imports = context.analysis.imports
    broad = [i for i, e in enumerate(elements) if classify(e, imports).broad]
    if not broad:
        raise CannotFix("found no BaseException to narrow")
    if any(isinstance(elements[i], ast.Name) for i in broad):
        _require_builtin_exception(context)
    rename = partial(exception_named, name="Exception")
    replace = {i: rename for i in broad}
    exceptions = [i for i, e in enumerate(elements) if i in replace or imports.qualified_name(e) in _EXCEPTION]
    return replace, set(exceptions[1:])


def _require_builtin_exception(context: FixContext) -> None:
    if "Exception" in context.bound_names:
        raise CannotFix("this module binds its own name `Exception`, so `except Exception` might not mean the built-in")


def _handler_node_type(handler: Handler) -> type[cst.CSTNode]:
    return cst.ExceptStarHandler if type(handler.statement).__name__ == "TryStar" else cst.ExceptHandler


def _catch_exception(handler: cst.ExceptHandler) -> cst.ExceptHandler:
    return with_handler_type(handler, cst.Name("Exception"))


class NarrowBroadHandler(FixFindings):
    DESCRIPTION = "FSR002: narrow `except:`/`except BaseException`/`suppress(BaseException)` in a loop to Exception."
    CODES = (CODE,)
