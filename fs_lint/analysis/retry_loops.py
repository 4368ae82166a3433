"""The one analysis of retry loops that every front end asks.

What is a retry loop, is it bounded, does it check for shutdown, which handlers
let it go round again and what do they catch: the flake8 plugin, the CLI and
the codemods all read the answers from here, so what is flagged and what is
rewritten can never disagree.

The walk visits statements only, and looks at expressions lazily, for the few
loops and handlers that need it: most of a module is neither.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import cached_property
from typing import Iterator, Sequence

from . import control_flow as cf
from .local_nodes import awaits, key, keys_read, walk_local, yields
from .names import ImportMap, WordPatterns, last_name
from ..settings import Settings
from .shutdown_exceptions import (
    CANCELLATION,
    GENERATOR_EXIT,
    KEYBOARD_INTERRUPT,
    NOTHING,
    SYSTEM_EXIT,
    Caught,
    classify,
)

_TRY_TYPES = (ast.Try,) + ((ast.TryStar,) if hasattr(ast, "TryStar") else ())
_LOOP_TYPES = (ast.While, ast.For, ast.AsyncFor)
_FUNCTION_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef)

PAUSE_CALLS = frozenset({
    "time.sleep", "asyncio.sleep", "anyio.sleep", "trio.sleep", "gevent.sleep",
    "eventlet.sleep", "anyio.sleep_until", "trio.sleep_until",
})
TIMEOUT_SCOPES = frozenset({
    "asyncio.timeout", "asyncio.timeout_at", "async_timeout.timeout", "async_timeout.timeout_at",
    "anyio.move_on_after", "anyio.fail_after", "anyio.move_on_at", "anyio.fail_at",
    "trio.move_on_after", "trio.fail_after", "trio.move_on_at", "trio.fail_at",
})
SUPPRESS = frozenset({"contextlib.suppress"})
ENDLESS_ITERATORS = frozenset({"itertools.count", "itertools.cycle"})
_CLOCK_NAMES = frozenset({"time", "monotonic", "perf_counter", "monotonic_ns", "time_ns", "now", "utcnow", "current_time"})
_INPUT_CALLS = frozenset({"input", "raw_input", "getpass", "prompt", "readline", "prompt_async"})


@dataclass(eq=False)
class Function:
    """The code a loop runs in: a function, or module level / a class body (``node`` is then None)."""

    node: ast.FunctionDef | ast.AsyncFunctionDef | None
    is_async: bool = False

    @cached_property
    def is_generator(self) -> bool:
        return self.node is not None and yields(self.node.body)

    @cached_property
    def _loop_sources(self) -> dict[str, str]:
        """``for task in tasks`` maps ``task`` to ``tasks``: cancelling one is cancelling the other."""
        sources = {}
        if self.node is not None:
            for node in walk_local(self.node.body):
                if isinstance(node, (ast.For, ast.AsyncFor)):
                    target, source = key(node.target), key(node.iter)
                    if target and source:
                        sources[target] = source
        return sources

    def task_keys(self, node: ast.expr) -> set[str]:
        """The keys a task expression stands for: itself, and the collection a loop took it from."""
        k = key(node)
        if not k:
            return set()
        return {k, self._loop_sources[k]} if k in self._loop_sources else {k}

    @cached_property
    def cancelled_tasks(self) -> set[str]:
        """Keys of the things this function calls ``.cancel()`` on."""
        if self.node is None:
            return set()
        found: set[str] = set()
        for node in walk_local(self.node.body):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "cancel":
                found |= self.task_keys(node.func.value)
        return found


Frames = tuple[tuple[Sequence[ast.stmt], int], ...]


@dataclass(eq=False)
class Handler:
    """An ``except`` clause, or a ``contextlib.suppress(...)`` item, whose innermost loop is ``loop``."""

    node: ast.ExceptHandler | ast.Call
    statement: ast.Try | ast.With | ast.AsyncWith
    loop: "Loop"
    frames: Frames  # from the loop's body down to ``statement``
    earlier: tuple[ast.ExceptHandler, ...] = ()  # clauses of the same try before this one
    module: "ModuleAnalysis" = field(default=None, repr=False)  # type: ignore[assignment]

    @property
    def is_suppress(self) -> bool:
        return isinstance(self.node, ast.Call)

    @property
    def function(self) -> Function:
        return self.loop.function

    @property
    def position(self) -> tuple[int, int]:
        return self.node.lineno, self.node.col_offset

    @property
    def protected_body(self) -> list[ast.stmt]:
        return self.statement.body

    @property
    def body(self) -> list[ast.stmt]:
        return [] if self.is_suppress else self.node.body

    @cached_property
    def own_catch(self) -> Caught:
        imports = self.module.imports
        if self.is_suppress:
            caught = NOTHING
            for arg in self.node.args:
                caught = caught | classify(arg, imports)
            return caught
        return classify(self.node.type, imports)

    @cached_property
    def catches(self) -> Caught:
        """What reaches this clause: earlier clauses of the same try take their share first."""
        taken: frozenset[str] = frozenset()
        for clause in self.earlier:
            taken |= classify(clause.type, self.module.imports).kinds
        own = self.own_catch
        return Caught(own.kinds - taken, own.broad)

    @cached_property
    def lets_loop_go_on(self) -> bool:
        """Some path through the handler gets back to the top of the loop."""
        qualify = self.module.imports.qualified_name
        leaving = cf.outcomes(self.body, qualify) if not self.is_suppress else frozenset({cf.NEXT})
        if cf.CONTINUE in leaving:
            return True
        if cf.NEXT not in leaving:
            return False
        return self.loop.control_reaches_next_iteration(self.frames, self._flags_set(), qualify)

    def _flags_set(self) -> set[str]:
        """Names the handler sets, so that code after the try can test them to stop."""
        flags = set()
        for node in walk_local(self.body):
            if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                flags.update(k for k in map(key, targets) if k)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "set":
                k = key(node.func.value)
                if k:
                    flags.add(k)
        return flags

    @cached_property
    def at_stake(self) -> frozenset[str]:
        """The shutdown exceptions this handler can really catch here and swallow."""
        kinds = set(self.catches.kinds)
        fn = self.function
        if CANCELLATION in kinds and not (fn.is_async and awaits(self.protected_body)):
            kinds.discard(CANCELLATION)  # only an await can deliver this task's cancellation
        if self.catches.broad and fn.is_async:
            kinds -= {KEYBOARD_INTERRUPT, SYSTEM_EXIT}  # an event loop turns them into cancellation
        if GENERATOR_EXIT in kinds and not (fn.is_generator and yields(self.protected_body)):
            kinds.discard(GENERATOR_EXIT)
        kinds -= self._reraised_kinds()
        return frozenset(kinds)

    def _reraised_kinds(self) -> set[str]:
        """Kinds the handler re-raises first: ``if isinstance(e, X): raise``, ``if task.cancelling(): raise``."""
        reraised: set[str] = set()
        qualify = self.module.imports.qualified_name
        for stmt in self.body:
            if not (isinstance(stmt, ast.If) and cf.outcomes(stmt.body, qualify) <= cf.EXITS):
                continue
            test = stmt.test
            if (isinstance(test, ast.Call) and isinstance(test.func, ast.Name) and test.func.id == "isinstance"
                    and len(test.args) == 2):
                reraised |= classify(test.args[1], self.module.imports).kinds
            elif any(isinstance(n, ast.Call) and last_name(n.func) == "cancelling" for n in ast.walk(test)):
                reraised.add(CANCELLATION)
            elif self.loop.reads_indicator(test):
                reraised |= self.catches.kinds  # ``if self._closing: raise``: shutdown gets through
        return reraised

    @cached_property
    def exemption(self) -> str | None:
        """Why a handler that swallows shutdown on paper is a known idiom and not a hazard."""
        stake = self.at_stake
        if stake == {KEYBOARD_INTERRUPT} and self._guards_input():
            return "a REPL cancels the line being typed"
        if stake == {CANCELLATION} and self._awaits_only_cancelled_tasks():
            return "awaits tasks this function has just cancelled"
        # Not ``is_bounded``: a timeout scope cannot end a loop that keeps (so swallows) the cancellation.
        if self._keeps_the_exception() and not (self.loop.is_retry_loop and not self.loop.counts_its_attempts):
            return "keeps the exception to raise it after the loop"
        return None

    def _keeps_the_exception(self) -> bool:
        """``errors.append(exc)``, ``last = exc``, ``pending = sys.exc_info()``: raised later, not lost."""
        bound = None if self.is_suppress else self.node.name
        qualify = self.module.imports.qualified_name

        def is_the_exception(node: ast.expr) -> bool:
            if bound and isinstance(node, ast.Name) and node.id == bound:
                return True
            return isinstance(node, ast.Call) and qualify(node.func) in ("sys.exc_info", "sys.exception")

        for node in walk_local(self.body):
            if isinstance(node, ast.Assign) and is_the_exception(node.value):
                return True
            if (isinstance(node, ast.Call) and last_name(node.func) in ("append", "add", "set_exception")
                    and len(node.args) == 1 and is_the_exception(node.args[0])):
                return True
        return False

    def _guards_input(self) -> bool:
        return any(isinstance(n, ast.Call) and last_name(n.func) in _INPUT_CALLS
                   for n in walk_local(self.protected_body))

    def _awaits_only_cancelled_tasks(self) -> bool:
        cancelled = self.function.cancelled_tasks
        if not cancelled:
            return False
        awaited = [n.value for n in walk_local(self.protected_body) if isinstance(n, ast.Await)]
        if not awaited:
            return False
        for value in awaited:
            candidates = [value]
            if isinstance(value, ast.Call):
                candidates = [a.value if isinstance(a, ast.Starred) else a for a in value.args]
            if not any(self.function.task_keys(c) & cancelled for c in candidates):
                return False
        return True

    @property
    def swallows(self) -> frozenset[str]:
        """The shutdown exceptions this handler eats while the loop goes round again."""
        if not self.at_stake or self.exemption or not self.lets_loop_go_on:
            return frozenset()
        return self.at_stake


@dataclass(eq=False)
class Loop:
    node: ast.While | ast.For | ast.AsyncFor
    function: Function
    enclosing_with_items: tuple[ast.withitem, ...]  # in the same function, outermost first
    module: "ModuleAnalysis" = field(default=None, repr=False)  # type: ignore[assignment]
    handlers: list[Handler] = field(default_factory=list)

    @property
    def position(self) -> tuple[int, int]:
        return self.node.lineno, self.node.col_offset

    def control_reaches_next_iteration(self, frames: Frames, flags: set[str], qualify) -> bool:
        """After falling out of ``frames[-1]``'s statement, does control get back to the loop's top?"""
        for depth in range(len(frames) - 1, -1, -1):
            block, index = frames[depth]
            owner = block[index]
            if depth + 1 < len(frames):
                inner_block = frames[depth + 1][0]
            else:
                inner_block = None  # the handler (or suppress body) itself
            if isinstance(owner, _TRY_TYPES):
                if inner_block is owner.body and owner.orelse:
                    leaving = cf.outcomes(owner.orelse, qualify)
                    if cf.CONTINUE in leaving:
                        return True
                    if cf.NEXT not in leaving:
                        return False
                if owner.finalbody:
                    leaving = cf.outcomes(owner.finalbody, qualify)
                    if cf.NEXT not in leaving:
                        return cf.CONTINUE in leaving
            leaving = _outcomes_with_flags(block[index + 1 :], flags, qualify)
            if cf.CONTINUE in leaving:
                return True
            if cf.NEXT not in leaving:
                return False
        if isinstance(self.node, ast.While) and flags & keys_read(self.node.test):
            return False
        return True

    # -- what makes it a retry loop -------------------------------------------------

    @cached_property
    def retrying_handlers(self) -> list[Handler]:
        return [h for h in self.handlers if h.lets_loop_go_on]

    @cached_property
    def _local_nodes(self) -> list[ast.AST]:
        return list(walk_local(self.node.body))

    @cached_property
    def pauses(self) -> bool:
        """It waits between attempts: a sleep outside the code the retrying handlers protect.

        A sleep inside the ``try`` is part of the attempt (a periodic poller, an EINTR retry
        around ``select``), not a pause before trying again.
        """
        attempt = {id(n) for h in self.retrying_handlers for n in walk_local(h.protected_body)}
        return any(isinstance(n, ast.Call) and id(n) not in attempt and self.module.is_pause(n)
                   for n in self._local_nodes)

    @cached_property
    def calls_connection_like(self) -> bool:
        patterns = self.module.connect_patterns
        for handler in self.retrying_handlers:
            for node in walk_local(handler.protected_body):
                if isinstance(node, ast.Call):
                    name = last_name(node.func)
                    if name and patterns.matches(name):
                        return True
        return False

    @cached_property
    def is_retry_loop(self) -> bool:
        if not self.retrying_handlers or self.takes_a_new_item:
            return False
        return self.pauses or self.calls_connection_like

    @cached_property
    def takes_a_new_item(self) -> bool:
        """``client, _ = server.accept()`` or ``job = jobs.get()`` before the ``try``.

        Each pass then handles a new item, and a failure moves on to the next one: a server or a
        queue worker, not a retry of the same attempt.
        """
        for stmt in self.node.body:
            if isinstance(stmt, _TRY_TYPES):
                return False
            value = stmt.value if isinstance(stmt, (ast.Assign, ast.AnnAssign)) else None
            if isinstance(value, ast.Await):
                value = value.value
            if isinstance(value, ast.Call) and _takes_an_item(value):
                return True
        return False

    # -- what stops it --------------------------------------------------------------

    @cached_property
    def _counters(self) -> set[str]:
        """Names the loop counts with, or sets from a clock: tests on them bound the loop."""
        counters = set()
        for node in self._local_nodes:
            if isinstance(node, ast.AugAssign) and isinstance(node.op, (ast.Add, ast.Sub)):
                k = key(node.target)
                if k:
                    counters.add(k)
            elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                k = key(node.targets[0])
                if not k:
                    continue
                value = node.value
                if (isinstance(value, ast.BinOp) and isinstance(value.op, (ast.Add, ast.Sub))
                        and k in (key(value.left), key(value.right))):
                    counters.add(k)
                elif _reads_clock(value):
                    counters.add(k)
        # ``exceeded = tries >= max_tries`` makes ``exceeded`` a test on the counter too.
        for node in self._local_nodes:
            if isinstance(node, ast.Assign) and counters & keys_read(node.value):
                counters.update(k for k in map(key, node.targets) if k)
        return counters

    def _is_limit_test(self, test: ast.expr) -> bool:
        if _reads_clock(test):
            return True
        return bool(keys_read(test) & self._counters)

    def reads_indicator(self, test: ast.expr) -> bool:
        """The expression reads a shutdown flag or event: ``self._closing``, ``stop.is_set()``."""
        patterns = self.module.shutdown_patterns
        for node in ast.walk(test):
            name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
            if name and patterns.matches(name):
                return True
        return False

    @cached_property
    def _exit_tests(self) -> list[ast.expr]:
        """Tests of ``if`` statements in the loop that lead out of it (or clear its condition)."""
        qualify = self.module.imports.qualified_name
        condition_keys = keys_read(self.node.test) if isinstance(self.node, ast.While) else set()
        tests = []
        for stmt, in_try in _local_ifs(self.node.body):
            leaving = cf.outcomes(stmt.body, qualify)
            leaves = cf.BREAK in leaving or cf.RETURN in leaving or (cf.RAISE in leaving and not in_try)
            if leaves or (condition_keys and _assigns_any(stmt.body, condition_keys)):
                tests.append(stmt.test)
        return tests

    @cached_property
    def has_shutdown_check(self) -> bool:
        if isinstance(self.node, ast.While) and self.reads_indicator(self.node.test):
            return True
        return any(self.reads_indicator(test) for test in self._exit_tests)

    @cached_property
    def is_bounded(self) -> bool:
        if self.counts_its_attempts:
            return True
        # A timeout scope ends the loop by cancelling it: only at an await, and only if nothing eats it.
        return self.awaits and CANCELLATION not in self.swallowed_kinds and self._in_timeout_scope()

    @cached_property
    def counts_its_attempts(self) -> bool:
        """Bounded by itself: a finite iterable, or a condition or exit test on a counter or the clock."""
        node = self.node
        if isinstance(node, (ast.For, ast.AsyncFor)) and not self.module.is_endless(node.iter):
            return True
        if isinstance(node, ast.While) and not _is_constant_true(node.test) and self._condition_bounded(node.test):
            return True
        return any(self._is_limit_test(test) for test in self._exit_tests)

    def _condition_bounded(self, test: ast.expr) -> bool:
        if isinstance(test, ast.BoolOp):
            parts = [self._condition_bounded(v) for v in test.values]
            return any(parts) if isinstance(test.op, ast.And) else all(parts)
        return self._is_limit_test(test)

    def _in_timeout_scope(self) -> bool:
        qualify = self.module.imports.qualified_name
        for item in self.enclosing_with_items:
            call = item.context_expr
            if isinstance(call, ast.Call):
                name = qualify(call.func)
                if name in TIMEOUT_SCOPES:
                    return True
                if name in ("anyio.CancelScope", "trio.CancelScope") and any(kw.arg == "deadline" for kw in call.keywords):
                    return True
        fn = self.function.node
        return fn is not None and fn.name in self.module.functions_awaited_with_timeout

    # -- who can stop it ------------------------------------------------------------

    @cached_property
    def awaits(self) -> bool:
        return any(isinstance(n, (ast.Await, ast.AsyncFor, ast.AsyncWith)) for n in self._local_nodes) or isinstance(
            self.node, ast.AsyncFor)

    @cached_property
    def swallowed_kinds(self) -> frozenset[str]:
        kinds: frozenset[str] = frozenset()
        for handler in self.handlers:
            kinds |= handler.swallows
        return kinds


_TAKING_CALLS = frozenset({"accept", "recv", "recvfrom", "recv_into", "receive", "get_message", "popleft",
                           "readline", "read_message", "next_msg"})
_TAKING_CALLS_WITHOUT_ARGUMENTS = frozenset({"get", "pop", "read"})  # ``d.get("url")`` is a lookup


def _takes_an_item(call: ast.Call) -> bool:
    name = last_name(call.func)
    if not isinstance(call.func, ast.Attribute):
        return False
    return name in _TAKING_CALLS or (name in _TAKING_CALLS_WITHOUT_ARGUMENTS and not call.args)


def _reads_clock(node: ast.expr) -> bool:
    return any(isinstance(n, ast.Call) and last_name(n.func) in _CLOCK_NAMES for n in ast.walk(node))


def _is_constant_true(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and bool(node.value)


def _assigns_any(body: list[ast.stmt], keys: set[str]) -> bool:
    for node in walk_local(body):
        if isinstance(node, ast.Assign) and any(key(t) in keys for t in node.targets):
            return True
    return False


def _local_ifs(body: Sequence[ast.stmt], in_try: bool = False) -> Iterator[tuple[ast.If, bool]]:
    """``if`` statements of a loop body, with whether a ``try`` around them would catch their raise."""
    for stmt in body:
        if isinstance(stmt, ast.If):
            yield stmt, in_try
            yield from _local_ifs(stmt.body, in_try)
            yield from _local_ifs(stmt.orelse, in_try)
        elif isinstance(stmt, _TRY_TYPES):
            yield from _local_ifs(stmt.body, in_try or bool(stmt.handlers))
            for handler in stmt.handlers:
                yield from _local_ifs(handler.body, in_try)
            yield from _local_ifs(stmt.orelse, in_try)
            yield from _local_ifs(stmt.finalbody, in_try)
        elif isinstance(stmt, (ast.With, ast.AsyncWith, *_LOOP_TYPES)):
            yield from _local_ifs(stmt.body, in_try)
            yield from _local_ifs(getattr(stmt, "orelse", []), in_try)
        elif isinstance(stmt, ast.Match):
            for case in stmt.cases:
                yield from _local_ifs(case.body, in_try)


def _outcomes_with_flags(body: Sequence[ast.stmt], flags: set[str], qualify) -> frozenset[str]:
    """Like ``outcomes``, but an ``if`` that tests a flag the handler set, and leaves, counts as leaving."""
    if flags:
        for position, stmt in enumerate(body):
            if isinstance(stmt, ast.If) and flags & keys_read(stmt.test):
                if cf.outcomes(stmt.body, qualify) & cf.EXITS:
                    return cf.outcomes(body[:position], qualify) - {cf.NEXT} | {cf.BREAK}
    return cf.outcomes(body, qualify)


class ModuleAnalysis:
    """Every loop and loop handler of one module, with the facts the rules ask about."""

    def __init__(self, tree: ast.Module, settings: Settings) -> None:
        self.settings = settings
        self.imports = ImportMap()
        self.loops: list[Loop] = []
        self.handlers: list[Handler] = []
        self.tree = tree
        collector = _Collector(self)
        collector.block(tree.body, Function(None), None, (), ())
        collector.finish()

    @cached_property
    def shutdown_patterns(self) -> WordPatterns:
        return WordPatterns(self.settings.shutdown_names)

    @cached_property
    def connect_patterns(self) -> WordPatterns:
        return WordPatterns(self.settings.connect_names)

    @cached_property
    def cancellation_name(self) -> str:
        if self.imports.imports_module("trio") and not self.imports.imports_module("asyncio"):
            return "trio.Cancelled"
        return "asyncio.CancelledError"

    def is_pause(self, call: ast.Call) -> bool:
        name = self.imports.qualified_name(call.func)
        if name in PAUSE_CALLS:
            return True
        last = last_name(call.func)
        if last == "wait" and (call.args or any(kw.arg == "timeout" for kw in call.keywords)):
            return isinstance(call.func, ast.Attribute)  # Event.wait(timeout), Condition.wait(timeout)
        return bool(last) and "sleep" in last.lower()

    def is_endless(self, iterable: ast.expr) -> bool:
        if not isinstance(iterable, ast.Call):
            return False
        name = self.imports.qualified_name(iterable.func)
        if name in ENDLESS_ITERATORS:
            return True
        if name == "itertools.repeat":
            return len(iterable.args) < 2 and not iterable.keywords
        return name == "iter" and len(iterable.args) == 2

    @cached_property
    def functions_awaited_with_timeout(self) -> set[str]:
        """Functions whose call is passed to ``asyncio.wait_for``: a loop inside them is bounded."""
        names = set()
        for node in ast.walk(self.tree):
            if (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Call)
                    and self.imports.qualified_name(node.func) == "asyncio.wait_for"):
                name = last_name(node.args[0].func)
                if name:
                    names.add(name)
        return names

    def is_suppress(self, call: ast.Call) -> bool:
        return self.imports.qualified_name(call.func) in SUPPRESS


class _Collector:
    """One statement-level pass that records loops, their handlers and the imports."""

    def __init__(self, analysis: ModuleAnalysis) -> None:
        self.analysis = analysis
        self._suppress_candidates: list[Handler] = []

    def block(self, stmts, function, loop, frames, withs) -> None:
        for index, stmt in enumerate(stmts):
            self.statement(stmt, function, loop, frames + ((stmts, index),), withs)

    def statement(self, stmt, function, loop, here, withs) -> None:
        analysis = self.analysis
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            analysis.imports.add(stmt)
        elif isinstance(stmt, _FUNCTION_TYPES):
            inner = Function(stmt, isinstance(stmt, ast.AsyncFunctionDef))
            self.block(stmt.body, inner, None, (), ())
        elif isinstance(stmt, ast.ClassDef):
            self.block(stmt.body, Function(None), None, (), ())
        elif isinstance(stmt, _LOOP_TYPES):
            new = Loop(stmt, function, withs, module=analysis)
            analysis.loops.append(new)
            self.block(stmt.body, function, new, (), withs)
            self.block(stmt.orelse, function, loop, here, withs)
        elif isinstance(stmt, _TRY_TYPES):
            if loop is not None:
                for position, clause in enumerate(stmt.handlers):
                    handler = Handler(clause, stmt, loop, here, tuple(stmt.handlers[:position]), module=analysis)
                    loop.handlers.append(handler)
                    analysis.handlers.append(handler)
            self.block(stmt.body, function, loop, here, withs)
            for clause in stmt.handlers:
                self.block(clause.body, function, loop, here, withs)
            self.block(stmt.orelse, function, loop, here, withs)
            self.block(stmt.finalbody, function, loop, here, withs)
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            if loop is not None:
                for item in stmt.items:
                    call = item.context_expr
                    if isinstance(call, ast.Call):  # finish() keeps those that are contextlib.suppress
                        handler = Handler(call, stmt, loop, here, module=analysis)
                        self._suppress_candidates.append(handler)
            self.block(stmt.body, function, loop, here, withs + tuple(stmt.items))
        elif isinstance(stmt, ast.If):
            self.block(stmt.body, function, loop, here, withs)
            self.block(stmt.orelse, function, loop, here, withs)
        elif isinstance(stmt, ast.Match):
            for case in stmt.cases:
                self.block(case.body, function, loop, here, withs)

    def finish(self) -> None:
        """Keep the ``suppress`` items that really are ``contextlib.suppress``, now that imports are known."""
        for handler in self._suppress_candidates:
            if self.analysis.is_suppress(handler.node):
                handler.loop.handlers.append(handler)
                self.analysis.handlers.append(handler)
