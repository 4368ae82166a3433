"""FSR006's fix: the pause that grows without limit is clamped with ``min(..., CAP)``.

CAP is ``backoff-cap`` (60 s by default), written as an int when it is one. The
clamp goes where the rule reports the growth, in the form that statement has:

- ``delay *= 2`` becomes ``delay = min(delay * 2, 60)`` (any augmented
  operator: ``delay <<= 1`` becomes ``delay = min(delay << 1, 60)``);
- ``delay = delay * k`` becomes ``delay = min(delay * k, 60)``, and so does any
  assignment the pause is computed from (``wait = min(base * 2 ** attempt, 60)``);
- a pause that grows in its own argument, ``time.sleep(2 ** attempt)``, becomes
  ``time.sleep(min(2 ** attempt, 60))``.

The fix changes how often the service retries after a long outage, which is
its point but a change of normal behaviour: it is unsafe, applied only with
``--unsafe-fixes``. It refuses what it cannot prove caps the pause: a
variable that also grows, or is computed from itself, in another statement of
the loop (a clamp on one statement would leave the other growing, and the rule
would no longer see it), a target that is not a plain name or attribute, and
a pause whose unit is not known to be seconds (a function of the project's own
named ``*sleep*``).
"""

from __future__ import annotations

import ast
from functools import partial

import libcst as cst

from ..findings import Finding
from ..syntax.local_nodes import key, keys_read, walk_local
from ..analysis.module_facts import ModuleFacts
from ..analysis.pause_lengths import pause_length
from ..analysis.pauses import OTHER, Pause
from .base import CannotFix, Edit, FixContext, NodeChange
from .comma_lists import Where, argument, replace_argument
from .source_text import number

CODE = "FSR006"
_ALSO_FIXES = frozenset({"FSR005"})  # a pause capped at most at max-blind-sleep is no longer a long one

# ``delay OP= x`` -> ``delay OP x``
_OPERATORS = {
    cst.AddAssign: cst.Add, cst.SubtractAssign: cst.Subtract, cst.MultiplyAssign: cst.Multiply,
    cst.DivideAssign: cst.Divide, cst.FloorDivideAssign: cst.FloorDivide, cst.ModuloAssign: cst.Modulo,
    cst.PowerAssign: cst.Power, cst.LeftShiftAssign: cst.LeftShift, cst.RightShiftAssign: cst.RightShift,
    cst.BitAndAssign: cst.BitAnd, cst.BitOrAssign: cst.BitOr, cst.BitXorAssign: cst.BitXor,
    cst.MatrixMultiplyAssign: cst.MatrixMultiply,
}
# Operands that need no parentheses on the right of any binary operator.
_ATOMS = (cst.Name, cst.Attribute, cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.Call, cst.Subscript)


def plan(finding: Finding, context: FixContext) -> Edit:
    facts = ModuleFacts.of(context.analysis)
    pauses = [p for p in facts.pauses if _grows_at(p, facts, finding)]
    if not pauses:
        raise CannotFix(f"found no pause that grows at line {finding.line}")
    site = pause_length(facts, pauses[0]).growth
    for pause in pauses:
        if pause.kind == OTHER:
            raise CannotFix(f"`{pause.spelling()}` is not known to pause for seconds; cap it by hand")
    if "min" in context.bound_names:
        raise CannotFix("this module binds its own name `min`, so `min(...)` might not mean the built-in")
    cap = number(context.analysis.settings.backoff_cap)
    unsafe = (f"capping the pause at {cap} s changes how often the service retries during a long outage")
    if isinstance(site, ast.Call):
        (pause,) = pauses  # the growth is in the call itself: that call is the one pause
        clamp = partial(_clamp_argument, where=_argument_of(pause), cap=cap)
        change = NodeChange(cst.Call, context.position(site), clamp)
        return Edit(finding, (change,), unsafe_because=unsafe, also_fixes=_ALSO_FIXES)
    target = _target(site)
    _require_one_growth(site, target, pauses[0], context)
    if isinstance(site, ast.AugAssign):
        change = NodeChange(cst.AugAssign, context.position(site), partial(_assign_clamped, cap=cap))
    else:
        node_type = cst.Assign if isinstance(site, ast.Assign) else cst.AnnAssign
        change = NodeChange(node_type, context.position(site), partial(_clamp_value, cap=cap))
    return Edit(finding, (change,), unsafe_because=unsafe, also_fixes=_ALSO_FIXES)


def _grows_at(pause: Pause, facts: ModuleFacts, finding: Finding) -> bool:
    loop = pause.innermost
    if not loop.is_retry_loop or loop.is_bounded:
        return False
    growth = pause_length(facts, pause).growth
    return growth is not None and (growth.lineno, growth.col_offset) == (finding.line, finding.col)


def _argument_of(pause: Pause) -> Where:
    """Where the pause's duration is among the call's arguments: its index, or its keyword."""
    for index, given in enumerate(pause.call.args):
        if given is pause.duration:
            return index
    for keyword in pause.call.keywords:
        if keyword.value is pause.duration and keyword.arg:
            return keyword.arg
    raise CannotFix(f"cannot find the duration among the arguments of `{pause.spelling()}`")


def _target(site: ast.AST) -> str:
    if isinstance(site, ast.AugAssign):
        target = site.target
    elif isinstance(site, ast.Assign) and len(site.targets) == 1:
        target = site.targets[0]
    elif isinstance(site, ast.AnnAssign) and site.value is not None:
        target = site.target
    else:
        raise CannotFix("the growing value is assigned to several targets at once; cap it by hand")
    name = key(target) if isinstance(target, (ast.Name, ast.Attribute)) else None
    if name is None:
        raise CannotFix(f"`{ast.unparse(target)}` is not a plain name or attribute; cap it by hand")
    return name


def _require_one_growth(site: ast.stmt, target: str, pause: Pause, context: FixContext) -> None:
    """Refuse when another statement of the loop also changes ``target`` from its own value
    (``delay *= 2`` here, ``delay += jitter`` there): the growth is spread over both."""
    for node in walk_local(pause.innermost.node.body):
        if node is site:
            continue
        if isinstance(node, ast.AugAssign) and key(node.target) == target:
            other = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None \
                and any(key(t) == target for t in (node.targets if isinstance(node, ast.Assign) else [node.target])) \
                and target in keys_read(node.value) and not _is_min_call(node.value, context):
            other = node
        else:
            continue
        raise CannotFix(f"`{target}` also changes from its own value at line {other.lineno}; the growth is "
                        "spread over several statements, cap it by hand")


def _is_min_call(value: ast.expr, context: FixContext) -> bool:
    return isinstance(value, ast.Call) and context.analysis.imports.qualified_name(value.func) == "min"


# -- the rewrites ---------------------------------------------------------------------------------


def _min(value: cst.BaseExpression, cap: str) -> cst.Call:
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    return cst.Call(func=cst.Name("min"), args=[cst.Arg(value, comma=comma), cst.Arg(cst.parse_expression(cap))])


def _assign_clamped(statement: cst.AugAssign, cap: str) -> cst.Assign:
    """``delay *= 2`` -> ``delay = min(delay * 2, 60)``."""
    operator = _OPERATORS[type(statement.operator)]()
    value = statement.value
    if not isinstance(value, _ATOMS) and not value.lpar:
        value = value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    grown = cst.BinaryOperation(left=statement.target, operator=operator, right=value)
    return cst.Assign(targets=[cst.AssignTarget(statement.target)], value=_min(grown, cap),
                      semicolon=statement.semicolon)


def _clamp_value(statement: cst.Assign | cst.AnnAssign, cap: str) -> cst.Assign | cst.AnnAssign:
    """``delay = delay * k`` -> ``delay = min(delay * k, 60)``."""
    if statement.value is None:
        raise CannotFix("the assignment has no value to cap")
    return statement.with_changes(value=_min(statement.value, cap))


def _clamp_argument(call: cst.Call, where: Where, cap: str) -> cst.Call:
    """``time.sleep(2 ** attempt)`` -> ``time.sleep(min(2 ** attempt, 60))``."""
    return replace_argument(call, where, _min(argument(call, where), cap))
