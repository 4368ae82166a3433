"""The statements the handler rewrites put into an ``except`` clause, in its layout.

- ``guard_first``: ``if <test>: raise`` as the clause's first statement, so that what the test
  recognises (the task's own cancellation) leaves before the handler's work, and everything else
  is handled as before. The comments above the first statement stay with it: they describe the
  work that follows. A lone ``pass`` or ``...`` that only kept the clause from being empty goes.
- ``reraise_after``: the handler's work, then ``if <test>: raise`` for each test, binding the
  exception to a name when a test needs it.
- ``raise_at_end``: the handler's work, then a bare ``raise``.
"""

from __future__ import annotations

from typing import Sequence, Union

import libcst as cst

from .base import CannotFix

Clause = Union[cst.ExceptHandler, cst.ExceptStarHandler]


def _guard(test: str) -> cst.If:
    return cst.ensure_type(cst.parse_statement(f"if {test}:\n    raise\n"), cst.If)


def _placeholder(statement: cst.BaseStatement) -> bool:
    """``pass`` or ``...`` with no comment: there only because a block cannot be empty."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    only = statement.body[0]
    bare = isinstance(only, cst.Pass) or (isinstance(only, cst.Expr) and isinstance(only.value, cst.Ellipsis))
    return bare and statement.trailing_whitespace.comment is None and not statement.leading_lines


def as_indented_block(body: cst.BaseSuite) -> cst.IndentedBlock:
    """A block as an indented one (the body of ``except X: pass`` or ``with x: f()`` becomes one)."""
    if isinstance(body, cst.IndentedBlock):
        return body
    small = cst.ensure_type(body, cst.SimpleStatementSuite)
    line = cst.SimpleStatementLine(body=[s.with_changes(semicolon=cst.MaybeSentinel.DEFAULT) for s in small.body],
                                   trailing_whitespace=small.trailing_whitespace)
    return cst.IndentedBlock(body=[line])


def guard_first(clause: Clause, test: str) -> Clause:
    """``if <test>: raise`` first in the clause, indented as its body is."""
    body = as_indented_block(clause.body)
    statements = [s for s in body.body if not _placeholder(s)]
    guard = _guard(test).with_changes(body=cst.IndentedBlock(body=[cst.SimpleStatementLine(body=[cst.Raise()])],
                                                             indent=body.indent))
    return clause.with_changes(body=body.with_changes(body=[guard, *statements]))


def reraise_after(clause: Clause, name: str, tests: Sequence[str]) -> Clause:
    """The handler's own work, then ``if <test>: raise`` for each of ``tests``, binding ``as name``."""
    body = clause.body
    if not isinstance(body, cst.IndentedBlock):
        raise CannotFix("the handler is written on one line; re-raise after it by hand")
    if body.footer:
        raise CannotFix("comments end the handler; re-raise after its work by hand")
    guards = [_guard(test).with_changes(body=_guard(test).body.with_changes(indent=body.indent)) for test in tests]
    changes: dict = {"body": body.with_changes(body=[*body.body, *guards])}
    if clause.name is None and any(name in test for test in tests):
        changes["name"] = cst.AsName(name=cst.Name(name))
    return clause.with_changes(**changes)


def raise_at_end(clause: Clause) -> Clause:
    """The handler's own work, then a bare ``raise``."""
    body = clause.body
    if isinstance(body, cst.IndentedBlock):
        return clause.with_changes(body=body.with_changes(
            body=[*body.body, cst.SimpleStatementLine(body=[cst.Raise()])]))
    return clause.with_changes(body=body.with_changes(body=[*body.body, cst.Raise()]))


def fill_empty_blocks(node: cst.CSTNode) -> cst.CSTNode:
    """``pass`` in a block a removal left empty."""
    return node.visit(_Filler())


class _Filler(cst.CSTTransformer):
    def leave_IndentedBlock(self, original: cst.IndentedBlock, updated: cst.IndentedBlock) -> cst.IndentedBlock:
        if updated.body:
            return updated
        return updated.with_changes(body=[cst.SimpleStatementLine(body=[cst.Pass()])])
