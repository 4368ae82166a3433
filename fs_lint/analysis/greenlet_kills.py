"""A loop stopped another way: a stop path kills the greenlet that runs it.

``self._reader = gevent.spawn(self._read_forever)`` and ``def stop(self): self._reader.kill()``: the
kill raises ``GreenletExit`` in the greenlet wherever it waits, and the loop ends there, whatever
flag it does not read, unless a handler of the loop catches ``GreenletExit`` (a bare ``except:``,
``except BaseException``) and goes round again. gevent's ``kill`` waits for the greenlet to die by
default, so such a stop is a real one.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from ..syntax.local_nodes import key, walk_local
from ..syntax.names import last_name

if TYPE_CHECKING:
    from .retry_loops import Loop

_KILLS = frozenset({"gevent.kill", "gevent.killall", "eventlet.kill", "eventlet.greenthread.kill"})
_GREENLET_EXITS = ("GreenletExit", "BaseException")


def killed_by(loop: "Loop") -> str | None:
    """The stop path that kills the greenlet running the loop's function (its title), or None."""
    function = loop.function.node
    if function is None or _catches_the_kill(loop):
        return None
    module = loop.module
    stored = _greenlets_of(module, function)
    if not stored:
        return None
    qualify = module.imports.qualified_name
    for path in module.stops.stop_methods:
        for act in path.acts_on("closes"):
            if act.target in stored:
                return path.title
        body = path.function.body if isinstance(path.function.body, list) else []
        members = _members_walked(body, stored)
        for node in walk_local(body):
            if not isinstance(node, ast.Call):
                continue
            if qualify(node.func) in _KILLS and any(
                    k in stored for argument in node.args for k in _keys_in(argument)):
                return path.title
            if isinstance(node.func, ast.Attribute) and node.func.attr == "kill" \
                    and _member_of(node.func.value, stored, members):
                return path.title  # ``for g in self._greenlets: self._greenlets[g].kill()``
    return None


def _members_walked(body: list[ast.stmt], stored: set[str]) -> dict[str, str]:
    """The names a ``for`` of the stop path binds to the keys (``for name in self._greenlets``) or to the
    values (``for g in self._greenlets.values()``) of a container the greenlets are kept in: what each is."""
    found: dict[str, str] = {}
    for node in walk_local(body):
        if not isinstance(node, ast.For) or not isinstance(node.target, ast.Name):
            continue
        walked = node.iter
        if isinstance(walked, ast.Call) and isinstance(walked.func, ast.Name) and walked.func.id in ("list", "tuple") \
                and len(walked.args) == 1:
            walked = walked.args[0]
        if isinstance(walked, ast.Call) and isinstance(walked.func, ast.Attribute) and not walked.args \
                and walked.func.attr in ("values", "keys") and key(walked.func.value) in stored:
            found[node.target.id] = ("value:" if walked.func.attr == "values" else "key:") + key(walked.func.value)
        elif key(walked) in stored:
            found[node.target.id] = "any:" + key(walked)  # a list's items, or a dict's keys
    return found


def _member_of(receiver: ast.expr, stored: set[str], members: dict[str, str]) -> bool:
    """``self._greenlets[name]`` for a ``name`` walked over that container's keys, or a ``g`` walked over its
    values (or its items, for a list): a greenlet the module keeps there."""
    if isinstance(receiver, ast.Name):
        kind = members.get(receiver.id, "")
        return kind.startswith(("value:", "any:"))
    if isinstance(receiver, ast.Subscript) and key(receiver.value) in stored and isinstance(receiver.slice, ast.Name):
        kind = members.get(receiver.slice.id, "")
        return kind in (f"key:{key(receiver.value)}", f"any:{key(receiver.value)}")
    return False


def _greenlets_of(module, function: ast.AST) -> set[str]:
    """The keys the module keeps the greenlets that run ``function`` in (``self._reader``)."""
    contexts = module.contexts
    found: set[str] = set()
    for site, calls in contexts.calls_by_site:
        for call in calls:
            if contexts.greenlet_target(call, site) is not function:
                continue
            body = site.body if site is not None else module.tree.body
            for node in walk_local(body):
                if isinstance(node, ast.Assign) and node.value is call:
                    found.update(k for k in map(key, node.targets) if k)
                    # ``self._greenlets["report"] = gevent.spawn(...)``: kept in a container, killed from it
                    found.update(k for target in node.targets if isinstance(target, ast.Subscript)
                                 for k in [key(target.value)] if k)
                elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                        and node.func.attr in ("append", "add") and any(a is call for a in node.args):
                    k = key(node.func.value)
                    if k:
                        found.add(k)  # ``self._greenlets.append(gevent.spawn(...))``: killed as a group
    return found


def _keys_in(node: ast.expr) -> set[str]:
    elements = node.elts if isinstance(node, (ast.List, ast.Tuple, ast.Set)) else [node]
    return {k for element in elements for k in [key(element)] if k}


def _catches_the_kill(loop: "Loop") -> bool:
    """A handler of the loop that takes ``GreenletExit`` and goes round again: the kill does not end it."""
    for handler in loop.handlers:
        caught = handler.node.type
        if caught is None:
            return True
        names = caught.elts if isinstance(caught, ast.Tuple) else [caught]
        if any(last_name(name) in _GREENLET_EXITS for name in names):
            return True
    return False
