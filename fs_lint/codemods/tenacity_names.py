"""How a rewrite refers to a name of tenacity (``stop_after_delay``, ``retry_if_exception_type``).

The way the module already reaches tenacity decides: where the policy is written
``tenacity.retry(...)`` or ``t.Retrying(...)`` (``import tenacity as t``), the new
name is ``t.stop_after_delay`` and nothing is imported. Where it is written
``retry(...)`` (``from tenacity import retry``), the name comes from the same kind
of import: a module-level ``from tenacity import stop_after_delay [as x]`` already
there is used; else, when the file also has ``import tenacity``, the name is
``tenacity.stop_after_delay`` and no import changes; else ``stop_after_delay`` is
added to the module's first ``from tenacity import ...`` (where it sorts, when the
names are sorted; at the end otherwise; in its layout), else
``from tenacity import stop_after_delay`` is added after the other imports.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import partial

import libcst as cst

from .base import CannotFix, FixContext, ModuleImport, NodeChange
from .comma_lists import extend_names
from .module_names import binds_otherwise, imported_name

TENACITY = "tenacity"


@dataclass(frozen=True)
class NameReference:
    text: str  # ``stop_after_delay``, ``tenacity.stop_after_delay``
    changes: tuple[NodeChange, ...] = ()  # a name added to an existing ``from tenacity import``
    adds_imports: tuple[ModuleImport, ...] = ()  # or a new import

    def expression(self) -> cst.BaseExpression:
        return cst.parse_expression(self.text)


def tenacity_name(context: FixContext, spelled: ast.expr, name: str) -> NameReference:
    """``name`` of tenacity, written the way ``spelled`` (a callee of tenacity's, as written) reaches it."""
    qualify = context.analysis.imports.qualified_name
    if isinstance(spelled, ast.Attribute) and qualify(spelled.value) == TENACITY:
        return NameReference(f"{ast.unparse(spelled.value)}.{name}")
    for module in (TENACITY, f"{TENACITY}.stop", f"{TENACITY}.retry"):
        existing = imported_name(context, module, name)
        if existing is not None:
            return NameReference(existing)
    module = _module_import(context)
    if module is not None:  # ``import tenacity`` beside ``from tenacity import retry``: no import to touch
        return NameReference(f"{module}.{name}")
    if binds_otherwise(context, name, ModuleImport(TENACITY, name)):
        raise CannotFix(f"this module binds its own name `{name}`, so it cannot import tenacity's")
    for statement in context.tree.body:
        if isinstance(statement, ast.ImportFrom) and statement.level == 0 and statement.module == TENACITY \
                and not any(alias.name == "*" for alias in statement.names):
            change = NodeChange(cst.ImportFrom, context.position(statement), partial(extend_names, name=name))
            return NameReference(name, changes=(change,))
    return NameReference(name, adds_imports=(ModuleImport(TENACITY, name),))


def _module_import(context: FixContext) -> str | None:
    """The name a module-level ``import tenacity [as t]`` binds, if the file has one."""
    for statement in context.tree.body:
        if isinstance(statement, ast.Import):
            for alias in statement.names:
                if alias.name == TENACITY:
                    return alias.asname or TENACITY
    return None
