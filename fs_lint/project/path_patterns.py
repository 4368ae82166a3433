"""Glob patterns for ``exclude`` and ``per-file-ignores``.

A pattern with a ``/`` is a path relative to a base directory (the config
file's, or the working directory for command-line patterns); one without
matches any file or directory name. A pattern that matches a directory also
matches everything below it, and ``**/`` matches any number of directories.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache


@lru_cache(maxsize=None)
def _compile(glob: str) -> re.Pattern[str]:
    out: list[str] = []
    i = 0
    while i < len(glob):
        char = glob[i]
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and (end := glob.find("]", i + 2)) != -1:
            members = glob[i + 1:end]
            negate = members.startswith("!")
            members = re.escape(members[1:] if negate else members).replace(r"\-", "-")
            out.append(f"[{'^' if negate else ''}{members}]")
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out), re.DOTALL)


class PathPattern:
    """One user-written glob, anchored at ``base`` (an absolute directory)."""

    def __init__(self, pattern: str, base: str) -> None:
        self.text = pattern
        cleaned = pattern.strip()
        while cleaned.startswith("./"):
            cleaned = cleaned[2:]
        cleaned = cleaned.rstrip("/") or cleaned
        self._anchored = "/" in cleaned
        self._regex = _compile(cleaned)
        self._base = base

    def __repr__(self) -> str:
        return f"PathPattern({self.text!r}, {self._base!r})"

    def matches(self, path: str) -> bool:
        """Whether ``path`` (absolute) or one of its directories below the base matches."""
        prefix, parts = self._split(path)
        if not self._anchored:
            return any(self._regex.fullmatch(part) for part in parts)
        return any(self._regex.fullmatch(prefix + "/".join(parts[:end])) for end in range(len(parts), 0, -1))

    def matches_exactly(self, path: str) -> bool:
        """Whether ``path`` itself matches, whatever its directories: for a walk that prunes as it goes."""
        prefix, parts = self._split(path)
        if not parts:
            return False
        return bool(self._regex.fullmatch(prefix + "/".join(parts) if self._anchored else parts[-1]))

    def _split(self, path: str) -> tuple[str, list[str]]:
        """The leading ``../`` steps from the base, and the names after them."""
        relative = os.path.relpath(path, self._base).replace(os.sep, "/")
        if relative == ".":
            return "", []
        parts = relative.split("/")
        steps = 0
        while steps < len(parts) and parts[steps] == "..":
            steps += 1
        return "../" * steps, parts[steps:]


def matches_any(patterns: list[PathPattern] | tuple[PathPattern, ...], path: str) -> bool:
    return any(pattern.matches(path) for pattern in patterns)
