"""One ``Program`` per project and settings, shared by every file a process checks.

The CLI's workers, the flake8 plugin and the language server ask about many files of the same
project in one process; the facts of a module read for one file serve the next. A program is
looked up by the project's root, the project's own library entries and whether the facts cache is
on. A long-lived process (the language server) sees edits on disk: before a program serves another
file, the modules whose file changed are forgotten (at most once a second).
"""

from __future__ import annotations

import time
from pathlib import Path

from .facts_cache import FactsCache
from .layout import ProjectLayout, project_root
from .library import library_model
from .program import Program

_PROGRAMS: dict[tuple[str, str, bool], tuple[Program, list[float]]] = {}
_REFRESH_EVERY = 1.0  # seconds
_MAX_PROGRAMS = 8


def program_for(filename: str | None, library_entries: str = "", cache: bool = True) -> Program:
    """The shared program of the project that holds ``filename`` (a program of its own for a buffer
    with no file: it knows only that buffer and the libraries)."""
    if not filename or filename in ("-", "<unknown>", "<stdin>"):
        return Program(None, library_model(library_entries))
    root = project_root(Path(filename))
    key = (str(root), library_entries, cache)
    known = _PROGRAMS.get(key)
    now = time.monotonic()
    if known is not None:
        program, refreshed = known
        if now - refreshed[0] > _REFRESH_EVERY:
            program.refresh()
            refreshed[0] = now
        return program
    if len(_PROGRAMS) >= _MAX_PROGRAMS:
        _PROGRAMS.pop(next(iter(_PROGRAMS)))
    layout = ProjectLayout(root)
    facts_cache = FactsCache(root, enabled=cache)
    program = Program(layout, library_model(library_entries, str(root) if cache else ""), load=facts_cache.load)
    program.facts_cache = facts_cache
    _PROGRAMS[key] = (program, [now])
    return program


def forget_programs() -> None:
    """Drop every shared program (tests; a server told that its workspace changed)."""
    _PROGRAMS.clear()
