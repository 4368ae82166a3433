"""How messages name a handler and what swallowing a shutdown exception costs."""

from __future__ import annotations

import ast

from .analysis.retry_loops import Handler
from .analysis.shutdown_exceptions import CANCELLATION, GENERATOR_EXIT, KEYBOARD_INTERRUPT, SYSTEM_EXIT, describe

_MAX_SPELLING = 50


def spell_handler(handler: Handler) -> str:
    """``except BaseException``, ``except:``, ``suppress(BaseException)``, as written."""
    return spell_clause(handler.node, handler.statement)


def spell_clause(node: ast.ExceptHandler | ast.Call, statement: ast.stmt) -> str:
    """``spell_handler`` for a clause that no loop holds."""
    if isinstance(node, ast.Call):
        text = ast.unparse(node)
    elif node.type is None:
        return "except:"
    else:
        star = "*" if type(statement).__name__ == "TryStar" else ""
        text = f"except{star} {ast.unparse(node.type)}"
    return text if len(text) <= _MAX_SPELLING else text[: _MAX_SPELLING - 1] + "…"


def name_kinds(kinds: frozenset[str], cancellation_name: str) -> str:
    return describe(kinds, cancellation_name)


def consequence(kinds: frozenset[str]) -> str:
    if CANCELLATION in kinds:
        return "cancelling the task does not stop it"
    if KEYBOARD_INTERRUPT in kinds and SYSTEM_EXIT in kinds:
        return "neither Ctrl-C nor sys.exit() stops it"
    if KEYBOARD_INTERRUPT in kinds:
        return "Ctrl-C does not stop it"
    if SYSTEM_EXIT in kinds:
        return "sys.exit() does not stop it"
    if GENERATOR_EXIT in kinds:
        return "closing the generator fails"
    return "shutdown does not stop it"
