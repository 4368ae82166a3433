"""Long pauses one call away from a loop that checks its stop flag.

FSR005 reads the sleeps inside a loop that stops on a flag. The same sleep in a helper the loop
calls (``self._cool_down()`` in the loop, ``time.sleep(300)`` in ``_cool_down``) holds the stop
up just as long, and the loop's check cannot cut it short. Two lengths count:

- one the code writes out, above ``max-blind-sleep`` (a constant, a module constant, arithmetic,
  a local the helper assigns once), as for a sleep in the loop itself;
- one a server chooses: the helper sleeps for a ``Retry-After`` or until a rate limit's reset time
  (``time.sleep(reset_at - time.time())``, where the name or the header says *reset* or *retry
  after*), with no ``min()`` to cap it. GitHub's and most APIs' windows run up to an hour.

The module's own functions are followed, one call deep, and the top-level functions of the project's
other modules that it imports (``from .limits import cool_down``; ``fs_lint.analysis.other_modules``),
and only a sleep that no loop of the helper surrounds (a loop there is a wait of its own, not one
pause). Each sleep is reported once, for the first loop that calls its helper; one in another module
on the call, since a finding stays in the file that is checked.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Iterator

from ..syntax.local_nodes import statement_blocks, walk_local
from ..syntax.names import words
from .module_facts import ModuleFacts
from .other_modules import function_called
from .pause_lengths import INF, Length, length_in_callee
from .pauses import ASYNC_SLEEPS, BLOCKING_SLEEPS, COOPERATIVE_SLEEPS, Pause, classify
from .retry_loops import Loop

_KEY = "_callee_pauses"  # where ``callee_pauses`` keeps its list on a ModuleAnalysis
_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_SLEEP_WORDS = (b"sleep",)  # a module that says it nowhere has no pause for this question
_PLAIN_SLEEPS = frozenset({*BLOCKING_SLEEPS, *ASYNC_SLEEPS, *COOPERATIVE_SLEEPS})
_CLOCKS = frozenset({"time.time", "time.monotonic", "time.perf_counter", "datetime.datetime.now",
                     "datetime.datetime.utcnow"})
_UNWRAPPING = frozenset({"int", "float", "round", "abs", "math.ceil", "math.floor", "max"})


@dataclass(frozen=True)
class CalleePause:
    pause: Pause  # the sleep in the helper, with the calling loop as its loop
    callee: ast.FunctionDef | ast.AsyncFunctionDef
    call: ast.Call  # the call of the helper in the loop
    length: Length
    server_time: str | None  # what the server chooses the length by: ``reset_at``, ``headers['Retry-After']``
    elsewhere: str | None = None  # the file of another module of the project that holds the helper

    @property
    def position(self) -> tuple[int, int]:
        """The sleep; the call, when the helper is in another module (a finding stays in its own file)."""
        if self.elsewhere is not None:
            return self.call.lineno, self.call.col_offset
        return self.pause.position


def callee_pauses(facts: ModuleFacts) -> list[CalleePause]:
    """The long plain sleeps in the module's functions that a loop with a stop check calls, found once and kept
    on the analysis: the rule and its fix read the same list."""
    found = facts.analysis.__dict__.get(_KEY)
    if found is None:
        found = facts.analysis.__dict__[_KEY] = list(_find(facts, float(facts.analysis.settings.max_blind_sleep)))
    return found


def _find(facts: ModuleFacts, limit: float) -> Iterator[CalleePause]:
    analysis = facts.analysis
    reported: set[int] = set()
    for loop, calls in _calls_of_sleeping_helpers(facts):
        # The dearer question (does the loop check a stop?) only for a loop that calls a sleeping helper.
        if not facts.indicator_keys(loop) or not loop.has_shutdown_check:
            continue
        for call, callee, other, sleeps, shown in calls:
            for sleep in _long_sleeps(other, loop, callee, sleeps, limit):
                if id(sleep.pause.call) not in reported:
                    reported.add(id(sleep.pause.call))
                    yield CalleePause(sleep.pause, callee, call, sleep.length, sleep.server_time, shown)


def _calls_of_sleeping_helpers(facts: ModuleFacts) -> Iterator[tuple[Loop, list]]:
    """Each loop with the calls it makes of a helper that sleeps outside a loop of its own: ``(call, helper,
    the helper's module facts, its sleeps, its file when it is another module's)``. The module's own helpers
    only when its bytes say ``sleep`` and a loop's test names a stop (most modules: neither), with every call
    in the loop; another module's for a call that is a statement of the loop, or the value it assigns, and
    that an import names."""
    analysis = facts.analysis
    contexts = analysis.contexts
    watching = {id(loop) for loop in analysis.loops if facts.indicator_keys(loop)} \
        if analysis.mentions(b"sleep") else set()
    sleeping = _sleeps_outside_loops(facts) if watching else {}
    for loop in analysis.loops:
        site = loop.function.node
        calls = []
        if sleeping and id(loop) in watching:
            awaited = {id(node.value) for node in loop._local_nodes if isinstance(node, ast.Await)}
            for call in loop._local_nodes:
                if isinstance(call, ast.Call):
                    callee = contexts.resolve(call.func, site)
                    if callee is not None and callee is not site and id(callee) in sleeping and (
                            not isinstance(callee, ast.AsyncFunctionDef) or id(call) in awaited):
                        calls.append((call, callee, facts, sleeping[id(callee)], None))
        for call, awaited_here in _statement_calls(loop.node.body):
            elsewhere = function_called(analysis, call.func, _SLEEP_WORDS)
            if elsewhere is None:
                continue
            other = ModuleFacts.of(elsewhere.analysis)
            callee, sleeps = elsewhere.function.node, _sleeps_outside_loops(other)
            if id(callee) in sleeps and (not isinstance(callee, ast.AsyncFunctionDef) or awaited_here):
                calls.append((call, callee, other, sleeps[id(callee)], elsewhere.shown))
        if calls:
            yield loop, calls


def _statement_calls(block: list[ast.stmt]) -> Iterator[tuple[ast.Call, bool]]:
    """The calls a block makes as statements or assigns the value of (``cool_down(r)``, ``await backoff()``,
    ``r = fetch()``), in its nested blocks too but not in the functions it defines: with whether each is
    awaited. Statements only, not every node: this is asked of every loop."""
    for stmt in block:
        value = stmt.value if isinstance(stmt, (ast.Expr, ast.Assign, ast.AnnAssign, ast.AugAssign)) else None
        awaited = isinstance(value, ast.Await)
        if awaited:
            value = value.value
        if isinstance(value, ast.Call):
            yield value, awaited
        if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for inner in statement_blocks(stmt):
                yield from _statement_calls(inner)


def _sleeps_outside_loops(facts: ModuleFacts) -> dict[int, list[ast.Call]]:
    """For each function of the module (by ``id``), its plain sleep calls that no loop of its own surrounds."""
    found: dict[int, list[ast.Call]] = {}
    qualify = facts.analysis.imports.qualified_name
    for site, calls in facts.analysis.contexts.calls_by_site:  # the module's calls, walked once already
        if site is None:
            continue
        sleeps = [call for call in calls if qualify(call.func) in _PLAIN_SLEEPS]
        if not sleeps:
            continue
        in_loops = {id(node) for inner in walk_local(site.body) if isinstance(inner, _LOOPS)
                    for node in walk_local(inner.body)}
        outside = [call for call in sleeps if id(call) not in in_loops]
        if outside:
            found[id(site)] = outside
    return found


@dataclass(frozen=True)
class _Sleep:
    pause: Pause
    length: Length
    server_time: str | None


def _long_sleeps(facts: ModuleFacts, loop: Loop, callee: ast.FunctionDef | ast.AsyncFunctionDef,
                 sleeps: list[ast.Call], limit: float) -> Iterator[_Sleep]:
    awaited = {id(node.value) for node in walk_local(callee.body) if isinstance(node, ast.Await)}
    for node in sleeps:
        found = classify(facts.analysis, node, id(node) in awaited)
        if found is None:
            continue
        kind, name, duration = found
        pause = Pause(node, kind, name, duration, (loop,))
        if not pause.is_plain_sleep or duration is None:
            continue
        length = length_in_callee(facts, loop, callee, duration)
        if length.upper is not None and length.upper > limit:
            yield _Sleep(pause, length, None)
            continue
        server_time = _server_time(facts, callee, duration)
        if server_time is not None:
            yield _Sleep(pause, Length(INF), server_time)


def _server_time(facts: ModuleFacts, callee: ast.FunctionDef | ast.AsyncFunctionDef,
                 duration: ast.expr) -> str | None:
    """``reset_at - time.time()``, ``int(resp.headers["Retry-After"])``: a length the server picks, uncapped.

    ``max(0, ...)``, ``int()``, ``+ 1`` are looked through; a ``min()`` anywhere caps it. A local the
    helper assigns once is followed to its value."""
    qualify = facts.analysis.imports.qualified_name
    values = _single_values(callee)
    seen: set[int] = set()

    def named(node: ast.expr, depth: int = 0) -> str | None:
        if depth > 8 or id(node) in seen:
            return None
        seen.add(id(node))
        if isinstance(node, ast.Call):
            name = qualify(node.func)
            if name == "min":
                return None
            if name in _UNWRAPPING or (isinstance(node.func, ast.Attribute) and node.func.attr == "get"):
                if isinstance(node.func, ast.Attribute) and node.func.attr == "get" and node.args:
                    text = _said(node.args[0])
                    if text is not None:
                        return text
                for argument in node.args:
                    if not _is_number(argument):
                        found = named(argument, depth + 1)
                        if found is not None:
                            return found
            return None
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Sub, ast.Add)):
            if isinstance(node.op, ast.Sub) and _reads_clock(node.right, qualify):
                return named(node.left, depth + 1)
            if isinstance(node.op, ast.Add) and (_is_number(node.right) or _is_number(node.left)):
                return named(node.left if _is_number(node.right) else node.right, depth + 1)
            return None
        if isinstance(node, ast.Subscript):
            text = _said(node.slice)
            if text is not None:
                return text
            return None
        if isinstance(node, ast.Name) and node.id in values:
            found = named(values[node.id], depth + 1)
            return found if found is not None or not _says_server_time(node.id) else node.id
        if isinstance(node, (ast.Name, ast.Attribute)):
            spelled = node.id if isinstance(node, ast.Name) else node.attr
            return spelled if _says_server_time(spelled) else None
        return None

    return named(duration)


def _single_values(callee: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, ast.expr]:
    """The locals the helper assigns exactly once, as a whole target, with their values."""
    counts: dict[str, int] = {}
    values: dict[str, ast.expr] = {}
    for node in walk_local(callee.body):
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    counts[target.id] = counts.get(target.id, 0) + 1
                    if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                        values[target.id] = node.value
    return {name: value for name, value in values.items() if counts[name] == 1}


def _said(node: ast.expr) -> str | None:
    """A header or field the server fills in, by its key: ``"Retry-After"``, ``"x-ratelimit-reset"``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and _says_server_time(node.value):
        return node.value
    return None


def _says_server_time(name: str) -> bool:
    spelled = set(words(name.replace("-", "_")))
    return "reset" in spelled or {"retry", "after"} <= spelled


def _reads_clock(node: ast.expr, qualify) -> bool:
    return any(isinstance(n, ast.Call) and qualify(n.func) in _CLOCKS for n in ast.walk(node))


def _is_number(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
