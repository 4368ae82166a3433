"""The facts of each module, kept on disk by content, so that the single-file front ends stay fast.

flake8, the pre-commit hooks and the language server see one file at a time, but a finding may
hang on a fact of another module. Reading every module of the project for every file would cost
a whole-project parse per keystroke; this cache keeps each module's facts (``summaries``) in
``.fs-lint-cache/facts/`` at the project's root, keyed by a hash of the file's bytes, its module
name, the facts' schema and fs-lint's version, as ruff keeps ``.ruff_cache/``. The folder carries
its own ``.gitignore`` (``*``) and a ``CACHEDIR.TAG``, so that git and backup tools leave it alone.

An entry is trusted only when it reads back whole and names the module it was asked for: a stale,
corrupt or foreign entry is rebuilt; a folder that cannot be written is skipped (the facts are
then computed each time), never an error. Entries are written to a temporary file and renamed,
so a reader never sees half an entry.
"""

from __future__ import annotations

import ast
import hashlib
import json
from functools import lru_cache
from pathlib import Path

from .cache_folder import CACHE_FOLDER, write_entry
from .summaries import SCHEMA, ModuleFacts, summarize

@lru_cache(maxsize=1)
def _extractor() -> str:
    """fs-lint's version and a digest of the code that collects the facts: an entry written by any
    other collector (an older fs-lint, a development checkout) is never read back."""
    from .. import __version__  # the package's version string only: no analysis, no front end
    digest = hashlib.sha256(__version__.encode())
    for module in ("summaries.py", "terms.py"):
        digest.update(Path(__file__).with_name(module).read_bytes())
    return digest.hexdigest()[:16]


class FactsCache:
    """Module facts on disk under ``root/.fs-lint-cache/facts``; ``load`` is the program model's loader."""

    def __init__(self, root: Path, enabled: bool = True) -> None:
        self.root = root
        self.folder = root / CACHE_FOLDER / "facts"
        self.enabled = enabled
        self._writable: bool | None = None
        self.hits = 0
        self.misses = 0

    def key(self, source: bytes, name: str) -> str:
        digest = hashlib.sha256()
        digest.update(f"{SCHEMA}\0{_extractor()}\0{name}\0".encode())
        digest.update(source)
        return digest.hexdigest()

    def load(self, path: Path, name: str, is_package: bool) -> ModuleFacts | None:
        """The facts of ``path``: from the cache when an entry for these bytes exists, else parsed and
        stored. None when the file cannot be read or parsed: it adds no facts."""
        try:
            source = path.read_bytes()
        except OSError:
            return None
        return self.facts_of(source, path, name, is_package)

    def facts_of(self, source: bytes, path: Path, name: str, is_package: bool,
                 tree: ast.Module | None = None) -> ModuleFacts | None:
        key = self.key(source, name) if self.enabled else ""
        if self.enabled:
            cached = self._read(key, name)
            if cached is not None:
                self.hits += 1
                cached.path = str(path)
                return cached
        self.misses += 1
        if tree is None:
            try:
                tree = ast.parse(source, filename=str(path))
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                return None
        try:
            facts = summarize(tree, name, str(path), is_package)
        except RecursionError:
            return None
        if self.enabled:
            self._write(key, facts)
        return facts

    def _entry(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def _read(self, key: str, name: str) -> ModuleFacts | None:
        try:
            with self._entry(key).open("r", encoding="utf-8") as handle:
                data = json.load(handle)
            if data.get("schema") != SCHEMA or data.get("facts", {}).get("name") != name:
                return None
            return ModuleFacts.from_json(data["facts"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
            return None  # missing, half-written by a killed run, or from another version: rebuilt

    def _write(self, key: str, facts: ModuleFacts) -> None:
        if self._writable is False:
            return
        try:
            write_entry(self.root, self._entry(key), {"schema": SCHEMA, "facts": facts.to_json()})
            self._writable = True
        except (OSError, RecursionError, ValueError):
            self._writable = False  # a read-only checkout: compute the facts each time, say nothing
