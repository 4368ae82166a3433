"""Comments and log lines on a handler that its rewrite makes false, and their removal.

``except KeyboardInterrupt:  # ignore Ctrl-C and keep polling`` followed by ``continue`` says what
the handler did; once the fix re-raises, the comment contradicts the code next to it, and a
``log.info("Ctrl-C ignored, still running")`` would now be logged on the way out. The rewrite
removes such a comment or log call, and says so (``--show-fixes``), rather than leave a reader to
trust it.

What is false depends on what the fix changes:

- a handler that catches only shutdown exceptions and now always re-raises: anything it says
  about going on (ignoring, retrying, continuing, keeping on, never stopping);
- a handler that keeps handling ordinary errors (a clause before it lets the stop requests
  through, or they leave its tuple): only what says it goes on after one of those stop requests
  (names Ctrl-C, ``KeyboardInterrupt``, ``SystemExit``, ``sys.exit``, a shutdown, SIGTERM...);
- a handler that re-raises only the task's own cancellation: what says it goes on after a
  shutdown or a stop. ("ignore the cancel" stays true of the cancellations it still handles.)

A text that says it stops ("stopping the retry loop") is true once the handler re-raises, and
stays. Tool directives (``# noqa``, ``# type:``, ``# pragma``) are never removed, and neither is a
log call that is not a statement of its own.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass
from typing import Iterator

import libcst as cst

from ..analysis.quick_calls import is_logging
from ..analysis.retry_loops import Handler
from ..analysis.shutdown_exceptions import CANCELLATION, GENERATOR_EXIT, KEYBOARD_INTERRUPT, SYSTEM_EXIT
from .base import FixContext
from .handler_bodies import fill_empty_blocks
from .source_text import code_of

ALWAYS_RERAISES = "always"  # the handler now re-raises whatever it catches
STILL_HANDLES = "still"  # it still handles ordinary errors; the stop requests no longer reach it
OWN_CANCELLATION = "own"  # it re-raises the task's own cancellation and handles the others as before

_GOES_ON = re.compile(
    r"\bignor|\bswallow|\bcontinu|\bcarry(ing)? on\b|\bretr(y|ies|ying|ied)\b|\btry(ing)? again\b|\bgo(es|ing)? on\b"
    r"|\bkeep(s|ing)? (going|running|trying|retrying|polling|scanning|looping|consuming|reading|listening|on|"
    r"waiting|working|serving)\b|\bnever (stops?|dies?|exits?|quits?|ends?)\b|\bsurviv|\bresum|\banyway\b"
    r"|\bstill (running|alive|going)\b"
    r"|\b(don'?t|do not|does ?n[o']t|won'?t|will not|must ?n[o']t|should ?n[o']t|never) (stop|die|exit|quit|crash|end)",
    re.IGNORECASE)
# Says that it stops (a verb, not negated): "stopping the retry loop" stays true once the handler re-raises.
_STOPS = re.compile(r"\b(stops?|stopping|stopped|exits?|exiting|quits?|quitting|aborts?|aborting|shutting down"
                    r"|shuts down|terminates?|terminating)\b", re.IGNORECASE)
_NEGATED_STOP = re.compile(r"\b(don'?t|do not|does ?n[o']t|won'?t|will not|must ?n[o']t|should ?n[o']t|never|not)"
                           r" (stop|exit|quit|abort|terminate)", re.IGNORECASE)
_STOP_WORDS = r"shut ?down|sigterm|terminat|teardown|stop request|being stopped|told to stop"
_MENTIONS = {
    KEYBOARD_INTERRUPT: r"keyboard ?interrupt|ctrl[-+ ]?c\b|\^c\b|sigint",
    SYSTEM_EXIT: r"system ?exit|sys\.exit|\bexit\(\)",
    CANCELLATION: r"cancel",
    GENERATOR_EXIT: r"generator ?exit",
}
_DIRECTIVES = re.compile(r"#\s*(noqa|type:|pragma|fmt:|isort:|pylint:|nosec|fs-lint:)", re.IGNORECASE)


@dataclass(frozen=True)
class Stale:
    """A comment (as written, with its ``#``) or a log call statement (its line) that the fix makes false."""

    line: int
    text: str  # the comment, or the log call as ``ast.unparse`` writes it (to find it in the rewrite)
    is_comment: bool
    shown: str = ""  # the line as written, for the note

    def note(self) -> str:
        what = "comment" if self.is_comment else "log call"
        return f"removed the {what} `{_short(self.shown or self.text)}` (line {self.line}): the fix makes it false"


def stale_texts(handler: Handler, context: FixContext, change: str, kinds: frozenset[str]) -> list[Stale]:
    """What the handler's comments and log calls say that the rewrite (``change``) makes false."""
    if handler.is_suppress:
        return []
    pattern = _falsified(change, kinds)
    found = [Stale(line, text, True) for line, text in _comments(handler, context) if _says(pattern, text)]
    imports = context.analysis.imports
    for statement in _statements(handler.body):
        call = statement.value if isinstance(statement, ast.Expr) else None
        if isinstance(call, ast.Call) and is_logging(call, imports) and _says(pattern, _message(call)):
            shown = context.line(statement.lineno).decode("utf-8", "replace").strip()
            found.append(Stale(statement.lineno, ast.unparse(statement), False, shown))
    return found


def _falsified(change: str, kinds: frozenset[str]) -> re.Pattern[str] | None:
    """What a text must mention, besides going on, to be false: None when going on is enough."""
    if change == ALWAYS_RERAISES:
        return None
    mentions = [_STOP_WORDS]
    if change == STILL_HANDLES:
        mentions += [_MENTIONS[kind] for kind in kinds if kind in _MENTIONS]
    return re.compile("|".join(mentions), re.IGNORECASE)


def _says(mention: re.Pattern[str] | None, text: str) -> bool:
    """``text`` says the handler goes on (and names what ``mention`` asks for), and not that it stops."""
    if not text or _DIRECTIVES.search(text) or not _GOES_ON.search(text):
        return False
    if _STOPS.search(text) and not _NEGATED_STOP.search(text):
        return False
    return mention is None or bool(mention.search(text))


def _message(call: ast.Call) -> str:
    """The text of a log call's message: its string literals, f-string parts included."""
    parts = []
    for arg in call.args[:1]:
        for node in ast.walk(arg):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                parts.append(node.value)
    return " ".join(parts)


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The handler's statements, and those of its ``if`` blocks (a nested loop or handler is not its own)."""
    for statement in body:
        yield statement
        if isinstance(statement, ast.If):
            yield from _statements(statement.body)
            yield from _statements(statement.orelse)


def _comments(handler: Handler, context: FixContext) -> Iterator[tuple[int, str]]:
    """The comments on the handler's lines and on the comment lines right above its ``except``."""
    node = handler.node
    first = node.lineno
    while first > 1 and context.line(first - 1).strip().startswith(b"#"):
        first -= 1
    last = node.end_lineno or node.lineno
    text = b"\n".join(context.line(n) for n in range(first, last + 1)).decode("utf-8", "replace") + "\n"
    try:
        for token in tokenize.generate_tokens(io.StringIO(_dedented(text)).readline):
            if token.type == tokenize.COMMENT:
                yield first + token.start[0] - 1, token.string
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return


def _dedented(text: str) -> str:
    """The lines as a block tokenize reads: the ``except`` lines start a statement of their own."""
    lines = text.splitlines()
    indent = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
    return "\n".join(line[indent:] if line[:indent].strip() == "" else line for line in lines) + "\n"


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Remover(cst.CSTTransformer):
    """Drops the comments and the log call statements of ``stale`` from a handler."""

    def __init__(self, stale: list[Stale]) -> None:
        super().__init__()
        self._comments = {s.text.strip() for s in stale if s.is_comment}
        self._calls = {s.text for s in stale if not s.is_comment}
        self.removed: set[str] = set()

    def leave_EmptyLine(self, original: cst.EmptyLine, updated: cst.EmptyLine):  # type: ignore[override]
        if updated.comment is not None and updated.comment.value.strip() in self._comments:
            self.removed.add(updated.comment.value.strip())
            return cst.RemoveFromParent()
        return updated

    def leave_TrailingWhitespace(self, original: cst.TrailingWhitespace,
                                 updated: cst.TrailingWhitespace) -> cst.TrailingWhitespace:
        if updated.comment is not None and updated.comment.value.strip() in self._comments:
            self.removed.add(updated.comment.value.strip())
            return updated.with_changes(comment=None, whitespace=cst.SimpleWhitespace(""))
        return updated

    def leave_SimpleStatementLine(self, original: cst.SimpleStatementLine,  # type: ignore[override]
                                  updated: cst.SimpleStatementLine):
        if len(updated.body) == 1 and isinstance(updated.body[0], cst.Expr):
            text = ast.unparse(ast.parse(code_of(updated.with_changes(leading_lines=())).strip()))
            if text in self._calls:
                self.removed.add(text)
                return cst.RemoveFromParent()
        return updated


def without_stale(node: cst.CSTNode, stale: list[Stale]) -> cst.CSTNode:
    """``node`` without the stale comments and log calls (its own leading comment lines included)."""
    if not stale:
        return node
    return fill_empty_blocks(node.visit(_Remover(stale)))
