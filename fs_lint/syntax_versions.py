"""Syntax that a newer Python accepts and this one does not: named, so a user is not told "invalid syntax".

fs-lint parses with the interpreter it runs on. A file written for Python 3.12
(``type Alias = int``, ``def f[T]()``, an f-string that reuses its quotes
inside ``{}``) does not parse on 3.11, and Python's own message ("invalid
syntax", "f-string: expecting '}'") sends the user looking for a typo. When
the line that failed holds such a construct, the error says what it is and
which Python it needs.
"""

from __future__ import annotations

import re
import sys
from typing import Iterator

_NAME = r"[^\W\d]\w*"
# (version that accepts it, what the line looks like, what it is)
_BY_LINE = (
    ((3, 11), re.compile(r"^\s*except\s*\*"), "`except*`"),
    ((3, 12), re.compile(rf"^\s*type\s+{_NAME}\s*(?:\[.*\])?\s*="), "a `type` statement"),
    ((3, 12), re.compile(rf"^\s*(?:async\s+)?def\s+{_NAME}\s*\["), "a generic function (`def f[T]()`)"),
    ((3, 12), re.compile(rf"^\s*class\s+{_NAME}\s*\["), "a generic class (`class C[T]`)"),
    ((3, 14), re.compile(r"(?<![\w'\"])[tT][rR]?['\"]|(?<![\w'\"])[rR][tT]['\"]"), "a template string (`t\"...\"`)"),
)
_BY_MESSAGE = (
    ((3, 14), "multiple exception types must be parenthesized", "`except A, B:` without parentheses"),
    ((3, 12), "f-string expression part cannot include a backslash", "a backslash inside an f-string's `{}`"),
    ((3, 12), "f-string expression part cannot include '#'", "a comment inside an f-string's `{}`"),
)
_F_STRING_START = re.compile(r"(?<![\w'\"])(?:[rR]?[fF]|[fF][rR])(['\"])")


def running() -> str:
    return f"{sys.version_info[0]}.{sys.version_info[1]}"


def newer_syntax(error: SyntaxError) -> str | None:
    """``needs Python 3.12+ (fs-lint runs on 3.11): a `type` statement``, or None when nothing newer is in sight."""
    line = error.text or ""
    message = error.msg or ""
    for version, pattern, what in _BY_LINE:
        if sys.version_info < version and pattern.search(line):
            return _needs(version, what)
    for version, words, what in _BY_MESSAGE:
        if sys.version_info < version and words in message:
            return _needs(version, what)
    if sys.version_info < (3, 12) and message.startswith("f-string") and _reuses_its_quotes(line):
        return _needs((3, 12), "an f-string that uses its own quotes inside `{}`")
    if sys.version_info < (3, 12) and message.startswith("unterminated string literal") \
            and _field_runs_past_the_line(line):
        return _needs((3, 12), "an f-string whose `{}` goes on over several lines")
    return None


def _needs(version: tuple[int, int], what: str) -> str:
    return f"needs Python {version[0]}.{version[1]}+ (fs-lint runs on {running()}): {what}"


def _reuses_its_quotes(line: str) -> bool:
    """Whether an f-string on the line has its own quote character inside a ``{}`` (PEP 701)."""
    return any(reused for reused, _ in _f_strings(line))


def _field_runs_past_the_line(line: str) -> bool:
    """Whether a one-line f-string on the line opens a ``{}`` that the line does not close (PEP 701 lets the
    expression go on over several lines: ``f"before: {`` then the expression below)."""
    return any(left_open for _, left_open in _f_strings(line))


def _f_strings(line: str) -> Iterator[tuple[bool, bool]]:
    """For each f-string that starts on the line: whether its own quote character stands inside a ``{}``, and
    whether a ``{}`` is still open where the line ends. A triple-quoted one closes at once here (its second
    quote), as it may go on over lines in any version."""
    for start in _F_STRING_START.finditer(line):
        quote = start.group(1)
        depth = 0
        reused = False
        index = start.end()
        while index < len(line):
            char = line[index]
            if char == "\\" and depth == 0:
                index += 1
            elif char == "{":
                if depth == 0 and line.startswith("{{", index):
                    index += 1
                else:
                    depth += 1
            elif char == "}" and depth:
                depth -= 1
            elif char == quote:
                if not depth:
                    break
                reused = True
            index += 1
        yield reused, index >= len(line) and depth > 0
