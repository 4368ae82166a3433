"""Where a project's modules are: its root, each file's module name, and the file of a module name.

The program model answers questions about "the project" a file belongs to: the folder of the
nearest ``pyproject.toml``, ``setup.cfg``, ``setup.py`` or ``.git`` above it (else the folder above
its top package, else its own folder). Inside it, modules are found where Python would find them:
a package is a folder with ``__init__.py``; the folder that holds a top package is a source root
(``src/``, the root itself, ``nats/src`` in a monorepo), and so is the folder of a script.
Virtual environments, build output, caches and VCS folders are not the project.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

ROOT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", ".git")
SKIPPED_FOLDERS = frozenset({
    ".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", "env", ".env", "node_modules", "build", "dist",
    "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".fs-lint-cache", "site-packages",
    ".eggs", "htmlcov",
})
MAX_DEPTH = 6  # how deep below the root a top package is looked for
MAX_FILES = 20000  # a tree larger than this is not indexed: its questions are answered from the file alone


def project_root(path: Path) -> Path:
    """The folder that holds ``path``'s project (see the module docstring)."""
    path = Path(os.path.abspath(path))
    folder = path if path.is_dir() else path.parent
    for candidate in (folder, *folder.parents):
        if any((candidate / marker).exists() for marker in ROOT_MARKERS):
            return candidate
    top = top_package_folder(folder)
    return top.parent if top is not None else folder


def top_package_folder(folder: Path) -> Path | None:
    """The outermost package folder above ``folder`` (itself included), or None outside packages."""
    if not (folder / "__init__.py").is_file():
        return None
    while (folder.parent / "__init__.py").is_file() and folder.parent != folder:
        folder = folder.parent
    return folder


def module_name(path: Path) -> tuple[str, bool]:
    """``(dotted name, is a package's __init__)`` of a file, from the packages that hold it."""
    path = Path(os.path.abspath(path))
    return _dotted(_package_chain(str(path.parent), {}), path.name), path.name == "__init__.py"


def _dotted(packages: tuple[str, ...], filename: str) -> str:
    """The module name of ``filename`` in a folder inside ``packages`` (``("pkg", "sub")``)."""
    if filename == "__init__.py":
        return ".".join(packages) or "__init__"
    return ".".join((*packages, os.path.splitext(filename)[0]))


def _package_chain(folder: str, known: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """The names of the packages ``folder`` is in, outermost first (``("pkg", "sub")`` for
    ``.../pkg/sub``; empty outside a package), climbing while a folder holds ``__init__.py``. ``known``
    keeps each folder's answer, so the index asks each folder once (one ``stat``), not each file."""
    found = known.get(folder)
    if found is None:
        parent = os.path.dirname(folder)
        if parent == folder or not os.path.isfile(os.path.join(folder, "__init__.py")):
            found = ()
        else:
            found = (*_package_chain(parent, known), os.path.basename(folder))
        known[folder] = found
    return found


@dataclass
class ProjectLayout:
    """The Python files of one project, indexed by the module names they can be imported as."""

    root: Path
    _modules: dict[str, Path] = field(default_factory=dict, repr=False)

    @classmethod
    def for_file(cls, path: Path) -> "ProjectLayout":
        return cls(project_root(path))

    @cached_property
    def modules(self) -> dict[str, Path]:
        """Module name -> file, for every module of the project (a name found twice keeps the first,
        in sorted walk order, with ``src/`` layouts and shallower roots first)."""
        found: dict[str, Path] = {}
        seen = 0
        packages: dict[str, tuple[str, ...]] = {}
        for folder, directories, files in os.walk(self.root):
            here = Path(folder)
            depth = len(here.relative_to(self.root).parts)
            directories[:] = sorted(d for d in directories
                                    if d not in SKIPPED_FOLDERS and not d.startswith(".") and depth < MAX_DEPTH
                                    and not d.endswith(".egg-info"))
            chain = None
            for name in sorted(files):
                if not name.endswith(".py") or not os.path.isfile(os.path.join(folder, name)):
                    continue  # not a module: a pipe or a socket named like one would block whoever reads it
                seen += 1
                if seen > MAX_FILES:
                    return found
                if chain is None:
                    chain = _package_chain(folder, packages)
                found.setdefault(_dotted(chain, name), here / name)
        return found

    def file_of(self, module: str) -> Path | None:
        return self.modules.get(module)

    def is_module(self, module: str) -> bool:
        return module in self.modules

    def split(self, qualified: str) -> tuple[str, tuple[str, ...]] | None:
        """``pkg.mod.Class.method`` -> ``("pkg.mod", ("Class", "method"))``: the longest prefix that is a
        module of the project, and the names inside it; None when no prefix is."""
        parts = qualified.split(".")
        for cut in range(len(parts), 0, -1):
            module = ".".join(parts[:cut])
            if module in self.modules:
                return module, tuple(parts[cut:])
        return None
