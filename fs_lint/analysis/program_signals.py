"""What the program a module belongs to does with SIGINT, when another module of its package decides.

A service installs its signal handlers once, in one module (``options.setsignals()``,
``instance.start()``); the modules that run its loops never mention signals. When that handler
only records the signal (sets a flag, appends it to a list), no ``KeyboardInterrupt`` is raised
anywhere in the program, and a broad handler in a loop of any of its modules swallows nothing.
So for a module inside a package, the whole top-level package is read (only files that say
``SIGINT``, and only when a finding hangs on it) and the first such handler is quoted.

A module outside any package (a script of its own, ``tools/x.py``) is its own program: only its
own handlers count. The answer is cached per package for the life of the process, so the CLI's
workers and the flake8 plugin read each package once.
"""

from __future__ import annotations

import ast
import os
from functools import lru_cache
from pathlib import Path

from ..syntax.names import WordPatterns, collect_imports
from .run_contexts import RunContexts
from .stop_paths import DEFAULT_ACTIONS, IGNORE_HANDLERS, ModuleStops, SignalHandling

_SKIPPED_DIRECTORIES = frozenset({".git", ".hg", ".tox", ".nox", ".venv", "venv", "node_modules", "build", "dist",
                                  "__pycache__", "tests", "test"})
_MAX_FILES = 5000  # a package larger than this is not searched: the answer would cost too much


def top_package(filename: str) -> Path | None:
    """The outermost folder above ``filename`` that is still a package (has ``__init__.py``)."""
    try:
        folder = Path(os.path.abspath(filename)).parent
    except (OSError, ValueError):
        return None
    if not (folder / "__init__.py").is_file():
        return None
    while (folder.parent / "__init__.py").is_file() and folder.parent != folder:
        folder = folder.parent
    return folder


def recorded_sigint(filename: str | None) -> tuple[str, SignalHandling] | None:
    """The package's own SIGINT handler that raises no ``KeyboardInterrupt`` (it records the signal, or exits
    with ``SystemExit``), with the file it is in."""
    if not filename:
        return None
    package = top_package(filename)
    return _recorded_sigint_in(str(package)) if package is not None else None


@lru_cache(maxsize=64)
def _recorded_sigint_in(package: str) -> tuple[str, SignalHandling] | None:
    root = Path(package)
    seen = 0
    for folder, directories, files in os.walk(root):
        directories[:] = sorted(d for d in directories if d not in _SKIPPED_DIRECTORIES and not d.startswith("."))
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            seen += 1
            if seen > _MAX_FILES:
                return None
            path = Path(folder) / name
            if not path.is_file():
                continue  # a pipe named like a module: reading it would block
            try:
                source = path.read_bytes()
            except OSError:
                continue
            if b"SIGINT" not in source or b"signal" not in source:
                continue
            try:
                tree = ast.parse(source)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                continue
            imports = collect_imports(ast.walk(tree))
            stops = ModuleStops(tree, imports, WordPatterns(()), RunContexts(tree, imports))
            handling = stops.signals.get("SIGINT")
            if handling is not None and not handling.interrupts and not handling.received_as_data \
                    and not handling.default_action:  # a tool of the package may reset SIGINT for itself alone
                return str(path.relative_to(root.parent)), handling
    return None



def sigint_reset_by_import(filename: str | None, tree: ast.Module) -> str | None:
    """A module that this one imports at its top level, from its own folder, that gives SIGINT back to the
    operating system's action (or ignores it) when it is imported: ``import util`` where ``util.py`` runs
    ``signal.signal(SIGINT, SIG_DFL)`` at its top level, or in a function its top level calls. The import
    runs that before any code of this module, so no ``KeyboardInterrupt`` is raised here. Where the folder
    is a package only its relative imports are read (``import util`` there finds ``util`` on ``sys.path``);
    in a folder of scripts a plain import finds the sibling file. Where it is done, or None."""
    if not filename or filename.startswith("<"):
        return None
    folder = Path(os.path.abspath(filename)).parent
    is_package = (folder / "__init__.py").is_file()
    for stmt in tree.body:
        for name in _imported_siblings(stmt, is_package):
            path = folder / f"{name}.py"
            try:
                stamp = path.stat().st_mtime_ns if path.is_file() else None
            except OSError:
                stamp = None
            if stamp is None:
                continue
            found = _resets_sigint_on_import(str(path), stamp)
            if found is not None:
                return f"{found} in {name}.py, which `{ast.unparse(stmt)[:60]}` (line {stmt.lineno}) runs"
    return None


def _imported_siblings(stmt: ast.stmt, is_package: bool) -> list[str]:
    """The names of the sibling modules an import statement loads: ``import util``, ``from util import x``
    (a folder of scripts), ``from . import util``, ``from .util import x``."""
    if isinstance(stmt, ast.Import) and not is_package:
        return [alias.name for alias in stmt.names if "." not in alias.name]
    if isinstance(stmt, ast.ImportFrom):
        if stmt.level == 1 and stmt.module is None:
            return [alias.name for alias in stmt.names]
        if stmt.module and "." not in stmt.module and (stmt.level == 1 or (stmt.level == 0 and not is_package)):
            return [stmt.module]
    return []


@lru_cache(maxsize=256)
def _resets_sigint_on_import(path: str, stamp: int) -> str | None:
    """``signal.signal(SIGINT, SIG_DFL)`` (or ``SIG_IGN``) that the module's top level runs: the call as
    written and its line, or None."""
    try:
        source = Path(path).read_bytes()
        if b"SIGINT" not in source or (b"SIG_DFL" not in source and b"SIG_IGN" not in source):
            return None  # most modules: nothing to parse
        tree = ast.parse(source)
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    qualify = collect_imports(ast.walk(tree)).qualified_name
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    # the top level's own calls, then those of the module's functions it calls (``fix_sigint()``)
    runs = [*_statement_calls(tree.body)]
    runs += [inner for call in runs if isinstance(call.func, ast.Name) and call.func.id in functions
             for inner in _statement_calls(functions[call.func.id].body)]
    for call in runs:
        if qualify(call.func) == "signal.signal" and len(call.args) == 2 \
                and (qualify(call.args[0]) or "").rsplit(".", 1)[-1] == "SIGINT" \
                and qualify(call.args[1]) in DEFAULT_ACTIONS | IGNORE_HANDLERS:
            return f"`{ast.unparse(call)[:60]}` at line {call.lineno}"
    return None


def _statement_calls(statements: list[ast.stmt]) -> list[ast.Call]:
    """The calls made as statements of a block (``fix_sigint()``), in order."""
    return [stmt.value for stmt in statements if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)]
