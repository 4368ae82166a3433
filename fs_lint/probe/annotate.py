"""fs-lint's word on a stuck line of project code.

A stack says where a service hangs; fs-lint may already know why. Each file of
project code on a stuck stack is checked once, as ``fs-lint check --extend-select
FSR901`` would check it (its project's ``[tool.fs-lint]`` and noqa comments apply),
and ``annotation`` says what a frame's line has to do with the findings: the finding
on that very line, the flagged loop the line is in, the flagged retry decorator of the
function it calls, or, on the innermost frame of project code, that no rule flags it and
the wait is in the library code below.

``annotation`` is the one place to extend. Where no rule flags the innermost line of project
code, the library model says what the call there waits for (``RobustQueue.cancel()`` waits for
RabbitMQ to come back), so the reader learns why it stopped there.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Optional, Sequence

from .stacks import Frame, Stack

SHUTDOWN_CODES = ("FSR901",)  # off by default, and the one about waits in a shutdown path
_LOOPS = (ast.While, ast.For, ast.AsyncFor)


@dataclass(frozen=True)
class _Flagged:
    """A finding, with the lines of the code it is about."""

    line: int
    message: str
    first: int  # the statement the finding is on; for a handler, the loop it keeps going
    last: int
    what: str  # "loop", "statement"


@dataclass(frozen=True)
class FileFindings:
    flagged: tuple[_Flagged, ...] = ()
    decorated: dict[str, _Flagged] = field(default_factory=dict)  # function name -> its flagged decorator


def annotate_stack(stack: Stack) -> Stack:
    """The stack with fs-lint's word on each of its frames of project code."""
    frames = list(stack.frames)
    for index, frame in enumerate(frames):
        if frame.kind == "project":
            frames[index] = replace(frame, annotation=annotation(frame, frames[index + 1:]))
    return replace(stack, frames=frames)


def annotation(frame: Frame, below: Sequence[Frame]) -> Optional[str]:
    """What fs-lint says about ``frame``'s line; ``below`` are the frames it waits on, innermost last."""
    findings = file_findings(frame.path)
    on_line = [f for f in findings.flagged if f.line == frame.line]
    if on_line:
        return "; ".join(f.message for f in on_line)
    around = [f for f in findings.flagged if f.first <= frame.line <= f.last]
    if around:
        inner = min(around, key=lambda f: f.last - f.first)
        return f"inside the {inner.what} that fs-lint flags at line {inner.line}: {inner.message}"
    for name, flagged in findings.decorated.items():
        if re.search(rf"\b{re.escape(name)}\s*\(", frame.source):
            return f"calls `{name}()`, whose decorator fs-lint flags at line {flagged.line}: {flagged.message}"
    if below and all(f.kind != "project" for f in below):
        if any(f.function.endswith("run_forever") for f in below):
            return "runs the asyncio event loop: what it waits for is in the tasks"
        innermost = below[-1]
        known = library_word(frame.path, frame.line)
        if known:
            return f"{known}; no fs-lint finding on this line (innermost at {innermost.where} in {innermost.function})"
        return (f"no fs-lint finding on this line; it waits in library code below it, "
                f"innermost at {innermost.where} in {innermost.function}")
    return None


def library_word(path: str, line: int) -> Optional[str]:
    """What the library model says the calls on ``line`` wait for: "awaits `RobustQueue.cancel()`, which
    waits for RabbitMQ to come back"; None when the table knows none of them."""
    version = _version(path)
    return None if version is None else _library_word_of_version(path, line, *version)


@lru_cache(maxsize=256)
def _library_word_of_version(path: str, line: int, mtime_ns: int, size: int) -> Optional[str]:
    from ..model.shared import program_for
    from ..model.waits import WaitModel

    try:
        tree = ast.parse(Path(path).read_bytes(), filename=path)
        program = program_for(path)
        found = WaitModel(program).on_line(program.add_tree(tree, path), line)
    except Exception:  # the annotation is a bonus: a file the models cannot read gets none
        return None
    unbounded = [(entry, call) for entry, call, wait in found if wait is not None]
    named = unbounded or [(entry, call) for entry, call, _ in found]
    if not named:
        return None
    words = []
    for entry, call in named:
        verb = "awaits" if call.awaited else "calls"
        api = ".".join(entry.name.split(".")[-2:])
        words.append(f"{verb} `{api}()`, which waits for {entry.says or entry.waits}")
    bound = "" if unbounded else " (bounded here)"
    return "; ".join(words) + bound + ", as fs-lint's library model has it"


def _version(path: str) -> Optional[tuple[int, int]]:
    """The file's modification time and size, which key what is worked out about it (a test may fix
    the file between two probes); None when it cannot be read."""
    try:
        status = Path(path).stat()
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size


def file_findings(path: str) -> FileFindings:
    """The findings of ``path`` with FSR901 selected too; none when it cannot be read or checked."""
    version = _version(path)
    return FileFindings() if version is None else _findings_of_version(path, *version)


@lru_cache(maxsize=256)
def _findings_of_version(path: str, mtime_ns: int, size: int) -> FileFindings:
    """Once per version of a file (a test may fix the file between two probes)."""
    try:
        source = Path(path).read_bytes()
        tree = ast.parse(source, filename=path)
        findings = _check(path, source)
    except Exception:  # the annotation is a bonus: a file that cannot be checked gets none
        return FileFindings()
    flagged = []
    decorated = {}
    spans = _Spans(tree)
    for finding in findings:
        first, last, what = spans.around(finding.line, finding.col)
        item = _Flagged(finding.line, finding.message, first, last, what)
        name = spans.decorated_function(finding.line)
        if name is not None:
            decorated[name] = item
        else:
            flagged.append(item)
    return FileFindings(tuple(flagged), decorated)


def _check(path: str, source: bytes) -> list:
    """``fs-lint check --extend-select FSR901 PATH``, configured by the file's own project."""
    from ..file_check import check_bytes
    from ..project.errors import UsageError
    from ..project.file_settings import Overrides, ProjectSettings

    folder = Path(path).absolute().parent
    overrides = Overrides(extend_select=SHUTDOWN_CODES)
    try:
        rules = ProjectSettings(folder, overrides=overrides).rules_for(path)
    except UsageError:  # a broken [tool.fs-lint]: the defaults, rather than nothing
        rules = ProjectSettings(folder, isolated=True, overrides=overrides).rules_for(path)
    return check_bytes(source, rules.settings, rules.selection.codes_for(str(Path(path).absolute())), path)


class _Spans:
    """Which lines a finding is about: the statement it is on, or the loop a flagged handler keeps going."""

    def __init__(self, tree: ast.Module) -> None:
        self._parents: dict[ast.AST, ast.AST] = {}
        self._nodes: list[ast.AST] = []
        for parent in ast.walk(tree):
            for child in ast.iter_child_nodes(parent):
                self._parents[child] = parent
                self._nodes.append(child)

    def around(self, line: int, col: int) -> tuple[int, int, str]:
        at = [n for n in self._nodes if getattr(n, "lineno", None) == line and getattr(n, "col_offset", None) == col
              and isinstance(n, (ast.stmt, ast.excepthandler))]
        if not at:
            return line, line, "statement"
        node = max(at, key=lambda n: (n.end_lineno or line) - line)
        if isinstance(node, ast.excepthandler):
            loop = self._enclosing_loop(node)
            if loop is not None:
                return loop.lineno, loop.end_lineno or loop.lineno, "loop"
        what = "loop" if isinstance(node, _LOOPS) else "statement"
        return node.lineno, node.end_lineno or node.lineno, what

    def _enclosing_loop(self, node: ast.AST) -> Optional[ast.AST]:
        while node in self._parents:
            node = self._parents[node]
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                return None
            if isinstance(node, _LOOPS):
                return node
        return None

    def decorated_function(self, line: int) -> Optional[str]:
        """The function whose decorator is on ``line``, if any."""
        for node in self._nodes:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for decorator in node.decorator_list:
                    if decorator.lineno <= line <= (decorator.end_lineno or decorator.lineno):
                        return node.name
        return None
