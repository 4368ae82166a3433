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
from typing import Callable, ClassVar, Sequence, Union

import libcst as cst
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand
from libcst.metadata import PositionProvider

from ..findings import Finding
from ..fixing import fix_source
from ..retry_loops import Handler, Loop, ModuleAnalysis
from ..settings import Settings

ChangeResult = Union[cst.CSTNode, cst.FlattenSentinel, cst.RemovalSentinel]


class CannotFix(Exception):
    """A rewrite refuses: the message says why, in words a user can act on."""


@dataclass(frozen=True, eq=False)
class NodeChange:
    """Replace one LibCST node, found by its type and where it starts, with what ``apply`` builds from it."""

    node_type: type[cst.CSTNode]
    position: tuple[int, int]  # line (1-based) and column in characters, as PositionProvider counts them
    apply: Callable[[cst.CSTNode], ChangeResult]


@dataclass(eq=False)
class Edit:
    """The planned fix of one finding."""

    finding: Finding
    changes: tuple[NodeChange, ...]
    unsafe_because: str | None = None  # set when the fix may change what the program does while it runs


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
        parents: dict[int, ast.AST] = {}
        for parent in ast.walk(self.tree):
            for child in ast.iter_child_nodes(parent):
                parents[id(child)] = parent
        return parents

    @cached_property
    def bound_names(self) -> frozenset[str]:
        """Every name the module binds anywhere: a rewrite that writes ``Exception`` must not be fooled."""
        names: set[str] = set()
        for node in ast.walk(self.tree):
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

    def loop_at(self, finding: Finding) -> Loop:
        for loop in self.analysis.loops:
            if loop.position == (finding.line, finding.col):
                return loop
        raise CannotFix(f"no loop starts at line {finding.line}, column {finding.col + 1}")

    def handler_at(self, finding: Finding) -> Handler:
        for handler in self.analysis.handlers:
            if handler.position == (finding.line, finding.col):
                return handler
        raise CannotFix(f"no handler starts at line {finding.line}, column {finding.col + 1}")


class FixFindings(VisitorBasedCodemodCommand):
    """Applies planned edits; run on its own, it plans and checks the fixes of ``CODES`` first.

    Given ``edits`` (as ``fs_lint.fixing`` does) it only applies them. Without,
    it hands the module to ``fs_lint.fixing.fix_source``, so that a codemod run
    gets the same guarantees as ``fs-lint fix``: a fix that would not remove its
    finding, or would add one, is refused and reported as a warning.
    """

    DESCRIPTION: ClassVar[str] = "Fix every fs-lint finding that has a safe fix."
    METADATA_DEPENDENCIES = (PositionProvider,)
    CODES: ClassVar[tuple[str, ...] | None] = None  # None: every rule that has a fix

    def __init__(self, context: CodemodContext, unsafe_fixes: bool = False,
                 edits: Sequence[Edit] | None = None) -> None:
        super().__init__(context)
        self._unsafe_fixes = unsafe_fixes
        self._edits = edits
        self._changes: dict[type[cst.CSTNode], dict[tuple[int, int], list[tuple[Edit, NodeChange]]]] = {}
        self._applied: set[int] = set()

    @staticmethod
    def add_args(arg_parser) -> None:  # type: ignore[no-untyped-def]
        arg_parser.add_argument(
            "--unsafe-fixes", action="store_true", dest="unsafe_fixes",
            help="also apply fixes that may change what the program does while it runs normally",
        )

    def transform_module(self, tree: cst.Module) -> cst.Module:
        if self._edits is None:
            return self._fix_on_its_own(tree)
        if not self._edits:
            return tree  # nothing to do: do not pay for positions
        self._changes.clear()
        self._applied.clear()
        for edit in self._edits:
            for change in edit.changes:
                by_position = self._changes.setdefault(change.node_type, {})
                by_position.setdefault(change.position, []).append((edit, change))
        return super().transform_module(tree)

    def missed_edits(self) -> list[Edit]:
        """Edits some change of which found no node where it was planned (after ``transform_module``)."""
        assert self._edits is not None
        return [e for e in self._edits if any(id(c) not in self._applied for c in e.changes)]

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> ChangeResult:  # type: ignore[override]
        result = super().on_leave(original_node, updated_node)
        by_position = self._changes.get(type(original_node))
        if not by_position:
            return result
        start = self.get_metadata(PositionProvider, original_node).start
        for edit, change in by_position.get((start.line, start.column), ()):
            if not isinstance(result, cst.CSTNode):
                raise ChangeFailed(edit, f"another fix already removed the {change.node_type.__name__}")
            try:
                result = change.apply(result)
            except CannotFix as refusal:
                raise ChangeFailed(edit, str(refusal)) from refusal
            except Exception as error:  # a bug in one rewrite must not cost the others
                raise ChangeFailed(edit, f"internal error in the {edit.finding.code} rewrite: {error!r}") from error
            self._applied.add(id(change))
        return result

    def _fix_on_its_own(self, tree: cst.Module) -> cst.Module:
        source = tree.bytes
        result = fix_source(source, Settings(), self.CODES, self._unsafe_fixes,
                            self.context.filename or "<unknown>")
        for refusal in result.refused:
            self.warn(f"{refusal.line}:{refusal.col + 1} {refusal.code} not fixed: {refusal.reason}")
        if result.source == source:
            return tree
        return cst.parse_module(result.source)
