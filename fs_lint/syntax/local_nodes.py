"""Walk the nodes that run in the same frame as a block.

A nested ``def``, ``lambda`` or ``class`` runs later, elsewhere: an ``await``
or a ``time.sleep`` inside it says nothing about the loop that defines it.
"""

from __future__ import annotations

import ast
from typing import Iterable, Iterator

_NEW_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_AWAITING = (ast.Await, ast.AsyncFor, ast.AsyncWith)


def walk_local(nodes: Iterable[ast.AST]) -> Iterator[ast.AST]:
    stack = list(nodes)
    stack.reverse()
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, _NEW_SCOPES):
            continue
        children = child_nodes(node)
        children.reverse()
        stack.extend(children)


def child_nodes(node: ast.AST) -> list[ast.AST]:
    """``list(ast.iter_child_nodes(node))``, read from the fields here rather than through its two
    nested generators, which took a third of every walk's time."""
    children = []
    for name in node._fields:
        value = getattr(node, name, None)
        if isinstance(value, ast.AST):
            children.append(value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, ast.AST):
                    children.append(item)
    return children


def statement_blocks(statement: ast.stmt) -> list[list[ast.stmt]]:
    """The blocks a statement holds: its body, ``else`` and ``finally``, its handlers' and its cases' bodies
    (a ``def`` or ``class`` has its body too: a caller that stays in one frame leaves those out)."""
    blocks = [getattr(statement, name, None) for name in ("body", "orelse", "finalbody")]
    blocks += [handler.body for handler in getattr(statement, "handlers", ())]
    blocks += [case.body for case in getattr(statement, "cases", ())]
    return [block for block in blocks if isinstance(block, list)]


def awaits(nodes: Iterable[ast.AST]) -> bool:
    """True when the block can be suspended (and so cancelled) by the event loop."""
    return any(isinstance(node, _AWAITING) for node in walk_local(nodes))


def yields(nodes: Iterable[ast.AST]) -> bool:
    return any(isinstance(node, (ast.Yield, ast.YieldFrom)) for node in walk_local(nodes))


def key(node: ast.AST) -> str | None:
    """A comparable identity for a name or attribute chain (``self._closing``), whether read or written."""
    attrs = []
    while isinstance(node, ast.Attribute):
        attrs.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([node.id, *reversed(attrs)])


def bound_targets(target: ast.expr) -> list[ast.Name | ast.Attribute]:
    """The names and attributes an assignment or ``for`` target binds: ``a, (self.b, *c)`` gives a, self.b, c."""
    if isinstance(target, (ast.Tuple, ast.List)):
        return [bound for element in target.elts for bound in bound_targets(element)]
    if isinstance(target, ast.Starred):
        return bound_targets(target.value)
    return [target] if isinstance(target, (ast.Name, ast.Attribute)) else []


def keys_read(node: ast.AST) -> set[str]:
    """Every name and attribute chain an expression mentions (``a.b.c`` gives a, a.b, a.b.c)."""
    found: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        kind = type(current)
        if kind is ast.Name:
            found.add(current.id)
        elif kind is ast.Attribute:
            k = key(current)
            if k:
                found.add(k)
            stack.append(current.value)
        elif kind is not ast.Constant:
            stack.extend(ast.iter_child_nodes(current))
    return found


def spelled(node: ast.AST, limit: int = 60) -> str:
    """The code of ``node`` as written, cut to ``limit`` characters: for a message to quote."""
    text = ast.unparse(node)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parent_map(tree: ast.AST) -> dict[int, ast.AST]:
    """``id(node)`` -> the node that holds it: for the few questions that look outwards. (The parser
    shares one ``Load()``, one ``Add()``...: their entry is one of their parents, never asked for.)"""
    parents: dict[int, ast.AST] = {}
    stack = [tree]
    while stack:
        parent = stack.pop()
        for child in child_nodes(parent):
            parents[id(child)] = parent
            stack.append(child)
    return parents


def every_node(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node under ``tree``, nested scopes too, depth first: ``ast.walk`` where the order does not
    matter, at half its cost (no queue, no nested generators)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(child_nodes(node))


def classes_and_bases(cls: ast.ClassDef, tree: ast.Module) -> list[ast.ClassDef]:
    """``cls`` and the base classes the same module defines, nearest first: where ``self.x`` is set."""
    defined = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    found: list[ast.ClassDef] = []
    queue = [cls]
    while queue:
        current = queue.pop(0)
        if any(c is current for c in found):
            continue
        found.append(current)
        queue += [defined[b.id] for b in current.bases if isinstance(b, ast.Name) and b.id in defined]
    return found


def loop_sources(body: Iterable[ast.AST]) -> dict[str, str]:
    """``for task in tasks`` in ``body`` maps ``task`` to ``tasks``: what is done to one is done to the other."""
    found: dict[str, str] = {}
    for node in walk_local(body):
        if isinstance(node, (ast.For, ast.AsyncFor)):
            target, source = key(node.target), key(node.iter)
            if target and source:
                found[target] = source
    return found


def call_argument(call: ast.Call, position: int, keyword: str | None) -> ast.expr | None:
    """The argument a call gives at ``position`` (when no ``*args`` comes first; -1: keyword only), or under
    ``keyword``: ``join(5)`` and ``join(timeout=5)`` alike."""
    if 0 <= position < len(call.args) and not any(isinstance(a, ast.Starred) for a in call.args[: position + 1]):
        return call.args[position]
    for kw in call.keywords:
        if keyword is not None and kw.arg == keyword:
            return kw.value
    return None


def is_none(node: ast.expr) -> bool:
    """The literal ``None``: a timeout, a limit or a value that says "none"."""
    return isinstance(node, ast.Constant) and node.value is None


def parameters(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.arg]:
    """The named parameters (positional-only, ordinary, keyword-only), without ``*args``/``**kwargs``."""
    a = function.args
    return [*a.posonlyargs, *a.args, *a.kwonlyargs]


def instance_name(method: ast.AST | None) -> str | None:
    """The name a method calls its instance (``self``); None for static and class methods and non-functions."""
    if not isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    for decorator in method.decorator_list:
        name = decorator.func if isinstance(decorator, ast.Call) else decorator
        spelled = name.id if isinstance(name, ast.Name) else name.attr if isinstance(name, ast.Attribute) else None
        if spelled in ("staticmethod", "classmethod"):
            return None
    positional = method.args.posonlyargs + method.args.args
    return positional[0].arg if positional else None
