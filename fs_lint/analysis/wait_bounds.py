"""What bounds a wait: a timeout argument, or a timeout scope around it.

A wait with a bound ends, whether or not what it waits for comes: ``join(5)``,
``event.wait(timeout=t)``, ``q.get(block=False)``, ``await asyncio.wait_for(task, 5)``, or any wait
inside ``async with asyncio.timeout(5):``, ``anyio.move_on_after`` / ``fail_after``, ``trio``'s
scopes, ``async_timeout.timeout``, a ``CancelScope(deadline=...)`` or a context manager named like a
timeout or a deadline. A bound the code cannot read (``join(self.timeout)``) is a bound: the
author thought of one. ``None`` is no bound (``join(None)``, ``timeout=None``).
"""

from __future__ import annotations

import ast

from ..syntax.local_nodes import is_none
from ..syntax.names import ImportMap, last_name, words
from .retry_loops import TIMEOUT_SCOPES

WAIT_FOR = frozenset({"asyncio.wait_for"})
_SCOPE_WORDS = frozenset({"timeout", "deadline", "countdown"})
_SCOPE_PREFIXES = ("move_on", "fail_after", "fail_at")
_BOUND_WORDS = frozenset({"timeout", "deadline"})
# Keywords that make the call return at once instead of waiting.
_NOT_WAITING = {"block": False, "wait": False, "nowait": True, "blocking": False}


def is_timeout_scope(manager: ast.expr, imports: ImportMap) -> bool:
    """The context manager of a ``with`` item ends what runs inside it after a while."""
    if not isinstance(manager, ast.Call):
        return False
    if imports.qualified_name(manager.func) in TIMEOUT_SCOPES:
        return not (manager.args and is_none(manager.args[0]))
    name = last_name(manager.func) or ""
    if any(k.arg in ("deadline", "timeout") and not is_none(k.value) for k in manager.keywords):
        return True  # ``CancelScope(deadline=...)``
    if name.lower().startswith(_SCOPE_PREFIXES):
        return True
    return bool(_SCOPE_WORDS & set(words(name))) and not (manager.args and is_none(manager.args[0]))


def is_bounded_wait_for(call: ast.expr, imports: ImportMap) -> bool:
    """``asyncio.wait_for(x, 5)``: the await ends after the timeout (``wait_for(x, None)`` does not)."""
    if not isinstance(call, ast.Call) or imports.qualified_name(call.func) not in WAIT_FOR:
        return False
    timeout = call.args[1] if len(call.args) > 1 else next(
        (k.value for k in call.keywords if k.arg == "timeout"), None)
    return timeout is not None and not is_none(timeout)


def has_bound_argument(call: ast.Call, positional_bound_from: int | None) -> bool:
    """A timeout, or a request not to wait, among the arguments.

    ``positional_bound_from``: the index from which a positional argument is a timeout (or a
    ``block`` flag): 0 for ``join``/``wait``/``result``/``get``, 1 for ``put``; None when
    positional arguments say nothing (``asyncio.wait(tasks)``). A positional argument named like
    a timeout counts wherever it is.
    """
    for keyword in call.keywords:
        if keyword.arg is None:
            return True  # ``**options``: it may well hold a timeout
        if _BOUND_WORDS & set(words(keyword.arg)) and not is_none(keyword.value):
            return True
        expected = _NOT_WAITING.get(keyword.arg)
        if expected is not None and isinstance(keyword.value, ast.Constant) and keyword.value.value is expected:
            return True
    for index, arg in enumerate(call.args):
        if isinstance(arg, ast.Starred):
            return True
        if positional_bound_from is not None and index >= positional_bound_from and not is_none(arg):
            return True
        name = last_name(arg) or ""
        if _BOUND_WORDS & set(words(name)):
            return True
    return False
