"""A function of another module of the project, read the way this module is: for a question that follows
a call out of the module (a helper there that ends the stop), without the program model's facts.

``reconnect()`` after ``from .conn import reconnect`` (or ``from svc.conn import reconnect``), and
``conn.reconnect()`` after ``from . import conn`` or ``import svc.conn as conn``: a function defined at
the top of a module of the project (the package tree ``fs_lint.model.layout`` finds). Its module is
parsed and analysed once per process while its file stays as it was, and only when the function's own
lines hold one of the words the question needs: most calls out of a module end at that look.
"""

from __future__ import annotations

import ast
import os
import re
import stat
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from ..model.layout import ProjectLayout, module_name, project_root
from ..syntax.parsing import parse_module
from ..test_files import is_test_path

if TYPE_CHECKING:
    from .retry_loops import Function, ModuleAnalysis

_KEPT = 64  # modules analysed and kept per process (a big project's helpers, not all of it)
_analysed: "OrderedDict[tuple, ModuleAnalysis | None]" = OrderedDict()


@dataclass(frozen=True)
class FunctionElsewhere:
    """A top-level function of another module of the project, with that module's analysis."""

    analysis: "ModuleAnalysis"
    function: "Function"
    shown: str  # its file, relative to the project's root


def function_called(analysis: "ModuleAnalysis", func: ast.expr, words: tuple[bytes, ...]) -> FunctionElsewhere | None:
    """The function of another project module that ``func`` names, when its own lines hold one of ``words``;
    None for anything else (this module's own functions, libraries, methods, names the imports do not
    bind)."""
    target = _imported_target(analysis, func)
    if target is None or analysis.filename is None:
        return None
    known = analysis.__dict__.setdefault("_functions_elsewhere", {})  # a module calls the same names again
    if (target, words) not in known:
        known[(target, words)] = _function_named(analysis, target, words)
    return known[(target, words)]


def _function_named(analysis: "ModuleAnalysis", target: str, words: tuple[bytes, ...]) -> FunctionElsewhere | None:
    layout = _layout_of(_root_of(os.path.dirname(os.path.abspath(analysis.filename))))
    split = layout.split(target)
    if split is None or len(split[1]) != 1:
        return None
    module, (name,) = split
    path = layout.file_of(module)
    if path is None or os.path.abspath(path) == os.path.abspath(analysis.filename) or is_test_path(str(path)):
        return None
    other = _analysis_of(path, name, analysis, words)
    if other is None:
        return None
    for stmt in other.tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == name:
            from .retry_loops import Function

            try:
                shown = str(path.relative_to(layout.root))
            except ValueError:
                shown = str(path)
            return FunctionElsewhere(other, Function(stmt, isinstance(stmt, ast.AsyncFunctionDef)), shown)
    return None


@lru_cache(maxsize=1024)
def _root_of(folder: str) -> Path:
    return project_root(Path(folder))


@lru_cache(maxsize=8)
def _layout_of(root: Path) -> ProjectLayout:
    """The project's modules, walked once per process and project (the program model, which does not
    need to be built for this, keeps a layout of its own)."""
    return ProjectLayout(root)


def _imported_target(analysis: "ModuleAnalysis", func: ast.expr) -> str | None:
    """``pkg.conn.reconnect`` for ``reconnect`` or ``conn.reconnect``, when an import binds the head."""
    if isinstance(func, ast.Name):
        node, chain = func, []
    elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        node, chain = func.value, [func.attr]
    else:
        return None
    bound = _relative_imports(analysis).get(node.id)
    if bound is None:
        if not analysis.imports.binds(node.id):
            return None
        return analysis.imports.qualified_name(func)
    return ".".join([bound, *reversed(chain)])


def _relative_imports(analysis: "ModuleAnalysis") -> dict[str, str]:
    """The names the module's top-level ``from . import x`` / ``from .x import y`` bind, as dotted names."""
    known = analysis.__dict__.get("_relative_imports")
    if known is not None:
        return known
    found: dict[str, str] = {}
    relative = [stmt for stmt in analysis.tree.body if isinstance(stmt, ast.ImportFrom) and stmt.level > 0]
    if relative and analysis.filename is not None:
        from ..model.summaries import resolve_relative

        own, is_package = module_name(Path(analysis.filename))
        for stmt in relative:
            base = resolve_relative(own, is_package, stmt.level, stmt.module)
            if base is not None:
                for alias in stmt.names:
                    if alias.name != "*":
                        found[alias.asname or alias.name] = f"{base}.{alias.name}"
    analysis.__dict__["_relative_imports"] = found
    return found


def _analysis_of(path: Path, name: str, asking: "ModuleAnalysis", words: tuple[bytes, ...]) -> "ModuleAnalysis | None":
    """The analysis of the module at ``path`` with the asking module's settings; None when it cannot be read,
    does not parse, or its top-level function ``name`` holds none of ``words``."""
    from .retry_loops import ModuleAnalysis

    try:
        status = path.stat()
    except OSError:
        return None
    if not stat.S_ISREG(status.st_mode):
        return None  # a pipe named like a module: reading it would block
    source, functions = _read(str(path), status.st_size, status.st_mtime_ns)
    span = functions.get(name)
    if span is None or not any(word in source[span[0]:span[1]] for word in words):
        return None  # most calls out of a module: no such function, or it says none of the words
    key = (str(path), status.st_size, status.st_mtime_ns, repr(asking.settings))
    if key in _analysed:
        _analysed.move_to_end(key)
        return _analysed[key]
    try:
        found = ModuleAnalysis(parse_module(source, str(path)), asking.settings, str(path), source)
    except (SyntaxError, ValueError, RecursionError):
        found = None
    _analysed[key] = found
    while len(_analysed) > _KEPT:
        _analysed.popitem(last=False)
    return found


_DEF = re.compile(rb"^(?:async[ \t]+)?def[ \t]+([A-Za-z_][A-Za-z0-9_]*)[ \t]*\(", re.MULTILINE)
_MARGIN = re.compile(rb"^[^\s#]", re.MULTILINE)


@lru_cache(maxsize=256)
def _read(path: str, size: int, mtime: int) -> tuple[bytes, dict[str, tuple[int, int]]]:
    """A module's bytes and, for each top-level ``def``, where its lines are: from the ``def`` to the next
    line that starts at the margin (what is searched for the question's words before anything is parsed).
    Empty when the file cannot be read."""
    try:
        source = Path(path).read_bytes()
    except OSError:
        return b"", {}
    functions: dict[str, tuple[int, int]] = {}
    for found in _DEF.finditer(source):
        end = _MARGIN.search(source, source.find(b"\n", found.end()) + 1 or len(source))
        functions.setdefault(found.group(1).decode("ascii"), (found.start(), end.start() if end else len(source)))
    return source, functions
