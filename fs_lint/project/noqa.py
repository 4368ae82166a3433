"""``# noqa`` comments, read as flake8 reads them.

``# noqa`` silences every finding on its line, ``# noqa: FSR001,FSR0`` those
whose code starts with a listed code. A comment anywhere on a logical line
that spans several physical lines (brackets, backslashes, triple-quoted
strings) applies to all of them; flake8 does so for the last two only, which
leaves no place for a noqa on a handler whose ``except (...)`` spans lines.
Codes are read whatever their case (``# NOQA: fsr002``).

A line that is only ``# fs-lint: noqa`` (or ``# flake8: noqa``) exempts the
whole file; ``# fs-lint: noqa: FSR001`` exempts it from FSR001 only, as
ruff's ``# ruff: noqa: F401`` does (flake8 ignores codes there; fs-lint does
not). Only comments count (unlike flake8, a ``# noqa`` inside a string does
nothing), and only files that have findings are read for them.

The CLI, the flake8 plugin, the codemods and the language server all read
noqa through this module, so a comment means the same everywhere (inside
flake8, flake8's own reading applies on top of it).
"""

from __future__ import annotations

import io
import re
import tokenize
from typing import Callable, Iterable

from ..findings import Finding

_INLINE = re.compile(
    r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)
_FILE_EXEMPT = re.compile(
    rb"^[ \t\f]*#[ \t]*(?:flake8|fs-lint)[:=][ \t]*noqa"
    rb"(?:[ \t]*:[ \t]*(?P<codes>[A-Z]+[0-9]+(?:[ \t]*,?[ \t]*[A-Z]+[0-9]+)*))?",
    re.IGNORECASE | re.MULTILINE)

BLANKET = frozenset({""})  # a bare ``# noqa``: the empty prefix, which every code starts with


def _mentions_noqa(source: bytes) -> bool:
    return b"noqa" in source.lower()


def file_exemption(source: bytes) -> frozenset[str]:
    """The code prefixes the file-level comments silence in the whole file: BLANKET, some codes, or none."""
    if not _mentions_noqa(source):
        return frozenset()
    prefixes: set[str] = set()
    for match in _FILE_EXEMPT.finditer(source):
        codes = match.group("codes")
        if codes is None:
            return BLANKET
        prefixes.update(re.split(r"[,\s]+", codes.decode("ascii").upper()))
    return frozenset(prefixes)


def file_is_exempt(source: bytes) -> bool:
    """Whether a file-level comment silences every code in the file."""
    return file_exemption(source) == BLANKET


def directive_span(comment: str) -> tuple[int, int, frozenset[str]] | None:
    """Where the noqa directive is in a comment, and the code prefixes it silences (BLANKET for a bare
    noqa); None when the comment has none. For ``--add-noqa``, which adds codes to it."""
    match = _INLINE.search(comment)
    if match is None:
        return None
    codes = match.group("codes")
    return match.start(), match.end(), BLANKET if codes is None else frozenset(re.split(r"[,\s]+", codes.upper()))


def _directive(comment: str) -> frozenset[str] | None:
    """The code prefixes a comment silences (BLANKET for a bare noqa), None when it is no noqa."""
    match = _INLINE.search(comment)
    if match is None:
        return None
    codes = match.group("codes")
    return BLANKET if codes is None else frozenset(re.split(r"[,\s]+", codes.upper()))


class NoqaMap:
    """Which codes each line silences: ``silences(finding)`` is the question callers ask."""

    def __init__(self, source: bytes) -> None:
        self._lines: dict[int, frozenset[str]] = {}
        if _mentions_noqa(source):
            try:
                self._read_tokens(source)
            except (tokenize.TokenError, SyntaxError, UnicodeDecodeError):
                self._lines.clear()
                self._read_lines(source)

    def silences(self, finding: Finding) -> bool:
        return finding.code.startswith(tuple(self._lines.get(finding.line, ())))

    def _add(self, lines: Iterable[int], codes: frozenset[str]) -> None:
        for line in lines:
            self._lines[line] = self._lines.get(line, frozenset()) | codes

    def _read_tokens(self, source: bytes) -> None:
        """Group the physical lines into logical lines: a NEWLINE ends one, and so does an NL outside brackets."""
        first = last = None
        depth = 0
        directives: list[frozenset[str]] = []
        for token in tokenize.tokenize(io.BytesIO(source).readline):
            if token.type in (tokenize.ENCODING, tokenize.ENDMARKER, tokenize.DEDENT):
                continue
            first = token.start[0] if first is None else first
            last = token.end[0]
            if token.type == tokenize.OP:
                depth += token.string in "([{"
                depth -= token.string in ")]}"
            elif token.type == tokenize.COMMENT:
                directive = _directive(token.string)
                if directive is not None:
                    directives.append(directive)
            elif token.type == tokenize.NEWLINE or (token.type == tokenize.NL and depth <= 0):
                for directive in directives:
                    self._add(range(first, last + 1), directive)
                first = last = None
                depth = 0
                directives = []

    def _read_lines(self, source: bytes) -> None:
        """The fallback when the source does not tokenize: each physical line on its own."""
        for number, line in enumerate(source.decode("utf-8", "replace").splitlines(), start=1):
            if "#" in line:
                directive = _directive(line[line.index("#"):])
                if directive is not None:
                    self._add([number], directive)


def drop_silenced(source: bytes, findings: list[Finding]) -> list[Finding]:
    """The findings that no noqa comment silences (none at all in an exempt file)."""
    if not findings or not _mentions_noqa(source):
        return findings
    exempt = tuple(file_exemption(source))
    findings = [finding for finding in findings if not finding.code.startswith(exempt)] if exempt else findings
    if not findings:
        return []
    noqa = NoqaMap(source)
    return [finding for finding in findings if not noqa.silences(finding)]


def silenced_by(source: bytes) -> Callable[[Finding], bool]:
    """Whether a ``# noqa`` silences a finding, for the fixer's ``skip``; the file is tokenized only
    if a finding is asked about, which is rare (tokenizing costs more than checking)."""
    noqa: list[NoqaMap] = []
    exempt = tuple(file_exemption(source))  # ``# fs-lint: noqa: FSR001`` on a line of its own

    def silenced(finding: Finding) -> bool:
        if exempt and finding.code.startswith(exempt):
            return True
        if not noqa:
            noqa.append(NoqaMap(source))
        return noqa[0].silences(finding)

    return silenced
