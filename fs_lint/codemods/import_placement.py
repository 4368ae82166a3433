"""Where a rewrite's new import goes: with the imports of its kind, in order, as isort and ruff's I001 put it.

A rewrite that needs ``import asyncio`` or ``import threading`` must not leave
a file that ruff's isort (I001) or isort itself then reports. So a new module
import joins the standard-library block, before the first ``import`` there
that sorts after it (straight imports come before ``from`` imports within a
block, module names compared without case, as both tools do by default). A
file without a standard-library block gets one of its own, after
``from __future__`` and before the third-party block, with one blank line on
each side. A file without imports gets one after its docstring, and the
blank lines I001 wants after it: two before a function or class, else one.

A ``from x import y`` whose module the file already imports from is added to
that statement (LibCST's ``AddImportsVisitor`` does that); any other new
``from`` import is placed as a module import is.

The sections are told apart by name: ``__future__``, the standard library
(``sys.stdlib_module_names``), relative imports, and everything else as third
party (fs-lint cannot know which names a project calls first-party; the new
imports it writes are all of the standard library or third-party libraries).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Iterable, Sequence

import libcst as cst

from .base import ModuleImport

_SECTIONS = ("future", "stdlib", "thirdparty", "local")


@dataclass(frozen=True)
class _Placed:
    """One import statement of the leading block: where it is, its section and its sort key."""

    index: int
    section: int
    key: tuple[int, str]  # straight imports first, then by module name without case


def section_of(module: str, level: int = 0) -> int:
    if level:
        return _SECTIONS.index("local")
    top = module.split(".")[0]
    if top == "__future__":
        return _SECTIONS.index("future")
    return _SECTIONS.index("stdlib" if top in sys.stdlib_module_names else "thirdparty")


def add_imports(module: cst.Module, imports: Iterable[ModuleImport], next_is_definition: bool = False) -> cst.Module:
    """``module`` (the top of a file, up to the statement after its imports) with ``imports`` added.

    ``next_is_definition``: whether the statement after the imports is a function or class
    (it gets two blank lines after a new import block, not one).
    """
    merged = []
    for needed in imports:
        if needed.obj is not None and _imports_from(module, needed.module):
            merged.append(needed)
        else:
            module = _insert(module, needed, next_is_definition)
    if merged:
        from libcst.codemod import CodemodContext  # a quarter of a second to import: only when merging
        from libcst.codemod.visitors import AddImportsVisitor

        context = CodemodContext()
        for needed in merged:
            AddImportsVisitor.add_needed_import(context, needed.module, needed.obj, needed.asname)
        module = AddImportsVisitor(context).transform_module(module)
    return module


def _statement(needed: ModuleImport) -> cst.SimpleStatementLine:
    alias = f" as {needed.asname}" if needed.asname else ""
    text = (f"import {needed.module}{alias}" if needed.obj is None
            else f"from {needed.module} import {needed.obj}{alias}")
    statement = cst.parse_statement(text + "\n")
    assert isinstance(statement, cst.SimpleStatementLine)
    return statement


def _dotted(node: cst.BaseExpression | None) -> str:
    if node is None:
        return ""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def _import_of(statement: cst.BaseStatement) -> cst.Import | cst.ImportFrom | None:
    if isinstance(statement, cst.SimpleStatementLine) and statement.body and all(
            isinstance(small, (cst.Import, cst.ImportFrom)) for small in statement.body):
        first = statement.body[0]
        assert isinstance(first, (cst.Import, cst.ImportFrom))
        return first
    return None


def _is_preamble(statement: cst.BaseStatement) -> bool:
    """A docstring, as ``AddImportsVisitor`` and Python see it: imports go after it."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    small = statement.body[0]
    return isinstance(small, cst.Expr) and isinstance(small.value, (cst.SimpleString, cst.ConcatenatedString))


def _leading_imports(body: Sequence[cst.BaseStatement]) -> tuple[int, list[_Placed]]:
    """Where the import block starts (after a docstring), and its statements."""
    start = 1 if body and _is_preamble(body[0]) else 0
    placed = []
    for index in range(start, len(body)):
        node = _import_of(body[index])
        if node is None:
            break
        if isinstance(node, cst.Import):
            name = _dotted(node.names[0].name)
            placed.append(_Placed(index, section_of(name), (0, name.lower())))
        else:
            name = _dotted(node.module)
            placed.append(_Placed(index, section_of(name, len(node.relative)), (1, name.lower())))
    return start, placed


def _imports_from(module: cst.Module, name: str) -> bool:
    _, placed = _leading_imports(module.body)
    for item in placed:
        node = _import_of(module.body[item.index])
        if isinstance(node, cst.ImportFrom) and not node.relative and _dotted(node.module) == name \
                and not isinstance(node.names, cst.ImportStar):
            return True
    return False


def _blank_prefix(lines: Sequence[cst.EmptyLine]) -> tuple[list[cst.EmptyLine], list[cst.EmptyLine]]:
    """The blank lines before the first comment, and the rest."""
    count = 0
    while count < len(lines) and lines[count].comment is None:
        count += 1
    return list(lines[:count]), list(lines[count:])


def _insert(module: cst.Module, needed: ModuleImport, next_is_definition: bool) -> cst.Module:
    body = list(module.body)
    new = _statement(needed)
    section = section_of(needed.module)
    key = (0 if needed.obj is None else 1, needed.module.lower())
    start, placed = _leading_imports(body)
    same = [item for item in placed if item.section == section]
    if same:
        after = next((item for item in same if item.key > key), None)
        if after is not None:  # before it, taking its place and the lines above it
            old = body[after.index]
            body[after.index] = old.with_changes(leading_lines=())
            body.insert(after.index, new.with_changes(leading_lines=old.leading_lines))
        else:
            body.insert(same[-1].index + 1, new)
        return module.with_changes(body=body)
    later = next((item for item in placed if item.section > section), None)
    if later is not None:  # a block of its own, before the next section's
        old = body[later.index]
        blanks, rest = _blank_prefix(old.leading_lines)
        body[later.index] = old.with_changes(leading_lines=[cst.EmptyLine(), *rest])
        body.insert(later.index, new.with_changes(leading_lines=blanks))
        return module.with_changes(body=body)
    if placed:  # after the last block (only __future__ imports before it)
        body.insert(placed[-1].index + 1, new.with_changes(leading_lines=[cst.EmptyLine()]))
        return module.with_changes(body=body)
    # no import at all: after the docstring, and the blank lines I001 wants before what follows
    body.insert(start, new.with_changes(leading_lines=[cst.EmptyLine()] if start else []))
    following = start + 1
    if following < len(body):
        _, comments = _blank_prefix(body[following].leading_lines)
        blanks = [cst.EmptyLine()] * (2 if next_is_definition else 1)
        body[following] = body[following].with_changes(leading_lines=[*blanks, *comments])
    return module.with_changes(body=body)
