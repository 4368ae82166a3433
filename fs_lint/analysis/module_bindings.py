"""Names a module binds exactly once, at top level, with a plain assignment.

``RETRY_DELAY = 30`` or ``STOP = stop_after_attempt(5)`` near the top of a module
is a constant in all but name: a rule may read through it. A name bound twice,
bound another way as well (import, ``def``, ``for``, ``+=``, walrus) or declared
``global`` in a function may change, so it is left out: a rule then knows nothing
about it and stays silent.
"""

from __future__ import annotations

import ast
from collections import Counter

from ..syntax.local_nodes import walk_local


def module_constants(tree: ast.Module) -> dict[str, ast.expr]:
    """``{name: value}`` for each name the module assigns once at top level and never rebinds."""
    assigned: dict[str, ast.expr] = {}
    bindings: Counter[str] = Counter()
    for node in walk_local(tree.body):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            assigned[node.targets[0].id] = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            assigned[node.target.id] = node.value
        for name in _bound_names(node):
            bindings[name] += 1
    for node in ast.walk(tree):
        if isinstance(node, ast.Global):
            for name in node.names:
                bindings[name] += 2
    return {name: value for name, value in assigned.items() if bindings[name] == 1}


def _bound_names(node: ast.AST) -> list[str]:
    """Every name a top-level node binds, however it binds it."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [(alias.asname or alias.name).split(".")[0] for alias in node.names]
    if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
        return [node.id]
    return []
