"""Resolve what a name in a module refers to, and split identifiers into words.

Rules match on qualified names (``asyncio.CancelledError``) so that
``import asyncio as aio`` or ``from asyncio import CancelledError as C``
cannot hide a pattern, and on identifier words so that ``_connect_to_server``
and ``connectToServer`` both count as connection-like.
"""

from __future__ import annotations

import ast
import re
from typing import Iterable

# Modules that re-export the same object under a longer path.
_CANONICAL = {
    "asyncio.exceptions.CancelledError": "asyncio.CancelledError",
    "asyncio.exceptions.TimeoutError": "asyncio.TimeoutError",
    "asyncio.tasks.sleep": "asyncio.sleep",
    "asyncio.tasks.wait_for": "asyncio.wait_for",
    "asyncio.timeouts.timeout": "asyncio.timeout",
    "asyncio.timeouts.timeout_at": "asyncio.timeout_at",
}


class ImportMap:
    """The names a module binds by importing, mapped to what they import."""

    def __init__(self) -> None:
        self._aliases: dict[str, str] = {}

    def add(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    self._aliases[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    self._aliases[top] = top
        elif node.level == 0 and node.module:
            for alias in node.names:
                if alias.name != "*":
                    self._aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"

    def binds(self, name: str) -> bool:
        """``name`` was bound by an import (``requests`` after ``import requests``)."""
        return name in self._aliases

    def imports_module(self, module: str) -> bool:
        prefix = module + "."
        return any(v == module or v.startswith(prefix) for v in self._aliases.values())

    def qualified_name(self, node: ast.expr) -> str | None:
        """``aio.exceptions.CancelledError`` -> ``asyncio.CancelledError``; None if not a dotted name."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        head = self._aliases.get(node.id, node.id)
        name = ".".join([head, *reversed(parts)])
        return _CANONICAL.get(name, name)


def collect_imports(statements: Iterable[ast.stmt]) -> ImportMap:
    imports = ImportMap()
    for stmt in statements:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            imports.add(stmt)
    return imports


def last_name(node: ast.expr) -> str | None:
    """The rightmost identifier of a name or attribute chain (``self._conn.connect`` -> ``connect``)."""
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def words(identifier: str) -> tuple[str, ...]:
    """``_connectToServer`` -> ``("connect", "to", "server")``."""
    spaced = _CAMEL_BOUNDARY.sub("_", identifier)
    return tuple(w.lower() for w in spaced.split("_") if w)


class WordPatterns:
    """A set of word sequences (``open_connection`` is two words) matched inside identifiers."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self._patterns = tuple(words(p) for p in patterns if p.strip())
        self._cache: dict[str, bool] = {}

    def matches(self, identifier: str) -> bool:
        hit = self._cache.get(identifier)
        if hit is None:
            hit = self._cache[identifier] = self._match(words(identifier))
        return hit

    def _match(self, ws: tuple[str, ...]) -> bool:
        for pattern in self._patterns:
            n = len(pattern)
            for i in range(len(ws) - n + 1):
                if ws[i : i + n] == pattern:
                    return True
        return False
