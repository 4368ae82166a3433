"""Copies of other people's libraries carried in a project's tree: not the service that must stop.

A daemon that ships its dependencies (``lib/apscheduler``, ``ext/click``, ``_vendor/urllib3``) runs
that code, but its maintainers do not write it and would not take a finding there: the fix belongs
upstream. A folder holds vendored code when the layout or the project's own code says so:

- the project's code puts the folder on ``sys.path`` (``sys.path.insert(0, os.path.join(here,
  "lib"))``, ``site.addsitedir("ext")``, or through a name assigned such a path first) so that its
  packages import under their own names: a folder of libraries, not of the project's modules;
- or the folder is named the way vendoring tools name it (``vendor``, ``_vendor``, ``third_party``...).

A source folder of the project's own (``src/``) is put on ``sys.path`` too, by some scripts: a folder
that holds one of the project's top packages named after the project itself is never vendored.
"""

from __future__ import annotations

import ast
import os
import stat
from functools import lru_cache
from pathlib import Path

from .layout import ROOT_MARKERS, SKIPPED_FOLDERS, project_root

VENDOR_FOLDERS = frozenset({"vendor", "_vendor", "vendored", "_vendored", "third_party", "thirdparty",
                            "3rdparty", "externals", "extern"})
_PATH_CALLS = ("sys.path.insert", "sys.path.append", "site.addsitedir", "sys.path.extend")
_PATH_CALL_NEEDLES = (b"sys.path.insert", b"sys.path.append", b"sys.path.extend", b"addsitedir")
_PATH_METHODS = frozenset(call.rsplit(".", 1)[1] for call in _PATH_CALLS)
_SCAN_DEPTH = 3  # the scripts and modules that set sys.path up sit at the root, or one or two folders down
_SCAN_BYTES = 200_000


def vendored_folder(path: str | Path) -> Path | None:
    """The folder of other people's code that holds ``path`` (see the module docstring), or None."""
    path = Path(os.path.abspath(path))
    root = _root_of(path.parent)
    try:
        inside = path.parent.relative_to(root).parts
    except ValueError:
        return None
    on_path = _folders_put_on_sys_path(root)
    for depth, name in enumerate(inside):
        folder = root.joinpath(*inside[:depth + 1])
        if name in VENDOR_FOLDERS or (name in on_path and not _holds_the_project(folder, root)):
            return folder
    return None


@lru_cache(maxsize=4096)
def _root_of(folder: Path) -> Path:
    return project_root(folder)


@lru_cache(maxsize=64)
def _folders_put_on_sys_path(root: Path) -> frozenset[str]:
    """The folder names the project's own scripts add to ``sys.path``: the string literals of those calls."""
    found: set[str] = set()
    for folder, directories, files in os.walk(root):
        here = Path(folder)
        depth = len(here.relative_to(root).parts)
        directories[:] = [d for d in directories if d not in SKIPPED_FOLDERS and not d.startswith(".")
                          and d not in VENDOR_FOLDERS and depth + 1 < _SCAN_DEPTH]
        for name in files:
            if name.endswith(".py"):
                found |= _sys_path_literals(here / name)
    return frozenset(found)


def _sys_path_literals(path: Path) -> set[str]:
    source = read_head(path, follow_links=False)  # a script's link may lead anywhere
    if not any(needle in source for needle in _PATH_CALL_NEEDLES):  # most files: no parse at all
        return set()
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    found: set[str] = set()
    assigned: dict[str, list[ast.expr]] = {}  # ``lib_path = os.path.join(here, "lib3")``, then ``insert(1, lib_path)``
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    assigned.setdefault(target.id, []).append(node.value)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr in _PATH_METHODS and ast.unparse(node.func) in _PATH_CALLS:
            for argument in node.args:
                values = [argument] + (assigned.get(argument.id, []) if isinstance(argument, ast.Name) else [])
                for leaf in (leaf for value in values for leaf in ast.walk(value)):
                    if isinstance(leaf, ast.Constant) and isinstance(leaf.value, str) and leaf.value:
                        found.add(Path(leaf.value).name or leaf.value)
    return found


def _holds_the_project(folder: Path, root: Path) -> bool:
    """``src/`` with the project's own package in it: the folder is the project's source root."""
    return any((folder / name).is_dir() or (folder / f"{name}.py").is_file() for name in _own_names(root))


@lru_cache(maxsize=64)
def _own_names(root: Path) -> frozenset[str]:
    """The names the project's own package may have: its folder's, and those its metadata files give."""
    own = {root.name.lower().replace("-", "_")}
    for marker in ROOT_MARKERS[:3]:
        text = read_head(root / marker, follow_links=True).decode("utf-8", errors="replace")
        for line in text.splitlines():
            if line.strip().startswith("name") and "=" in line:
                own.add(line.split("=", 1)[1].strip().rstrip(",").strip("\"'").lower().replace("-", "_"))
    return frozenset(own)


def read_head(path: Path, *, follow_links: bool, size: int = _SCAN_BYTES) -> bytes:
    """The first bytes of a plain file, or none: a pipe or a device would block the read."""
    try:
        if not stat.S_ISREG((os.stat if follow_links else os.lstat)(path).st_mode):
            return b""
        with open(path, "rb") as handle:
            return handle.read(size)
    except OSError:
        return b""
