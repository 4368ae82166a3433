"""FSR007's fix: a ``time.sleep`` in the retry loop of an ``async def`` becomes an awaited sleep.

``time.sleep(d)`` becomes ``await asyncio.sleep(d)``, or ``await anyio.sleep(d)`` /
``await trio.sleep(d)`` in a module that uses that library and not asyncio (the
library the rule names in its message). The pause lasts as long, but the event
loop runs during it: other tasks, signal handlers, and the cancellation that
stops the loop. A safe fix: the loop waits exactly as before, only no longer
deaf to shutdown.

The library is spelled as the module imports it (``import asyncio as aio`` gives
``aio.sleep``); without an import, ``import asyncio`` is added after the others.
``import time`` (or ``from time import sleep``) goes when nothing else uses it.

Only a call that is a statement of its own is rewritten: ``await`` there cannot
change what the expression around it means. The rewrite refuses a call inside a
larger expression, and one whose function is not the ``async def`` itself (a
lambda or nested ``def`` is not flagged to begin with).
"""

from __future__ import annotations

import ast
from functools import partial

import libcst as cst

from ..findings import Finding
from ..analysis.module_facts import ModuleFacts
from .base import CannotFix, Edit, FixContext, NodeChange
from .module_names import import_behind, module_reference

CODE = "FSR007"
# An awaited sleep lets cancellation in: a loop that never awaited now does (FSR001), and a
# pause that cancellation cuts short may no longer be a blind one (FSR005).
_ALSO_FIXES = frozenset({"FSR001", "FSR005"})
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def plan(finding: Finding, context: FixContext) -> Edit:
    pause = context.pause_at(finding)
    call = pause.call
    statement = context.parents.get(id(call))
    if not isinstance(statement, ast.Expr):
        raise CannotFix(f"`{ast.unparse(call)}` is part of a larger expression; await an async sleep there by hand")
    if not isinstance(_scope_of(statement, context), ast.AsyncFunctionDef):
        raise CannotFix(f"`{ast.unparse(call)}` does not run in the `async def` itself, so it cannot be awaited")
    if len(call.args) != 1 or call.keywords or isinstance(call.args[0], ast.Starred):
        raise CannotFix(f"`{ast.unparse(call)}` does not pass its delay as one plain argument")
    library = ModuleFacts.of(context.analysis).async_library
    name, needed = module_reference(context, library)
    unused = import_behind(context, call.func, "time")
    change = NodeChange(cst.Expr, context.position(statement), partial(_await_instead, module=name))
    return Edit(finding, (change,), adds_imports=needed, unused_imports=(unused,) if unused else (),
                also_fixes=_ALSO_FIXES)


def _scope_of(node: ast.AST, context: FixContext) -> ast.AST | None:
    while node is not None and not isinstance(node, _SCOPES):
        node = context.parents.get(id(node))
    return node


def _await_instead(statement: cst.Expr, module: str) -> cst.Expr:
    call = statement.value
    if not isinstance(call, cst.Call):
        raise CannotFix("the sleep is no longer a call where it was planned")
    sleep = cst.Attribute(value=cst.Name(module), attr=cst.Name("sleep"))
    awaited = cst.Await(expression=call.with_changes(func=sleep, lpar=(), rpar=()), lpar=call.lpar, rpar=call.rpar)
    return statement.with_changes(value=awaited)
