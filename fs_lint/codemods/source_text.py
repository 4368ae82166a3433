"""How a rewrite writes what it adds as source text: a number of seconds, a LibCST node.

``300`` rather than ``300.0`` for a whole number, ``1.5`` otherwise: the way a person writes a
limit. A node is printed on its own, as it would stand in the file.
"""

from __future__ import annotations

import libcst as cst


def number(value: float) -> str:
    """``300.0`` -> ``300``, ``1.5`` -> ``1.5``."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def code_of(node: cst.CSTNode) -> str:
    """The source text of one LibCST node."""
    return cst.Module(body=[]).code_for_node(node)
