"""FSR004's fix: a retry policy that never gives up gets a time limit, and stops retrying shutdown.

The limit is ``retry-give-up-after`` seconds (N, 300 by default), in each
library's own words:

- tenacity (``@retry``, ``retry(...)``, ``Retrying(...)``, ``AsyncRetrying(...)``):
  ``stop=stop_after_delay(N)`` is added; a bare ``@retry`` becomes
  ``@retry(stop=stop_after_delay(N))``, ``retry(fetch)`` becomes
  ``retry(stop=stop_after_delay(N))(fetch)``. ``stop=stop_never`` becomes
  ``stop=stop_after_delay(N)``; any other stop that never stops
  (``stop_after_attempt(5) & stop_never``, a constant) is kept and given a way
  out: ``stop=(...) | stop_after_delay(N)``. ``stop_after_delay`` is imported
  the way the module imports tenacity (``tenacity_names``).
- backoff (``@on_exception``, ``@on_predicate``): ``max_time=N`` is added, or
  replaces ``max_time=None``. ``max_tries`` is left as it is: ``max_tries=0``
  or ``None`` means no limit on the count, and the time limit now ends it.
- retrying: ``stop_max_delay=N*1000`` (milliseconds) is added, or replaces
  ``stop_max_delay=None``; a bare ``@retry`` becomes ``@retry(stop_max_delay=...)``.
- stamina with ``attempts=None, timeout=None``: ``timeout=N``.

Giving up is an unsafe fix: a call that used to succeed after an outage longer
than N seconds now raises, and the code around it must cope (the loops that
call such a function usually catch the error and read their stop flag, which
is why the fix matters). It is applied only with ``--unsafe-fixes``.

A policy that retries shutdown exceptions has them taken out of what it retries
(``retried_exceptions``): safe, and the whole fix when the policy gives up
already. When it does both, the fix is one, and unsafe.
"""

from __future__ import annotations

import ast
from functools import partial
from typing import Callable

import libcst as cst

from ..findings import Finding
from ..test_files import is_test_path
from ..analysis.module_facts import ModuleFacts
from ..analysis.retry_decorators import BACKOFF, RETRYING, STAMINA, TENACITY, RetryPolicy, canonical, retry_policies
from ..analysis.retry_decorators import _decorates_by_hand as decorates_by_hand
from .own_stop import policy_caveat
from .base import CannotFix, Edit, FixContext, ModuleImport, NodeChange
from .comma_lists import keyword, one_argument_per_line, set_keyword
from .module_names import import_behind
from .retried_exceptions import narrows_broad, stop_retrying_shutdown
from .tenacity_names import NameReference, tenacity_name
from .source_text import number

CODE = "FSR004"
LINE_LENGTH = 88
Rewrite = Callable[[cst.BaseExpression], cst.BaseExpression]


def plan(finding: Finding, context: FixContext) -> Edit:
    if context.analysis.filename and is_test_path(context.analysis.filename):
        raise CannotFix("test code builds never-ending policies on purpose (a retry library's own tests, "
                        "a test of the defaults); give it a limit by hand if this one is a mistake")
    policy = _policy_at(finding, context)
    settings = context.analysis.settings
    never = policy.never_gives_up and (not policy.is_async or settings.async_requires_check)
    changes: list[NodeChange] = []
    names: list[NameReference] = []
    unused: tuple[ModuleImport, ...] = ()
    unsafe = None
    if policy.retried:
        changes, names = stop_retrying_shutdown(policy, context)
        unsafe = narrows_broad(policy, context) or policy_caveat(policy.retried, policy.function, context)
    if never:
        seconds = float(settings.retry_give_up_after)
        rewrite, limit, needed, unused = _give_up(policy, seconds, context)
        names += needed
        changes.append(_change_policy(policy, _within_the_line_length(policy, rewrite, limit, context), context))
        gives_up = (f"`{limit}` makes the policy give up after {number(seconds)} s, so a call that used to "
                    "succeed after a longer outage raises instead")
        unsafe = gives_up if unsafe is None else f"{gives_up}; {unsafe}"
    changes += [change for name in names for change in name.changes]
    adds = tuple(dict.fromkeys(i for name in names for i in name.adds_imports))
    return Edit(finding, tuple(changes), unsafe_because=unsafe, adds_imports=adds, unused_imports=unused,
                also_fixes=frozenset())


def _policy_at(finding: Finding, context: FixContext) -> RetryPolicy:
    for policy in retry_policies(ModuleFacts.of(context.analysis)):
        if policy.position == (finding.line, finding.col):
            return policy
    raise CannotFix(f"no retry policy starts at line {finding.line}, column {finding.col + 1}")


def _literal(value: float) -> cst.BaseExpression:
    return cst.parse_expression(number(value))


# -- how each library gives up -------------------------------------------------------------------------


def _give_up(policy: RetryPolicy, seconds: float, context: FixContext
             ) -> tuple[Rewrite, str, list[NameReference], tuple[ModuleImport, ...]]:
    """What to do to the policy's expression, the limit as written, and the names and imports involved."""
    call = policy.node if isinstance(policy.node, ast.Call) and not _decorates_by_hand(policy, context) else None
    if policy.library == TENACITY:
        return _tenacity_stop(policy, call, seconds, context)
    if policy.library == BACKOFF:
        return partial(_with_keyword, name="max_time", value=_literal(seconds)), f"max_time={number(seconds)}", [], ()
    if policy.library == RETRYING:
        milliseconds = seconds * 1000
        return (partial(_with_keyword, name="stop_max_delay", value=_literal(milliseconds)),
                f"stop_max_delay={number(milliseconds)}", [], ())
    if policy.library == STAMINA:
        return partial(_with_keyword, name="timeout", value=_literal(seconds)), f"timeout={number(seconds)}", [], ()
    raise CannotFix(f"no give-up limit is known for {policy.library}")


def _tenacity_stop(policy: RetryPolicy, call: ast.Call | None, seconds: float, context: FixContext
                   ) -> tuple[Rewrite, str, list[NameReference], tuple[ModuleImport, ...]]:
    spelled = (call.func if call is not None else
               policy.node.func if isinstance(policy.node, ast.Call) else policy.node)
    reference = tenacity_name(context, spelled, "stop_after_delay")
    limit = cst.Call(func=reference.expression(), args=[cst.Arg(_literal(seconds))])
    written = f"stop={reference.text}({number(seconds)})"
    current = next((kw.value for kw in call.keywords if kw.arg == "stop"), None) if call is not None else None
    qualify = context.analysis.imports.qualified_name
    if current is not None and canonical(qualify(current)) == "tenacity.stop_never":
        unused = import_behind(context, current, "tenacity")
        return partial(_with_keyword, name="stop", value=limit), written, [reference], (unused,) if unused else ()
    if current is not None:
        return partial(_or_stop, limit=limit), f"stop=... | {reference.text}({number(seconds)})", [reference], ()
    return partial(_with_keyword, name="stop", value=limit), written, [reference], ()


def _within_the_line_length(policy: RetryPolicy, rewrite: Rewrite, limit: str, context: FixContext) -> Rewrite:
    """A call on one line that the limit would push past 88 columns (ruff's and black's default) gets
    one argument per line and a trailing comma, which is how ``ruff format`` would write it."""
    node = policy.node
    if not isinstance(node, ast.Call) or node.lineno != node.end_lineno:
        return rewrite
    line = context.line(node.lineno).decode("utf-8", errors="replace")
    if len(line.rstrip()) + len(limit) + 2 <= LINE_LENGTH:
        return rewrite
    indent = line[:len(line) - len(line.lstrip())]

    def exploded(expression: cst.BaseExpression) -> cst.BaseExpression:
        result = rewrite(expression)
        return one_argument_per_line(result, indent) if isinstance(result, cst.Call) else result

    return exploded


def _decorates_by_hand(policy: RetryPolicy, context: FixContext) -> bool:
    """``retry(fetch)``: the decorator applied by hand, as ``retry_decorators`` reads it (the rule and the
    rewrite must agree on which call is the policy)."""
    return isinstance(policy.node, ast.Call) and decorates_by_hand(policy.node, context.analysis.imports.qualified_name)


# -- where the policy is: a decorator of a def, or a call -----------------------------------------------


def _change_policy(policy: RetryPolicy, rewrite: Rewrite, context: FixContext) -> NodeChange:
    node = policy.node
    if isinstance(node, ast.Call):
        if _decorates_by_hand(policy, context):
            return NodeChange(cst.Call, context.position(node), partial(_configure_then_apply, rewrite=rewrite))
        return NodeChange(cst.Call, context.position(node), rewrite)
    # A bare ``@retry``: its name may start where a longer dotted name does, so the change is made
    # from the function it decorates, which starts at its ``def`` alone.
    function = context.parents.get(id(node))
    if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        raise CannotFix(f"`{policy.spelling}` is neither a call nor a decorator")
    index = next(i for i, d in enumerate(function.decorator_list) if d is node)
    return NodeChange(cst.FunctionDef, context.position(function),
                      partial(_on_decorator, index=index, rewrite=rewrite))


def _on_decorator(function: cst.FunctionDef, index: int, rewrite: Rewrite) -> cst.FunctionDef:
    decorators = list(function.decorators)
    decorator = decorators[index]
    decorators[index] = decorator.with_changes(decorator=rewrite(decorator.decorator))
    return function.with_changes(decorators=decorators)


def _configure_then_apply(call: cst.Call, rewrite: Rewrite) -> cst.Call:
    """``retry(fetch)`` -> ``retry(stop=...)(fetch)``."""
    configured = rewrite(call.func)
    return call.with_changes(func=configured)


def _with_keyword(expression: cst.BaseExpression, name: str, value: cst.BaseExpression) -> cst.Call:
    """``retry`` -> ``retry(name=value)``; ``retry(...)`` gets ``name=value`` (replacing it if present)."""
    if not isinstance(expression, cst.Call):
        return cst.Call(func=expression, args=[cst.Arg(value=value, keyword=cst.Name(name), equal=_EQUAL)])
    return set_keyword(expression, name, value)


def _or_stop(call: cst.Call, limit: cst.Call) -> cst.Call:
    """``stop=X`` -> ``stop=X | stop_after_delay(N)`` (with ``X`` in parentheses unless it is a name or call)."""
    current = keyword(call, "stop")
    if current is None:
        raise CannotFix("the `stop=` argument is no longer where it was planned")
    value = current.value
    if not isinstance(value, (cst.Name, cst.Attribute, cst.Call)) and not value.lpar:
        value = value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return set_keyword(call, "stop", cst.BinaryOperation(left=value, operator=cst.BitOr(), right=limit))


_EQUAL = cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))
