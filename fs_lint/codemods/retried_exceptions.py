"""The safe half of FSR004's fix: a retry policy stops retrying the exceptions that mean "stop".

Where the policy names the exceptions it retries (tenacity's
``retry_if_exception_type(...)``, backoff's exception argument, stamina's
``on=``), ``BaseException`` becomes ``Exception`` and a named shutdown exception
(``KeyboardInterrupt``, ``SystemExit``, ``asyncio.CancelledError``) is taken out:
``(OSError, KeyboardInterrupt)`` becomes ``OSError``, ``(BaseException,
Exception)`` becomes ``Exception``. A ``retry_if_exception_type(SystemExit)``
that retries nothing else goes from a ``|`` (or ``retry_any(...)``) of
conditions. ``retry_if_not_exception_type(X)``, which retries everything that
is not an ``X``, becomes ``retry_if_not_exception_type(X) &
retry_if_exception_type(Exception)``: still everything but ``X``, except what
is not an ``Exception``, which is only the shutdown exceptions.

Taking a named shutdown exception out is safe: only a stop request is no longer
retried. Replacing ``BaseException`` by ``Exception`` (and adding
``retry_if_exception_type(Exception)`` to an everything-but condition) is not:
the policy also stops retrying the other ``BaseException`` subclasses it
retried, gevent's ``Timeout`` or a library's own errors, so ``narrows_broad``
makes that fix unsafe, said in its reason.

Refused: a policy that retries nothing but shutdown exceptions (what it should
retry instead is for a person to say), retried types that come from a module
constant (change them where they are defined), ``retry_unless_exception_type``
and ``retry_always`` (they also retry calls that succeeded, which ``Exception``
cannot express), and a module that binds its own name ``Exception``.
"""

from __future__ import annotations

import ast
from functools import partial

import libcst as cst

from ..analysis.module_facts import ModuleFacts
from ..analysis.retry_decorators import BACKOFF, STAMINA, TENACITY, RetryPolicy, canonical
from ..analysis.shutdown_exceptions import classify
from .base import CannotFix, FixContext, NodeChange
from .comma_lists import Where, argument, keyword, replace_argument
from .exception_lists import edit_exception_types, exception_named
from .tenacity_names import NameReference, tenacity_name

_EXCEPTION = frozenset({"Exception", "builtins.Exception"})
_BY_TYPE = "tenacity.retry_if_exception_type"
_ALL_BUT = "tenacity.retry_if_not_exception_type"
_REFUSED = {
    "tenacity.retry_unless_exception_type": "retries every call that does not raise one of them, a success too, "
                                            "so `Exception` cannot say what it should retry; write the "
                                            "condition by hand",
    "tenacity.retry_always": "retries every call, a success too; say which errors to retry with "
                             "`retry_if_exception_type(...)` by hand",
}


def narrows_broad(policy: RetryPolicy, context: FixContext) -> str | None:
    """Why the fix changes what a normal run retries, when it narrows ``BaseException`` to ``Exception``."""
    qualify = context.analysis.imports.qualified_name
    for node in ast.walk(policy.node):
        if isinstance(node, (ast.Name, ast.Attribute)) and qualify(node) in ("BaseException", "builtins.BaseException"):
            return ("`Exception` instead of `BaseException` also stops retrying the other BaseException subclasses "
                    "(gevent's Timeout, a library's own errors)")
        if isinstance(node, ast.Call) and canonical(qualify(node.func)) == _ALL_BUT:
            return ("`retry_if_exception_type(Exception)` also stops retrying the other BaseException subclasses "
                    "(gevent's Timeout, a library's own errors)")
    return None


def stop_retrying_shutdown(policy: RetryPolicy, context: FixContext) -> tuple[list[NodeChange], list[NameReference]]:
    """The changes that take the shutdown exceptions out of what ``policy`` retries, and the tenacity
    names they need (their imports)."""
    call = policy.node
    if not isinstance(call, ast.Call):
        raise CannotFix(f"`{policy.spelling}` names no exceptions to change")
    if policy.library == TENACITY:
        return _tenacity(call, context)
    if policy.library == BACKOFF:
        where: Where = 1 if len(call.args) > 1 else "exception"
    elif policy.library == STAMINA:
        where = "on"
    else:
        raise CannotFix(f"`{policy.spelling}` names no exceptions to change")
    types = _ast_argument(call, where)
    if types is None:
        raise CannotFix(f"`{policy.spelling}` names no exceptions to change")
    _refuse_a_constant(types, context)
    replace, drop = _narrowing(types, context)
    if len(drop) == _count(types):
        raise CannotFix(f"`{policy.spelling}` retries only shutdown exceptions; which errors it should retry "
                        "is for a person to decide")
    edit = partial(_edit_types, where=where, replace=replace, drop=drop)
    return [NodeChange(cst.Call, context.position(call), edit)], []


def _tenacity(call: ast.Call, context: FixContext) -> tuple[list[NodeChange], list[NameReference]]:
    condition = next((kw.value for kw in call.keywords if kw.arg == "retry"), None)
    if condition is None:
        raise CannotFix("found no `retry=` condition to change")
    qualify = context.analysis.imports.qualified_name
    if isinstance(condition, ast.Name) and condition.id in ModuleFacts.of(context.analysis).constants:
        raise CannotFix(f"the retry condition comes from `{condition.id}`; take the shutdown exceptions out "
                        "where it is defined")
    changes: list[NodeChange] = []
    names: list[NameReference] = []
    dropped = _Dropped()
    for node in ast.walk(condition):
        if not isinstance(node, ast.Call):
            continue
        name = canonical(qualify(node.func))
        if name in _REFUSED:
            raise CannotFix(f"`{ast.unparse(node)}` {_REFUSED[name]}")
        if name == _ALL_BUT:
            if not node.args and not node.keywords:
                raise CannotFix(f"`{ast.unparse(node)}` retries nothing but what is not an Exception; which errors "
                                "it should retry is for a person to decide")
            _require_builtin_exception(context)
            reference = tenacity_name(context, node.func, "retry_if_exception_type")
            names.append(reference)
            changes.append(NodeChange(cst.Call, context.position(node), partial(
                _only_exceptions, retry_if_exception_type=reference.text, parenthesize=node is not condition)))
        elif name == _BY_TYPE:
            changes.extend(_by_type(node, condition, context, dropped))
    for node in ast.walk(condition):
        name = canonical(qualify(node)) if isinstance(node, (ast.Name, ast.Attribute)) else None
        if name in _REFUSED:
            raise CannotFix(f"`{ast.unparse(node)}` {_REFUSED[name]}")
    if dropped.planned:
        changes.append(NodeChange(cst.Call, context.position(call), dropped.apply))
    if not changes:
        raise CannotFix(f"found no exception type to change in `{ast.unparse(condition)}`")
    return changes, names


def _by_type(node: ast.Call, condition: ast.expr, context: FixContext, dropped: "_Dropped") -> list[NodeChange]:
    where: Where = 0 if node.args else "exception_types"
    types = _ast_argument(node, where)
    if types is None:
        return []  # ``retry_if_exception_type()`` retries Exception
    if _refuse_a_constant(types, context):
        return []
    replace, drop = _narrowing(types, context, allow_nothing=True)
    if not replace and not drop:
        return []
    if len(drop) < _count(types):
        edit = partial(_edit_types, where=where, replace=replace, drop=drop)
        return [NodeChange(cst.Call, context.position(node), edit)]
    if not _in_a_union(node, condition, context):
        raise CannotFix(f"`{ast.unparse(node)}` retries only shutdown exceptions; which errors it should retry "
                        "is for a person to decide")
    return [NodeChange(cst.Call, context.position(node), dropped.marker())]


def _refuse_a_constant(types: ast.expr, context: FixContext) -> bool:
    """True when ``types`` is a module constant without shutdown exceptions; refuse one with them:
    other code may read the constant, so it is changed where it is defined, by hand."""
    constants = ModuleFacts.of(context.analysis).constants
    if not (isinstance(types, ast.Name) and types.id in constants):
        return False
    value = constants[types.id]
    if classify(value, context.analysis.imports).kinds:
        raise CannotFix(f"the retried exceptions come from `{types.id}` (line {value.lineno}); take the shutdown "
                        "exceptions out where it is defined")
    return True


def _in_a_union(node: ast.AST, condition: ast.expr, context: FixContext) -> bool:
    """Is ``node`` one of the conditions of a ``|`` or ``retry_any(...)``, all the way up to ``retry=``?"""
    qualify = context.analysis.imports.qualified_name
    if node is condition:
        return False
    while node is not condition:
        parent = context.parents[id(node)]
        union = (isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.BitOr)) or (
            isinstance(parent, ast.Call) and canonical(qualify(parent.func)) == "tenacity.retry_any"
            and any(a is node for a in parent.args))
        if not union:
            return False
        node = parent
    return True


def _ast_argument(call: ast.Call, where: Where) -> ast.expr | None:
    if isinstance(where, int):
        return call.args[where] if len(call.args) > where else None
    return next((kw.value for kw in call.keywords if kw.arg == where), None)


def _count(types: ast.expr) -> int:
    return len(types.elts) if isinstance(types, ast.Tuple) else 1


def _narrowing(types: ast.expr, context: FixContext, allow_nothing: bool = False) -> tuple[dict, set[int]]:
    """Which elements become ``Exception`` (BaseException) and which go (named shutdown exceptions, and an
    ``Exception`` already there once another element is one)."""
    imports = context.analysis.imports
    elements = types.elts if isinstance(types, ast.Tuple) else [types]
    if any(isinstance(e, ast.Starred) or isinstance(e, ast.Tuple) for e in elements):
        raise CannotFix(f"`{ast.unparse(types)}` unpacks or nests its exception types; change it by hand")
    caught = [classify(e, imports) for e in elements]
    broad = {i for i, c in enumerate(caught) if c.broad}
    if broad:
        _require_builtin_exception(context)
    named = {i for i, c in enumerate(caught) if c.kinds and not c.broad}
    if not broad and not named and not allow_nothing:
        raise CannotFix(f"found no shutdown exception in `{ast.unparse(types)}`")
    rename = partial(exception_named, name="Exception")
    exceptions = [i for i, e in enumerate(elements) if i in broad or imports.qualified_name(e) in _EXCEPTION]
    return {i: rename for i in broad}, named | set(exceptions[1:])


def _require_builtin_exception(context: FixContext) -> None:
    if "Exception" in context.bound_names:
        raise CannotFix("this module binds its own name `Exception`, so retrying `Exception` might not mean "
                        "the built-in")


def _edit_types(call: cst.Call, where: Where, replace: dict, drop: set[int]) -> cst.Call:
    return replace_argument(call, where, edit_exception_types(argument(call, where), replace, drop))


def _only_exceptions(call: cst.Call, retry_if_exception_type: str, parenthesize: bool) -> cst.BinaryOperation:
    """``retry_if_not_exception_type(X)`` -> ``retry_if_not_exception_type(X) & retry_if_exception_type(Exception)``,
    in parentheses when it is part of a larger condition."""
    only = cst.Call(func=cst.parse_expression(retry_if_exception_type), args=[cst.Arg(cst.Name("Exception"))])
    both = cst.BinaryOperation(left=call.with_changes(lpar=(), rpar=()), operator=cst.BitAnd(), right=only)
    if parenthesize and not call.lpar:
        return both.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return both.with_changes(lpar=call.lpar, rpar=call.rpar)


class _Dropped:
    """The conditions that retry only shutdown exceptions: marked where they are, then taken out of the
    ``|`` (or ``retry_any``) that holds them by the policy's call, which LibCST leaves last."""

    def __init__(self) -> None:
        self._marked: list[cst.Call] = []
        self.planned = False

    def marker(self):  # type: ignore[no-untyped-def]
        self.planned = True
        return self._mark

    def _mark(self, call: cst.Call) -> cst.Call:
        self._marked.append(call)
        return call

    def apply(self, policy: cst.Call) -> cst.Call:
        condition = keyword(policy, "retry")
        if condition is None:
            raise CannotFix("the `retry=` condition is no longer where it was planned")
        kept = self._without(condition.value)
        if kept is None or self._holds_marked(kept):
            raise CannotFix("the conditions to take out were not found in a `|` of conditions")
        if _comments(kept) < _comments(condition.value):
            raise CannotFix("the comments around the conditions to take out would be lost; take them out by hand")
        return replace_argument(policy, "retry", kept)

    def is_marked(self, node: cst.CSTNode) -> bool:
        return any(node is marked for marked in self._marked)

    def _without(self, expression: cst.BaseExpression) -> cst.BaseExpression | None:
        """``expression`` without the marked conditions (which only stand in unions: the planner saw to it)."""
        if self.is_marked(expression):
            return None
        if isinstance(expression, cst.BinaryOperation) and isinstance(expression.operator, cst.BitOr):
            left, right = self._without(expression.left), self._without(expression.right)
            if left is None or right is None:
                return left if right is None else right
            return expression.with_changes(left=left, right=right)
        if isinstance(expression, cst.Call) and self._holds_marked(expression):
            args = []
            for arg in expression.args:
                value = self._without(arg.value)
                if value is not None:
                    args.append(arg.with_changes(value=value))
            if not args:
                return None
            last = expression.args[-1]
            args[-1] = args[-1].with_changes(comma=last.comma, whitespace_after_arg=last.whitespace_after_arg)
            return expression.with_changes(args=args)
        return expression

    def _holds_marked(self, expression: cst.CSTNode) -> bool:
        finder = _Finder(self)
        expression.visit(finder)
        return finder.found


class _CommentCounter(cst.CSTVisitor):
    def __init__(self) -> None:
        self.count = 0

    def visit_Comment(self, node: cst.Comment) -> None:
        self.count += 1


def _comments(node: cst.CSTNode) -> int:
    counter = _CommentCounter()
    node.visit(counter)
    return counter.count


class _Finder(cst.CSTVisitor):
    def __init__(self, dropped: _Dropped) -> None:
        self.dropped = dropped
        self.found = False

    def visit_Call(self, node: cst.Call) -> bool:
        if self.dropped.is_marked(node):
            self.found = True
        return not self.found
