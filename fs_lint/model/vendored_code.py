"""Copies of other people's libraries carried in a project's tree: not the service that must stop.

A daemon that ships its dependencies (``lib/apscheduler``, ``ext/click``, ``_vendor/urllib3``) runs
that code, but its maintainers do not write it and would not take a finding there: the fix belongs
upstream. A folder holds vendored code when the layout or the project's own code says so:

- the project's code puts the folder on ``sys.path`` (``sys.path.insert(0, os.path.join(here,
  "lib"))``, ``site.addsitedir("ext")``, or through a name assigned such a path first) so that its
  packages import under their own names: a folder of libraries, not of the project's modules;
- or the folder is named the way vendoring tools name it (``vendor``, ``_vendor``, ``third_party``...).

A source folder of the project's own (``src/``) is put on ``sys.path`` too, by some scripts: a folder
that holds one of the project's top packages named after the project itself is never vendored, nor is
a folder the project's packaging builds its packages from (``package_dir={"": "src"}``, ``where =
["src"]``, ``from = "src"``), whatever its packages are called (``paho-mqtt`` ships ``src/paho``).
"""

from __future__ import annotations

import ast
import os
import re
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
_STATEMENT_LINES = 12  # the most lines one ``sys.path`` call or assignment is read over
_OUTER_ROOTS = 2  # the projects around a folder with its own packaging files that are asked whether it is vendored


def vendored_folder(path: str | Path) -> Path | None:
    """The folder of other people's code that holds ``path`` (see the module docstring), or None.

    A vendored library often keeps its own ``setup.py`` (``lib/rarfile/setup.py``), which makes its folder
    look like a project root: the projects around it, up to ``_OUTER_ROOTS`` of them, are asked too."""
    path = Path(os.path.abspath(path))
    root = _root_of(path.parent)
    for _ in range(_OUTER_ROOTS + 1):
        found = _vendored_under(path, root)
        if found is not None:
            return found
        if (root / ".git").exists() or root.parent == root:
            break  # a checkout of its own: no project around it to ask
        outer = _root_of(root.parent)
        if outer == root or not _is_a_project(outer, root):
            break  # nothing around it but folders (a home directory): not scanned
        root = outer
    return None


def _is_a_project(outer: Path, inner: Path) -> bool:
    """``outer`` is a project's folder: it has a root marker, or ``inner`` sits in a package of its."""
    if any((outer / marker).exists() for marker in ROOT_MARKERS):
        return True
    try:
        first = inner.relative_to(outer).parts[0]
    except (ValueError, IndexError):
        return False
    return (outer / first / "__init__.py").is_file()


def _vendored_under(path: Path, root: Path) -> Path | None:
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
    lines = source.decode("utf-8", errors="replace").splitlines()
    statements = _statements_naming(lines, _PATH_CALL_NEEDLES)
    if statements is None:  # a call the lines alone do not show: read the whole file
        try:
            statements = [ast.parse(source)]
        except (SyntaxError, ValueError):
            return set()
    found: set[str] = set()
    for node in (node for statement in statements for node in ast.walk(statement)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr in _PATH_METHODS and ast.unparse(node.func) in _PATH_CALLS:
            for argument in node.args:
                values = [argument] + (_assigned(lines, argument.id) if isinstance(argument, ast.Name) else [])
                for leaf in (leaf for value in values for leaf in ast.walk(value)):
                    if isinstance(leaf, ast.Constant) and isinstance(leaf.value, str) and leaf.value:
                        found.add(Path(leaf.value).name or leaf.value)
    return found


def _statements_naming(lines: list[str], needles: tuple[bytes, ...]) -> list[ast.Module] | None:
    """The statements on the lines that name one of ``needles``, each parsed alone: a module's few
    ``sys.path`` lines cost a parse of a few lines, not of the whole file (this scan reads every
    script of the project). None when one of them does not parse on its own lines."""
    words = tuple(needle.decode() for needle in needles)
    statements = []
    for index, line in enumerate(lines):
        if any(word in line for word in words) and not line.lstrip().startswith("#"):
            statement = _statement_at(lines, index)
            if statement is None:
                return None
            statements.append(statement)
    return statements


def _statement_at(lines: list[str], index: int) -> ast.Module | None:
    """The statement that starts on line ``index``, with as many of the next lines as it spans (a call
    spread over a few lines); None when no such statement parses."""
    first = lines[index].lstrip()
    for end in range(index + 1, min(len(lines), index + _STATEMENT_LINES) + 1):
        try:
            return ast.parse("\n".join([first, *lines[index + 1:end]]))
        except (SyntaxError, ValueError):
            continue
    return None


def _assigned(lines: list[str], name: str) -> list[ast.expr]:
    """What ``name`` is assigned anywhere in the module (``lib_path = os.path.join(here, "lib3")``, then
    ``sys.path.insert(1, lib_path)``)."""
    pattern = re.compile(rf"^\s*{re.escape(name)}\s*=(?!=)")
    values: list[ast.expr] = []
    for index, line in enumerate(lines):
        if pattern.match(line):
            statement = _statement_at(lines, index)
            for node in (statement.body if statement is not None else []):
                if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                    values.append(node.value)
    return values


def _holds_the_project(folder: Path, root: Path) -> bool:
    """``src/`` with the project's own package in it, or the folder the packaging builds from: the
    project's source root."""
    if folder.parent == root and folder.name in _packaged_from(root):
        return True
    return any((folder / name).is_dir() or (folder / f"{name}.py").is_file() for name in _own_names(root))


_PACKAGING_KEY = re.compile(r"(^|[\s({,])(package_dir|package-dir|where|find_packages|find_namespace_packages|from)\b")
_QUOTED = re.compile(r"""["']([^"'\s]+)["']""")
_CFG_VALUE = re.compile(r"^\s*(?:where\s*=|=)\s*([\w.-]+)\s*$")


@lru_cache(maxsize=64)
def _packaged_from(root: Path) -> frozenset[str]:
    """The folders the project's metadata builds its packages from: the strings on the lines of
    ``setup.py``/``pyproject.toml`` that set ``package_dir``, ``where`` or ``from`` (or call
    ``find_packages``), and setup.cfg's ``where = src`` or ``package_dir =`` / ``    = src``."""
    found: set[str] = set()
    for marker in ROOT_MARKERS[:3]:
        lines = read_head(root / marker, follow_links=True).decode("utf-8", errors="replace").splitlines()
        after_key = False
        for line in lines:
            stripped = line.strip()
            if stripped.startswith("#"):
                continue
            if _PACKAGING_KEY.search(stripped):
                # not what ``exclude=`` names: ``find_packages(exclude=["lib"])`` builds nothing from lib
                kept = stripped.split("exclude", 1)[0]
                found.update(Path(value).name for value in _QUOTED.findall(kept) if value not in (".", ""))
            if marker == "setup.cfg":
                value = _CFG_VALUE.match(line) if (after_key or stripped.startswith("where")) else None
                if value:
                    found.add(Path(value.group(1)).name)
                after_key = stripped.startswith("package_dir") or (after_key and line[:1].isspace())
    found.discard("")
    return frozenset(found)


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
