"""``.fs-lint-cache`` at a project's root: the folder the module facts and the check results share.

It carries its own ``.gitignore`` (``*``) and a ``CACHEDIR.TAG``, so that git and backup tools
leave it alone, as ``.ruff_cache/`` does. An entry is written to a temporary file and renamed, so
a reader never sees half of one. Kept apart from the facts so that a front end that reads only
results does not import the facts' collector.
"""

from __future__ import annotations

import os
from pathlib import Path

CACHE_FOLDER = ".fs-lint-cache"
_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
        "# This file is a cache directory tag created by fs-lint.\n"
        "# For information about cache directory tags, see https://bford.info/cachedir/\n")


def prepare_cache_folder(root: Path) -> Path:
    """``root/.fs-lint-cache``, made with its ``.gitignore`` and ``CACHEDIR.TAG`` when it is not there.
    Raises OSError when it cannot be made."""
    top = root / CACHE_FOLDER
    if (top / ".gitignore").is_file():
        return top
    top.mkdir(parents=True, exist_ok=True)
    (top / ".gitignore").write_text("# Created by fs-lint automatically.\n*\n", encoding="utf-8")
    (top / "CACHEDIR.TAG").write_text(_TAG, encoding="utf-8")
    return top


def write_entry(root: Path, entry: Path, data: object) -> None:
    """``data`` as JSON at ``entry`` under ``root``'s cache folder: a temporary file renamed, so that a
    reader never sees half an entry. Raises OSError (or ValueError) when it cannot be written."""
    prepare_cache_folder(root)
    import json
    import tempfile  # a run that writes no entry (``--no-cache``, all hits) imports neither

    text = json.dumps(data, separators=(",", ":"))  # ``dumps``: ``json.dump`` encodes in Python, not in C
    try:
        handle, temporary = tempfile.mkstemp(dir=entry.parent, prefix=".", suffix=".tmp")
    except FileNotFoundError:  # the entry's folder is made the first time: not a ``mkdir`` per entry
        entry.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=entry.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, entry)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
