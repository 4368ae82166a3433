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
from .stop_paths import ModuleStops, SignalHandling

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
            if handling is not None and not handling.interrupts and not handling.received_as_data:
                return str(path.relative_to(root.parent)), handling
    return None
