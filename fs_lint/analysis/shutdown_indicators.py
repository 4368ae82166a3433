"""Find the shutdown flag or event a retry loop should read, among those the code already has.

FSR001's fix must not invent a way to stop: a new flag that nothing sets would
make the loop look stoppable and change nothing. So it looks for the indicator
the program already keeps, from the nearest scope outwards:

1. the loop's function: an Event parameter (annotated as one, or used as one),
   or a local Event or flag that a nested function or other code can set;
2. the loop's class: an attribute holding a bool or an Event that another
   method sets to "stop" (``self._closing = True`` in ``close()``,
   ``self._stop.set()`` in ``stop()``);
3. the module: a global Event or flag that a function sets (a signal handler).

A name counts only if it matches the shutdown words (``settings.shutdown_names``)
and something other than the loop's own function and ``__init__`` sets it to
"stop": an attribute only ever set to True in ``__init__`` stops nothing. Two
candidates at the same distance are ambiguous, and the search refuses rather
than guess which one ``close()`` means.

``running`` and ``alive`` say "go on" when true; the other shutdown words say
"stop" when true. That sense decides between ``while self._running:`` and
``while not self._closing:``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Sequence

from ..syntax.local_nodes import classes_and_bases, instance_name, is_none, parameters
from ..syntax.names import ImportMap, WordPatterns, words
from .retry_loops import Loop
from .stop_paths import GO_ON_WORDS
from .subclass_stops import subclass_stops

EVENT_TYPES = frozenset({
    "threading.Event", "asyncio.Event", "anyio.Event", "trio.Event", "multiprocessing.Event",
    "multiprocessing.synchronize.Event",
})
_NEGATIONS = frozenset({"not", "no", "non"})
_CALLABLES = frozenset({"typing.Callable", "collections.abc.Callable", "Callable"})
_EVENT_METHODS = frozenset({"set", "clear", "is_set", "wait"})
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


class NoIndicator(Exception):
    """No single indicator fits; the message names the loop and what was considered."""


@dataclass(frozen=True)
class Indicator:
    expression: str  # what the loop reads: ``self._closing``, ``stop_event``
    is_event: bool
    stops_when_true: bool  # True for ``closing``/``stop`` (set means stop), False for ``running``/``alive``
    event_type: str | None = None  # the qualified class, when the code shows which Event it is
    caveat: str | None = None  # why reading it might change a normal run; None when it cannot

    @property
    def is_question(self) -> bool:
        """A callable the caller hands in (``is_running()``): asked, not read."""
        return self.expression.endswith("()")

    @property
    def _read(self) -> str:
        return f"{self.expression}.is_set()" if self.is_event else self.expression

    @property
    def stop_test(self) -> str:
        """True once the program is asked to stop: ``self._closing``, ``not self._running``."""
        return self._read if self.stops_when_true else f"not {self._read}"

    @property
    def go_on_test(self) -> str:
        """True while the loop may go on: ``not self._closing``, ``self._running``."""
        return f"not {self._read}" if self.stops_when_true else self._read

    @property
    def can_wait(self) -> bool:
        """A ``threading.Event`` set to stop: ``stop.wait(d)`` pauses like ``time.sleep(d)`` but wakes up to stop."""
        return self.is_event and self.stops_when_true and self.event_type == "threading.Event"


def indicator_candidates(loop: Loop, tree: ast.Module, parents: dict[int, ast.AST]) -> list[Indicator]:
    """The indicators of the nearest scope that has any: evidence that something asks the loop to stop."""
    search = _Search(loop, tree, parents, loop.module.shutdown_patterns, loop.module.imports)
    for tier in (search.in_function, search.in_class, search.in_module):
        candidates = list(tier())
        if candidates:
            return candidates
    return []


def find_indicator(loop: Loop, tree: ast.Module, parents: dict[int, ast.AST]) -> Indicator:
    """The one indicator the loop should read; NoIndicator says why there is none."""
    search = _Search(loop, tree, parents, loop.module.shutdown_patterns, loop.module.imports)
    for tier in (search.in_function, search.in_class, search.in_module):
        candidates = list(tier())
        if len(candidates) == 1:
            return candidates[0]
        if len(candidates) > 1:
            names = " and ".join(f"`{c.expression}`" for c in candidates)
            raise NoIndicator(f"the loop at line {loop.node.lineno} could read {names}; "
                              "which one means stop is for a person to decide")
    reason = f"no shutdown flag or event found for the loop at line {loop.node.lineno}"
    if search.rejected:
        reason += " (" + "; ".join(dict.fromkeys(search.rejected)) + ")"
    raise NoIndicator(reason)


@dataclass
class _Facts:
    """What the code does to one name (``_closing`` for ``self._closing``)."""

    values: list[tuple[ast.expr, ast.AST]] = field(default_factory=list)  # (value assigned, innermost scope)
    calls: list[tuple[str, ast.AST]] = field(default_factory=list)  # (set/clear/is_set/wait, innermost scope)
    handed_over: bool = False  # passed as an argument: the code it goes to can set it

    def merge(self, other: "_Facts") -> None:
        self.values += other.values
        self.calls += other.calls
        self.handed_over |= other.handed_over


@dataclass(frozen=True)
class _Start:
    """The state of a candidate when the loop first reads it."""

    exists: bool
    value: bool | None  # flag value, or whether the Event is set; None when the code does not say


@dataclass
class _Search:
    loop: Loop
    tree: ast.Module
    parents: dict[int, ast.AST]
    patterns: WordPatterns
    imports: ImportMap
    rejected: list[str] = field(default_factory=list)
    _subclass_flags: set[str] | None = None

    @property
    def function(self) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        return self.loop.function.node

    # -- tier 1: the loop's function ------------------------------------------------------------

    def in_function(self) -> Iterator[Indicator]:
        fn = self.function
        if fn is None:
            return
        facts = _name_facts(fn.body, fn)
        local = {name for name, fact in facts.items() if any(scope is fn for _, scope in fact.values)}
        params = parameters(fn)
        if self._class_of_method() is not None:
            params = params[1:]
        for param in params:
            name = param.arg
            if name in local or not self._worth_a_look(name):
                continue
            fact = facts.get(name, _Facts())
            annotated = _annotated_event(param.annotation, self.imports)
            if annotated is None and self._called(name, param):
                # ``is_running``, ``should_stop``: the caller hands in a question that says when to stop.
                stops_when_true = not (GO_ON_WORDS & set(words(name)))
                yield Indicator(f"{name}()", False, stops_when_true)
                continue
            if annotated is None and not any(method in _EVENT_METHODS for method, _ in fact.calls):
                if param.annotation is None:  # annotated as something else: not an Event, nothing to say
                    self.rejected.append(f"parameter `{name}` is not known to be an Event; annotate it")
                continue
            # The caller made it and will set it: that is what passing a stop event means.
            yield from self._judge(name, name, fact, quiet=[], start=_Start(True, None), stopped_elsewhere=True,
                                   where="", event_type=annotated)
        before = _statements_before(fn.body, self.loop.node)
        for name in sorted(local - {p.arg for p in params}):
            if not self._worth_a_look(name) or self._kind(facts[name]) == (None, None):
                continue
            values = [v for stmt in before for v in _assigned_values(stmt, name)]
            if not values:
                self.rejected.append(f"`{name}` is not set before the loop")
                continue
            start = _start_from(values, [c for stmt in before for c in _event_calls(stmt, name)])
            yield from self._judge(name, name, facts[name], quiet=[fn], start=start,
                                   where="outside the loop's own function")

    def _called(self, name: str, param: ast.arg) -> bool:
        """A parameter the function calls with no argument (``is_running()``), or annotated as a callable that
        takes none (``Callable[[], bool]``): a question the caller answers, not a value."""
        annotation = param.annotation
        if isinstance(annotation, ast.Subscript) and self.imports.qualified_name(annotation.value) in _CALLABLES:
            arguments = annotation.slice.elts[0] if isinstance(annotation.slice, ast.Tuple) and annotation.slice.elts \
                else None
            return isinstance(arguments, ast.List) and not arguments.elts
        fn = self.function
        return fn is not None and any(
            isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name
            and not node.args and not node.keywords for node in _local(fn.body))

    # -- tier 2: the loop's class ---------------------------------------------------------------

    def _class_of_method(self) -> ast.ClassDef | None:
        fn = self.function
        parent = self.parents.get(id(fn)) if fn is not None else None
        if isinstance(parent, ast.ClassDef) and instance_name(fn) is not None:
            return parent
        return None

    def in_class(self) -> Iterator[Indicator]:
        cls = self._class_of_method()
        fn = self.function
        if cls is None or fn is None:
            return
        receiver = instance_name(fn)
        chain = classes_and_bases(cls, self.tree)  # a base class of the same module sets ``self.x`` too
        every_method = [stmt for c in chain for stmt in c.body if isinstance(stmt, _FUNCTIONS)]
        methods: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        for method in every_method:
            methods.setdefault(method.name, method)
        inits = [m for m in every_method if m.name == "__init__"]
        class_values: dict[str, list[ast.expr]] = {}
        for stmt in (s for c in reversed(chain) for s in c.body):
            for name, value in _plain_assignments(stmt):
                class_values.setdefault(name, []).append(value)
        facts: dict[str, _Facts] = {}
        for method in every_method:
            method_receiver = instance_name(method)
            if method_receiver is not None:
                for attribute, fact in _attribute_facts(method, method_receiver).items():
                    facts.setdefault(attribute, _Facts()).merge(fact)
        before = _statements_before(fn.body, self.loop.node)
        quiet = [*inits, fn]
        where = "outside " + " and ".join(dict.fromkeys(f"{m.name}()" for m in quiet))
        init_ids = {id(m) for m in inits}
        for attribute, fact in sorted(facts.items()):
            if attribute in methods or not self._worth_a_look(attribute):
                continue
            expression = f"{receiver}.{attribute}"
            created = class_values.get(attribute, []) + [v for v, scope in fact.values if id(scope) in init_ids]
            calls = [c for c, scope in fact.calls if id(scope) in init_ids]
            if before_values := [v for stmt in before for v in _assigned_values(stmt, expression)]:
                created, calls = before_values, []
            calls += [c for stmt in before for c in _event_calls(stmt, expression)]
            start = _start_from(created, calls)
            yield from self._judge(expression, attribute, fact, quiet=quiet, start=start, where=where,
                                   event_type=_event_type_via_init_param(methods.get("__init__"), fact,
                                                                         self.imports),
                                   set_elsewhere=lambda a=attribute: a in self._set_by_subclasses(cls))

    def _set_by_subclasses(self, cls: ast.ClassDef) -> set[str]:
        """The flags that subclasses' stop methods set, in any module (asked only when nothing nearer sets one)."""
        if self._subclass_flags is None:
            self._subclass_flags = {stop.attribute for stop in subclass_stops(self.loop, cls)}
        return self._subclass_flags

    # -- tier 3: the module ---------------------------------------------------------------------

    def in_module(self) -> Iterator[Indicator]:
        fn = self.function
        facts = _name_facts(self.tree.body, self.tree)
        hidden: set[str] = set()
        if fn is not None:
            declared = {n for node in _local(fn.body) if isinstance(node, ast.Global) for n in node.names}
            local = {n for n, fact in _name_facts(fn.body, fn).items()
                     if any(scope is fn for _, scope in fact.values)}
            hidden = (local | {p.arg for p in parameters(fn)}) - declared
        for name, fact in sorted(facts.items()):
            if name in hidden or not self._worth_a_look(name):
                continue
            created = [v for v, scope in fact.values if scope is self.tree
                       and (fn is not None or v.lineno < self.loop.node.lineno)]
            if not created:
                continue
            quiet = [self.tree] if fn is None else [self.tree, fn]
            yield from self._judge(name, name, fact, quiet=quiet, start=_start_from(created, []),
                                   where="in a function")

    # -- judging one candidate ------------------------------------------------------------------

    def _worth_a_look(self, name: str) -> bool:
        return self.patterns.matches(name) and not (_NEGATIONS & set(words(name)))

    def _judge(self, expression: str, name: str, fact: _Facts, *, quiet: Sequence[ast.AST], start: _Start,
               where: str, stopped_elsewhere: bool = False, event_type: str | None = None,
               set_elsewhere: Callable[[], bool] | None = None) -> Iterator[Indicator]:
        """Yield ``expression`` as an indicator if something outside ``quiet`` sets it to "stop"."""
        stops_when_true = not (GO_ON_WORDS & set(words(name)))
        kind, known_type = self._kind(fact)
        if kind is None and event_type is not None:
            kind = "event"
        if kind is None:
            return  # holds something else: a timeout, a callback, a cancel scope
        quiet_ids = {id(scope) for scope in quiet}
        if kind == "flag":
            stops = [v for v, scope in fact.values if id(scope) not in quiet_ids and _is_bool(v, stops_when_true)]
            how = f"set to {stops_when_true}"
        else:
            method = "set" if stops_when_true else "clear"
            stops = [c for c, scope in fact.calls if id(scope) not in quiet_ids and c == method]
            stopped_elsewhere = stopped_elsewhere or fact.handed_over
            how = f"{method}()"
        if not stops and not stopped_elsewhere and not (set_elsewhere is not None and set_elsewhere()):
            self.rejected.append(f"`{expression}` is never {how} {where}".rstrip())
            return
        go_on = not stops_when_true
        caveat = None
        if not start.exists:
            caveat = f"`{expression}` may not exist yet when the loop first reads it"
        elif start.value is not None and start.value != go_on:
            state = ("set" if start.value else "not set") if kind == "event" else str(start.value)
            caveat = f"`{expression}` is {state} when the loop starts, so the loop would not run"
        yield Indicator(expression, kind == "event", stops_when_true, event_type or known_type, caveat)

    def _kind(self, fact: _Facts) -> tuple[str | None, str | None]:
        """``("event", its class if known)``, ``("flag", None)``, or ``(None, None)`` for anything else."""
        qualify = self.imports.qualified_name
        made = {qualify(v.func) for v, _ in fact.values if isinstance(v, ast.Call)}
        events = made & EVENT_TYPES
        others = [v for v, _ in fact.values
                  if not (isinstance(v, ast.Call) and qualify(v.func) in EVENT_TYPES) and not is_none(v)]
        if events and not others:
            return "event", events.pop() if len(events) == 1 else None
        if fact.values and all(_is_bool(v) for v, _ in fact.values):
            return "flag", None
        if not events and not any(_is_bool(v) for v in others) and any(c in _EVENT_METHODS for c, _ in fact.calls):
            return "event", None  # ``self._stop = stop_event``, then ``self._stop.set()``
        return None, None


# -- what code does to names ---------------------------------------------------------------------


def _local(body: Sequence[ast.AST]) -> Iterator[ast.AST]:
    """The nodes of ``body`` that run in its own scope."""
    stack = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, _SCOPES):
            stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _with_scopes(body: Sequence[ast.AST], scope: ast.AST) -> Iterator[tuple[ast.AST, ast.AST]]:
    """Every node below ``body``, with the innermost function, lambda or class body it runs in."""
    stack = [(node, scope) for node in reversed(body)]
    while stack:
        node, inner = stack.pop()
        yield node, inner
        child_scope = node if isinstance(node, _SCOPES) else inner
        stack.extend((child, child_scope) for child in reversed(list(ast.iter_child_nodes(node))))


def _collect(nodes: Iterable[tuple[ast.AST, ast.AST]], key_of: Callable[[ast.AST], str | None]) -> dict[str, _Facts]:
    """Facts for every name ``key_of`` recognises in an expression (``self._stop`` -> ``_stop``)."""
    facts: dict[str, _Facts] = {}
    for node, scope in nodes:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                name = key_of(target)
                if name:
                    facts.setdefault(name, _Facts()).values.append((node.value, scope))
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in _EVENT_METHODS:
                name = key_of(func.value)
                if name:
                    facts.setdefault(name, _Facts()).calls.append((func.attr, scope))
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                for element in arg.elts if isinstance(arg, (ast.Tuple, ast.List)) else [arg]:
                    name = key_of(element)
                    if name:
                        facts.setdefault(name, _Facts()).handed_over = True
    return facts


def _name_facts(body: Sequence[ast.stmt], scope: ast.AST) -> dict[str, _Facts]:
    """Facts about plain names of ``scope``, as its own code and the functions nested in it see them.

    A nested function's assignment only counts when it declares the name
    ``nonlocal`` or ``global``: otherwise it binds a name of its own.
    """
    pairs = list(_with_scopes(body, scope))
    declared: dict[int, set[str]] = {}
    for node, inner in pairs:
        if isinstance(node, (ast.Nonlocal, ast.Global)):
            declared.setdefault(id(inner), set()).update(node.names)
    facts = _collect(pairs, lambda e: e.id if isinstance(e, ast.Name) else None)
    for name, fact in facts.items():
        fact.values = [(v, s) for v, s in fact.values if s is scope or name in declared.get(id(s), ())]
    return facts


def _attribute_facts(method: ast.FunctionDef | ast.AsyncFunctionDef, receiver: str) -> dict[str, _Facts]:
    """Facts about the ``receiver.X`` attributes a method (and the functions nested in it) touch."""

    def key_of(expr: ast.AST) -> str | None:
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id == receiver:
            return expr.attr
        return None

    return _collect(_with_scopes(method.body, method), key_of)


def _plain_assignments(stmt: ast.stmt) -> Iterator[tuple[str, ast.expr]]:
    if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
        for target in stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]:
            if isinstance(target, ast.Name):
                yield target.id, stmt.value


def _statements_before(body: Sequence[ast.stmt], loop: ast.stmt) -> list[ast.stmt]:
    """The top-level statements of a function body that end before the loop starts."""
    return [stmt for stmt in body if stmt.end_lineno is not None and stmt.end_lineno < loop.lineno]


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _assigned_values(stmt: ast.stmt, dotted: str) -> list[ast.expr]:
    if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        if any(_dotted(t) == dotted for t in targets):
            return [stmt.value]
    return []


def _event_calls(stmt: ast.stmt, dotted: str) -> list[str]:
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        func = stmt.value.func
        if isinstance(func, ast.Attribute) and _dotted(func.value) == dotted:
            return [func.attr]
    return []


def _start_from(values: Sequence[ast.expr], calls: Sequence[str]) -> _Start:
    """The state after the given assignments, then the given ``set()``/``clear()`` calls, in order."""
    if not values:
        return _Start(False, None)
    last = values[-1]
    value: bool | None = last.value if _is_bool(last) else False if isinstance(last, ast.Call) else None
    for call in calls:
        if call in ("set", "clear"):
            value = call == "set"
    return _Start(True, value)


def _event_type_via_init_param(init: ast.AST | None, fact: _Facts, imports: ImportMap) -> str | None:
    """``self._stop = stop_event`` in ``__init__(self, stop_event: threading.Event)``: a threading.Event."""
    if not isinstance(init, _FUNCTIONS):
        return None
    annotations = {a.arg: a.annotation for a in parameters(init)}
    for value, scope in fact.values:
        if scope is init and isinstance(value, ast.Name) and value.id in annotations:
            found = _annotated_event(annotations[value.id], imports)
            if found:
                return found
    return None


def _is_bool(node: ast.expr, value: bool | None = None) -> bool:
    if not (isinstance(node, ast.Constant) and isinstance(node.value, bool)):
        return False
    return value is None or node.value is value


def _annotated_event(annotation: ast.expr | None, imports: ImportMap) -> str | None:
    """The Event class an annotation names, also when written as a string."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return None
    if annotation is None:
        return None
    name = imports.qualified_name(annotation)
    return name if name in EVENT_TYPES else None
