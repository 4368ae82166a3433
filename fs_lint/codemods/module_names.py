"""How a rewrite spells a module it needs, and which import it may leave unused.

A rewrite that writes ``asyncio.sleep`` says ``asyncio`` the way the file does:
after ``import asyncio as aio`` it writes ``aio.sleep``; in a file without the
import it writes ``asyncio.sleep`` and asks for ``import asyncio``, which
``import_placement`` puts with the standard-library imports, in order, as
isort does, so nothing else moves. A name the file binds to something else (a variable called ``asyncio``)
is not taken over: the rewrite refuses.

The other way round, a rewrite that replaces the last ``time.sleep`` leaves
``import time`` unused, and flake8 would then report it. It asks for the import
to go if nothing reads it once the file is rewritten: ``codemods.splicing``
removes it only when nothing in the rewritten file mentions the name, and
``RemoveImportsVisitor`` then takes it out of its statement. An import with a comment on or above it
stays: removing the statement would take the comment with it.
"""

from __future__ import annotations

import ast

from .base import CannotFix, FixContext, ModuleImport


def module_reference(context: FixContext, module: str) -> tuple[str, tuple[ModuleImport, ...]]:
    """The name that refers to ``module`` in this file, and the import to add when there is none."""
    for statement in context.tree.body:
        if isinstance(statement, ast.Import):
            for alias in statement.names:
                if alias.name == module:
                    return alias.asname or module, ()
                if alias.asname is None and alias.name.split(".")[0] == module:
                    return module, ()  # ``import asyncio.subprocess`` binds ``asyncio`` too
    if binds_otherwise(context, module, ModuleImport(module)):
        raise CannotFix(f"this module binds its own name `{module}`, so `{module}.…` would not mean the module")
    return module, (ModuleImport(module),)


def imported_name(context: FixContext, module: str, obj: str) -> str | None:
    """The name a module-level ``from module import obj [as name]`` binds, if there is one."""
    for statement in context.tree.body:
        if isinstance(statement, ast.ImportFrom) and statement.level == 0 and statement.module == module:
            for alias in statement.names:
                if alias.name == obj:
                    return alias.asname or obj
    return None


def binds_otherwise(context: FixContext, name: str, allowed: ModuleImport) -> bool:
    """Does the file bind ``name`` anywhere other than by the import ``allowed``?"""
    if name not in context.bound_names:
        return False
    for node in ast.walk(context.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                if bound == name and not (allowed.obj is None and alias.name.split(".")[0] == allowed.module
                                          and alias.asname == allowed.asname):
                    return True
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if (alias.asname or alias.name) == name and not (
                        node.level == 0 and node.module == allowed.module and alias.name == allowed.obj):
                    return True
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)) and node.id == name:
            return True
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            return True
        elif isinstance(node, ast.arg) and node.arg == name:
            return True
        elif isinstance(node, ast.ExceptHandler) and node.name == name:
            return True
    return False


def import_behind(context: FixContext, reference: ast.expr, module: str) -> ModuleImport | None:
    """The module-level import that makes ``reference`` (``time.sleep``, ``sleep``, ``t.sleep``) mean
    something of ``module`` (or of one of its submodules, for a ``from`` import), when it could go
    once the reference is rewritten; None when it must stay."""
    if isinstance(reference, ast.Attribute) and isinstance(reference.value, ast.Name):
        bound, wanted_obj = reference.value.id, None
    elif isinstance(reference, ast.Name):
        bound, wanted_obj = reference.id, reference.id
    else:
        return None
    for statement in context.tree.body:
        if isinstance(statement, ast.Import) and wanted_obj is None:
            for alias in statement.names:
                if alias.name == module and (alias.asname or module) == bound:
                    return _removable(context, statement, ModuleImport(module, None, alias.asname))
        elif isinstance(statement, ast.ImportFrom) and wanted_obj is not None and statement.level == 0 \
                and statement.module is not None and (statement.module + ".").startswith(module + "."):
            for alias in statement.names:
                if (alias.asname or alias.name) == bound:
                    found = ModuleImport(statement.module, alias.name, alias.asname)
                    return _removable(context, statement, found)
    return None


def _removable(context: FixContext, statement: ast.stmt, which: ModuleImport) -> ModuleImport | None:
    """``which``, unless a comment sits on the statement's lines or in the lines just above it
    (LibCST would remove those with the statement)."""
    for number in range(statement.lineno, (statement.end_lineno or statement.lineno) + 1):
        if b"#" in context.line(number):
            return None
    if context.tree.body and context.tree.body[0] is statement:
        return which  # what is above the first statement is the module's header, which LibCST keeps
    for number in range(statement.lineno - 1, 0, -1):
        text = context.line(number).strip()
        if text.startswith(b"#"):
            return None
        if text:
            break
    return which
