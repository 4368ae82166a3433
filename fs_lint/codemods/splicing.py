"""Give LibCST only the statements a fix changes, and splice what it prints back into the file's bytes.

LibCST costs some fifty times what ``ast.parse`` does per line, and a fix
changes a few lines of files that often have thousands. So each change is made
in a *region*: the innermost function or class that holds it (decorators
included), or else the top-level statement. The region's lines are parsed on
their own (an indented one under a stand-in ``if True:``), changed, printed,
and put back where they were; the rest of the file is never parsed by LibCST
and stays byte for byte as it was.

Imports need the top of the module. Adding one (``import_placement``, which puts
it with the imports of its kind) is done on a region that starts at line 1 and
ends where the statement after the leading imports begins, with a stand-in
``pass`` for that statement. Removing an import is decided on the whole
rewritten file with ``ast`` (any mention of the name keeps it), and only then
made by LibCST's ``RemoveImportsVisitor`` in the region that holds the import.
"""

from __future__ import annotations

import ast
import bisect
import io
import re
import tokenize
from dataclasses import dataclass
from functools import cached_property
from typing import Sequence

import libcst as cst

from ..syntax.local_nodes import statement_blocks
from ..syntax.parsing import parse_module
from . import TOO_DEEP_FOR_LIBCST
from .base import ChangeApplier, ChangeFailed, Edit, ModuleImport
from .import_placement import add_imports


class RegionFailed(Exception):
    """LibCST cannot take a region as it is: every edit in it is refused with this reason."""

    def __init__(self, edits: list[Edit], reason: str) -> None:
        super().__init__(reason)
        self.edits = edits
        self.reason = reason


_NOT_BYTE_FOR_BYTE = "LibCST does not reproduce this file byte for byte (form feeds, or lone CR line endings)"
_STAND_IN_BLOCK = "if True:"  # holds an indented region, so that it parses on its own
_STAND_IN_NEXT = "pass"  # the statement after the leading imports, which AddImportsVisitor may touch


@dataclass(frozen=True, order=True)
class Region:
    first: int  # line numbers in the file, 1-based, both included
    last: int
    stand_in_next: bool = False  # the region reaches up to the statement after the imports: see the docstring


@dataclass
class _Parsed:
    wrapper: cst.MetadataWrapper
    indented: bool


class SplicedRewrite:
    """The edits of one file, each made in its own region."""

    def __init__(self, source: bytes, tree: ast.Module, filename: str) -> None:
        self.source = source
        self.tree = tree
        self.filename = filename
        self._lines = source.splitlines(keepends=True)  # bytes split only at \n, \r\n and \r, as ast counts lines
        self._encoding = tokenize.detect_encoding(io.BytesIO(source).readline)[0]
        self._top_spans = _top_level_spans(tree)
        self._parsed: dict[Region, _Parsed] = {}

    def apply(self, edits: Sequence[Edit]) -> bytes:
        """The file with ``edits`` made. Raises ChangeFailed (one edit's fault) or RegionFailed."""
        adds = list(dict.fromkeys(i for e in edits for i in e.adds_imports))
        header = self._import_region() if adds else None
        by_region = self._regions(edits, header)
        pieces: dict[Region, bytes] = {}
        applied: set[int] = set()
        for region, in_region in by_region.items():
            parsed = self._parse(region, in_region)
            applier = ChangeApplier(in_region, line_offset=region.first - 1 - parsed.indented)
            try:
                module = parsed.wrapper.visit(applier)
            except RecursionError:
                raise RegionFailed(in_region, TOO_DEEP_FOR_LIBCST) from None
            applied |= applier.applied
            if region == header:
                module = add_imports(module, adds, self._definition_after_imports())
            pieces[region] = self._print(region, module, parsed.indented, in_region)
        for edit in edits:
            for change in edit.changes:
                if id(change) not in applied:
                    raise ChangeFailed(edit, "the rewrite did not find the code it planned to change")
        new_source = _splice(self._lines, pieces)
        removals = list(dict.fromkeys(i for e in edits for i in e.unused_imports))
        if removals:
            new_source = self._without_unused_imports(new_source, removals, list(edits))
        return new_source

    def _without_unused_imports(self, source: bytes, imports: list[ModuleImport], edits: list[Edit]) -> bytes:
        """``source`` (this file with the edits made) less the imports of ``imports`` nothing mentions any more."""
        try:
            tree = parse_module(source, self.filename)
        except (SyntaxError, ValueError, RecursionError):
            return source  # the engine's check refuses it with the reason
        unused = [i for i in imports if not _mentioned(tree, _bound_name(i))]
        if not unused:
            return source
        # libcst.codemod builds hundreds of matcher classes on import (a quarter of a second): only a
        # rewrite that leaves an import unused pays for it.
        from libcst.codemod import CodemodContext
        from libcst.codemod.visitors import RemoveImportsVisitor

        rewritten = SplicedRewrite(source, tree, self.filename)
        lines = sorted({node.lineno for node in ast.walk(tree) if _binds_one_of(node, unused)})
        pieces: dict[Region, bytes] = {}
        for region in sorted({Region(*rewritten._span_at(line)) for line in lines}):
            if any(region.first <= r.last and r.first <= region.last for r in pieces):
                continue  # a region within one already taken (an import in a function and one in its class)
            parsed = rewritten._parse(region, edits)
            context = CodemodContext()
            for name in unused:
                RemoveImportsVisitor.remove_unused_import(context, name.module, name.obj, name.asname)
            module = RemoveImportsVisitor(context).transform_module(parsed.wrapper.module)
            pieces[region] = rewritten._print(region, module, parsed.indented, edits)
        return _splice(rewritten._lines, pieces)

    # -- regions --

    def _regions(self, edits: Sequence[Edit], header: Region | None) -> dict[Region, list[Edit]]:
        """Each region with the edits that change something in it; regions that overlap are merged."""
        wanted: list[tuple[int, int, list[Edit]]] = []
        for edit in edits:
            for change in edit.changes:
                first, last = self._span_at(change.position[0])
                wanted.append((first, last, [edit]))
        if header is not None:
            wanted.append((header.first, header.last, []))
        merged: list[tuple[int, int, list[Edit]]] = []
        for first, last, owners in sorted(wanted, key=lambda w: (w[0], w[1])):
            if merged and first <= merged[-1][1]:
                previous = merged[-1]
                merged[-1] = (previous[0], max(previous[1], last), previous[2] + owners)
            else:
                merged.append((first, last, list(owners)))
        regions: dict[Region, list[Edit]] = {}
        for first, last, owners in merged:
            stand_in = header is not None and first == 1 and last == header.last and header.stand_in_next
            regions[Region(first, last, stand_in)] = list(dict.fromkeys(owners))
        return regions

    def _span_at(self, line: int) -> tuple[int, int]:
        """The innermost function or class holding ``line``, or else the top-level statement(s) on it."""
        definition = _innermost_definition(self.tree.body, line)
        if definition is not None:
            return definition
        index = bisect.bisect_right(self._top_spans, (line, float("inf"))) - 1
        if index >= 0 and self._top_spans[index][0] <= line <= self._top_spans[index][1]:
            return self._top_spans[index]
        return line, line  # a comment or a blank line: planners name nodes, so this is not expected

    def _definition_after_imports(self) -> bool:
        """Whether the first statement after the leading imports is a function or class."""
        index = self._first_after_imports()
        body = self.tree.body
        return index < len(body) and isinstance(body[index], (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))

    def _first_after_imports(self) -> int:
        body = self.tree.body
        index = 0
        if body and _is_preamble(body[0]):
            index = 1
        while index < len(body) and isinstance(body[index], (ast.Import, ast.ImportFrom)):
            index += 1
        while index < len(body) and index > 0 and body[index].lineno == body[index - 1].end_lineno:
            index += 1  # ``import a; x = 1``: a statement shares the last import's line
        return index

    def _import_region(self) -> Region:
        """From line 1 to the start of the first statement that is not a leading import (see the docstring)."""
        body = self.tree.body
        index = self._first_after_imports()
        if index >= len(body):
            return Region(1, len(self._lines))
        return Region(1, _first_line(body[index]) - 1, stand_in_next=True)

    # -- LibCST --

    def _parse(self, region: Region, edits: list[Edit]) -> _Parsed:
        cached = self._parsed.get(region)
        if cached is not None:
            return cached
        text = self._text(region)
        indented = text[:1] in (" ", "\t")
        newline = self._newline
        source = text
        if indented:
            source = _STAND_IN_BLOCK + newline + source
        if region.stand_in_next:
            source += _STAND_IN_NEXT + newline
        config = cst.PartialParserConfig(default_indent=self._default_indent, default_newline=newline)
        try:
            module = cst.parse_module(source, config)
        except RecursionError:
            raise RegionFailed(edits, TOO_DEEP_FOR_LIBCST) from None
        except cst.ParserSyntaxError as error:  # LibCST's grammar lags behind the interpreter's now and then
            raise RegionFailed(edits, f"LibCST cannot parse lines {region.first}-{region.last}: "
                                      f"{_parser_message(error)}") from None
        except Exception as error:
            raise RegionFailed(edits, f"LibCST cannot parse this file: {_first_line_of(error)}") from None
        if module.code != source:
            raise RegionFailed(edits, _NOT_BYTE_FOR_BYTE)
        parsed = _Parsed(cst.MetadataWrapper(module, unsafe_skip_copy=True), indented)
        self._parsed[region] = parsed
        return parsed

    def _print(self, region: Region, module: cst.Module, indented: bool, edits: list[Edit]) -> bytes:
        # A region whose only statement went (an unused import) leaves no line: LibCST would print one.
        text = "" if not (module.body or module.header or module.footer) else module.code
        newline = self._newline
        if indented:
            head = _STAND_IN_BLOCK + newline
            if not text.startswith(head):
                raise RegionFailed(edits, "internal error: the rewrite changed the region's stand-in block")
            text = text[len(head):]
        if region.stand_in_next:
            tail = _STAND_IN_NEXT + newline
            if not text.endswith(tail):
                raise RegionFailed(edits, "internal error: the rewrite changed the region's stand-in statement")
            text = text[: -len(tail)]
        bom = self._bom(region)
        try:
            return bom + text.encode(self._codec)
        except UnicodeEncodeError as error:
            raise RegionFailed(edits, f"the rewritten code cannot be written in {self._encoding}: {error}") from None

    def _text(self, region: Region) -> str:
        raw = b"".join(self._lines[region.first - 1: region.last])
        bom = self._bom(region)
        return raw[len(bom):].decode(self._codec)

    def _bom(self, region: Region) -> bytes:
        if region.first == 1 and self._encoding == "utf-8-sig" and self.source.startswith(b"\xef\xbb\xbf"):
            return b"\xef\xbb\xbf"
        return b""

    @property
    def _codec(self) -> str:
        return "utf-8" if self._encoding == "utf-8-sig" else self._encoding

    @cached_property
    def _default_indent(self) -> str:
        """The indent LibCST would infer from the whole file (its first INDENT), for new blocks a fix writes."""
        return _first_indent(self.source) or "    "

    @cached_property
    def _newline(self) -> str:
        """The file's first line ending: LibCST's default, for the lines a fix writes."""
        return _first_newline(self._lines)


def _top_level_spans(tree: ast.Module) -> list[tuple[int, int]]:
    """The lines of each top-level statement; statements that share a line (``a = 1; b = 2``) make one."""
    joined: list[tuple[int, int]] = []
    for first, last in sorted((_first_line(s), s.end_lineno or s.lineno) for s in tree.body):
        if joined and first <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(joined[-1][1], last))
        else:
            joined.append((first, last))
    return joined


def _innermost_definition(statements: list[ast.stmt], line: int) -> tuple[int, int] | None:
    """The lines of the innermost function or class among ``statements`` (and within them) holding ``line``.

    Followed down the one statement that holds the line, so that a rewrite in a module of
    a hundred thousand functions looks at a handful of nodes, not at all of them.
    """
    found = None
    while statements:
        holder = next((s for s in statements if _first_line(s) <= line <= (s.end_lineno or s.lineno)), None)
        if holder is None:
            break
        if isinstance(holder, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found = (_first_line(holder), holder.end_lineno or holder.lineno)
        statements = [child for block in statement_blocks(holder) for child in block]
    return found


def _first_line(statement: ast.stmt) -> int:
    decorators = getattr(statement, "decorator_list", None) or []
    return min([statement.lineno] + [d.lineno for d in decorators])


def _is_preamble(statement: ast.stmt) -> bool:
    """A docstring or a ``__strict__`` flag: AddImportsVisitor puts imports after it."""
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
        return isinstance(statement.value.value, str)
    return (isinstance(statement, ast.Assign) and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name) and statement.targets[0].id == "__strict__")


def _first_newline(lines: list[bytes]) -> str:
    for line in lines:
        if line.endswith(b"\r\n"):
            return "\r\n"
        if line.endswith(b"\n"):
            return "\n"
        if line.endswith(b"\r"):
            return "\r"
    return "\n"


def _first_indent(source: bytes) -> str | None:
    """The first INDENT token's text, read only as far as it: that is LibCST's default indent.

    A form feed in it (``\f    return 1``, as some editors leave after a page break) counts for
    nothing, as in Python, which starts the column afresh after one; LibCST would refuse it as an
    indent, and with it every fix of the file.
    """
    try:
        for token in tokenize.tokenize(io.BytesIO(source).readline):
            if token.type == tokenize.INDENT:
                return token.string.rpartition("\f")[2] or None
    except (tokenize.TokenError, SyntaxError):
        return None
    return None


def _parser_message(error: cst.ParserSyntaxError) -> str:
    """What LibCST expected, without its positions (they count from the region, not the file)."""
    found = re.search(r"error at \d+:\d+: (.+)", error.message)
    message = found.group(1) if found else error.message.strip().splitlines()[0]
    return message.strip().removeprefix("tokenizer error: ")


def _first_line_of(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _splice(lines: list[bytes], pieces: dict[Region, bytes]) -> bytes:
    out: list[bytes] = []
    line = 1
    for region in sorted(pieces):
        out.extend(lines[line - 1: region.first - 1])
        out.append(pieces[region])
        line = region.last + 1
    out.extend(lines[line - 1:])
    return b"".join(out)


def _bound_name(name: ModuleImport) -> str:
    if name.asname:
        return name.asname
    return name.obj if name.obj else name.module.split(".")[0]


def _binds_one_of(node: ast.AST, imports: list[ModuleImport]) -> bool:
    if isinstance(node, ast.Import):
        return any(i.obj is None and a.name == i.module and a.asname == i.asname for a in node.names for i in imports)
    if isinstance(node, ast.ImportFrom) and node.level == 0:
        return any(i.obj is not None and node.module == i.module and a.name == i.obj and a.asname == i.asname
                   for a in node.names for i in imports)
    return False


def _mentioned(tree: ast.Module, name: str) -> bool:
    """Whether anything but an import mentions ``name``.

    A name does, and so does a word of a string that is not a statement of its own
    (``__all__``, string annotations, ``cast("T", x)``): wider than LibCST's own test,
    so that an import is never removed that LibCST would keep. Docstrings do not.
    """
    word = re.compile(rf"\b{re.escape(name)}\b")
    standalone = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == name:
            return True
        if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in standalone
                and word.search(node.value)):
            return True
    return False
