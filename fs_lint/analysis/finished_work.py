"""Waits for work that the code around them has just seen finish.

``if self._task.done(): await self._task`` and ``if not t.is_alive(): t.join()`` wait for nothing:
the test above the wait says the task is done, the thread has ended. So does an early exit before
it: ``if not self._task.done(): return`` leaves only a done task to the ``await`` below. A stop
often reads that way, collecting a result or an exception from work that has already ended, and a
report there is a false alarm.

Only the two questions the standard library's work objects answer are read: a future's or a
task's ``done()`` and a thread's or a process's ``is_alive()``, with ``not``, ``and`` and ``or``
around them, the branch of an ``if`` (or the body of a ``while``) the wait is in, and the ``if``s
above it in the same block that leave (``return``, ``raise``, ``break``, ``continue``). An
assignment to the receiver in between forgets what was known of it.
"""

from __future__ import annotations

import ast

from ..syntax.local_nodes import bound_targets, key, parent_map, statement_blocks

_FINISHED_WHEN_TRUE = {"done": True, "is_alive": False}  # what a true answer says of the work's end
_LEAVING = (ast.Return, ast.Raise, ast.Break, ast.Continue)


def known_finished(function: ast.FunctionDef | ast.AsyncFunctionDef, node: ast.AST, receiver: str) -> bool:
    """The work ``receiver`` names (``self._task``) is known to have finished where ``node`` waits for it."""
    parents = parent_map(function)
    chain: set[int] = set()
    current: ast.AST | None = node
    while current is not None and current is not function:
        chain.add(id(current))
        current = parents.get(id(current))
    if current is None:
        return False
    return _finished_in(function.body, chain, receiver, {})


def _finished_in(block: list[ast.stmt], chain: set[int], receiver: str, known: dict[str, bool]) -> bool:
    known = dict(known)
    for statement in block:
        if id(statement) in chain:
            if isinstance(statement, (ast.If, ast.While)):
                if id(statement.test) in chain:
                    return known.get(receiver, False)
                inside = statement.body if any(id(s) in chain for s in statement.body) else statement.orelse
                taken = inside is statement.body
                if isinstance(statement, ast.While) and not taken:
                    return _finished_in(inside, chain, receiver, known)
                return _finished_in(inside, chain, receiver, {**known, **_implied(statement.test, taken)})
            for inner in statement_blocks(statement):
                if any(id(s) in chain for s in inner):
                    return _finished_in(inner, chain, receiver, known)
            return known.get(receiver, False)
        if isinstance(statement, ast.If) and not statement.orelse and statement.body \
                and isinstance(statement.body[-1], _LEAVING):
            known.update(_implied(statement.test, False))  # ``if not t.done(): return``: done below
        for target in _assigned(statement):
            known.pop(target, None)
    return False


def _implied(test: ast.expr, holds: bool) -> dict[str, bool]:
    """What ``test`` being ``holds`` says of the work's end: ``{"self._task": True}`` for a true
    ``self._task.done()`` or a false ``self._task.is_alive()``."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _implied(test.operand, not holds)
    if isinstance(test, ast.BoolOp):
        # all of an ``and`` hold when it is true; none of an ``or`` holds when it is false
        if isinstance(test.op, ast.And) == holds:
            found: dict[str, bool] = {}
            for value in test.values:
                found.update(_implied(value, holds))
            return found
        return {}
    if isinstance(test, ast.Call) and not test.args and not test.keywords and isinstance(test.func, ast.Attribute) \
            and test.func.attr in _FINISHED_WHEN_TRUE:
        name = key(test.func.value)
        if name:
            return {name: _FINISHED_WHEN_TRUE[test.func.attr] == holds}
    return {}


def _assigned(statement: ast.stmt) -> list[str]:
    targets: list[ast.expr] = []
    if isinstance(statement, ast.Assign):
        targets = list(statement.targets)
    elif isinstance(statement, (ast.AnnAssign, ast.AugAssign)):
        targets = [statement.target]
    return [k for target in targets for node in bound_targets(target) if (k := key(node))]
