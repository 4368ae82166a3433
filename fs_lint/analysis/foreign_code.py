"""Code that loads or runs other people's code, where a ``SystemExit`` is that code's failure.

A plugin loader imports modules it does not know and contains their failures; a dispatcher calls
the callables it was given. When such code calls ``sys.exit()``, the ``SystemExit`` that reaches
the loop is the plugin's or the callback's failure, not a request to stop the program: re-raising
it would turn one bad plugin into the end of the whole service at start-up. Whether a ``try``
runs other people's code is read from what it does, not from names:

- it loads code: ``importlib.import_module``, ``__import__``, ``exec``/``eval``, ``runpy``, a
  loader's ``exec_module``/``load_module``, entry points (``importlib.metadata.entry_points``,
  ``pkg_resources``) and their ``load()``;
- it calls a callable it was handed: a parameter of its function (``callback(message)``), an
  attribute the class stored from a parameter (``self._on_message = on_message``, then
  ``self._on_message(m)``), or a registry's value (``handlers[name](...)``, ``for hook in hooks:
  hook()``, ``handler = self._routes.get(path)`` then ``handler(request)``), or
  ``getattr(obj, name)(...)``.

The module's own functions that the ``try`` calls are looked into too, two calls down.
"""

from __future__ import annotations

import ast
from typing import Iterable, Iterator

from ..syntax.local_nodes import instance_name, key, parameters, walk_local
from ..syntax.names import ImportMap, last_name, words

_LOADERS = frozenset({
    "importlib.import_module", "importlib.reload", "importlib.__import__", "__import__", "exec", "eval",
    "execfile", "runpy.run_path", "runpy.run_module", "imp.load_source", "imp.load_module",
    "importlib.metadata.entry_points", "importlib_metadata.entry_points", "pkg_resources.iter_entry_points",
    "pkg_resources.load_entry_point", "importlib.util.module_from_spec",
})
_LOADER_METHODS = frozenset({"exec_module", "load_module", "iter_entry_points", "load_entry_point"})
_ENTRY_POINT_WORDS = frozenset({"ep", "entry", "entrypoint", "plugin", "plugins", "extension"})
_SELF_NAMES = frozenset({"self", "cls"})
_TAKING = frozenset({"pop", "popleft", "get", "get_nowait"})  # a value taken out of a collection

Function = ast.FunctionDef | ast.AsyncFunctionDef


def runs_foreign_code(body: Iterable[ast.AST], function: Function | None, module, depth: int = 2) -> ast.Call | None:
    """The first call in ``body`` that loads or runs other people's code, or None.

    ``function`` is the function ``body`` belongs to (its parameters are what it was handed);
    ``module`` the ``ModuleAnalysis`` (imports, the functions a call names, classes).
    """
    body = list(body)
    cls = _class_of_method(function, module)
    handed = _handed_in_names(body, function, is_method=cls is not None)
    stored = attributes_stored_from_parameters(cls)
    for node in walk_local(body):
        if not isinstance(node, ast.Call):
            continue
        if _loads_code(node, module.imports) or _calls_what_it_was_handed(node, handed, stored):
            return node
        if depth > 0:
            callee = module.contexts.resolve(node.func, function)
            if callee is not None and callee is not function and \
                    runs_foreign_code(callee.body, callee, module, depth - 1) is not None:
                return node
    return None


def _class_of_method(function: Function | None, module) -> ast.ClassDef | None:
    """The class ``function`` is a method of (defined in its body, with an instance parameter)."""
    cls = module.contexts.class_of(function) if function is not None else None
    if cls is None or not any(statement is function for statement in cls.body):
        return None  # a function nested in a method has the method's class, but is no method of it
    return cls if instance_name(function) is not None else None


def _loads_code(call: ast.Call, imports: ImportMap) -> bool:
    name = imports.qualified_name(call.func) or ""
    if name in _LOADERS:
        return True
    if not isinstance(call.func, ast.Attribute):
        return False
    method = call.func.attr
    if method in _LOADER_METHODS:
        return True
    if method == "load" and not call.args and not call.keywords:  # ``ep.load()``: an entry point's object
        receiver = last_name(call.func.value) or ""
        return bool(_ENTRY_POINT_WORDS & set(words(receiver)))
    return False


def _calls_what_it_was_handed(call: ast.Call, handed: set[str], stored: set[str]) -> bool:
    func = call.func
    if isinstance(func, ast.Subscript):
        return True  # ``handlers[name](message)``: a registry's value
    if isinstance(func, ast.Call):
        inner = func.func
        if isinstance(inner, ast.Name) and inner.id == "getattr":
            return True  # ``getattr(plugin, "setup")(app)``
        # ``jobs.pop(0)()``: a callable taken out of what it was handed
        return isinstance(inner, ast.Attribute) and inner.attr in _TAKING and _is_handed(inner.value, handed, stored)
    return _is_handed(func, handed, stored)


def _is_handed(node: ast.expr, handed: set[str], stored: set[str]) -> bool:
    """``callback`` (a parameter, a registry's value) or ``self._callback`` (stored from a parameter)."""
    if isinstance(node, ast.Name):
        return node.id in handed
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
        and node.value.id in _SELF_NAMES and node.attr in stored


def _handed_in_names(body: list[ast.AST], function: Function | None, is_method: bool) -> set[str]:
    """Names that hold callables the code was handed: parameters, and names bound from a registry."""
    names: set[str] = set()
    if function is not None:
        own = instance_name(function) if is_method else None
        names = {p.arg for p in parameters(function) if p.arg != own and p.arg not in _SELF_NAMES}
        if function.args.vararg is not None:
            names.add(function.args.vararg.arg)
    scope = function.body if function is not None else body
    for node in walk_local(scope):
        if isinstance(node, (ast.For, ast.AsyncFor)) and isinstance(node.target, ast.Name):
            names.add(node.target.id)  # ``for hook in hooks: hook()``
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and _from_a_registry(node.value):
            names.add(node.targets[0].id)
    return names


def _from_a_registry(value: ast.expr) -> bool:
    """``routes[path]``, ``routes.get(path)``, ``getattr(module, name)``: a value looked up by key."""
    if isinstance(value, ast.Subscript):
        return True
    if isinstance(value, ast.Call):
        func = value.func
        if isinstance(func, ast.Name) and func.id == "getattr":
            return True
        return isinstance(func, ast.Attribute) and func.attr == "get" and len(value.args) >= 1
    return False


def attributes_stored_from_parameters(cls: ast.ClassDef | None) -> set[str]:
    """``self._callback = callback`` in any method of ``cls``: the attributes that hold what it was handed."""
    if cls is None:
        return set()
    found: set[str] = set()
    for method in (s for s in cls.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))):
        receiver = instance_name(method)
        if receiver is None:
            continue
        handed = {p.arg for p in parameters(method)} - {receiver}
        for target, value in _assignments(method.body):
            k = key(target)
            if k and k.startswith(receiver + ".") and k.count(".") == 1 and isinstance(value, ast.Name) \
                    and value.id in handed:
                found.add(k.split(".", 1)[1])
    return found


def _assignments(body: list[ast.stmt]) -> Iterator[tuple[ast.expr, ast.expr]]:
    for node in walk_local(body):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                yield target, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            yield node.target, node.value
