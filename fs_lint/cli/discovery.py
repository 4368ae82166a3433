"""Which files to check.

A directory is listed by git when it is inside a checkout (tracked files and
untracked ones that are not ignored), and walked otherwise; both skip virtual
environments, caches and build output. Only ``*.py`` files are found this way;
a file named on the command line is always checked (unless ``force_exclude``
and it matches ``exclude`` or lies in a folder a walk skips).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Iterator, Protocol, Sequence, Union

from ..project.path_patterns import PathPattern

SKIPPED_DIRECTORIES = frozenset({
    ".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", ".eggs", "build", "dist",
    "__pycache__", "node_modules", ".mypy_cache", ".pytest_cache", ".ruff_cache",
})
_GIT_VARIABLES_KEPT = ("GIT_EXEC_PATH", "GIT_CONFIG_NOSYSTEM", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM")


@dataclass(frozen=True)
class Candidate:
    path: str  # absolute, symbolic links kept, so that output names what the user sees
    shown: str  # the name in output: relative when the user gave a relative path


@dataclass
class Discovery:
    files: list[Candidate] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # paths given that do not exist
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (directory, reason) a walk could not list
    ignored: list[str] = field(default_factory=list)  # directories given whose Python files git all ignores
    empty: list[str] = field(default_factory=list)  # directories given that hold no Python file to check


class Exclusion(Protocol):
    """What ``exclude`` says about a path; per folder, since each folder may have its own config."""

    def excludes(self, path: str) -> bool:
        """``path`` or a folder of it matches: for a file named on the command line."""

    def excludes_exactly(self, path: str) -> bool:
        """``path`` itself matches: for a walk, which prunes a matching folder before it looks inside."""


class PatternExclusion:
    """One list of patterns for every path."""

    def __init__(self, patterns: Sequence[PathPattern]) -> None:
        self._patterns = tuple(patterns)

    def excludes(self, path: str) -> bool:
        return any(pattern.matches(path) for pattern in self._patterns)

    def excludes_exactly(self, path: str) -> bool:
        return any(pattern.matches_exactly(path) for pattern in self._patterns)


def is_skipped_directory(path: str) -> bool:
    name = os.path.basename(path)
    return (name in SKIPPED_DIRECTORIES or name.endswith(".egg-info")
            or os.path.isfile(os.path.join(path, "pyvenv.cfg")))


def discover(paths: Sequence[str], cwd: str, exclude: Union[Exclusion, Sequence[PathPattern]] = (),
             force_exclude: bool = False) -> Discovery:
    """The files to check under ``paths`` (the working directory when empty), each once."""
    if not hasattr(exclude, "excludes_exactly"):
        exclude = PatternExclusion(exclude)  # type: ignore[arg-type]
    found = Discovery()
    seen: set[str] = set()
    for given in paths or ["."]:
        absolute = os.path.normpath(os.path.join(cwd, given))
        if os.path.isdir(absolute):
            candidates = list(_in_directory(absolute, given, exclude, found))
            if not candidates and os.path.normpath(given) not in found.ignored:
                found.empty.append(os.path.normpath(given))
        elif os.path.lexists(absolute):  # a dangling link or a link loop too: reading it says what is wrong
            excluded = force_exclude and (exclude.excludes(absolute) or _in_skipped_directory(absolute, cwd))
            candidates = iter(() if excluded else [Candidate(absolute, os.path.normpath(given))])
        else:
            found.missing.append(given)
            continue
        for candidate in candidates:
            if candidate.path not in seen:
                seen.add(candidate.path)
                found.files.append(candidate)
    return found


def _in_skipped_directory(path: str, cwd: str) -> bool:
    """Whether a folder between ``cwd`` and ``path`` is one a walk skips (``.venv``, ``build``, ...):
    under ``--force-exclude`` a named file there is skipped too, as ruff does for its default excludes."""
    relative = os.path.relpath(os.path.dirname(path), cwd)
    if relative == "." or relative.startswith(".."):
        return False
    directory = cwd
    for part in relative.split(os.sep):
        directory = os.path.join(directory, part)
        if is_skipped_directory(directory):
            return True
    return False


def _in_directory(top: str, given: str, exclude: Exclusion, found: Discovery) -> Iterator[Candidate]:
    listed = _git_listing(top)
    if listed is not None and not listed and _holds_python_files(top):
        found.ignored.append(os.path.normpath(given))
    relative_paths = _walk(top, given, exclude, found) if listed is None else _filter_listing(top, listed, exclude)
    for relative in relative_paths:
        yield Candidate(os.path.join(top, relative), os.path.normpath(os.path.join(given, relative)))


def _git_listing(top: str) -> list[str] | None:
    """Python files git would show under ``top``, relative to it; None outside a checkout or without git."""
    environment = {name: value for name, value in os.environ.items()
                   if not name.startswith("GIT_") or name in _GIT_VARIABLES_KEPT}
    import subprocess  # a folder given, in a checkout: not for the files named one by one

    try:
        result = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=top, env=environment, stdin=subprocess.DEVNULL, capture_output=True, check=False,
        )
    except OSError:
        return None
    if result.returncode != 0:
        return None
    names = {os.fsdecode(name) for name in result.stdout.split(b"\0")}
    return sorted(name.replace("/", os.sep) for name in names if name.endswith(".py"))


def _holds_python_files(top: str) -> bool:
    """Whether a walk (which git's listing replaced) would find a ``*.py`` file under ``top``."""
    for directory, subdirectories, filenames in os.walk(top):
        subdirectories[:] = [d for d in subdirectories if not is_skipped_directory(os.path.join(directory, d))]
        if any(name.endswith(".py") for name in filenames):
            return True
    return False


def _filter_listing(top: str, listed: list[str], exclude: Exclusion) -> Iterator[str]:
    skipped: dict[str, bool] = {}  # directory -> skipped, itself or through a parent below top

    def directory_skipped(directory: str) -> bool:
        if directory == top:
            return False
        if directory not in skipped:
            skipped[directory] = (directory_skipped(os.path.dirname(directory)) or is_skipped_directory(directory)
                                  or exclude.excludes_exactly(directory))
        return skipped[directory]

    for relative in listed:
        path = os.path.join(top, relative)
        if not os.path.lexists(path):  # tracked, but deleted in the working tree
            continue
        if directory_skipped(os.path.dirname(path)) or exclude.excludes_exactly(path):
            continue
        yield relative


def _walk(top: str, given: str, exclude: Exclusion, found: Discovery) -> Iterator[str]:
    """Symbolic links to directories are not followed, so a link loop cannot trap the walk."""

    def unreadable(error: OSError) -> None:
        relative = os.path.relpath(error.filename or top, top)
        found.unreadable.append((os.path.normpath(os.path.join(given, relative)), error.strerror or str(error)))

    for directory, subdirectories, filenames in os.walk(top, onerror=unreadable):
        subdirectories[:] = [
            name for name in subdirectories
            if not is_skipped_directory(os.path.join(directory, name))
            and not exclude.excludes_exactly(os.path.join(directory, name))
        ]
        for name in filenames:
            path = os.path.join(directory, name)
            if name.endswith(".py") and not exclude.excludes_exactly(path):
                yield os.path.relpath(path, top)
