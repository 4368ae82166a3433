"""What the retry decorators and retrying objects of a module promise.

Two questions for each ``@retry``, ``Retrying(...)``, ``@backoff.on_exception``
and the like: does it ever give up, and does it retry the exceptions that mean
"stop" (``KeyboardInterrupt``, ``SystemExit``, ``asyncio.CancelledError``)?

The answers follow each library's real defaults:

- tenacity (``retry``, ``Retrying``, ``AsyncRetrying``): the default ``stop`` is
  ``stop_never``; the default ``retry`` is ``retry_if_exception_type()``, which is
  ``Exception`` only, so shutdown exceptions go through. ``a | b`` stops when any
  condition does, ``a & b`` only when all do, so ``stop_never`` in an ``&`` never
  stops. ``retry_if_not_exception_type(X)`` and ``retry_unless_exception_type(X)``
  retry everything that is not an ``X``, shutdown exceptions included.
- backoff (``on_exception``, ``on_predicate``): no limit without ``max_tries`` or
  ``max_time``; ``max_tries=0`` (or less) is no limit either (the count starts at
  one and is compared with ``==``). A finite wait generator (``constant`` over a
  list) also ends it.
- retrying: no limit without ``stop_max_attempt_number``, ``stop_max_delay``,
  ``stop_func`` or ``stop``. It never retries a coroutine function (the call
  returns a coroutine, which is a result, not a failure).
- stamina: bounded by default (10 attempts, 45 s); unbounded only with both
  ``attempts=None`` and ``timeout=None``.
- the ``retry`` package (``from retry import retry``, ``retry_call``): ``tries=-1`` by default, which
  is forever; a positive ``tries`` bounds it. It retries ``Exception`` by default.

A name is what its scope says it is: a parameter, a local or a closure variable called ``retry``
is not ``tenacity.retry``. A retrying object that is never applied (only ``str()``-ed, asked for
``.wait``/``.stop``, copied) retries nothing. A ``.copy(stop=...)`` or ``.retry_with(stop=...)``
re-configures only the binding it is called on.

What cannot be seen (a ``stop`` in a variable, ``**kwargs``, positional
arguments, a custom predicate) is unknown, and unknown is never reported.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cached_property
from typing import Iterator

from ..syntax.local_nodes import is_none, walk_local
from ..syntax.names import last_name
from .module_facts import ModuleFacts
from .shutdown_exceptions import CANCELLATION, GENERATOR_EXIT, KEYBOARD_INTERRUPT, SYSTEM_EXIT, Caught, classify

TENACITY, BACKOFF, RETRYING, STAMINA, RETRY_PACKAGE = "tenacity", "backoff", "retrying", "stamina", "retry"
_LIBRARIES = (TENACITY, BACKOFF, RETRYING, STAMINA, RETRY_PACKAGE)
# Uses of a retrying object that apply nothing: it only describes the policy.
_NOT_APPLYING = frozenset({"wait", "stop", "copy", "retry_with", "statistics", "__repr__", "__str__", "before",
                           "after", "retry", "begin", "iter"})
_DESCRIBING_CALLS = frozenset({"str", "repr", "print", "format", "vars", "type", "isinstance", "id", "hash"})

_TENACITY_OBJECTS = {"tenacity.Retrying": False, "tenacity.AsyncRetrying": True, "tenacity.TornadoRetrying": False}
_TENACITY_FINITE_STOPS = frozenset({
    "tenacity.stop_after_attempt", "tenacity.stop_after_delay", "tenacity.stop_before_delay",
    "tenacity.stop_when_event_set",
})
_TENACITY_NOTHING_RETRIED = frozenset({
    "tenacity.retry_if_result", "tenacity.retry_if_not_result", "tenacity.retry_if_exception_cause_type",
})
_BACKOFF_ENDLESS_WAITS = frozenset({"backoff.expo", "backoff.fibo", "backoff.runtime", "backoff.constant"})
_RETRYING_STOPS = ("stop", "stop_max_attempt_number", "stop_max_delay", "stop_func")
_STAMINA = frozenset({"stamina.retry", "stamina.retry_context", "stamina.RetryingCaller",
                      "stamina.AsyncRetryingCaller"})

NEVER, FINITE = "never", "finite"


@dataclass(eq=False)
class RetryPolicy:
    node: ast.expr  # the decorator, or the call: where a finding goes
    library: str
    spelling: str  # as written: ``@retry``, ``@backoff.on_exception(...)``, ``Retrying(...)``
    is_async: bool  # it retries a coroutine (or runs in an async def)
    never_gives_up: str | None  # why it never gives up (``has no `stop=` ``); None: it does, or cannot tell
    retried: frozenset[str]  # the shutdown exceptions it certainly retries
    retried_by: str | None  # the argument that makes it retry them
    function: ast.AST | None = None  # the function it retries (decorated), or that makes the object

    @property
    def position(self) -> tuple[int, int]:
        return self.node.lineno, self.node.col_offset


def retry_policies(facts: ModuleFacts) -> list[RetryPolicy]:
    """The module's retry policies; none, with no walk, when it imports none of the libraries (a module
    that only says "retry" in a name or a comment)."""
    imports = facts.analysis.imports
    if not any(imports.imports_module(library) for library in _LIBRARIES):
        return []
    return _Finder(facts).policies


def canonical(name: str | None) -> str | None:
    """``tenacity.stop.stop_never`` -> ``tenacity.stop_never``: the libraries export all at the top."""
    if not name:
        return None
    parts = name.split(".")
    if parts[0] in _LIBRARIES and len(parts) > 2:
        return f"{parts[0]}.{parts[-1]}"
    return name


def shutdown_kinds(caught: Caught, is_async: bool) -> frozenset[str]:
    """What of a caught set can really arrive: cancellation only at an await, Ctrl-C only outside one."""
    kinds = set(caught.kinds) - {GENERATOR_EXIT}
    if not is_async:
        kinds.discard(CANCELLATION)
    elif caught.broad:
        kinds -= {KEYBOARD_INTERRUPT, SYSTEM_EXIT}  # an event loop turns them into cancellation
    return frozenset(kinds)


def _relevant(is_async: bool) -> frozenset[str]:
    return frozenset({CANCELLATION}) if is_async else frozenset({KEYBOARD_INTERRUPT, SYSTEM_EXIT})


def _any_of(outcomes: list[str | None]) -> str | None:
    if FINITE in outcomes:
        return FINITE
    return NEVER if outcomes and all(o == NEVER for o in outcomes) else None


def _all_of(outcomes: list[str | None]) -> str | None:
    if NEVER in outcomes:
        return NEVER
    return FINITE if outcomes and all(o == FINITE for o in outcomes) else None


def _union(parts: list[frozenset[str] | None]) -> frozenset[str] | None:
    known = [p for p in parts if p is not None]
    return frozenset().union(*known) if known else None


def _intersection(parts: list[frozenset[str] | None]) -> frozenset[str] | None:
    if any(p is not None and not p for p in parts):
        return frozenset()
    if any(p is None for p in parts):
        return None
    result = parts[0]
    for part in parts[1:]:
        result &= part
    return result


class _Finder:
    def __init__(self, facts: ModuleFacts) -> None:
        self.facts = facts
        self.qualify = facts.analysis.imports.qualified_name
        self.patterns = facts.analysis.shutdown_patterns
        self.policies: list[RetryPolicy] = []
        self._bound_cache: dict[int, frozenset[str]] = {}
        self._visit(facts.tree.body, None)
        self.policies.sort(key=lambda p: p.position)

    # -- where policies are --------------------------------------------------------

    def _visit(self, body: list[ast.stmt], function: ast.AST | None, chain: tuple[ast.AST, ...] = ()) -> None:
        """``chain``: the functions around ``body``, whose names hide the module's imports."""
        derived = set()
        for node in walk_local(body):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                is_async = isinstance(node, ast.AsyncFunctionDef)
                for decorator in node.decorator_list:
                    self._add(decorator, is_async, node.name, function, runs=node, chain=chain)
                self._visit(node.body, node, chain + (node,))
            elif isinstance(node, ast.ClassDef):
                self._visit(node.body, None, chain)
            elif isinstance(node, ast.Call) and node not in derived:
                if isinstance(node.func, ast.Attribute) and node.func.attr in ("copy", "retry_with") \
                        and isinstance(node.func.value, ast.Call):
                    derived.add(node.func.value)  # Retrying(...).copy(stop=...): the copy decides
                    continue
                self._add(node, isinstance(function, ast.AsyncFunctionDef), None, function, chain=chain)

    def _shadowed(self, name: str, chain: tuple[ast.AST, ...]) -> bool:
        """A parameter or local of an enclosing function is called ``name``: it is not the import."""
        for function in chain:
            names = self._bound_cache.get(id(function))
            if names is None:
                names = self._bound_cache[id(function)] = _bound_names(function)
            if name in names:
                return True
        return False

    @cached_property
    def _assigned_to(self) -> dict[ast.expr, str]:
        """``r = Retrying(...)``: the call, and the last name of what it is assigned to."""
        found = {}
        for node in ast.walk(self.facts.tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                name = last_name(node.targets[0])
                if name:
                    found[node.value] = name
        return found

    @cached_property
    def _decorators(self) -> set[ast.expr]:
        return {d for n in ast.walk(self.facts.tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                for d in n.decorator_list}

    @property
    def imports(self):
        return self.facts.analysis.imports

    @cached_property
    def _reconfigured(self) -> set[tuple[int, str]]:
        """The bindings the module gives a new stop: ``f.retry_with(stop=...)``, ``r.copy(stop=...)``,
        ``f.retry.stop = ...``. A binding is (the scope that binds the name, the name): the ``r`` of one
        test is not the ``r`` of the next."""
        names: set[tuple[int, str]] = set()
        for scope in [self.facts.tree, *(n for n in ast.walk(self.facts.tree)
                                         if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))]:
            for node in walk_local(scope.body):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                        and node.func.attr in ("retry_with", "copy") and _gives_a_stop(node):
                    name = last_name(node.func.value)
                    if name:
                        names.add((self._binding_scope(name, scope), name))
        for node in ast.walk(self.facts.tree):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Attribute) and target.attr == "stop":
                        owner = target.value
                        if isinstance(owner, ast.Attribute) and owner.attr == "retry":
                            owner = owner.value
                        name = last_name(owner)
                        if name:
                            names.add((id(self.facts.tree), name))
                            names.update((id(f), name) for f in ast.walk(self.facts.tree)
                                         if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)))
        return names

    def _binding_scope(self, name: str, scope: ast.AST) -> int:
        """The scope whose binding of ``name`` a use in ``scope`` sees: its own, else the module's."""
        if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)) and name in _bound_names(scope):
            return id(scope)
        return id(self.facts.tree)

    def _applied(self, node: ast.expr, function: ast.AST | None) -> bool:
        """The retrying object is used to retry something: called, iterated, decorating, handed on.

        ``str(Retrying())``, ``r.wait(state)``, ``r.copy(...)`` describe a policy and retry nothing.
        """
        parents = self.facts.analysis.parents
        parent = parents.get(id(node))
        if isinstance(parent, ast.Call) and node in parent.args and last_name(parent.func) in _DESCRIBING_CALLS:
            return False
        if isinstance(parent, ast.Attribute) and parent.attr in ("copy", "retry_with"):
            call = parents.get(id(parent))  # ``r.copy(name=...)(fn)``: the copy applies the same policy
            return isinstance(call, ast.Call) and call.func is parent and self._applied(call, function)
        if isinstance(parent, ast.Attribute) and parent.attr in _NOT_APPLYING:
            return False
        if isinstance(parent, ast.Expr):
            return False  # built and thrown away: a constructor test
        if not (isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name)):
            return True
        name = parent.targets[0].id
        scope = function.body if function is not None else self.facts.tree.body
        uses = [n for n in walk_local(scope) if isinstance(n, ast.Name) and n.id == name and
                isinstance(n.ctx, ast.Load)]
        if not uses:
            return True  # kept for later, elsewhere: cannot tell
        return any(self._applied(use, function) for use in uses)

    # -- what each promises ----------------------------------------------------------

    def _add(self, node: ast.expr, is_async: bool, bound_to: str | None, function: ast.AST | None,
             runs: ast.AST | None = None, chain: tuple[ast.AST, ...] = ()) -> None:
        call = node if isinstance(node, ast.Call) else None
        name = canonical(self.qualify(call.func if call else node))
        if name is None or name.split(".")[0] not in _LIBRARIES:
            return
        root = call.func if call else node
        while isinstance(root, ast.Attribute):
            root = root.value
        if isinstance(root, ast.Name) and self._shadowed(root.id, chain):
            return  # a parameter or local named ``retry`` is not the library's
        if name == "tenacity.retry":
            policy = self._tenacity(node, call, is_async)
        elif name in _TENACITY_OBJECTS and call is not None:
            policy = self._tenacity(node, call, is_async or _TENACITY_OBJECTS[name])
        elif name in ("backoff.on_exception", "backoff.on_predicate") and call is not None:
            policy = self._backoff(node, call, is_async, on_exception=name.endswith("on_exception"))
        elif name in ("retrying.retry", "retrying.Retrying"):
            policy = None if is_async else self._retrying(node, call)
        elif name in _STAMINA and call is not None:
            policy = self._stamina(node, call, is_async)
        elif name in ("retry.retry", "retry.retry_call"):
            policy = self._retry_package(node, call, is_async, name.endswith("retry_call"))
        else:
            return
        if policy is None:
            return
        if name in ("tenacity.Retrying", "tenacity.AsyncRetrying", "tenacity.TornadoRetrying", "retrying.Retrying") \
                and not self._applied(node, function):
            return
        bound_to = bound_to or self._assigned_to.get(node)
        scope = self.facts.tree if bound_to and node in self._decorators else function
        binding = (self._binding_scope(bound_to, scope) if scope is not None else id(self.facts.tree), bound_to)
        if policy.never_gives_up and (binding in self._reconfigured or self._watches_shutdown(call)):
            policy.never_gives_up = None
        policy.function = runs if runs is not None else function
        if policy.never_gives_up or policy.retried:
            self.policies.append(policy)

    def _spell(self, node: ast.expr, call: ast.Call | None) -> str:
        func = ast.unparse(call.func if call else node)
        args = "" if call is None else "(...)" if call.args or call.keywords else "()"
        return ("@" if node in self._decorators else "") + func + args

    def _tenacity(self, node, call, is_async) -> RetryPolicy | None:
        spelling = self._spell(node, call)
        if call is not None and _decorates_by_hand(call, self.qualify):
            call = None  # retry(fetch): the bare decorator, called by hand
        keywords = {kw.arg: kw.value for kw in call.keywords if kw.arg} if call else {}
        opaque = call is not None and (bool(call.args) or any(kw.arg is None for kw in call.keywords))
        never = None
        if "stop" in keywords:
            if self._stop(keywords["stop"]) == NEVER:
                text = ast.unparse(keywords["stop"])
                never = f"has `stop={text}`, which never stops" + (
                    " (`&` stops only when every condition does)" if "&" in text or "stop_all" in text else "")
        elif not opaque:
            never = "has no `stop=`"
        retried = frozenset()
        retried_by = None
        if "retry" in keywords:
            retried = self._retried(keywords["retry"], is_async) or frozenset()
            retried_by = "retry=" + ast.unparse(keywords["retry"])
        return RetryPolicy(node, TENACITY, spelling, is_async, never, retried, retried_by)

    def _stop(self, expr: ast.expr, depth: int = 0) -> str | None:
        if depth > 10:
            return None
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.BitOr, ast.BitAnd)):
            parts = [self._stop(expr.left, depth + 1), self._stop(expr.right, depth + 1)]
            return _any_of(parts) if isinstance(expr.op, ast.BitOr) else _all_of(parts)
        if isinstance(expr, ast.Call):
            name = canonical(self.qualify(expr.func))
            if name in _TENACITY_FINITE_STOPS:
                return FINITE
            parts = [self._stop(a, depth + 1) for a in expr.args]
            if name == "tenacity.stop_any":
                return _any_of(parts)
            if name == "tenacity.stop_all":
                return _all_of(parts)
            return None
        name = canonical(self.qualify(expr))
        if name == "tenacity.stop_never":
            return NEVER
        constant = self._constant(expr)
        return self._stop(constant, depth + 1) if constant is not None else None

    def _retried(self, expr: ast.expr, is_async: bool, depth: int = 0) -> frozenset[str] | None:
        """The shutdown exceptions a tenacity ``retry=`` certainly retries; None if it cannot be told."""
        if depth > 10:
            return None
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.BitOr, ast.BitAnd)):
            parts = [self._retried(expr.left, is_async, depth + 1), self._retried(expr.right, is_async, depth + 1)]
            return _union(parts) if isinstance(expr.op, ast.BitOr) else _intersection(parts)
        if isinstance(expr, ast.Call):
            name = canonical(self.qualify(expr.func))
            types = expr.args[0] if expr.args else next(
                (kw.value for kw in expr.keywords if kw.arg == "exception_types"), None)
            if name == "tenacity.retry_if_exception_type":
                return shutdown_kinds(self._classify(types), is_async) if types is not None else frozenset()
            if name in ("tenacity.retry_if_not_exception_type", "tenacity.retry_unless_exception_type"):
                excluded = self._classify(types) if types is not None else Caught(frozenset(), False)
                return frozenset() if excluded.broad else _relevant(is_async) - excluded.kinds
            if name in _TENACITY_NOTHING_RETRIED:
                return frozenset()
            parts = [self._retried(a, is_async, depth + 1) for a in expr.args]
            if name == "tenacity.retry_any":
                return _union(parts)
            if name == "tenacity.retry_all":
                return _intersection(parts)
            return None
        name = canonical(self.qualify(expr))
        if name == "tenacity.retry_always":
            return _relevant(is_async)
        if name == "tenacity.retry_never":
            return frozenset()
        constant = self._constant(expr)
        return self._retried(constant, is_async, depth + 1) if constant is not None else None

    def _classify(self, types: ast.expr) -> Caught:
        """What exception types catch, read through a module constant (``RETRIED = (OSError, SystemExit)``)."""
        constant = self._constant(types)
        return classify(constant if constant is not None else types, self.imports)

    def _constant(self, expr: ast.expr) -> ast.expr | None:
        if isinstance(expr, ast.Name):
            return self.facts.constants.get(expr.id)
        return None

    def _backoff(self, node, call, is_async, on_exception: bool) -> RetryPolicy | None:
        keywords = {kw.arg: kw.value for kw in call.keywords if kw.arg}
        opaque = any(kw.arg is None for kw in call.keywords) or any(isinstance(a, ast.Starred) for a in call.args)
        wait_gen = call.args[0] if call.args else keywords.get("wait_gen")
        tries = self._backoff_limit(keywords.get("max_tries"), tries=True)
        time_limit = self._backoff_limit(keywords.get("max_time"), tries=False)
        never = None
        if not opaque and tries == NEVER and time_limit == NEVER and self._endless_waits(wait_gen, keywords):
            if "max_tries" in keywords and not is_none(keywords["max_tries"]):
                never = f"has `max_tries={ast.unparse(keywords['max_tries'])}`, which backoff treats as no limit, " \
                        "and no `max_time`"
            else:
                never = "has neither `max_tries` nor `max_time`"
        retried: frozenset[str] = frozenset()
        retried_by = None
        exception = call.args[1] if len(call.args) > 1 else keywords.get("exception")
        if on_exception and exception is not None:
            retried = shutdown_kinds(self._classify(exception), is_async)
            given_up = self._given_up(keywords.get("giveup"))
            retried = frozenset() if given_up is None else retried - given_up
            retried_by = ast.unparse(exception)
        spelling = self._spell(node, call)
        return RetryPolicy(node, BACKOFF, spelling, is_async, never, retried, retried_by)

    def _backoff_limit(self, expr: ast.expr | None, tries: bool) -> str | None:
        """NEVER when the argument sets no limit, FINITE when it does, None when it cannot be told."""
        if expr is None or is_none(expr):
            return NEVER
        constant = self._constant(expr)
        if constant is not None:
            expr = constant
        if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.USub) and isinstance(expr.operand, ast.Constant):
            return NEVER if tries else FINITE
        if isinstance(expr, ast.Constant) and isinstance(expr.value, (int, float)) and not isinstance(expr.value, bool):
            return NEVER if tries and expr.value < 1 else FINITE
        return None

    def _endless_waits(self, wait_gen: ast.expr | None, keywords: dict[str, ast.expr]) -> bool:
        name = canonical(self.qualify(wait_gen)) if wait_gen is not None else None
        if name not in _BACKOFF_ENDLESS_WAITS:
            return False  # a generator of its own may end, and ending gives up
        if name == "backoff.constant" and "interval" in keywords:
            interval = keywords["interval"]
            constant = self._constant(interval)
            interval = constant if constant is not None else interval
            return isinstance(interval, ast.Constant) and isinstance(interval.value, (int, float))
        return True

    def _given_up(self, giveup: ast.expr | None) -> frozenset[str] | None:
        """The shutdown exceptions a backoff ``giveup=`` predicate tests with isinstance; None if unreadable."""
        if giveup is None:
            return frozenset()
        if isinstance(giveup, ast.Lambda):
            body: list[ast.AST] = [giveup.body]
        elif isinstance(giveup, ast.Name) and giveup.id in self._module_functions:
            body = self._module_functions[giveup.id].body
        else:
            return None
        kinds: set[str] = set()
        for part in body:
            for node in ast.walk(part):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "isinstance" \
                        and len(node.args) == 2:
                    kinds |= self._classify(node.args[1]).kinds
        return frozenset(kinds)

    @cached_property
    def _module_functions(self) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
        return {n.name: n for n in self.facts.tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}

    def _retrying(self, node, call) -> RetryPolicy | None:
        spelling = self._spell(node, call)
        if call is not None and _decorates_by_hand(call, self.qualify):
            call = None  # retry(fetch)
        if call is not None:
            if call.args or any(kw.arg is None for kw in call.keywords):
                return None
            if any(kw.arg in _RETRYING_STOPS and not is_none(kw.value) for kw in call.keywords):
                return None
        never = "has no `stop_max_attempt_number`, `stop_max_delay` or `stop_func`"
        return RetryPolicy(node, RETRYING, spelling, False, never, frozenset(), None)

    def _stamina(self, node, call, is_async) -> RetryPolicy | None:
        keywords = {kw.arg: kw.value for kw in call.keywords if kw.arg}
        never = None
        if all(name in keywords and is_none(keywords[name]) for name in ("attempts", "timeout")):
            never = "has `attempts=None` and `timeout=None`"
        retried: frozenset[str] = frozenset()
        on = keywords.get("on")
        if on is not None:
            retried = shutdown_kinds(self._classify(on), is_async)
        spelling = self._spell(node, call)
        return RetryPolicy(node, STAMINA, spelling, is_async, never, retried, f"on={ast.unparse(on)}" if on else None)

    def _retry_package(self, node, call, is_async, is_call) -> RetryPolicy | None:
        """``@retry(tries=-1)`` of the ``retry`` package: ``tries`` is its only bound, -1 (the default) is none."""
        if is_async:
            return None
        keywords = {kw.arg: kw.value for kw in call.keywords if kw.arg} if call else {}
        if call is not None and any(kw.arg is None for kw in call.keywords):
            return None
        # ``retry(exceptions, tries, ...)``; ``retry_call(f, fargs, fkwargs, exceptions, tries, ...)``
        positional = list(call.args[3:] if is_call else call.args) if call else []
        for name, value in zip(("exceptions", "tries"), positional):
            keywords.setdefault(name, value)
        tries = keywords.get("tries")
        if tries is not None:
            value = tries.value if isinstance(tries, ast.Constant) else None
            if isinstance(tries, ast.UnaryOp) and isinstance(tries.op, ast.USub) and isinstance(tries.operand, ast.Constant):
                value = -tries.operand.value
            if not isinstance(value, (int, float)) or value > 0:
                return None
            never = f"has `tries={ast.unparse(tries)}`, which never stops"
        else:
            never = "has no `tries=` (the default, -1, retries forever)"
        retried = frozenset()
        exceptions = keywords.get("exceptions")
        if exceptions is not None:
            retried = shutdown_kinds(self._classify(exceptions), False)
        spelling = self._spell(node, call)
        return RetryPolicy(node, RETRY_PACKAGE, spelling, False, never, retried,
                           f"exceptions={ast.unparse(exceptions)}" if exceptions is not None else None)

    # -- shutdown-aware arguments -------------------------------------------------------

    def _watches_shutdown(self, call: ast.Call | None) -> bool:
        """A predicate that reads a stop flag (``giveup=lambda e: self._stopping``) gives up on shutdown."""
        if call is None:
            return False
        for kw in call.keywords:
            for node in self._user_names(kw.value):
                name = last_name(node)
                if name and not name[:1].isupper() and self.patterns.matches(name):
                    return True
        return False

    def _user_names(self, expr: ast.expr) -> Iterator[ast.expr]:
        """Names in lambdas, and callables passed bare, that are not the retry library's own."""
        if isinstance(expr, (ast.Name, ast.Attribute)):
            if not self._library_name(expr):
                yield expr
            return
        for node in ast.walk(expr):
            if isinstance(node, ast.Lambda):
                for inner in ast.walk(node.body):
                    if isinstance(inner, (ast.Name, ast.Attribute)) and not self._library_name(inner):
                        yield inner

    def _library_name(self, node: ast.expr) -> bool:
        name = self.qualify(node) or ""
        return name.split(".")[0] in _LIBRARIES


def _decorates_by_hand(call: ast.Call, qualify) -> bool:
    """``retry(fetch)``: the decorator function applied to a function, without arguments of its own."""
    return (canonical(qualify(call.func)) in ("tenacity.retry", "retrying.retry") and len(call.args) == 1
            and not call.keywords and isinstance(call.args[0], (ast.Name, ast.Attribute, ast.Lambda)))


def _gives_a_stop(call: ast.Call) -> bool:
    """``copy(stop=...)``, ``retry_with(stop_max_delay=...)``: a new bound, not just a new name or wait."""
    return any(kw.arg is None or kw.arg == "stop" or (kw.arg or "").startswith("stop_") for kw in call.keywords)


def _bound_names(function: ast.FunctionDef | ast.AsyncFunctionDef) -> frozenset[str]:
    """Parameters and names the function assigns (minus its ``global``/``nonlocal`` ones).

    Imports are left out: the module's import map already knows what an imported name is."""
    a = function.args
    names = {p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs)}
    names |= {p.arg for p in (a.vararg, a.kwarg) if p is not None}
    declared: set[str] = set()
    for node in walk_local(function.body):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            declared.update(node.names)
    return frozenset(names - declared)
