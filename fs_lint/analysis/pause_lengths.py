"""How long a pause in a loop can last, over all the times round the loop.

A pause is as long as its argument can get. The argument is followed through
constants (``30``, ``RETRY_DELAY = 30`` at module level, ``delay = 5`` before
the loop), through the variable's assignments inside the loop, and through
arithmetic, ``min``/``max`` and ``random.uniform``. The answer is a ``Length``:
an upper bound in seconds, ``INF`` with the place where it grows without limit,
or nothing known.

A variable *grows* when the loop multiplies or exponentiates it
(``delay *= 2``, ``delay = delay * k``, ``delay += delay``, ``2 ** attempt``,
``pow(2, n)``, ``1 << n`` with a counter ``n``). It is *capped* when some
assignment in the loop clamps it (``delay = min(delay * 2, 60)``,
``if delay > cap: delay = cap``, ``delay = cap if delay > cap else delay``), or
only grows under a guard (``if delay < 60: delay *= 2``). The order of the
statements is not followed: a clamp anywhere in the loop caps the growth.
Adding a step (``attempt += 1``) is a counter: slow, so not growth by itself,
but it makes ``2 ** attempt`` grow.

Anything not understood (a call, a parameter, an attribute set elsewhere, a
cap read from configuration) is *unknown*, and the rules stay silent on it.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from typing import Iterator, Sequence

from ..syntax.local_nodes import bound_targets, key, keys_read, walk_local
from .module_facts import ModuleFacts
from .pauses import Pause
from .retry_loops import Loop

INF = math.inf

_TRY_TYPES = (ast.Try,) + ((ast.TryStar,) if hasattr(ast, "TryStar") else ())
_SAME_VALUE_CALLS = frozenset({"float", "int", "abs", "round", "math.ceil", "math.floor"})
_RANDOM_BETWEEN = frozenset({"random.uniform", "random.randint", "random.randrange", "random.triangular"})


@dataclass(frozen=True)
class Length:
    upper: float | None = None  # the longest it gets, in the argument's unit; INF: no limit; None: unknown
    growth: ast.AST | None = None  # where it grows without limit (set when upper is INF because of growth)
    linear: bool = False  # goes up by a step each time round, without limit (a counter)
    self_ref: bool = False  # the variable's own previous value, made no larger
    exact: bool = False  # ``upper`` is the one value it has (``30``, ``RETRY_DELAY``, ``5 * 60``)

    @property
    def grows_without_limit(self) -> bool:
        return self.upper == INF and self.growth is not None


UNKNOWN = Length()
SELF = Length(self_ref=True)
LINEAR = Length(linear=True)


def _growth(site: ast.AST) -> Length:
    return Length(INF, site)


def _constant(node: ast.expr | None) -> float | None:
    """The value of a positive number literal, else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value) if node.value > 0 else None
    return None


# What an assignment in the loop does to the variable.
GROWTH = "growth"  # makes it grow without limit: delay *= 2
CLAMP = "clamp"  # bounds it, reading it: delay = min(delay * 2, 60), if delay > 60: delay = 60
COUNTER = "counter"  # adds a step: attempt += 1
PLAIN = "plain"  # sets it afresh: delay = 1
SAME = "same"  # makes it no larger: delay /= 2


@dataclass
class _Def:
    statement: ast.stmt
    length: Length
    kind: str


Guard = tuple[str, str, ast.expr]  # (key, "upper" or "lower", bound): in this branch key <= bound, or >= bound


def pause_length(facts: ModuleFacts, pause: Pause) -> Length:
    """How long ``pause`` can get. Growth inside a loop bounded by a count or a deadline is not known."""
    if pause.duration is None:
        return UNKNOWN
    length = _Estimator(facts, pause.loops).value(pause.duration, {})
    if length.grows_without_limit:
        if pause.innermost.is_bounded:
            return UNKNOWN
        if any(node is length.growth for node in ast.walk(pause.call)):
            return Length(INF, pause.call)  # grows right in the call: ``time.sleep(2 ** attempt)``
    return length


def length_in_callee(facts: ModuleFacts, loop: Loop, callee: ast.FunctionDef | ast.AsyncFunctionDef,
                     duration: ast.expr) -> Length:
    """How long a pause in ``callee`` (a function the loop calls, with no loop of its own around the pause) can
    get: its constants, module constants, arithmetic, and locals the callee assigns once; its parameters and
    attributes are not known."""
    env: dict[str, Length] = {}
    assigned: dict[str, list[ast.expr | None]] = {}
    for node in walk_local(callee.body):
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr)):
            targets, value = (node.targets if isinstance(node, ast.Assign) else [node.target]), node.value
        elif isinstance(node, (ast.AugAssign, ast.For, ast.AsyncFor)):
            targets, value = [node.target], None
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            targets, value = [item.optional_vars for item in node.items if item.optional_vars is not None], None
        else:
            continue
        for target in targets:
            for bound in bound_targets(target):
                k = key(bound)
                if k:  # a value is only the name's when the name is the whole target (not ``a, b = pair``)
                    assigned.setdefault(k, []).append(value if bound is target else None)
    a = callee.args
    for parameter in (*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg):
        if parameter is not None:
            env[parameter.arg] = UNKNOWN
    estimator = _Estimator(facts, (loop,))

    def bind(expression: ast.expr, depth: int) -> None:
        """Put in ``env`` what the helper's own names in ``expression`` hold (its locals assigned once)."""
        for k in sorted(keys_read(expression)):
            if k in env:
                continue
            if "." in k:
                env[k] = UNKNOWN
            elif k in assigned:
                values = assigned[k]
                env[k] = UNKNOWN  # until known: a name assigned from itself stays unknown
                if len(values) == 1 and values[0] is not None and depth < 4:
                    bind(values[0], depth + 1)
                    env[k] = estimator.value(values[0], env)

    bind(duration, 0)
    return estimator.value(duration, env)


class _Estimator:
    def __init__(self, facts: ModuleFacts, loops: Sequence[Loop]) -> None:
        self.facts = facts
        self.loops = loops
        self.loop = loops[-1]
        self.qualify = facts.analysis.imports.qualified_name
        self._visiting: set[str] = set()

    # -- expressions ------------------------------------------------------------------

    def value(self, node: ast.expr, env: dict[str, Length]) -> Length:
        if isinstance(node, ast.Constant):
            ok = isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
            return Length(float(node.value), exact=True) if ok and node.value >= 0 else UNKNOWN
        if isinstance(node, (ast.Name, ast.Attribute)):
            k = key(node)
            if k is None:
                return UNKNOWN
            return env[k] if k in env else self.variable(k)
        if isinstance(node, ast.BinOp):
            return self._binop(node.op, self.value(node.left, env), self.value(node.right, env), node, node.right)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd):
            return self.value(node.operand, env)
        if isinstance(node, ast.IfExp):
            when_true, when_false = _guards(node.test)
            return _largest([self.value(node.body, self._guarded(env, when_true)),
                             self.value(node.orelse, self._guarded(env, when_false))])
        if isinstance(node, ast.Call):
            return self._call(node, env)
        return UNKNOWN

    def _call(self, node: ast.Call, env: dict[str, Length]) -> Length:
        name = self.qualify(node.func)
        args = node.args
        if any(isinstance(a, ast.Starred) for a in args) or node.keywords and name not in _RANDOM_BETWEEN:
            return UNKNOWN
        if name in ("min", "max") and len(args) == 1 and isinstance(args[0], (ast.List, ast.Tuple)):
            args = args[0].elts
        if name == "min" and args:
            return _smallest([self.value(a, env) for a in args])
        if name == "max" and args:
            return _largest([self.value(a, env) for a in args])
        if name in ("pow", "math.pow") and len(args) == 2:
            return self._binop(ast.Pow(), self.value(args[0], env), self.value(args[1], env), node, args[1])
        if name in _SAME_VALUE_CALLS and len(args) == 1:
            return self.value(args[0], env)
        if name in _RANDOM_BETWEEN and len(args) >= 2:
            return _largest([self.value(a, env) for a in args[:2]])
        if name == "random.random" and not args:
            return Length(1.0)
        return UNKNOWN

    def _binop(self, op: ast.operator, left: Length, right: Length, node: ast.AST,
               right_expr: ast.expr | None = None) -> Length:
        if isinstance(op, ast.Add):
            if left.self_ref and right.self_ref:
                return _growth(node)  # delay += delay
            if left.self_ref or right.self_ref:
                step = right if left.self_ref else left
                return SELF if step.upper == 0 else LINEAR
            return _sum(left, right)
        if isinstance(op, ast.Mult):
            if left.self_ref or right.self_ref:
                factor = right if left.self_ref else left
                if factor.upper is not None and factor.upper <= 1 and not (factor.growth or factor.linear):
                    return SELF  # delay *= 0.5
                return _growth(node)  # delay *= 2, delay = delay * factor
            return _product(left, right)
        if isinstance(op, (ast.Pow, ast.LShift)):
            base, exponent = (left, right) if isinstance(op, ast.Pow) else (Length(2.0), right)
            if left.self_ref:
                return _growth(node)  # delay **= 2, delay <<= 1
            power = _power(base, exponent, node)
            return power if isinstance(op, ast.Pow) else _product(left, power)
        if isinstance(op, (ast.Sub, ast.Div, ast.FloorDiv)):
            if left.self_ref:
                return SELF  # delay -= 1, delay /= 2: no longer than before
            if right.self_ref or right.growth or right.linear:
                return UNKNOWN
            if isinstance(op, ast.Sub) or left.grows_without_limit:
                return left  # taking away a (non-negative) amount makes nothing longer
            divisor = _constant(right_expr)
            if left.upper is None or not divisor:
                return UNKNOWN
            return Length(left.upper / divisor, exact=left.exact)  # delay_ms / 1000
        if isinstance(op, ast.Mod):
            return Length(right.upper) if right.upper is not None and right.upper != INF else UNKNOWN
        return UNKNOWN

    # -- variables --------------------------------------------------------------------

    def variable(self, k: str) -> Length:
        if k in self._visiting:
            return UNKNOWN
        self._visiting.add(k)
        try:
            return self._variable(k)
        finally:
            self._visiting.discard(k)

    def _variable(self, k: str) -> Length:
        for loop in reversed(self.loops):
            node = loop.node
            if isinstance(node, (ast.For, ast.AsyncFor)) and k in _target_keys(node.target):
                return self._iteration_value(node.iter) if key(node.target) == k else UNKNOWN
        inside = list(self._defs_in_loop(k))
        outside = list(self._defs_outside_loop(k))
        if not inside and not outside:
            if "." not in k and not self._is_parameter(k) and k in self.facts.constants:
                return self.value(self.facts.constants[k], {})
            return UNKNOWN
        growth = [d for d in inside if d.kind == GROWTH]
        clamps = [d for d in inside if d.kind == CLAMP]
        counts = any(d.kind == COUNTER for d in inside)
        if (growth or counts) and self._reset_every_time_round(inside):
            return UNKNOWN  # it only grows within one time round
        if growth and not clamps:
            return Length(INF, growth[0].statement)
        if counts and not clamps:
            return LINEAR
        exact = self._guarded_doubling_ceiling(k, inside, outside)
        if exact is not None:
            return exact
        settled = [d.length for d in inside + outside if d.kind in (CLAMP, PLAIN)]
        if self._is_parameter(k):
            settled.append(UNKNOWN)
        return _largest(settled) if settled else UNKNOWN

    def _guarded_doubling_ceiling(self, k: str, inside: list[_Def], outside: list[_Def]) -> Length | None:
        """``ebo = 1`` … ``if ebo < 512: ebo *= 2``: the value climbs 1, 2, … 512 and stays: 512, not 1024.

        Only for that exact shape: one start value, and multiplications by one constant factor each
        under an ``if k < cap`` (or ``<=``) on a constant cap, with no other assignment in the loop.
        Several such guards (an inner wait that doubles up to 512, an outer retry up to 60) reach
        the largest of their ceilings.
        """
        growing = [d for d in inside if d.kind == CLAMP]
        if not growing:
            return None
        start = self._set_right_before_the_loop(k)
        if start is None:  # else every other assignment must be the same constant start
            starts = [d for d in inside + outside if d.kind == PLAIN]
            if len(growing) + len(starts) != len(inside) + len(outside) or not starts:
                return None
            start_values = {d.length.upper for d in starts}
            if len(start_values) != 1 or not all(d.length.exact for d in starts):
                return None
            (start,) = start_values
        elif any(d.kind != CLAMP and not (d.kind == PLAIN and d.length.exact and d.length.upper == start)
                 for d in inside):
            return None  # only resets to the same start may sit beside the guarded growth
        factors, ceilings = set(), []
        for definition in growing:
            statement = definition.statement
            factor = _growth_factor(statement, k)
            if factor is None or factor <= 1:
                return None
            guard = self._guard_of(statement, k)
            if guard is None:
                return None
            factors.add(factor)
            cap, strict = guard
            if start is None or start <= 0:
                return None
            value = start
            while (value < cap) if strict else (value <= cap):
                value *= factor
            ceilings.append(value)
        if len(factors) != 1:
            return None
        return Length(max([start, *ceilings]))

    def _set_right_before_the_loop(self, k: str) -> float | None:
        """``ebo = 1`` just before the loop, in the same block: the value every run of the loop starts from."""
        function = self.loop.function.node
        body = function.body if function is not None else self.facts.tree.body
        for node in [function, *walk_local(body)] if function is not None else walk_local(body):
            for field in ("body", "orelse", "finalbody"):
                block = getattr(node, field, None)
                if not isinstance(block, list):
                    continue
                for index, stmt in enumerate(block):
                    if stmt is self.loop.node and index > 0:
                        before = block[index - 1]
                        if isinstance(before, ast.Assign) and len(before.targets) == 1 \
                                and key(before.targets[0]) == k:
                            return _constant(before.value)
                        return None
        return None

    def _guard_of(self, statement: ast.stmt, k: str) -> tuple[float, bool] | None:
        """The constant cap and strictness of the ``if k < cap:`` right around ``statement``."""
        for node in walk_local(self.loop.node.body):
            if isinstance(node, ast.If) and statement in node.body and isinstance(node.test, ast.Compare) \
                    and len(node.test.ops) == 1 and isinstance(node.test.ops[0], (ast.Lt, ast.LtE)) \
                    and key(node.test.left) == k:
                cap = _constant(node.test.comparators[0])
                if cap is not None:
                    return cap, isinstance(node.test.ops[0], ast.Lt)
        return None

    def _reset_every_time_round(self, defs: list[_Def]) -> bool:
        """An assignment straight in the loop's body, not under an ``if`` or ``try``, runs every time round."""
        body = self.loop.node.body
        return any(d.kind == PLAIN and any(d.statement is s for s in body) for d in defs)

    def _iteration_value(self, iterable: ast.expr) -> Length:
        if isinstance(iterable, (ast.List, ast.Tuple, ast.Set)):
            return _largest([self.value(e, {}) for e in iterable.elts])  # for delay in (1, 5, 30)
        if not isinstance(iterable, ast.Call) or iterable.keywords:
            return UNKNOWN
        name = self.qualify(iterable.func)
        if name == "range" and 1 <= len(iterable.args) <= 3:
            stop = self.value(iterable.args[0 if len(iterable.args) == 1 else 1], {})
            if stop.upper is None or stop.upper == INF:
                return UNKNOWN
            return Length(max(stop.upper - 1, 0.0))
        if name == "itertools.count":
            return LINEAR
        return UNKNOWN

    def _is_parameter(self, k: str) -> bool:
        function = self.loop.function.node
        if function is None:
            return False
        a = function.args
        names = [p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs)]
        names += [p.arg for p in (a.vararg, a.kwarg) if p is not None]
        return k in names

    def _defs_in_loop(self, k: str) -> Iterator[_Def]:
        for statement, guards in _statements(self.loop.node.body, ()):
            value = _assigned_value(statement, k)
            if value is None:
                continue
            if value is _UNKNOWN_VALUE:
                yield _Def(statement, UNKNOWN, PLAIN)
                continue
            env = self._guarded({k: SELF}, guards)
            if isinstance(statement, ast.AugAssign):
                length = self._binop(statement.op, env[k], self.value(statement.value, env), statement, statement.value)
            else:
                length = self.value(value, env)
            yield _Def(statement, *_classify(length, statement, value, k, guards))

    def _defs_outside_loop(self, k: str) -> Iterator[_Def]:
        function = self.loop.function.node
        body = function.body if function is not None else self.facts.tree.body
        inside = set(walk_local(self.loop.node.body))
        for node in walk_local(body):
            if node in inside or not isinstance(node, ast.stmt):
                continue
            value = _assigned_value(node, k)
            if value is None:
                continue
            if value is _UNKNOWN_VALUE or isinstance(node, ast.AugAssign):
                yield _Def(node, UNKNOWN, PLAIN)
            else:
                yield _Def(node, self.value(value, {}), PLAIN)

    def _guarded(self, env: dict[str, Length], guards: Sequence[Guard]) -> dict[str, Length]:
        """In a branch where ``key <= bound``, the key is at most what the bound is."""
        uppers = [(k, bound) for k, side, bound in guards if side == "upper"]
        if not uppers:
            return env
        env = dict(env)
        for k, bound in uppers:
            env[k] = self.value(bound, {})
        return env


def _classify(length: Length, statement: ast.stmt, value: ast.expr, k: str,
              guards: Sequence[Guard]) -> tuple[Length, str]:
    if length.grows_without_limit:
        return Length(INF, statement), GROWTH
    if length.self_ref:
        return length, SAME
    if length.linear:
        return length, COUNTER
    refers_to_itself = isinstance(statement, ast.AugAssign) or k in keys_read(value)
    if refers_to_itself or any(g[0] == k and g[1] == "lower" for g in guards):
        return length, CLAMP
    return length, PLAIN


_UNKNOWN_VALUE = ast.expr()  # a binding whose value cannot be read: a tuple target, ``with ... as``, ``for``


def _assigned_value(statement: ast.AST, k: str) -> ast.expr | None:
    """The value ``statement`` gives ``k``, ``_UNKNOWN_VALUE`` if it binds it otherwise, else None."""
    if isinstance(statement, ast.Assign):
        for target in statement.targets:
            if key(target) == k:
                return statement.value
            if k in _target_keys(target):
                return _UNKNOWN_VALUE
    elif isinstance(statement, (ast.AugAssign, ast.AnnAssign)):
        if key(statement.target) == k and statement.value is not None:
            return statement.value
    elif isinstance(statement, (ast.For, ast.AsyncFor)):
        if k in _target_keys(statement.target):
            return _UNKNOWN_VALUE
    elif isinstance(statement, (ast.With, ast.AsyncWith)):
        if any(item.optional_vars is not None and k in _target_keys(item.optional_vars) for item in statement.items):
            return _UNKNOWN_VALUE
    return None


def _target_keys(target: ast.expr) -> set[str]:
    return {k for k in map(key, bound_targets(target)) if k}


def _statements(body: Sequence[ast.stmt], guards: tuple[Guard, ...]) -> Iterator[tuple[ast.stmt, tuple[Guard, ...]]]:
    """Each statement of a block, nested ones too (not in nested defs), with the ``if`` guards above it."""
    for statement in body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        yield statement, guards
        if isinstance(statement, ast.If):
            when_true, when_false = _guards(statement.test)
            yield from _statements(statement.body, guards + when_true)
            yield from _statements(statement.orelse, guards + when_false)
        elif isinstance(statement, (ast.For, ast.AsyncFor, ast.While)):
            yield from _statements(statement.body, guards)
            yield from _statements(statement.orelse, guards)
        elif isinstance(statement, (ast.With, ast.AsyncWith)):
            yield from _statements(statement.body, guards)
        elif isinstance(statement, _TRY_TYPES):
            for block in (statement.body, *(h.body for h in statement.handlers), statement.orelse, statement.finalbody):
                yield from _statements(block, guards)
        elif isinstance(statement, ast.Match):
            for case in statement.cases:
                yield from _statements(case.body, guards)


def _guards(test: ast.expr) -> tuple[tuple[Guard, ...], tuple[Guard, ...]]:
    """What a test says about a variable's bound where it is true, and where it is false."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        when_true, when_false = _guards(test.operand)
        return when_false, when_true
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return tuple(g for value in test.values for g in _guards(value)[0]), ()
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return (), ()
    left, op, right = test.left, test.ops[0], test.comparators[0]
    if key(right) and not key(left):
        left, right = right, left
        op = {ast.Lt: ast.Gt(), ast.LtE: ast.GtE(), ast.Gt: ast.Lt(), ast.GtE: ast.LtE()}.get(type(op), op)
    k = key(left)
    if not k:
        return (), ()
    if isinstance(op, (ast.Lt, ast.LtE)):
        return ((k, "upper", right),), ((k, "lower", right),)
    if isinstance(op, (ast.Gt, ast.GtE)):
        return ((k, "lower", right),), ((k, "upper", right),)
    return (), ()


# -- combining lengths --------------------------------------------------------------------

def _sum(left: Length, right: Length) -> Length:
    for part in (left, right):
        if part.grows_without_limit:
            return part
    if left.linear or right.linear:
        return LINEAR
    if left.upper is None or right.upper is None:
        return UNKNOWN
    return Length(left.upper + right.upper, exact=left.exact and right.exact)


def _product(left: Length, right: Length) -> Length:
    for part, other in ((left, right), (right, left)):
        if part.grows_without_limit:
            return UNKNOWN if other.upper == 0 else part
    if left.linear or right.linear:
        return UNKNOWN if 0 in (left.upper, right.upper) else LINEAR
    if left.upper is None or right.upper is None:
        return UNKNOWN
    if INF in (left.upper, right.upper):
        return Length(INF) if 0 not in (left.upper, right.upper) else Length(0.0)
    return Length(left.upper * right.upper, exact=left.exact and right.exact)


def _power(base: Length, exponent: Length, node: ast.AST) -> Length:
    if exponent.self_ref or base.self_ref:
        return UNKNOWN
    if base.grows_without_limit:
        return base
    if exponent.grows_without_limit or exponent.linear:
        if base.upper is not None and base.upper <= 1:
            return UNKNOWN
        return _growth(node)  # 2 ** attempt
    if base.upper is None or exponent.upper is None:
        return UNKNOWN
    try:
        return Length(float(base.upper ** exponent.upper), exact=base.exact and exponent.exact)
    except OverflowError:
        return Length(INF)


def _smallest(parts: list[Length]) -> Length:
    """``min(...)``: capped by the smallest known bound; unknown if a part is unknown and none is known."""
    known = [p.upper for p in parts if p.upper is not None and p.upper != INF]
    if known:
        return Length(min(known))
    if any(p.upper is None and not p.linear for p in parts):
        return UNKNOWN
    growing = [p for p in parts if p.grows_without_limit]
    return growing[0] if growing else (LINEAR if any(p.linear for p in parts) else UNKNOWN)


def _largest(parts: list[Length]) -> Length:
    """``max(...)``, or a value that is one of several: as long as the longest."""
    for part in parts:
        if part.grows_without_limit:
            return part
    if any(p.linear for p in parts):
        return LINEAR
    if not parts or any(p.upper is None for p in parts):
        return UNKNOWN
    upper = max(p.upper for p in parts)
    return Length(upper, exact=all(p.exact and p.upper == upper for p in parts))


def _growth_factor(statement: ast.stmt, k: str) -> float | None:
    """The constant ``k`` is multiplied by: ``k *= 2``, or ``k = k * 2`` (``2 * k``)."""
    if isinstance(statement, ast.AugAssign) and isinstance(statement.op, ast.Mult):
        return _constant(statement.value)
    if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.BinOp) \
            and isinstance(statement.value.op, ast.Mult):
        left, right = statement.value.left, statement.value.right
        if key(left) == k:
            return _constant(right)
        if key(right) == k:
            return _constant(left)
    return None
