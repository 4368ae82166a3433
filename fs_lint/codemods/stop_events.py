"""Which stop event a loop that checks for shutdown watches, and what kind of Event it is.

FSR005's fix turns a blind pause into a wait on the loop's own stop event. That
is only sound when the code shows three things: the name the loop checks holds
an Event (not a bool, which nothing can wait on), which library's Event it is
(``threading.Event.wait(5)`` pauses, ``asyncio.Event.wait(5)`` is a TypeError),
and that the loop stops when the event is *set* (waiting on an event that
means "go on" would return at once, every time round).

The names come from ``ModuleFacts.indicator_keys`` (what the loop's condition
and exit tests read), the Event classes from ``shutdown_indicators.EVENT_TYPES``;
what a name holds is read from the assignments the code makes to it: in the
loop's function, its class (``self._stop = threading.Event()`` in any method,
or a parameter of ``__init__`` annotated as one) or its module.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Iterator

from ..syntax.local_nodes import key as key_of
from ..syntax.local_nodes import classes_and_bases, instance_name, parameters, walk_local
from ..analysis.module_facts import ModuleFacts
from ..analysis.retry_loops import Loop
from ..analysis.shutdown_indicators import EVENT_TYPES
from .base import CannotFix, FixContext

# What each Event class's ``wait`` does: a timeout in the call (threading), or none (the async ones).
LIBRARY_OF_EVENT = {
    "threading.Event": "threading", "multiprocessing.Event": "threading",
    "multiprocessing.synchronize.Event": "threading",
    "asyncio.Event": "asyncio", "anyio.Event": "anyio", "trio.Event": "trio",
}
assert set(LIBRARY_OF_EVENT) == set(EVENT_TYPES)

_FLAG = "flag"
_OTHER = "other"


@dataclass(frozen=True)
class StopEvent:
    expression: str  # as the loop reads it: ``self._stop``, ``stop_event``
    library: str  # "threading" (threading or multiprocessing), "asyncio", "anyio" or "trio"
    checked_by: ast.expr  # the test that leaves the loop once the event is set


def stop_event(loop: Loop, context: FixContext) -> StopEvent:
    """The Event the loop stops on; CannotFix says why there is none to wait on."""
    facts = ModuleFacts.of(context.analysis)
    keys = facts.indicator_keys(loop)
    holds = {k: _what_it_holds(k, loop, context) for k in keys}
    events = [k for k, kinds in holds.items() if len(kinds) == 1 and next(iter(kinds)) in EVENT_TYPES]
    if len(events) > 1:
        names = " and ".join(f"`{k}`" for k in events)
        raise CannotFix(f"the loop checks {names}; which one to wait on is for a person to decide")
    if not events:
        flags = [k for k, kinds in holds.items() if kinds == {_FLAG}]
        if flags:
            raise CannotFix(f"`{flags[0]}` is a plain flag, and a flag cannot be waited on; make it an Event "
                            "that the code sets to stop, and wait on it")
        shown = " or ".join(f"`{k}`" for k in keys) or "the loop's check"
        if keys and not any(holds.values()):
            raise CannotFix(f"this module never assigns {shown} (a base class elsewhere may), so the code does not "
                            "show whether it is an Event or a plain flag")
        raise CannotFix(f"the code does not show which kind of Event {shown} is (create it with "
                        "`threading.Event()`/`asyncio.Event()`, or annotate it)")
    (name,) = events
    test = _test_that_stops_when_set(loop, name)
    if test is None:
        raise CannotFix(f"the loop does not visibly stop when `{name}` is set, so waiting on it could end "
                        "at once every time round")
    return StopEvent(name, LIBRARY_OF_EVENT[next(iter(holds[name]))], test)


# -- what a name holds ----------------------------------------------------------------------------


def _what_it_holds(key: str, loop: Loop, context: FixContext) -> set[str]:
    """The Event classes, ``flag`` or ``other`` that the code assigns to ``key`` (None is ignored)."""
    function = loop.function.node
    parts = key.split(".")
    if len(parts) == 1:
        return _kinds(_plain_name_values(parts[0], function, context), context)
    method, cls = function, context.parents.get(id(function)) if function is not None else None
    while cls is not None and not isinstance(cls, (ast.ClassDef, ast.Module)):  # a def nested in a method
        if isinstance(cls, (ast.FunctionDef, ast.AsyncFunctionDef)):  # reads the method's ``self``
            method = cls
        cls = context.parents.get(id(cls))
    receiver = instance_name(method) if isinstance(cls, ast.ClassDef) else None
    if len(parts) == 2 and receiver == parts[0]:
        values = [v for c in classes_and_bases(cls, context.tree) for v in _attribute_values(parts[1], c, context)]
        return _kinds(iter(values), context)
    return {_OTHER}


def _plain_name_values(name: str, function: ast.AST | None,
                       context: FixContext) -> Iterator[tuple[ast.expr, ast.AST | None]]:
    """What ``name`` is given: a parameter's annotation, else its assignments in the function,
    else at module level. Each value comes with the function whose parameters it may name."""
    if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        for param in parameters(function):
            if param.arg == name:
                yield _annotation_as_value(param.annotation), function
                return
        local = list(_assigned(function.body, name))
        if local:
            yield from ((value, function) for value in local)
            return
    yield from ((value, None) for value in _assigned(context.tree.body, name))


def _attribute_values(attribute: str, cls: ast.ClassDef,
                      context: FixContext) -> Iterator[tuple[ast.expr, ast.AST | None]]:
    for statement in cls.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            receiver = instance_name(statement)
            if receiver is None:
                continue
            for node in walk_local(statement.body):
                for target, value in _assignments(node):
                    if isinstance(target, ast.Attribute) and target.attr == attribute \
                            and isinstance(target.value, ast.Name) and target.value.id == receiver:
                        yield value, statement
        else:
            for target, value in _assignments(statement):
                if isinstance(target, ast.Name) and target.id == attribute:
                    yield value, None


def _kinds(values: Iterator[tuple[ast.expr, ast.AST | None]], context: FixContext) -> set[str]:
    qualify = context.analysis.imports.qualified_name
    kinds = set()
    for value, function in values:
        if isinstance(value, ast.Name) and isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            annotation = next((p.annotation for p in parameters(function) if p.arg == value.id), None)
            if annotation is not None:
                value = _annotation_as_value(annotation)
        if isinstance(value, ast.Constant) and value.value is None:
            continue
        if isinstance(value, ast.Constant) and isinstance(value.value, bool):
            kinds.add(_FLAG)
        elif isinstance(value, ast.Call) and qualify(value.func) in EVENT_TYPES:
            kinds.add(qualify(value.func))  # type: ignore[arg-type]
        else:
            kinds.add(_OTHER)
    return kinds


def _annotation_as_value(annotation: ast.expr | None) -> ast.expr:
    """``stop: threading.Event`` reads as if ``stop = threading.Event()`` (also when the annotation is a string)."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            annotation = None
    if annotation is None:
        return ast.Name("?")  # unannotated: holds something the code does not say
    return ast.Call(func=annotation, args=[], keywords=[])


def _assigned(body: list[ast.stmt], name: str) -> Iterator[ast.expr]:
    for node in walk_local(body):
        for target, value in _assignments(node):
            if isinstance(target, ast.Name) and target.id == name:
                yield value


def _assignments(node: ast.AST) -> Iterator[tuple[ast.expr, ast.expr]]:
    if isinstance(node, ast.Assign):
        for target in node.targets:
            yield target, node.value
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        yield node.target, node.value
    elif isinstance(node, ast.NamedExpr):
        yield node.target, node.value


# -- does setting it stop the loop ------------------------------------------------------------------


def _test_that_stops_when_set(loop: Loop, key: str) -> ast.expr | None:
    """``while not stop.is_set()`` (also ``while cond and not stop.is_set()``), or an ``if`` in the
    loop whose test is ``stop.is_set()`` (also ``... or stop.is_set()``) and whose body leaves it."""
    node = loop.node
    if isinstance(node, ast.While) and any(_is_not_set(part, key) for part in _operands(node.test, ast.And)):
        return node.test
    for stmt in _statements_of_this_loop(node.body):
        if isinstance(stmt, ast.If) and any(_is_set(part, key) for part in _operands(stmt.test, ast.Or)):
            if stmt.body and isinstance(stmt.body[-1], (ast.Break, ast.Return)):
                return stmt.test
    return None


def _statements_of_this_loop(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements of a loop body, nested ones too, but not those of a loop (or def) inside it:
    a ``break`` there leaves that loop."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, (ast.For, ast.AsyncFor, ast.While, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for name in ("body", "orelse", "finalbody"):
            yield from _statements_of_this_loop(getattr(stmt, name, None) or [])
        for handler in getattr(stmt, "handlers", None) or []:
            yield from _statements_of_this_loop(handler.body)
        for case in getattr(stmt, "cases", None) or []:
            yield from _statements_of_this_loop(case.body)


def _operands(test: ast.expr, op: type) -> list[ast.expr]:
    return list(test.values) if isinstance(test, ast.BoolOp) and isinstance(test.op, op) else [test]


def _is_set(test: ast.expr, key: str) -> bool:
    return (isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute) and test.func.attr == "is_set"
            and not test.args and key_of(test.func.value) == key)


def _is_not_set(test: ast.expr, key: str) -> bool:
    return isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and _is_set(test.operand, key)
