"""``fs-lint check --add-noqa``: a ``# noqa: FSRxxx`` comment for each current finding, as ruff's ``--add-noqa``.

So that a team can adopt fs-lint on a large code base and gate only new code.
The comment goes on the finding's line, or, where a comment cannot end that
line (a backslash continuation, a line inside a triple-quoted string), on the
first line after it in the same statement that can take one: fs-lint reads a
``# noqa`` anywhere in a statement (``project.noqa``). An existing
``# noqa: CODES`` keeps its codes and gets the new ones after them; another
comment keeps its text and gets the ``# noqa`` after it. Nothing else changes:
line endings, encoding, indentation. A second run adds nothing, since the
findings are silenced.
"""

from __future__ import annotations

import io
import re
import tokenize
from typing import Iterable

from ..findings import Finding
from .noqa import BLANKET, directive_span

_LINE_END = re.compile(rb"(\r\n|\r|\n)?\Z")


class _Lines:
    """Which lines a comment can end, the comment each has, and the statement each belongs to."""

    def __init__(self, source: bytes) -> None:
        self.commentable: set[int] = set()
        self.comments: dict[int, str] = {}
        self.statement_end: dict[int, int] = {}  # physical line -> last line of its logical line
        self.encoding = "utf-8"
        first = None
        depth = 0
        for token in tokenize.tokenize(io.BytesIO(source).readline):
            if token.type == tokenize.ENCODING:
                self.encoding = token.string
                continue
            if token.type in (tokenize.ENDMARKER, tokenize.DEDENT, tokenize.INDENT):
                continue
            first = token.start[0] if first is None else first
            if token.type == tokenize.COMMENT:
                self.comments[token.start[0]] = token.string
            elif token.type == tokenize.OP:
                depth += token.string in "([{"
                depth -= token.string in ")]}"
            if token.type in (tokenize.NEWLINE, tokenize.NL):
                self.commentable.add(token.start[0])
                if token.type == tokenize.NEWLINE or depth <= 0:
                    for line in range(first, token.start[0] + 1):
                        self.statement_end[line] = token.start[0]
                    first = None
                    depth = 0

    def target(self, line: int) -> int | None:
        """The line the comment for a finding on ``line`` goes on: it, or a later line of its statement."""
        last = self.statement_end.get(line, line)
        return next((candidate for candidate in range(line, last + 1) if candidate in self.commentable), None)


def add_noqa_comments(source: bytes, findings: Iterable[Finding]) -> tuple[bytes, int]:
    """``source`` with the noqa comments the findings need, and how many lines got one (or more codes).

    Raises what ``tokenize`` raises on a file that does not tokenize (a file with findings does).
    """
    lines = _Lines(source)
    wanted: dict[int, set[str]] = {}
    for finding in findings:
        target = lines.target(finding.line)
        if target is not None:
            wanted.setdefault(target, set()).add(finding.code)
    physical = source.splitlines(keepends=True)
    changed = 0
    for number, codes in sorted(wanted.items()):
        if not 0 < number <= len(physical):
            continue
        new = _with_codes(physical[number - 1], lines.comments.get(number), codes, lines.encoding)
        if new != physical[number - 1]:
            physical[number - 1] = new
            changed += 1
    return b"".join(physical), changed


def _with_codes(line: bytes, comment: str | None, codes: set[str], encoding: str) -> bytes:
    ending = _LINE_END.search(line).group(1) or b""  # type: ignore[union-attr]
    body = line[: len(line) - len(ending)]
    span = directive_span(comment) if comment is not None else None
    if span is not None:
        start, end, present = span
        if present == BLANKET:
            return line
        new_codes = sorted(code for code in codes if not code.startswith(tuple(present)))
        if not new_codes:
            return line
        old_directive = comment[start:end]  # type: ignore[index]
        listed = [code.strip() for code in re.split(r"[,\s]+", old_directive.split(":", 1)[1]) if code.strip()]
        directive = f"# noqa: {', '.join([*listed, *new_codes])}"
        new_comment = comment[:start] + directive + comment[end:]  # type: ignore[index]
        encoded_old, encoded_new = comment.encode(encoding), new_comment.encode(encoding)  # type: ignore[union-attr]
        at = body.rfind(encoded_old)
        return body[:at] + encoded_new + body[at + len(encoded_old):] + ending
    directive = f"# noqa: {', '.join(sorted(codes))}".encode(encoding)
    return body.rstrip(b" \t") + b"  " + directive + ending
