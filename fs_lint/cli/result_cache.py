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

A run keeps a project's entries in one *pack*, written once by the main process at the end of the
run: the entries still valid (same fs-lint, same Python, same project fingerprint) and those the run
worked out. The packs it read are then removed, so the folder holds the project as last checked and
does not grow with the number of runs. One file per run, not one per checked file: creating a file
costs a millisecond on some disks, more than checking a small module. A run that is stopped writes
nothing; two runs at once each write their own pack, and the next run reads both.
"""

from __future__ import annotations

import os
import sys
import time
from functools import lru_cache
from pathlib import Path

from ..findings import Finding
from ..model.cache_folder import CACHE_FOLDER, write_entry
from ..model.layout import project_root
from .discovery import SKIPPED_DIRECTORIES
from .output_formats import FileReport

_FORMAT = 2  # the layout of a pack and its entries; bump when it changes
_PACKAGE = Path(__file__).resolve().parents[1]


def _sha256(data: bytes = b""):
    """``hashlib.sha256``, imported when a key is made: a ``--no-cache`` run makes none."""
    import hashlib

    return hashlib.sha256(data)


@lru_cache(maxsize=1)
def _code_digest() -> str:
    """fs-lint's version, the size and time of each of its files, and the Python that runs it: an entry
    any other build wrote (an upgrade, an edit in a development checkout) is never read back, nor one of
    another Python (whose parser takes other syntax)."""
    from .. import __version__

    python = f"{sys.implementation.name}-{sys.version}"
    digest = _sha256(f"{_FORMAT}\0{__version__}\0{python}\0".encode())
    for folder, directories, files in os.walk(_PACKAGE):
        directories[:] = sorted(d for d in directories if d != "__pycache__")
        for name in sorted(files):
            if name.endswith((".py", ".toml")):
                status = os.stat(os.path.join(folder, name))
                digest.update(f"{folder}/{name}\0{status.st_size}\0{status.st_mtime_ns}\0".encode())
    return digest.hexdigest()


@lru_cache(maxsize=256)
def _cache_of_folder(folder: str) -> "ResultCache":
    """One cache per project in a run: its packs are read once, and its new entries saved once."""
    root = project_root(Path(folder) / "__init__.py")
    cache = _CACHES.get(root)
    if cache is None:
        cache = _CACHES[root] = ResultCache(root)
    return cache


_CACHES: dict[Path, "ResultCache"] = {}  # by project root, for this run


MAX_FINGERPRINTED = 50_000  # entries walked; past this the "project" is no project (a home folder, /tmp)


@lru_cache(maxsize=8)
def project_fingerprint(root: Path) -> str | None:
    """The size and time of every Python file of the project, in a stable order; None when the folder
    is too big to walk for each run (then nothing is cached for it)."""
    digest = _sha256()
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
    _CACHES.clear()


def save_all() -> None:
    """Write the pack of every project that got new entries in this run (the main process, at its end)."""
    for cache in _CACHES.values():
        cache.save()


class ResultCache:
    """The reports of one project's files under ``root/.fs-lint-cache/results``: see the module docstring."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.folder = root / CACHE_FOLDER / "results"
        self._known: dict[str, dict] | None = None  # the valid entries of the packs read
        self._read: list[Path] = []  # every pack read: the one this run saves replaces them
        self._new: dict[str, dict] = {}

    @staticmethod
    def for_file(path: str) -> "ResultCache":
        return _cache_of_folder(os.path.dirname(os.path.abspath(path)))

    def key(self, task_spelling: str, source: bytes) -> str | None:
        """None when the project cannot be fingerprinted: nothing is cached."""
        fingerprint = project_fingerprint(self.root)
        if fingerprint is None:
            return None
        digest = _sha256(f"{_code_digest()}\0{fingerprint}\0{task_spelling}\0".encode())
        digest.update(source)
        return digest.hexdigest()

    def read(self, key: str, path: str, shown: str) -> FileReport | None:
        entry = self._entries().get(key)
        try:
            if entry is None or entry.get("shown") != shown:
                return None
            return _report(entry, path, shown)
        except (ValueError, KeyError, TypeError, IndexError, AttributeError):
            return None  # an entry of another layout: checked again

    def keep(self, key: str, report: FileReport) -> None:
        """A report worked out in this run, saved with the pack at its end."""
        self._new[key] = _entry(report)

    def save(self) -> None:
        """One pack of the valid entries and the new ones; the packs read before are removed. Nothing is
        written when the run added nothing, and nothing is said when the folder cannot be written."""
        if not self._new:
            return
        fingerprint = project_fingerprint(self.root)
        pack = {"format": _FORMAT, "code": _code_digest(), "fingerprint": fingerprint,
                "entries": {**self._entries(), **self._new}}
        name = _sha256(f"{os.getpid()}\0{time.time_ns()}\0{fingerprint}".encode()).hexdigest()[:20]
        try:
            write_entry(self.root, self.folder / f"{name}.json", pack)
        except (OSError, ValueError):
            return  # a read-only checkout: check each time
        self._new.clear()
        for old in self._read:
            try:
                old.unlink()
            except OSError:
                pass
        self._read.clear()
        self._forget_the_older_layout()

    def _forget_the_older_layout(self) -> None:
        """fs-lint before packs kept one file per entry, in folders named by the key's first two digits."""
        try:
            folders = [path for path in self.folder.iterdir() if path.is_dir()]
        except OSError:
            return
        if folders:
            import shutil

            for folder in folders:
                shutil.rmtree(folder, ignore_errors=True)

    def _entries(self) -> dict[str, dict]:
        if self._known is None:
            import json

            self._known = {}
            fingerprint, code = project_fingerprint(self.root), _code_digest()
            try:
                packs = sorted(path for path in self.folder.iterdir() if path.suffix == ".json")
            except OSError:
                packs = []
            for path in packs:
                self._read.append(path)
                try:
                    data = json.loads(path.read_bytes())
                except (OSError, ValueError):
                    continue  # cut short by a full disk, or not ours: replaced by this run's pack
                if isinstance(data, dict) and data.get("format") == _FORMAT and data.get("code") == code \
                        and data.get("fingerprint") == fingerprint and isinstance(data.get("entries"), dict):
                    self._known.update(data["entries"])
        return self._known


def _entry(report: FileReport) -> dict:
    findings = list(report.findings)
    return {
        "shown": report.shown, "error": report.error, "error_line": report.error_line,
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
