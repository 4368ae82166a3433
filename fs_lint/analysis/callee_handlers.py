"""A stop swallowed in a function that a loop calls: the loop goes on as if it had caught it itself.

``reconnect()`` catches ``KeyboardInterrupt`` around its connect and only logs it; ``run()`` calls
``reconnect()`` in its ``while True:`` loop. The Ctrl-C ends in ``reconnect()``, which returns as if
nothing had happened, and the loop goes round again. The handler is in no loop, so the loop's own
handlers say nothing of it; this module finds it from the calls the module's loops make.

Only what the code shows counts:

- the clause names the stop (``KeyboardInterrupt``, the task's cancellation), not everything (a bare
  ``except`` or ``BaseException`` is FSR002's);
- its body only logs, prints or passes (and may return): a body that sets a flag, calls the
  program's stop or raises may be telling the caller;
- the stop can land in the ``try``: it waits (Ctrl-C), or awaits (the cancellation); a ``try``
  around ``input()`` is a prompt's, which cancels the line on purpose;
- the ``try`` runs whenever the function does: not under an ``if``, which may keep it from the very
  caller (``if not self._inside_runner():``);
- the call is a statement of the loop, its result unread, made from a function of the same module,
  and no ``break``, ``return`` or ``raise`` follows it in its block or the blocks around it;
- the loop goes on (not a pass over a finite set of items);
- the cancellation only in a function that cancels nothing itself: one that cancels a task and then
  awaits it catches that task's cancellation, on purpose;
- Ctrl-C only on the main thread of a program that lets SIGINT raise, the cancellation only where
  the loop's task awaits the call. ``strict`` keeps those two out of the question.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..syntax.local_nodes import awaits, statement_blocks, walk_local
from ..syntax.names import last_name
from .other_modules import function_called
from .quick_calls import body_can_block, prompts
from .shutdown_exceptions import CANCELLATION, KEYBOARD_INTERRUPT, classify

if TYPE_CHECKING:
    from .retry_loops import Function, Loop, ModuleAnalysis

_KEY = "_swallowed_in_callees"
_STOP_WORDS = (b"KeyboardInterrupt", b"CancelledError")  # a module that names neither cannot end them
_LEAVING = (ast.Break, ast.Return, ast.Raise)
_TRY_TYPES = (ast.Try,) + ((ast.TryStar,) if hasattr(ast, "TryStar") else ())
_LOGGING = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "fatal",
                      "print_exc", "print_exception"})


@dataclass(frozen=True)
class SwallowedInCallee:
    """An ``except`` clause of ``function`` that ends the stops ``kinds``, and a loop that calls it."""

    clause: ast.ExceptHandler
    statement: ast.Try
    function: ast.FunctionDef | ast.AsyncFunctionDef
    kinds: frozenset[str]
    loop: "Loop"
    call: ast.Call
    elsewhere: str | None = None  # the file of another module of the project that holds the function

    @property
    def position(self) -> tuple[int, int]:
        """The clause; the call, when the clause is in another module (a finding stays in its own file)."""
        if self.elsewhere is not None:
            return self.call.lineno, self.call.col_offset
        return self.clause.lineno, self.clause.col_offset


def swallowed_in_callees(analysis: "ModuleAnalysis") -> list[SwallowedInCallee]:
    """Every such clause of the module, once (kept on the analysis for the rule and the fixer)."""
    found = analysis.__dict__.get(_KEY)
    if found is None:
        found = analysis.__dict__[_KEY] = (_find(analysis) if analysis.loose_handlers else []) + _find_elsewhere(analysis)
    return found


def _find(analysis: "ModuleAnalysis") -> list[SwallowedInCallee]:
    strict = analysis.settings.strict
    named = [(clause, statement, function, kinds) for clause, statement, function in analysis.loose_handlers
             if (kinds := _stops_named(clause, statement, analysis))]
    if not named:
        return []  # most modules: no clause names a stop, and the loops' calls are not looked at
    calls = _calls_in_going_loops(analysis)
    found = []
    for clause, statement, function, named_kinds in named:
        sites = calls.get(id(function.node))
        if not sites or not _always_runs(statement, function.node.body):
            continue
        kinds = _can_land(named_kinds, statement, analysis, function, strict)
        for loop, call, awaited in sites:
            here = _reaching(kinds, loop, awaited, analysis)
            if here:
                found.append(SwallowedInCallee(clause, statement, function.node, frozenset(here), loop, call))
                break
    return found


def _find_elsewhere(analysis: "ModuleAnalysis") -> list[SwallowedInCallee]:
    """The same, for a function of another module of the project that a loop of this one calls
    (``from .conn import reconnect``): reported at the call, once per clause."""
    if not analysis.loops or analysis.filename is None:
        return []
    found: list[SwallowedInCallee] = []
    reported: set[tuple[str, int]] = set()
    for loop in analysis.loops:
        if loop.goes_through_items:
            continue
        for stmt in _going_on_statements(loop.node.body):
            awaited = isinstance(stmt.value, ast.Await)
            call = stmt.value.value if awaited else stmt.value
            if not isinstance(call, ast.Call):
                continue
            elsewhere = function_called(analysis, call.func, _STOP_WORDS)
            if elsewhere is None:
                continue
            other, function = elsewhere.analysis, elsewhere.function
            for clause, statement, owner in other.loose_handlers:
                if owner.node is not function.node or (elsewhere.shown, clause.lineno) in reported:
                    continue
                named = _stops_named(clause, statement, other)
                if not named or not _always_runs(statement, function.node.body):
                    continue
                here = _reaching(_can_land(named, statement, other, owner, analysis.settings.strict), loop, awaited,
                                 analysis)
                if here:
                    reported.add((elsewhere.shown, clause.lineno))
                    found.append(SwallowedInCallee(clause, statement, function.node, frozenset(here), loop, call,
                                                   elsewhere.shown))
    return found


def _reaching(kinds: set[str], loop: "Loop", awaited: bool, analysis: "ModuleAnalysis") -> set[str]:
    """Those of ``kinds`` that reach the call from the loop: Ctrl-C only on the main thread of a program that
    lets SIGINT raise, the cancellation only where the loop's task awaits the call and does not stop on a
    flag that the stop sets first (``strict`` keeps all but the await)."""
    here = set(kinds)
    strict = analysis.settings.strict
    if KEYBOARD_INTERRUPT in here and not strict and (loop.context.in_thread or analysis.sigint_recorded is not None):
        here.discard(KEYBOARD_INTERRUPT)
    if CANCELLATION in here and not (loop.function.is_async and awaited):
        here.discard(CANCELLATION)
    if CANCELLATION in here and not strict and _stops_on_a_flag_the_stop_sets(loop, analysis):
        here.discard(CANCELLATION)
    return here


def _stops_named(clause: ast.ExceptHandler, statement: ast.Try, analysis: "ModuleAnalysis") -> set[str]:
    """The stops this clause names and lets end there, with nothing the caller could read of it."""
    caught = classify(clause.type, analysis.imports)
    kinds = set(caught.kinds & {KEYBOARD_INTERRUPT, CANCELLATION})
    if not kinds or caught.broad or not _only_reports(clause.body):
        return set()
    for earlier in statement.handlers[:statement.handlers.index(clause)]:
        kinds -= classify(earlier.type, analysis.imports).kinds  # taken by the clause before it
    return kinds


def _stops_on_a_flag_the_stop_sets(loop: "Loop", analysis: "ModuleAnalysis") -> bool:
    """``while not self._stopping.is_set():`` where ``stop()`` sets ``self._stopping``: the stop that cancels the
    task sets the flag first, so a cancellation the helper swallows goes back to the loop's check, which ends it."""
    return bool(loop.keys_tested & analysis.stops.keys_set_by_stop_paths)


def _can_land(kinds: set[str], statement: ast.Try, analysis: "ModuleAnalysis", function: "Function",
              strict: bool) -> set[str]:
    """Those of ``kinds`` that can arrive in the ``try``: where it waits, or awaits."""
    kinds = set(kinds)
    if CANCELLATION in kinds and (not (function.is_async and awaits(statement.body)) or _cancels(function.node)):
        kinds.discard(CANCELLATION)
    if KEYBOARD_INTERRUPT in kinds and (prompts(statement.body) or not (strict or body_can_block(
            statement.body, analysis.imports, lambda func: analysis.contexts.resolve(func, function.node),
            seen=frozenset({id(function.node)})))):
        kinds.discard(KEYBOARD_INTERRUPT)
    return kinds


def _calls_in_going_loops(analysis: "ModuleAnalysis") -> dict[int, list[tuple["Loop", ast.Call, bool]]]:
    """The module's functions that a loop which goes on calls as a statement: callee -> (loop, call, awaited)."""
    found: dict[int, list[tuple[Loop, ast.Call, bool]]] = {}
    for loop in analysis.loops:
        if loop.goes_through_items:
            continue
        site = loop.function.node
        for stmt in _going_on_statements(loop.node.body):
            awaited = isinstance(stmt.value, ast.Await)
            call = stmt.value.value if awaited else stmt.value
            if not isinstance(call, ast.Call):
                continue
            callee = analysis.contexts.resolve(call.func, site)
            if callee is not None and callee is not site:
                found.setdefault(id(callee), []).append((loop, call, awaited))
    return found


def _going_on_statements(block: list[ast.stmt], leaves_after: bool = False):
    """The expression statements of a loop's body after which the loop goes on: no ``break``,
    ``return`` or ``raise`` follows in their block or the blocks around them. Nested loops and
    functions are left to themselves."""
    for index, stmt in enumerate(block):
        leaves = leaves_after or any(isinstance(s, _LEAVING) for s in block[index + 1:])
        if isinstance(stmt, ast.Expr):
            if not leaves:
                yield stmt
        elif isinstance(stmt, (ast.If, ast.With, ast.AsyncWith, *_TRY_TYPES)):
            for inner in statement_blocks(stmt):
                yield from _going_on_statements(inner, leaves)


def _always_runs(statement: ast.stmt, block: list[ast.stmt]) -> bool:
    """``statement`` sits in ``block``, or in the ``with`` and ``try`` bodies in it: no test decides."""
    for stmt in block:
        if stmt is statement:
            return True
        if isinstance(stmt, (ast.With, ast.AsyncWith)) and _always_runs(statement, stmt.body):
            return True
        if isinstance(stmt, _TRY_TYPES) and (_always_runs(statement, stmt.body)
                                             or _always_runs(statement, stmt.finalbody)):
            return True
    return False


def _cancels(function: ast.AST) -> bool:
    return any(isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "cancel"
               for node in walk_local(function.body))


def _only_reports(body: list[ast.stmt]) -> bool:
    """``pass``, a log line, a ``print``, a ``return``: nothing the caller could act on."""
    for stmt in body:
        if isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
            continue
        if isinstance(stmt, ast.Return) and (stmt.value is None or isinstance(stmt.value, ast.Constant)):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and _reports(stmt.value):
            continue
        return False
    return True


def _reports(call: ast.Call) -> bool:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id == "print"
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr in ("write", "flush"):  # ``sys.stderr.write(...)``; a socket's write tells its peer
        return last_name(func.value) in ("stderr", "stdout")
    return func.attr in _LOGGING and last_name(func.value) is not None

