"""Which exceptions mean "stop now", and which of them an ``except`` clause catches.

The kinds are coarse on purpose: a rule only needs to know whether a clause
catches the cancellation of a task, a Ctrl-C, a ``sys.exit()`` or the close of
a generator, not which class spelled it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from ..syntax.names import ImportMap

CANCELLATION = "cancellation"
KEYBOARD_INTERRUPT = "KeyboardInterrupt"
SYSTEM_EXIT = "SystemExit"
GENERATOR_EXIT = "GeneratorExit"

ALL_KINDS = frozenset({CANCELLATION, KEYBOARD_INTERRUPT, SYSTEM_EXIT, GENERATOR_EXIT})

_BROAD = frozenset({"BaseException", "builtins.BaseException"})

_NAMED = {
    "asyncio.CancelledError": CANCELLATION,
    "trio.Cancelled": CANCELLATION,
    "KeyboardInterrupt": KEYBOARD_INTERRUPT,
    "builtins.KeyboardInterrupt": KEYBOARD_INTERRUPT,
    "SystemExit": SYSTEM_EXIT,
    "builtins.SystemExit": SYSTEM_EXIT,
    "GeneratorExit": GENERATOR_EXIT,
    "builtins.GeneratorExit": GENERATOR_EXIT,
}

_CANCELLED_EXC_FACTORIES = frozenset({"anyio.get_cancelled_exc_class"})


@dataclass(frozen=True)
class Caught:
    """What one clause catches of the shutdown exceptions."""

    kinds: frozenset[str]
    broad: bool  # bare ``except:`` or BaseException: it catches everything

    def __or__(self, other: "Caught") -> "Caught":
        return Caught(self.kinds | other.kinds, self.broad or other.broad)


NOTHING = Caught(frozenset(), False)


def classify(node: ast.expr | None, imports: ImportMap) -> Caught:
    """Classify the type of an ``except`` clause, or one argument of ``suppress``."""
    if node is None:
        return Caught(ALL_KINDS, True)
    if isinstance(node, ast.Tuple):
        kinds: frozenset[str] = frozenset()
        broad = False
        for element in node.elts:
            part = classify(element, imports)
            kinds |= part.kinds
            broad = broad or part.broad
        return Caught(kinds, broad)
    if isinstance(node, ast.Call):
        if imports.qualified_name(node.func) in _CANCELLED_EXC_FACTORIES:
            return Caught(frozenset({CANCELLATION}), False)
        return NOTHING
    name = imports.qualified_name(node)
    if name in _BROAD:
        return Caught(ALL_KINDS, True)
    kind = _NAMED.get(name or "")
    if kind:
        return Caught(frozenset({kind}), False)
    return NOTHING


def describe(kinds: frozenset[str], cancellation_name: str) -> str:
    """``{cancellation}`` -> ``asyncio.CancelledError``; KeyboardInterrupt and SystemExit as such."""
    order = (CANCELLATION, KEYBOARD_INTERRUPT, SYSTEM_EXIT, GENERATOR_EXIT)
    names = [cancellation_name if k == CANCELLATION else k for k in order if k in kinds]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
