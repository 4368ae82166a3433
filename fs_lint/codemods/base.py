"""What every rewrite shares: the edit a planner returns, the context it plans in, the codemod that applies it.

A fix is planned from the ``ast`` analysis that produced the finding, so what is
flagged and what is rewritten cannot disagree, and it is applied to the LibCST
tree of the same bytes, so comments, quotes, blank lines, line endings and the
encoding stay as they were. The two trees meet at positions: a planned change
names the kind of LibCST node and the line and column where it starts.
"""

from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass
from functools import cached_property
from typing import Callable, Sequence, Union

import libcst as cst
from libcst.metadata import PositionProvider

from ..findings import Finding
from ..syntax.local_nodes import every_node, parent_map
from ..analysis.callee_handlers import swallowed_in_callees
from ..analysis.module_facts import ModuleFacts
from ..analysis.pauses import Pause
from ..analysis.retry_loops import Handler, Loop, ModuleAnalysis

ChangeResult = Union[cst.CSTNode, cst.FlattenSentinel, cst.RemovalSentinel]


class CannotFix(Exception):
    """A rewrite refuses: the message says why, in words a user can act on."""


@dataclass(frozen=True, eq=False)
class NodeChange:
    """Replace one LibCST node, found by its type and where it starts, with what ``apply`` builds from it."""

    node_type: type[cst.CSTNode]
    position: tuple[int, int]  # line (1-based) and column in characters, as PositionProvider counts them
    apply: Callable[[cst.CSTNode], ChangeResult]


@dataclass(frozen=True)
class ModuleImport:
    """One import, as LibCST's ``AddImportsVisitor`` and ``RemoveImportsVisitor`` name it.

    ``ModuleImport("asyncio")`` is ``import asyncio``, ``ModuleImport("time", "sleep")``
    is ``from time import sleep``, ``ModuleImport("time", asname="t")`` is ``import time as t``.
    """

    module: str
    obj: str | None = None
    asname: str | None = None


@dataclass(eq=False)
class Edit:
    """The planned fix of one finding."""

    finding: Finding
    changes: tuple[NodeChange, ...]
    unsafe_because: str | None = None  # set when the fix may change what the program does while it runs
    # Imports the rewritten code needs (added after the module's imports when missing), and
    # imports it may leave unused (removed only if nothing reads them once every change is made).
    adds_imports: tuple[ModuleImport, ...] = ()
    unused_imports: tuple[ModuleImport, ...] = ()
    # The codes of other findings the rewrite may settle too (an awaited sleep is no longer a
    # blocking one); any other finding that goes away with it was hidden, not fixed, and the
    # engine refuses the rewrite. None: not declared, as for the loop and handler rewrites,
    # which change what a loop does on shutdown and may settle any finding of that loop.
    also_fixes: frozenset[str] | None = None
    # What the rewrite did besides the fix itself, for ``--show-fixes``: a comment it removed
    # because the fix made it false.
    notes: tuple[str, ...] = ()


class ChangeFailed(Exception):
    """Applying ``edit`` failed; the engine refuses that finding and applies the others."""

    def __init__(self, edit: Edit, reason: str) -> None:
        super().__init__(reason)
        self.edit = edit
        self.reason = reason


class FixContext:
    """One module as the planners see it: its bytes, its tree and the analysis the rules ran on."""

    def __init__(self, source: bytes, tree: ast.Module, analysis: ModuleAnalysis) -> None:
        self.source = source
        self.tree = tree
        self.analysis = analysis

    @cached_property
    def _raw_lines(self) -> list[bytes]:
        return self.source.splitlines()

    @cached_property
    def _encoding(self) -> str:
        return tokenize.detect_encoding(io.BytesIO(self.source).readline)[0]

    def line(self, number: int) -> bytes:
        """Line ``number`` (1-based) as bytes, without its line ending."""
        return self._raw_lines[number - 1] if number <= len(self._raw_lines) else b""

    def position(self, node: ast.AST) -> tuple[int, int]:
        """Where LibCST starts ``node``: ``ast`` counts columns in UTF-8 bytes, LibCST in characters."""
        line, col = node.lineno, node.col_offset  # type: ignore[attr-defined]
        raw = self.line(line)
        if raw.isascii():
            return line, col
        text = raw.decode(self._encoding, errors="replace")  # "utf-8-sig" drops a BOM, as ast and LibCST do
        return line, len(text.encode("utf-8")[:col].decode("utf-8", errors="ignore"))

    @cached_property
    def parents(self) -> dict[int, ast.AST]:
        """``id(node)`` -> the node that holds it; built only when a rewrite needs to look outwards."""
        return parent_map(self.tree)

    @cached_property
    def bound_names(self) -> frozenset[str]:
        """Every name the module binds anywhere: a rewrite that writes ``Exception`` must not be fooled."""
        names: set[str] = set()
        for node in every_node(self.tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                names.add(node.id)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.alias):
                names.add(node.asname or node.name.split(".")[0])
            elif isinstance(node, ast.arg):
                names.add(node.arg)
            elif isinstance(node, ast.ExceptHandler) and node.name:
                names.add(node.name)
        return frozenset(names)

    def stands_alone(self, statement: ast.stmt) -> bool:
        """Nothing else on the statement's lines: no ``;`` neighbour, not the body of ``except X: ...``."""
        parent = self.parents.get(id(statement))
        block = next((b for b in _blocks(parent) if any(s is statement for s in b)), None) if parent else None
        if block is not None:
            index = next(i for i, s in enumerate(block) if s is statement)
            if index > 0 and block[index - 1].end_lineno == statement.lineno:
                return False
            if index + 1 < len(block) and block[index + 1].lineno == statement.end_lineno:
                return False
        return self.line(statement.lineno)[: statement.col_offset].strip() == b""

    def pause_at(self, finding: Finding) -> Pause:
        for pause in ModuleFacts.of(self.analysis).pauses:
            if pause.position == (finding.line, finding.col):
                return pause
        raise CannotFix(f"no pause starts at line {finding.line}, column {finding.col + 1}")

    def loop_at(self, finding: Finding) -> Loop:
        for loop in self.analysis.loops:
            if loop.position == (finding.line, finding.col):
                return loop
        raise CannotFix(f"no loop starts at line {finding.line}, column {finding.col + 1}")

    def handler_at(self, finding: Finding) -> Handler:
        for handler in self.analysis.handlers:
            if handler.position == (finding.line, finding.col):
                return handler
        for swallowed in swallowed_in_callees(self.analysis):
            if swallowed.position == (finding.line, finding.col):
                where = f" ({swallowed.elsewhere}:{swallowed.clause.lineno})" if swallowed.elsewhere else ""
                raise CannotFix(f"the handler is in `{swallowed.function.name}()`{where}, which the loop at line "
                                f"{swallowed.loop.node.lineno} calls: end it with a bare `raise` by hand, or "
                                f"have it tell the caller to stop")
        raise CannotFix(f"no handler starts at line {finding.line}, column {finding.col + 1}")


def _blocks(parent: ast.AST) -> list[list[ast.stmt]]:
    blocks = [getattr(parent, name, None) for name in ("body", "orelse", "finalbody")]
    return [b for b in blocks if isinstance(b, list)]


class ChangeApplier(cst.CSTTransformer):
    """Makes the planned changes of ``edits`` where they were planned.

    The tree it runs on may be a piece of the file (see ``fs_lint.codemods.splicing``):
    line ``n`` of that piece is line ``n + line_offset`` of the file. Imports are the
    caller's business. Run it through a ``MetadataWrapper``: it needs positions.
    """

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, edits: Sequence[Edit], line_offset: int = 0) -> None:
        super().__init__()
        self._line_offset = line_offset
        self._changes: dict[type[cst.CSTNode], dict[tuple[int, int], list[tuple[Edit, NodeChange]]]] = {}
        self.applied: set[int] = set()  # ``id()`` of each change made
        for edit in edits:
            for change in edit.changes:
                by_position = self._changes.setdefault(change.node_type, {})
                by_position.setdefault(change.position, []).append((edit, change))

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> ChangeResult:  # type: ignore[override]
        result = super().on_leave(original_node, updated_node)
        by_position = self._changes.get(type(original_node))
        if not by_position:
            return result
        start = self.get_metadata(PositionProvider, original_node).start
        for edit, change in by_position.get((start.line + self._line_offset, start.column), ()):
            if id(change) in self.applied:
                continue  # ``f(x).g(y)``: the outer call starts where the inner one does, and is not the one meant
            if not isinstance(result, cst.CSTNode):
                raise ChangeFailed(edit, f"another fix already removed the {change.node_type.__name__}")
            try:
                result = change.apply(result)
            except CannotFix as refusal:
                raise ChangeFailed(edit, str(refusal)) from refusal
            except RecursionError:
                raise  # not this rewrite's fault: the code is too deep for LibCST, and the engine says so
            except Exception as error:  # a bug in one rewrite must not cost the others
                raise ChangeFailed(edit, f"internal error in the {edit.finding.code} rewrite: {error!r}") from error
            self.applied.add(id(change))
        return result
