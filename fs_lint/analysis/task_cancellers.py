"""Where the code cancels the task that runs a function, and the stop flags it sets on the way.

Before Python 3.11 a task cannot tell its own cancellation from the cancellation of a task it
awaits: ``Task.cancelling()`` is new in 3.11. A flag can, when the code sets it where it cancels
this very task: ``close()`` sets ``self._closing = True`` and then calls ``self._task.cancel()``,
where ``self._task = asyncio.create_task(self._run())``. A ``CancelledError`` that reaches
``_run`` with ``self._closing`` set is the stop; one that arrives while it is not set is the
outcome of something ``_run`` awaited (a job that was cancelled, a refresh pre-empted by another).

A flag set by code that cancels *other* tasks says nothing about this one: ``close()`` that sets
``self._closing`` and cancels the jobs, then waits for the cleaner task to collect them, needs the
cleaner to go on while the flag is set. So only the cancellations of the task that runs the
function count.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Iterator

from ..syntax.local_nodes import key, loop_sources, walk_local
from ..syntax.names import last_name

_TASK_FACTORIES = frozenset({"asyncio.create_task", "asyncio.ensure_future"})
_TASK_METHODS = frozenset({"create_task", "ensure_future"})
_COLLECTING = frozenset({"append", "add", "appendleft"})
Function = ast.FunctionDef | ast.AsyncFunctionDef
CANCELLING = frozenset({"cancel", "kill"})  # what a stop calls to cut a task or a greenlet short


@dataclass(frozen=True)
class FlagAtCancel:
    """A flag (or Event) set to a value before the code cancels the task that runs a function."""

    flag: str  # as written: ``self._closing``, ``stopping``
    value: bool  # the value it is set to; ``set()`` is True and ``clear()`` False
    is_event: bool
    cancel: ast.Call  # the ``.cancel()`` it comes before


def flags_set_where_cancelled(function: Function, module) -> list[FlagAtCancel]:  # module: ModuleAnalysis
    """The flags set before each cancellation of a task that runs ``function``, in the code's order."""
    return [flag for _, flags in _cancellations(function, module) for flag in flags]


def flags_every_cancellation_sets(function: Function, module) -> dict[str, list[ast.expr | None]]:
    """The flags set to the same value before *every* cancellation the module shows of the task that runs
    ``function``, as a handler's own flags are written (``None`` for an Event's ``set()``): in force
    whenever its ``CancelledError`` arrives. Empty when no cancellation is seen, or one sets none."""
    common: set[tuple[str, bool, bool]] | None = None
    for _, flags in _cancellations(function, module):
        these = {(f.flag, f.value, f.is_event) for f in flags}
        common = these if common is None else common & these
    found: dict[str, list[ast.expr | None]] = {}
    for flag, value, is_event in sorted(common or ()):
        if is_event:
            if value:
                found.setdefault(flag, []).append(None)
        else:
            found.setdefault(flag, []).append(ast.Constant(value))
    return found


def _cancellations(function: Function, module) -> list[tuple[ast.Call, list[FlagAtCancel]]]:
    """Each ``.cancel()`` of a task that runs ``function``, with the flags set before it."""
    stores = set(_task_stores(function, module))
    if not stores:
        return []
    found: list[tuple[ast.Call, list[FlagAtCancel]]] = []
    contexts = module.contexts
    for owner in [None, *contexts.functions]:
        body = module.tree.body if owner is None else owner.body
        sources = loop_sources(body)
        for node in walk_local(body):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "cancel"):
                continue
            target = key(node.func.value)
            if target is None or not ({target, sources.get(target)} & stores):
                continue
            found.append((node, _flags_before(body, node, owner, module, until=(node.lineno, node.col_offset))))
    return found


def _task_stores(function: Function, module) -> Iterator[str]:
    """The keys that hold a task running ``function``: ``self._task``, or ``self._tasks`` it is added to."""
    contexts = module.contexts
    parents = module.parents
    qualify = module.imports.qualified_name
    for owner in [None, *contexts.functions]:
        body = module.tree.body if owner is None else owner.body
        for node in walk_local(body):
            if not isinstance(node, ast.Call) or not node.args or not isinstance(node.args[0], ast.Call):
                continue
            if qualify(node.func) not in _TASK_FACTORIES and last_name(node.func) not in _TASK_METHODS:
                continue
            if contexts.resolve(node.args[0].func, owner) is not function:
                continue
            parent = parents.get(id(node))
            if isinstance(parent, (ast.Assign, ast.AnnAssign)):
                targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
                yield from (k for k in map(key, targets) if k)
            elif isinstance(parent, ast.Call) and isinstance(parent.func, ast.Attribute) \
                    and parent.func.attr in _COLLECTING:
                collection = key(parent.func.value)
                if collection:
                    yield collection


def _flags_before(body: list[ast.stmt], cancel: ast.Call, owner: Function | None, module,
                  depth: int = 1, until: tuple[int, int] | None = None) -> list[FlagAtCancel]:
    """Flags set to a constant in ``body`` before ``until`` (the end when None), also by a stop method
    called first (one call down); each recorded as set before ``cancel``."""
    found: list[FlagAtCancel] = []
    for node in walk_local(body):
        if not isinstance(node, (ast.Assign, ast.AnnAssign, ast.Call)):
            continue
        if until is not None and (node.lineno, node.col_offset) >= until:
            continue
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, bool):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                found += [FlagAtCancel(k, node.value.value, False, cancel) for k in map(key, targets) if k]
        elif isinstance(node.func, ast.Attribute) and not node.args:
            k = key(node.func.value)
            if k and node.func.attr in ("set", "clear"):
                found.append(FlagAtCancel(k, node.func.attr == "set", True, cancel))
            elif depth > 0:
                callee = module.contexts.resolve(node.func, owner)
                if callee is not None and callee is not owner:
                    found += _flags_before(callee.body, cancel, callee, module, depth - 1)
    return found


def cancels_what_it_is_given(call: ast.Call, caller: Function | None, analysis) -> bool:  # a ModuleAnalysis
    """``cancel_task_safe(self._task, log)``: the called function, of this module or another of the project,
    itself cancels (or kills) something: what it was handed, as such helpers do. One call down."""
    local = analysis.contexts.resolve(call.func, caller)
    if local is not None:
        return any(isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in CANCELLING
                   for node in walk_local(local.body))
    if not isinstance(call.func, ast.Name) or analysis.filename is None:
        return False  # a method of another object: what it cancels is its own business
    program = analysis.program
    for value in analysis.callee_values(call, caller):
        callee = program.function(value.name) if value.kind == "function" else None
        if callee is not None and any(c.method in CANCELLING for c in callee.calls):
            return True
    return False
