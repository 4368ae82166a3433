"""The reports of files already checked, kept on disk: a second ``fs-lint check`` of an unchanged
tree reads them back instead of analysing each file again, as ruff's ``.ruff_cache`` does.

An entry is keyed by the file's bytes, everything of its task that shapes the report (the path
shown, the codes, the settings, noqa, whether fixability is worked out), fs-lint's own code (its
version and the size and time of each of its files), the Python that runs it (its parser decides
which syntax is an error), and a fingerprint of the project's Python files (the size and time of
each). The last is what makes the cache safe beneath the
program model: a finding may rest on a fact of another module (a callee that waits, a subclass
that sets the stop flag), so any change to a Python file of the project makes every entry of that
project stale. The entries live in ``.fs-lint-cache/results/`` at the project's root, beside the
module facts, and follow the same rules: written to a temporary file and renamed, trusted only
when they read back whole, skipped without a word when the folder cannot be written. The
``cache`` setting (``--no-cache``) turns both off.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from functools import lru_cache
from pathlib import Path

from ..findings import Finding
from ..model.cache_folder import CACHE_FOLDER, write_entry
from ..model.layout import project_root
from .discovery import SKIPPED_DIRECTORIES
from .output_formats import FileReport

_FORMAT = 1  # the layout of an entry; bump when it changes
_PACKAGE = Path(__file__).resolve().parents[1]


@lru_cache(maxsize=1)
def _code_digest() -> str:
    """fs-lint's version, the size and time of each of its files, and the Python that runs it: an entry
    any other build wrote (an upgrade, an edit in a development checkout) is never read back, nor one of
    another Python (whose parser takes other syntax)."""
    from .. import __version__

    python = f"{sys.implementation.name}-{sys.version}"
    digest = hashlib.sha256(f"{_FORMAT}\0{__version__}\0{python}\0".encode())
    for folder, directories, files in os.walk(_PACKAGE):
        directories[:] = sorted(d for d in directories if d != "__pycache__")
        for name in sorted(files):
            if name.endswith((".py", ".toml")):
                status = os.stat(os.path.join(folder, name))
                digest.update(f"{folder}/{name}\0{status.st_size}\0{status.st_mtime_ns}\0".encode())
    return digest.hexdigest()


@lru_cache(maxsize=64)
def _cache_of_folder(folder: str) -> "ResultCache":
    """One cache per project in a process, so that a folder found unwritable is not tried again."""
    return _cache_of_root(project_root(Path(folder) / "__init__.py"))


@lru_cache(maxsize=8)
def _cache_of_root(root: Path) -> "ResultCache":
    return ResultCache(root)


MAX_FINGERPRINTED = 50_000  # entries walked; past this the "project" is no project (a home folder, /tmp)


@lru_cache(maxsize=8)
def project_fingerprint(root: Path) -> str | None:
    """The size and time of every Python file of the project, in a stable order; None when the folder
    is too big to walk for each run (then nothing is cached for it)."""
    digest = hashlib.sha256()
    walked = 0
    for folder, directories, files in os.walk(root):
        walked += len(files) + len(directories)
        if walked > MAX_FINGERPRINTED:
            return None
        directories[:] = sorted(d for d in directories
                                if d not in SKIPPED_DIRECTORIES and not d.startswith(".") and d != CACHE_FOLDER)
        for name in sorted(files):
            if name.endswith((".py", ".pyi")):
                try:
                    status = os.stat(os.path.join(folder, name))
                except OSError:
                    continue
                digest.update(f"{folder}/{name}\0{status.st_size}\0{status.st_mtime_ns}\0".encode())
    return digest.hexdigest()


def forget() -> None:
    """Start a run afresh: the project's files may have changed since the last run in this process (a
    test, an editor that calls ``check`` in-process), and the fingerprint is taken once per run."""
    project_fingerprint.cache_clear()
    _cache_of_folder.cache_clear()
    _cache_of_root.cache_clear()


class ResultCache:
    """The reports of one project's files under ``root/.fs-lint-cache/results``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.folder = root / CACHE_FOLDER / "results"
        self._writable: bool | None = None

    @staticmethod
    def for_file(path: str) -> "ResultCache":
        return _cache_of_folder(os.path.dirname(os.path.abspath(path)))

    def key(self, task_spelling: str, source: bytes) -> str | None:
        """None when the project cannot be fingerprinted: nothing is cached."""
        fingerprint = project_fingerprint(self.root)
        if fingerprint is None:
            return None
        digest = hashlib.sha256(f"{_code_digest()}\0{fingerprint}\0{task_spelling}\0".encode())
        digest.update(source)
        return digest.hexdigest()

    def read(self, key: str, path: str, shown: str) -> FileReport | None:
        try:
            with (self.folder / key[:2] / f"{key}.json").open("r", encoding="utf-8") as handle:
                data = json.load(handle)
            if data.get("format") != _FORMAT or data.get("shown") != shown:
                return None
            return _report(data, path, shown)
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return None  # missing, half-written by a killed run, or from another layout: checked again

    def write(self, key: str, report: FileReport) -> None:
        if self._writable is False:
            return
        try:
            write_entry(self.root, self.folder / key[:2] / f"{key}.json", _entry(report))
            self._writable = True
        except (OSError, ValueError):
            self._writable = False  # a read-only checkout: check each time, say nothing


def _entry(report: FileReport) -> dict:
    findings = list(report.findings)
    return {
        "format": _FORMAT, "shown": report.shown, "error": report.error, "error_line": report.error_line,
        "findings": [[f.line, f.col, f.code, f.message, list(f.evidence)] for f in findings],
        "fixable": [i for i, f in enumerate(findings) if f in report.fixable],
        "unsafe_fixable": [i for i, f in enumerate(findings) if f in report.unsafe_fixable],
        "fixability_unknown": report.fixability_unknown,
    }


def _report(data: dict, path: str, shown: str) -> FileReport:
    findings = tuple(Finding(line, col, code, message, tuple(evidence))
                     for line, col, code, message, evidence in data["findings"])
    return FileReport(path, shown, findings, error=data["error"], error_line=data["error_line"],
                      fixable=frozenset(findings[i] for i in data["fixable"]),
                      unsafe_fixable=frozenset(findings[i] for i in data["unsafe_fixable"]),
                      fixability_unknown=bool(data["fixability_unknown"]))
