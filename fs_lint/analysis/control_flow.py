"""How control can leave a block of statements.

The question every rule asks of an ``except`` handler is "can control get back
to the top of the loop from here?". ``outcomes`` answers it for a block
without running it: the set of ways control can leave the block.
"""

from __future__ import annotations

import ast
from typing import Sequence

NEXT = "next"  # falls off the end of the block
CONTINUE = "continue"
BREAK = "break"
RETURN = "return"
RAISE = "raise"

EXITS = frozenset({BREAK, RETURN, RAISE})

# What a ``qualify`` answers for a function of the module that always raises (``ModuleAnalysis.qualify``).
RAISES_ALWAYS = "<a function of this module that always raises>"

# Calls that never return.
NO_RETURN_CALLS = frozenset({
    "sys.exit", "exit", "quit", "os._exit", "os.abort",
    "pytest.fail", "pytest.skip", RAISES_ALWAYS,
})


# Helpers that always raise, known by name wherever they are defined (six, sentry_sdk, future):
# ``reraise(*sys.exc_info())`` is a ``raise``.
RERAISING_NAMES = frozenset({"reraise", "raise_from", "raise_with_traceback"})


def outcomes(body: Sequence[ast.stmt], qualify=None) -> frozenset[str]:
    """Ways control leaves ``body``. ``qualify`` maps a call's func to its qualified name."""
    result: set[str] = set()
    for stmt in body:
        leaving = _stmt_outcomes(stmt, qualify)
        result |= leaving - {NEXT}
        if NEXT not in leaving:
            return frozenset(result)
    result.add(NEXT)
    return frozenset(result)


def _stmt_outcomes(stmt: ast.stmt, qualify) -> frozenset[str]:
    if isinstance(stmt, ast.Raise):
        return frozenset({RAISE})
    if isinstance(stmt, ast.Return):
        return frozenset({RETURN})
    if isinstance(stmt, ast.Break):
        return frozenset({BREAK})
    if isinstance(stmt, ast.Continue):
        return frozenset({CONTINUE})
    if isinstance(stmt, ast.Expr) and _is_no_return_call(stmt.value, qualify):
        return frozenset({RAISE})
    if isinstance(stmt, ast.If):
        return outcomes(stmt.body, qualify) | outcomes(stmt.orelse, qualify)
    if isinstance(stmt, (ast.With, ast.AsyncWith)):
        # contextlib.suppress swallows what the body raises; then control goes on.
        inner = outcomes(stmt.body, qualify)
        if RAISE in inner and any(_is_suppress(item.context_expr) for item in stmt.items):
            return inner | {NEXT}
        return inner
    if isinstance(stmt, (ast.While, ast.For, ast.AsyncFor)):
        inner = outcomes(stmt.body, qualify)
        escaping = inner & {RETURN, RAISE}
        endless = isinstance(stmt, ast.While) and _is_true(stmt.test) and BREAK not in inner
        if endless:
            return frozenset(escaping)
        return frozenset(escaping | outcomes(stmt.orelse, qualify) | ({NEXT} if BREAK in inner else set()))
    if isinstance(stmt, (ast.Try, getattr(ast, "TryStar", ast.Try))):
        body = outcomes(stmt.body, qualify)
        if NEXT in body and stmt.orelse:
            body = (body - {NEXT}) | outcomes(stmt.orelse, qualify)
        leaving = set(body)
        for handler in stmt.handlers:
            leaving |= outcomes(handler.body, qualify)
        if stmt.finalbody:
            final = outcomes(stmt.finalbody, qualify)
            if NEXT not in final:
                return final
            leaving |= final - {NEXT}
        return frozenset(leaving)
    if isinstance(stmt, ast.Match):
        leaving: set[str] = set()
        irrefutable = False
        for case in stmt.cases:
            leaving |= outcomes(case.body, qualify)
            if case.guard is None and isinstance(case.pattern, ast.MatchAs) and case.pattern.pattern is None:
                irrefutable = True
        if not irrefutable:
            leaving.add(NEXT)
        return frozenset(leaving)
    return frozenset({NEXT})


def _is_no_return_call(node: ast.expr, qualify) -> bool:
    if isinstance(node, ast.Await):
        node = node.value
    if not isinstance(node, ast.Call) or qualify is None:
        return False
    func = node.func
    last = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return qualify(func) in NO_RETURN_CALLS or last in RERAISING_NAMES


def _is_true(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and bool(node.value) is True


def _is_suppress(node: ast.expr) -> bool:
    func = node.func if isinstance(node, ast.Call) else None
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return name == "suppress"


def always_raising(statements: Sequence[ast.stmt], qualify) -> frozenset[str]:
    """The module-level functions of ``statements`` that never return: every way out of their body is a
    ``raise`` (``def exit_program(code): print(...); raise SystemExit(code)``), or a call of another such
    function. A call of one in a handler leaves the handler as a ``raise`` does."""
    functions = [s for s in statements if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))]
    found: set[str] = set()

    def known(node: ast.expr) -> str | None:
        if isinstance(node, ast.Name) and node.id in found:
            return RAISES_ALWAYS
        return qualify(node)

    for _ in range(2):  # one helper calling another, once
        for function in functions:
            if function.name not in found and outcomes(function.body, known) == {RAISE}:
                found.add(function.name)
    return frozenset(found)
