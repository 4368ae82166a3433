"""Copies of the project's own modules kept aside: not the service that runs.

``worker_old.py`` beside ``worker.py``, ``consumer (1).py``, ``handler.py.bak``-style copies and a
``backup/`` folder of earlier versions sit in many trees; the service imports the module, not the
copy, and a finding in the copy is noise. Whether a file is such a copy is decided from the layout
and from imports, not from a name alone:

- a module whose name is a sibling's with a copy's suffix (``_old``, ``_bak``, ``_backup``,
  ``_orig``, ``_copy``, `` copy``, `` (2)``, ``-old``...), when ``<sibling>.py`` exists beside it;
- or any module below a folder named for keeping old code (``backup``, ``backups``, ``old``,
  ``attic``, ``deprecated``, ``archive``);

and, in both cases, no other Python file of the project names the module or the folder (a project that
imports ``legacy_old`` or ``backup.handlers`` runs it). Asked only of a file with findings.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

from .layout import SKIPPED_FOLDERS, project_root
from .vendored_code import read_head

_COPY_SUFFIX = re.compile(r"^(?P<base>.+?)(?:[_-](?:old|bak|backup|orig|copy)\d*| copy(?: \d+)?| \(\d+\))$",
                          re.IGNORECASE)
_SET_ASIDE_FOLDERS = frozenset({"backup", "backups", "old", "attic", "deprecated", "archive", "archived", "bak"})
_SCAN_BYTES = 400_000


def set_aside_copy(path: str | Path) -> str | None:
    """Why ``path`` is a copy kept aside (for ``--show-settings``), or None."""
    path = Path(os.path.abspath(path))
    if path.suffix != ".py":
        return None
    root = project_root(path.parent)
    try:
        inside = path.relative_to(root).parts
    except ValueError:
        return None
    for depth, name in enumerate(inside[:-1]):
        if name.lower() in _SET_ASIDE_FOLDERS and not _named_elsewhere(root, name, root.joinpath(*inside[:depth + 1])):
            return f"{name}/ keeps old code that nothing in the project imports"
    match = _COPY_SUFFIX.match(path.stem)
    if match and (path.parent / f"{match.group('base')}.py").is_file() \
            and not _named_elsewhere(root, path.stem, path):
        return f"a copy of {match.group('base')}.py that nothing in the project imports"
    return None


def _named_elsewhere(root: Path, name: str, itself: Path) -> bool:
    """Some Python file of the project outside ``itself`` (a file or a folder) says ``name`` as a word."""
    return any(path != itself and itself not in path.parents for path in _files_naming(root, name))


@lru_cache(maxsize=256)
def _files_naming(root: Path, name: str) -> tuple[Path, ...]:
    needle = re.compile(rb"(?<![\w])" + re.escape(name.encode()) + rb"(?![\w])")
    found = []
    for folder, directories, files in os.walk(root):
        directories[:] = [d for d in directories if d not in SKIPPED_FOLDERS and not d.startswith(".")]
        for file in files:
            if not file.endswith(".py"):
                continue
            path = Path(folder) / file
            if needle.search(read_head(path, follow_links=False, size=_SCAN_BYTES)):
                found.append(path)
    return tuple(found)
