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
import sys
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Iterator, Sequence

from . import control_flow as cf
from ..syntax.local_nodes import (awaits, bound_targets, instance_name, is_none, key, keys_read, loop_sources, parameters,
                                  parent_map, statement_blocks, walk_local, yields)
from ..syntax.names import ImportMap, WordPatterns, last_name, words
from .finished_work import known_finished
from .quick_calls import INSPECTING_BUILTINS, body_can_block, prompts
from .program_signals import recorded_sigint, sigint_reset_by_import
from .run_contexts import RunContext, RunContexts
from .shutdown_paths import EXIT_DUNDERS
from .stop_paths import GO_ON_WORDS, ModuleStops
from .task_cancellers import cancels_what_it_is_given, flags_every_cancellation_sets
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

if TYPE_CHECKING:  # the program model is imported when a question needs it: most checks never ask
    from ..model.library import LibraryModel
    from ..model.program import Program, Value, Where
    from ..model.summaries import FunctionFacts
    from ..model.waits import Reached, WaitModel

_TRY_TYPES = (ast.Try,) + ((ast.TryStar,) if hasattr(ast, "TryStar") else ())
_LOOP_TYPES = (ast.While, ast.For, ast.AsyncFor)
_COMPOUND = (ast.If, ast.With, ast.AsyncWith, ast.Match, *_TRY_TYPES, *_LOOP_TYPES)
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
_CLOCK_WORDS = frozenset({"time", "monotonic", "perf", "now", "utcnow", "clock"})
_DEADLINE_WORDS = frozenset({"deadline", "expired", "expire", "expires", "expiry", "remaining", "elapsed",
                             "timeout"})
_DEADLINE_METHODS = frozenset({"check_return", "time_left", "is_expired", "has_expired"})
_HANDING_ON_CALLS = cf.RERAISING_NAMES | {"throw", "athrow", "set_exception"}  # raise it elsewhere
_EXIT_FUNCTIONS = frozenset({"sys.exit", "exit", "quit", "os._exit"})


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
        return loop_sources(self.node.body) if self.node is not None else {}

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
        qualify = self.module.qualify
        leaving = cf.outcomes(self.body, qualify) if not self.is_suppress else frozenset({cf.NEXT})
        if cf.CONTINUE not in leaving and cf.NEXT not in leaving:
            return False
        flags = self._flags_set()
        # the cheap half first: only a coroutine's handler of a cancellation can have nothing else at stake
        if self.function.is_async and CANCELLATION in self.catches.kinds and not self.module.settings.strict \
                and self.at_stake == {CANCELLATION}:
            flags = self._with_flags_of_the_cancellers(flags)
        if cf.CONTINUE in leaving and not self.loop.next_round_stops_on(flags):
            return True
        if cf.NEXT not in leaving:
            return False
        return self.loop.control_reaches_next_iteration(self.frames, flags, qualify)

    @cached_property
    def stop_call(self) -> ast.Call | None:
        """``self.stop()`` in the handler, where ``stop()`` sets a flag the loop tests: a graceful stop."""
        for call, flags in self._stop_calls:
            if set(flags) & self.loop.keys_tested:
                return call
        return None

    @cached_property
    def _stop_calls(self) -> list[tuple[ast.Call, dict[str, list[ast.expr | None]]]]:
        """The handler's calls of the module's own stop methods (``self.stop()``), with what each sets."""
        found = []
        for node in walk_local(self.body):
            if isinstance(node, ast.Call) and self.module.stops.is_stop_name(last_name(node.func) or ""):
                method = self.module.contexts.resolve(node.func, self.function.node)
                if method is not None and method is not self.function.node:
                    flags: dict[str, list[ast.expr | None]] = {}
                    for inner in walk_local(method.body):
                        _record_flags(inner, flags)
                    found.append((node, flags))
        return found

    def _flags_set(self) -> dict[str, list[ast.expr | None]]:
        """Names the handler sets, with the values, so that a test after the try can stop on them.

        ``self.stop()`` counts as setting what ``stop()`` sets (one call down): a handler that asks
        the object to stop has stopped the loop if the loop reads that flag. ``None`` stands for
        an Event's ``set()`` or a value the analysis cannot read.
        """
        flags: dict[str, list[ast.expr | None]] = {}
        for node in walk_local(self.body):
            _record_flags(node, flags)
        for _, method_flags in self._stop_calls:
            for name, values in method_flags.items():
                flags.setdefault(name, []).extend(values)
        return flags

    def _with_flags_of_the_cancellers(self, flags: dict[str, list[ast.expr | None]]) -> dict[str, list[ast.expr | None]]:
        """Add the flags every cancellation of this function's task sets first (``stop()`` sets
        ``self.running = False``, then cancels): they hold when its ``CancelledError`` arrives here."""
        node = self.function.node
        if node is None or not self.function.is_async:
            return flags
        extra = flags_every_cancellation_sets(node, self.module)
        if not extra:
            return flags
        merged = {name: list(values) for name, values in flags.items()}
        for name, values in extra.items():
            merged.setdefault(name, []).extend(values)
        return merged

    @cached_property
    def at_stake(self) -> frozenset[str]:
        """The shutdown exceptions this handler can really catch here and swallow."""
        kinds = set(self.catches.kinds)
        fn = self.function
        if CANCELLATION in kinds and not (fn.is_async and awaits(self.protected_body)):
            kinds.discard(CANCELLATION)  # only an await can deliver this task's cancellation
        if CANCELLATION in kinds and self._awaits_only_finished_work():
            kinds.discard(CANCELLATION)  # ``if task.done(): await task`` does not suspend: the error is the task's
        if self.catches.broad and fn.is_async:
            kinds -= {KEYBOARD_INTERRUPT, SYSTEM_EXIT}  # an event loop turns them into cancellation
        if GENERATOR_EXIT in kinds and not (fn.is_generator and yields(self.protected_body)):
            kinds.discard(GENERATOR_EXIT)
        if GENERATOR_EXIT in kinds and not self.module.settings.strict and self.module.driven_as_coroutine(fn.node):
            kinds.discard(GENERATOR_EXIT)  # resumed by its library as a coroutine, never closed by a consumer
        kinds -= self._reraised_kinds()
        if not self.module.settings.strict:
            kinds -= self._cannot_arrive(kinds)
        return frozenset(kinds)

    def _awaits_only_finished_work(self) -> bool:
        """Every suspension point of the ``try`` body awaits a task the code around it has seen finish
        (``if task.done(): await task``): awaiting a done future returns at once, so no cancellation of this
        task arrives there, and a ``CancelledError`` raised is the awaited task's own result."""
        function = self.function.node
        if function is None:
            return False
        found = False
        for node in walk_local(self.protected_body):
            if isinstance(node, (ast.AsyncFor, ast.AsyncWith)):
                return False
            if isinstance(node, ast.Await):
                target = key(node.value)
                if target is None or not known_finished(function, node, target):
                    return False
                found = True
        return found

    def _cannot_arrive(self, kinds: set[str]) -> set[str]:
        """What the rule pages' letter counts but this code never receives (the default mode).

        ``KeyboardInterrupt`` comes only to the main thread, and not at all where the module's own
        SIGINT handling does not raise; ``SystemExit`` caught by a broad handler only where the
        protected code exits or a signal handler of the module does; neither lands, in practice,
        in a ``try`` of quick calls: the request arrives in the pause or the blocking call instead.
        """
        gone: set[str] = set()
        shutdown = {KEYBOARD_INTERRUPT, SYSTEM_EXIT}
        if kinds & shutdown and not self.protected_body_can_block:
            return shutdown  # the cheapest question first: most handlers end here or pass it
        if SYSTEM_EXIT in kinds and self.catches.broad and not self.exits_inside \
                and (self.module.stops.exiting_signal is None or self.loop.context.in_thread):
            gone.add(SYSTEM_EXIT)
        if KEYBOARD_INTERRUPT in kinds and (self.module.sigint_recorded is not None or self.loop.context.in_thread):
            gone.add(KEYBOARD_INTERRUPT)
        # The dearest questions last, and only while they can change the answer: the batch wait follows
        # calls into the program's other modules; who else runs the function reads the project's files (a
        # thread its module does not show).
        if (kinds & shutdown) - gone and (
                (self.in_batch_loop and self.handed_in_call is None and self.batch_wait is None)
                or (not self.loop.context.in_thread
                    and self.module.handed_only_to_threads(self.function.node) is not None)):
            gone |= {KEYBOARD_INTERRUPT} | (set() if self.exits_inside else {SYSTEM_EXIT})
        return gone

    def _resolve(self, func: ast.expr):
        """The module's function a call in the handler's function names (``self._read_line``, ``prompt``)."""
        return self.module.contexts.resolve(func, self.function.node)

    @cached_property
    def protected_body_can_block(self) -> bool:
        """The ``try`` body calls something that may take a while, where a stop request can land."""
        function = self.function.node
        seen = frozenset({id(function)}) if function is not None else frozenset()
        return body_can_block(self.protected_body, self.module.imports, self._resolve, seen=seen)

    @property
    def _a_loop_around_goes_on(self) -> bool:
        """A loop of the function around the handler's own goes round until stopped (a ``while``, an endless
        ``for``): a swallowed stop that ends the inner loop does not end that one."""
        return any(isinstance(node, ast.While) or self.module.is_endless(node.iter) for node in self.loop.around)

    @cached_property
    def in_batch_loop(self) -> bool:
        """The handler's loop goes once through a finite set of items (``for record in batch:``), and no
        loop around it in the function goes on: a swallowed stop skips one item, and the loop ends."""
        if self.function.is_async or not self.loop.goes_through_items:
            return False
        return not self._a_loop_around_goes_on

    @cached_property
    def handed_in_call(self) -> ast.Call | None:
        """A call in the ``try`` body of the very items the loop goes through: ``for hook in hooks: hook(event)``,
        ``task = ready.pop(); task()``, ``self._current = self._ready.popleft(); self._current()``. An event
        loop's step, a dispatcher's hooks: the program's own work runs there, and with it the time a Ctrl-C
        lands in. (A callback parameter applied to each item is not known to take a while.)"""
        items = self._item_bindings
        for node in walk_local(self.protected_body):
            if isinstance(node, ast.Call) and key(node.func) in items:
                return node
        return None

    @cached_property
    def _item_bindings(self) -> frozenset[str]:
        """The names (``task``, ``self._current``) this function binds to an item of a collection: a loop
        target, or what ``pop()``, ``popleft()``, ``get()`` or ``next()`` hand out."""
        function = self.function.node
        scope = function.body if function is not None else self.module.tree.body
        found: set[str] = set()
        for node in walk_local(scope):
            if isinstance(node, (ast.For, ast.AsyncFor)):
                found.update(_target_keys(node.target))
            elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.value, ast.Call):
                taken = node.value.func
                if (isinstance(taken, ast.Attribute) and taken.attr in _TAKING_METHODS) or \
                        (isinstance(taken, ast.Name) and taken.id == "next"):
                    found.update(_target_keys(node.targets[0]))
        return frozenset(found)

    @cached_property
    def batch_wait(self) -> "Reached | None":
        """The first call of the ``try`` body that waits, as the library and program models say (a round trip,
        a pause, a child process), followed into project code: where a Ctrl-C lands in a batch loop."""
        body = self.protected_body
        if not body:
            return None
        facts = self.module.facts_of(self.function.node)
        if facts is None:
            return None
        return self.module.waits.first_wait(facts, (body[0].lineno, body[-1].end_lineno or body[-1].lineno))

    @property
    def exits_inside(self) -> bool:
        return self._exit_inside is not None

    @cached_property
    def _exit_inside(self) -> ast.AST | None:
        """Where the protected code itself calls ``sys.exit()`` or raises SystemExit."""
        qualify = self.module.imports.qualified_name
        for node in walk_local(self.protected_body):
            if isinstance(node, ast.Call) and qualify(node.func) in _EXIT_FUNCTIONS:
                return node
            if isinstance(node, ast.Raise) and node.exc is not None and \
                    last_name(node.exc.func if isinstance(node.exc, ast.Call) else node.exc) == "SystemExit":
                return node
        return None

    def arrival(self, kinds: frozenset[str]) -> str | None:
        """Where the swallowed stop request comes from, when the code shows it: for the message."""
        if SYSTEM_EXIT in kinds and KEYBOARD_INTERRUPT not in kinds:
            inside = self._exit_inside
            if inside is not None:
                return f"`{ast.unparse(inside)[:40]}` at line {inside.lineno} raises it"
            handling = self.module.stops.exiting_signal
            if handling is not None:
                return f"the module's {handling.signal} handler, {handling.how}, exits through it"
        if KEYBOARD_INTERRUPT in kinds and self.in_batch_loop and self.batch_wait is not None:
            return _lands_in(self.batch_wait)
        return None

    def _reraised_kinds(self) -> set[str]:
        """Kinds the handler re-raises first: ``if isinstance(e, X): raise``, ``if task.cancelling(): raise``."""
        reraised: set[str] = set()
        qualify = self.module.qualify
        for stmt in self.body:
            if not (isinstance(stmt, ast.If) and cf.outcomes(stmt.body, qualify) <= cf.EXITS):
                continue
            test = stmt.test
            if (isinstance(test, ast.Call) and isinstance(test.func, ast.Name) and test.func.id == "isinstance"
                    and len(test.args) == 2):
                reraised |= classify(test.args[1], self.module.imports).kinds
            elif any(isinstance(n, ast.Call) and last_name(n.func) == "cancelling" for n in ast.walk(test)):
                reraised.add(CANCELLATION)
            elif self.loop.reads_indicator(test) or self.loop.reads_own_condition(test):
                reraised |= self.catches.kinds  # ``if self._closing: raise``: shutdown gets through
        return reraised

    @cached_property
    def exemption(self) -> str | None:
        """Why a handler that swallows shutdown on paper is a known idiom and not a hazard."""
        stake = self.at_stake
        if stake == {KEYBOARD_INTERRUPT} and prompts(self.protected_body, self._resolve):
            return "a REPL cancels the line being typed"
        if not self.module.settings.strict and stake <= {KEYBOARD_INTERRUPT, SYSTEM_EXIT} \
                and self._runs_the_line_the_round_asked_for():
            return "a REPL runs the line it asked for: the command ends, and the loop goes back to the prompt"
        if stake == {CANCELLATION} and self._awaits_only_cancelled_tasks():
            return "awaits tasks this function has just cancelled"
        # Not ``is_bounded``: a timeout scope cannot end a loop that keeps (so swallows) the cancellation.
        if self._keeps_the_exception() and not (self.loop.is_retry_loop and not self.loop.counts_its_attempts):
            return "keeps the exception to raise it after the loop"
        if not self.module.settings.strict and stake == {CANCELLATION} and self._skips_an_item_of_an_ending_task():
            return "goes once through a finite set of items in a task that ends after them: a cancellation skips one"
        if not self.module.settings.strict and self._contains_each_item_of_a_stop():
            return "goes through the things a stop path ends, one failure not stopping the rest: the stop is under way"
        if not self.module.settings.strict and self._hands_the_stop_on():
            return "records the stop in a flag that the loop acts on by calling the program's stop"
        if not self.module.settings.strict and self._stops_in_two_stages():
            return "a second press stops it: the handler remembers the first one, and leaves on the next"
        if not self.module.settings.strict and self._finishes_a_stop_under_way():
            return "repeats a stop that a first Ctrl-C started until it completes: a further press is not a new stop"
        if not self.module.settings.strict and SYSTEM_EXIT not in stake and self._reraises_once_attempts_run_out():
            return ("re-raises what it caught once the loop's attempts run out: a stop comes out a few attempts "
                    "later, or, when a later attempt succeeds, takes a second Ctrl-C")
        return None

    def _reraises_once_attempts_run_out(self) -> bool:
        """``except: tries += 1; if tries > 3: raise; continue``: the handler re-raises what it caught once the
        loop's count of attempts (or its clock) reaches a limit. A stop it catches is held up by the attempts
        left and then leaves the loop as it came, unless a later attempt succeeds: then it is lost. A person
        at a terminal mends that with a second Ctrl-C; a SIGTERM is sent once, so ``exemption`` does not
        take this for a ``SystemExit``. A limit that a caller must set first (None by default) or a deadline
        longer than ``max-retry-time`` is no limit."""
        caught = self.node.name if not self.is_suppress else None
        for stmt in self.body:
            if isinstance(stmt, ast.If) and self.loop._is_limit_test(stmt.test) and stmt.body:
                last = stmt.body[-1]
                if isinstance(last, ast.Raise) and last.cause is None and (
                        last.exc is None or (caught is not None and key(last.exc) == caught)):
                    return True
        return False

    def _runs_the_line_the_round_asked_for(self) -> bool:
        """A REPL: each round first asks the user for a line (before this ``try``, on the loop's way to it),
        then runs the command here. A ``SystemExit`` or a Ctrl-C the command raises (``sys.exit()`` in a
        click command, argparse's exit on a bad line) ends that command, and the loop goes back to the
        prompt, where the user ends the session; the wait for the line is outside this handler."""
        body, index = self.frames[0]
        before = body[:index]
        return bool(before) and prompts(before, self._resolve)

    def _finishes_a_stop_under_way(self) -> bool:
        """``except KeyboardInterrupt: while True: try: self.stop(); break except KeyboardInterrupt: pass``:
        the loop runs only once a Ctrl-C has been caught, and tries the program's stop again until it
        completes. The press it swallows arrives while that stop is under way: the loop ends with the stop."""
        caught = self.own_catch
        if caught.broad or not self.at_stake <= {KEYBOARD_INTERRUPT, SYSTEM_EXIT} or not self.at_stake & caught.kinds:
            return False
        stops = self.module.stops
        if not any(isinstance(node, ast.Call) and stops.is_stop_name(last_name(node.func) or "")
                   for node in walk_local(self.protected_body)):
            return False
        if cf.NEXT in cf.outcomes(self.protected_body, self.module.qualify):
            return False  # the stop returned and the loop goes round anyway: not a repeat until it completes
        parents = self.module.parents
        node: ast.AST | None = parents.get(id(self.loop.node))
        while node is not None and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            if isinstance(node, ast.ExceptHandler) and classify(node.type, self.module.imports).kinds & self.at_stake:
                return True
            node = parents.get(id(node))
        return False

    def _stops_in_two_stages(self) -> bool:
        """``except KeyboardInterrupt: if interrupted: raise`` / ``interrupted = True``: a deliberate two-stage
        Ctrl-C (the first press asks for a graceful stop, the next one leaves). The handler tests a flag or a
        count that it sets itself and that nothing else in the loop resets, and leaves on that branch."""
        caught = self.own_catch
        if KEYBOARD_INTERRUPT not in self.at_stake or caught.broad or KEYBOARD_INTERRUPT not in caught.kinds:
            return False  # a broad handler that counts its failures is a retry budget, not a second press
        qualify = self.module.imports.qualified_name
        remembered: set[str] = set()
        for node in walk_local(self.body):
            if isinstance(node, (ast.Assign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                remembered.update(k for k in map(key, targets) if k)
        if not remembered:
            return False
        handler_nodes = {id(n) for n in walk_local(self.body)}
        for node in walk_local(self.loop.node.body):
            if id(node) not in handler_nodes and isinstance(node, (ast.Assign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                remembered -= {k for k in map(key, targets) if k}  # reset each time round: no memory
        for node in walk_local(self.body):
            if isinstance(node, ast.If) and keys_read(node.test) & remembered \
                    and _leaves(node.body, qualify):
                return True
        return False

    def _hands_the_stop_on(self) -> bool:
        """``except KeyboardInterrupt: state.signal = "shutdown"``, where the loop tests ``state.signal`` and,
        on that branch, calls the program's stop (``shutdown()``, ``sys.exit()``): Ctrl-C turned into the
        graceful stop the program already has, not swallowed."""
        flags = set(self._flags_set())
        if not flags:
            return False
        qualify = self.module.imports.qualified_name
        handler_nodes = {id(n) for n in walk_local(self.body)}
        for node in walk_local(self.loop.node.body):
            if not isinstance(node, ast.If) or id(node) in handler_nodes or not keys_read(node.test) & flags:
                continue
            for branch in (node.body, node.orelse):
                for inner in walk_local(branch):
                    if isinstance(inner, ast.Call) and (qualify(inner.func) in _EXIT_FUNCTIONS or
                                                        self.module.stops.is_stop_name(last_name(inner.func) or "")):
                        return True
        return False

    def _contains_each_item_of_a_stop(self) -> bool:
        """``def close(self): for conn in self._conns: try: conn.close() except BaseException: log...``: a
        finite loop in a function named like the end of the object's work. The stop it would swallow is the
        one already being carried out, and the loop ends with its items (a wait with no bound in it is
        FSR901's to report)."""
        function = self.function.node
        if function is None or self.loop.is_retry_loop or not self.loop.goes_through_items:
            return False
        return function.name in EXIT_DUNDERS or self.module.stops.is_shutdown_name(function.name)

    def _keeps_the_exception(self) -> bool:
        """The exception is handed on, not lost: raised or returned later, or passed to its owner.

        ``errors.append((exc, item))`` then ``return errors``; ``pending = sys.exc_info()`` then
        ``reraise(*pending)``; ``future.set_exception(exc)``; ``task.inject_exc(exc)``. Keeping
        it in a name that is only formatted into a message is not keeping it.
        """
        bound = None if self.is_suppress else self.node.name
        qualify = self.module.imports.qualified_name

        def is_the_exception(node: ast.expr) -> bool:
            for n in ast.walk(node):
                if bound and isinstance(n, ast.Name) and n.id == bound:
                    return True
                if isinstance(n, ast.Call) and qualify(n.func) in ("sys.exc_info", "sys.exception"):
                    return True
            return False

        for node in walk_local(self.body):
            if isinstance(node, ast.Assign) and is_the_exception(node.value):
                if any(self._raised_later(k) for k in map(key, node.targets) if k):
                    return True
            elif isinstance(node, ast.Call) and node.args and any(is_the_exception(a) for a in node.args):
                name = last_name(node.func) or ""
                if name in ("append", "add", "extend", "appendleft", "put", "put_nowait"):
                    receiver = key(node.func.value) if isinstance(node.func, ast.Attribute) else None
                    if receiver and self._raised_later(receiver):
                        return True
                elif name == "set_exception" or (bound and any(isinstance(a, ast.Name) and a.id == bound
                                                               for a in node.args) and not _only_reports(node)):
                    return True
        return False

    def _raised_later(self, name: str) -> bool:
        """A ``raise``, a ``return`` or a re-raising call of the function reads ``name``."""
        scope = self.function.node.body if self.function.node is not None else self.module.tree.body
        for node in walk_local(scope):
            if isinstance(node, ast.Raise) and any(name in keys_read(part) for part in (node.exc, node.cause) if part):
                return True
            if isinstance(node, (ast.Return, ast.Yield)) and node.value is not None and name in keys_read(node.value):
                return True
            if isinstance(node, ast.Call) and (last_name(node.func) or "") in _HANDING_ON_CALLS \
                    and any(name in keys_read(a) for a in node.args):
                return True
        return False

    def _skips_an_item_of_an_ending_task(self) -> bool:
        """An async function goes once through a finite set of items (``for hook in hooks:``, no loop
        around it that goes on), and nothing in the project awaits it inside a loop that goes on (a task
        per message runs it): the swallowed cancellation skips one item, then the function returns and
        its task ends. Awaited in a worker's ``while True:``, the cancellation would be lost for good."""
        function = self.function
        if not function.is_async or function.node is None or not isinstance(self.loop.node, ast.For) \
                or not self.loop.goes_through_items:
            return False  # ``async for`` goes through a stream (a subscription, a socket), not a batch
        if any(isinstance(node, ast.Await) and not isinstance(node.value, ast.Call)
               for node in walk_local(self.protected_body)):
            return False  # ``await task``: it waits for other work, which the lost cancellation does not end
        if self._a_loop_around_goes_on:
            return False
        if self.module.filename is None:
            return False  # no project to ask who awaits it
        return not self.module.program.awaited_in_a_going_loop(function.node.name)

    def _awaits_only_cancelled_tasks(self) -> bool:
        awaited = [n.value for n in walk_local(self.protected_body) if isinstance(n, ast.Await)]
        if not awaited:
            return False
        return self._all_in(awaited, self.function.cancelled_tasks) or \
            self._all_in(awaited, self.function.cancelled_tasks | self._handed_to_cancellers)

    def _all_in(self, awaited: list[ast.expr], cancelled: set[str]) -> bool:
        """Every awaited value is (or gathers) one of the ``cancelled`` tasks."""
        if not cancelled:
            return False
        for value in awaited:
            candidates = [value]
            if isinstance(value, ast.Call):
                candidates = [a.value if isinstance(a, ast.Starred) else a for a in value.args]
            if not any(self.function.task_keys(c) & cancelled for c in candidates):
                return False
        return True

    @cached_property
    def _handed_to_cancellers(self) -> set[str]:
        """Keys of the tasks this function hands to a helper that cancels them (``cancel_task_safe(task)``)."""
        node = self.function.node
        if node is None:
            return set()
        found: set[str] = set()
        for call in walk_local(node.body):
            if isinstance(call, ast.Call) and (call.args or call.keywords) \
                    and not isinstance(call.func, ast.Attribute) and cancels_what_it_is_given(call, node, self.module):
                for argument in [*call.args, *(k.value for k in call.keywords)]:
                    found |= self.function.task_keys(argument)
        return found

    @property
    def swallows(self) -> frozenset[str]:
        """The shutdown exceptions this handler eats while the loop goes round again."""
        if not self.lets_loop_go_on or not self.at_stake or self.exemption:  # the local question first
            return frozenset()
        return self.at_stake


@dataclass(eq=False)
class Loop:
    node: ast.While | ast.For | ast.AsyncFor
    function: Function
    enclosing_with_items: tuple[ast.withitem, ...]  # in the same function, outermost first
    module: "ModuleAnalysis" = field(default=None, repr=False)  # type: ignore[assignment]
    handlers: list[Handler] = field(default_factory=list)
    # The loop statements it sits in (in their body or their ``else``), in the same function, outermost first.
    around: tuple[ast.While | ast.For | ast.AsyncFor, ...] = field(default=(), repr=False)

    @property
    def position(self) -> tuple[int, int]:
        return self.node.lineno, self.node.col_offset

    @cached_property
    def context(self) -> RunContext:
        """Where the loop runs: the main thread, a thread of its own, or a task."""
        return self.module.contexts.of(self.function.node)

    @cached_property
    def goes_through_items(self) -> bool:
        """Once through a finite set of items: ``for item in items`` (not an endless iterator), or
        the same written by hand: ``while items: item = items.pop()``, ``while i < total: ...; i += 1``."""
        node = self.node
        if isinstance(node, ast.While):
            return _drains(node) or _steps_through_indexes(node)
        return not self.module.is_endless(node.iter)

    def condition_stops_on(self, flags: dict[str, list[ast.expr | None]]) -> bool:
        """The ``while`` condition is false once these flags hold these values (``err = e`` under ``while not err``)."""
        if not isinstance(self.node, ast.While) or not flags.keys() & keys_read(self.node.test):
            return False
        return _test_holds(self.node.test, flags) is not True

    def control_reaches_next_iteration(self, frames: Frames, flags: dict[str, list[ast.expr | None]],
                                       qualify) -> bool:
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
        return not self.next_round_stops_on(flags)

    def next_round_stops_on(self, flags: dict[str, list[ast.expr | None]]) -> bool:
        """The flags the handler set end the loop at its next test of them: the ``while`` condition, an
        ``if self.is_cancelled: return`` that every round of the loop goes through, or, once a loop over a
        finite set of items has ended, a round of a loop around it in the function. The handler's loop
        goes round at most once more: the stop the flag records is acted on, not lost."""
        if self.condition_stops_on(flags):
            return True
        if not flags:
            return False
        qualify = self.module.qualify
        if _round_leaves(self.node.body, flags, qualify):
            return True
        if not self.goes_through_items:
            return False
        for outer in reversed(self.around):  # the innermost first: it takes control when this loop ends
            if _round_leaves(outer.body, flags, qualify):
                return True
            if isinstance(outer, ast.While) or self.module.is_endless(outer.iter):
                return False
        return False

    # -- what makes it a retry loop -------------------------------------------------

    @cached_property
    def retrying_handlers(self) -> list[Handler]:
        return [h for h in self.handlers if h.lets_loop_go_on]

    @cached_property
    def _local_nodes(self) -> list[ast.AST]:
        return list(walk_local(self.node.body))

    @cached_property
    def yields_to_its_consumer(self) -> bool:
        """A generator's loop that yields in every round that goes well: each ``yield`` hands control to
        whoever iterates it, which resumes it one round at a time and decides when to stop (a ``for`` that
        breaks, a driver that tests a flag between rounds, ``close()``). The stop is checked there, not
        here. A ``yield`` only under an ``if`` (or in a handler, or an inner loop that may not run) leaves
        the rounds that skip it going on with no one asked: those loops are judged as any other."""
        return _yields_on_the_way(self.node.body)

    @cached_property
    def pauses(self) -> bool:
        """It waits between attempts: a sleep outside the code the retrying handlers protect.

        A sleep inside the ``try`` is part of the attempt (a periodic poller, an EINTR retry
        around ``select``), not a pause before trying again.
        """
        attempt = {id(n) for h in self.retrying_handlers for n in walk_local(h.protected_body)}
        final = self._pauses_before_leaving
        return any(isinstance(n, ast.Call) and id(n) not in attempt and id(n) not in final and self.module.is_pause(n)
                   for n in self._local_nodes)

    @cached_property
    def _pauses_before_leaving(self) -> set[int]:
        """Calls in statements that are followed, in their block, only by a way out of the loop.

        ``time.sleep(1); return None`` waits once on the way out: it is not a pause between attempts.
        """
        found: set[int] = set()
        qualify = self.module.qualify
        for block in _blocks(self.node.body):
            for index, stmt in enumerate(block[:-1]):
                if isinstance(stmt, _COMPOUND):
                    continue  # its own blocks are looked at on their own: a path inside may go round
                rest = cf.outcomes(block[index + 1:], qualify)
                if not rest & {cf.NEXT, cf.CONTINUE}:
                    found.update(id(n) for n in walk_local([stmt]) if isinstance(n, ast.Call))
        return found

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
        if _reads_clock(test) or _reads_deadline(test):
            return self._too_long_deadline(test) is None
        return bool(keys_read(test) & self._counters) and self._limit_none_by_default(test) is None

    def _limit_none_by_default(self, test: ast.expr) -> str | None:
        """``if self.max_attempts is not None and attempt >= self.max_attempts: raise``, where ``max_attempts``
        is a parameter (of the function, or of ``__init__`` stored on ``self``) that defaults to None: the
        count gives up only when a caller sets a limit, and by default it retries for ever. The limit's name."""
        guarded = set()
        for node in ast.walk(test):
            if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.IsNot) \
                    and is_none(node.comparators[0]):
                k = key(node.left)
                if k:
                    guarded.add(k)
            elif isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
                guarded.update(k for value in node.values if isinstance(value, (ast.Name, ast.Attribute))
                               for k in [key(value)] if k)
        for k in sorted(guarded):
            if self._defaults_to_none(k):
                return k
        return None

    def _defaults_to_none(self, k: str) -> bool:
        """A parameter of the loop's function with a None default, or ``self.x`` that ``__init__`` sets from one
        (``self.max_attempts = max_attempts``)."""
        function = self.function.node
        if function is None:
            return False
        if "." not in k:
            return _parameter_defaults_to_none(function, k)
        receiver, _, attribute = k.partition(".")
        if receiver != instance_name(function) or "." in attribute:
            return False
        cls = self.module.contexts.class_of(function)
        init = self.module.contexts.methods(cls).get("__init__") if cls is not None else None
        if init is None:
            return False
        init_self = instance_name(init)
        for node in walk_local(init.body):
            if isinstance(node, ast.Assign) and any(key(t) == f"{init_self}.{attribute}" for t in node.targets) \
                    and isinstance(node.value, ast.Name) and _parameter_defaults_to_none(init, node.value.id):
                return True
        return False

    def _too_long_deadline(self, test: ast.expr) -> float | None:
        """The length of the clock test's deadline when it is longer than ``max-retry-time``: no bound."""
        length = self._deadline_length(test)
        return length if length is not None and length > self.module.settings.max_retry_time else None

    @property
    def retries_for(self) -> str:
        """How long the loop retries, in a message's words: "forever", or as long as its deadline says."""
        too_long = [length for test in self.stop_tests if _reads_clock(test) or _reads_deadline(test)
                    for length in [self._too_long_deadline(test)] if length is not None]
        if not too_long:
            unset = next((k for test in self.exit_tests for k in [self._limit_none_by_default(test)] if k), None)
            return f"forever unless `{unset}` is given (it is None by default)" if unset else "forever"
        longest = max(too_long)
        return (f"for up to {_spell_seconds(longest)} (a deadline longer than max-retry-time, "
                f"{_spell_seconds(self.module.settings.max_retry_time)}, is no bound)")

    def _deadline_length(self, test: ast.expr) -> float | None:
        """How long a clock test lets the loop go on, in seconds, when the code says: the largest length in
        it (``time.monotonic() - start < 86400``), or in the deadline it compares with, set before the loop
        (``deadline = time.monotonic() + timedelta(days=1).total_seconds()``); None when nothing says."""
        found: list[float] = []
        assigned = self._values_before_the_loop
        for node in ast.walk(test):
            if not isinstance(node, ast.Compare):
                continue
            for side in (node.left, *node.comparators):
                value = _seconds(side, assigned)
                if value is None and isinstance(side, (ast.Name, ast.Attribute)) and key(side) in assigned:
                    value = _seconds(assigned[key(side)], assigned)
                if value is not None:
                    found.append(value)
        return max(found) if found else None

    @cached_property
    def _values_before_the_loop(self) -> dict[str, ast.expr]:
        """The values given to names in the function before the loop (the last one given), and the module's
        constants: where a deadline's length is written."""
        values: dict[str, ast.expr] = {}
        for stmt in self.module.tree.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                values[stmt.targets[0].id] = stmt.value
        function = self.function.node
        for node in walk_local(function.body if function is not None else []):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and node.lineno < self.node.lineno:
                k = key(node.targets[0])
                if k:
                    values[k] = node.value
        return values

    def reads_indicator(self, test: ast.expr) -> bool:
        """The expression reads a shutdown flag or event: ``self._closing``, ``stop.is_set()``."""
        return self._reads_flag_by_name(test) or self._asks_a_function_that_reads_one(test)

    def _asks_a_function_that_reads_one(self, test: ast.expr) -> bool:
        """``while self._sleep(60):`` where ``_sleep()`` returns ``self.alive and not QUITTING``: the loop's test
        is a function of the module whose returned value reads a shutdown flag."""
        site = self.function.node
        for node in ast.walk(test):
            if not isinstance(node, ast.Call):
                continue
            callee = self.module.contexts.resolve(node.func, site)
            if callee is None or callee is site:
                continue
            for inner in walk_local(callee.body):
                if isinstance(inner, ast.Return) and inner.value is not None and not isinstance(inner.value, ast.Call) \
                        and self._reads_flag_by_name(inner.value):
                    return True
        return False

    def _reads_flag_by_name(self, expression: ast.expr) -> bool:
        """A name like a stop in the expression, which is not configuration."""
        patterns = self.module.shutdown_patterns
        # ``self._stopping.is_set()``: an object asked a question (an event, a future) changes through its
        # methods, wherever it was made; only a plain value read as it is can be configuration.
        asked = {id(n.func.value) for n in ast.walk(expression)
                 if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)}
        other_work = liveness_questions(expression)
        for node in ast.walk(expression):
            if id(node) in other_work or self.describes_a_failure(node):
                continue
            name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
            if name and patterns.matches(name) and (id(node) in asked or not self.module.is_configuration(name)):
                return True
        return False

    def describes_a_failure(self, node: ast.AST) -> bool:
        """``e.exit_code`` where ``except ProcessExecutionError as e``: what a caught exception says about the
        failure (a child's exit status), not a flag anything sets to stop the loop."""
        if not isinstance(node, (ast.Name, ast.Attribute)):
            return False
        k = key(node)
        return k is not None and k.split(".", 1)[0] in self._caught_names

    @cached_property
    def _caught_names(self) -> frozenset[str]:
        """The names the loop's function binds to a caught exception (``except OSError as e``)."""
        function = self.function.node
        body = function.body if function is not None else self.module.tree.body
        return frozenset(n.name for n in walk_local(body) if isinstance(n, ast.ExceptHandler) and n.name)

    def reads_own_condition(self, test: ast.expr) -> bool:
        """The test reads what the ``while`` condition reads: ``while not self.event.is_set(): ...
        if self.event.is_set(): return`` leaves on the loop's own stop, whatever the name."""
        if not isinstance(self.node, ast.While):
            return False
        return bool((keys_read(test) & keys_read(self.node.test)) - {"self", "cls"})

    @cached_property
    def exit_tests(self) -> list[ast.expr]:
        """Tests of ``if`` statements in the loop that lead out of it (or clear its condition)."""
        qualify = self.module.qualify
        condition_keys = keys_read(self.node.test) if isinstance(self.node, ast.While) else set()
        tests = []
        for stmt, in_try, rest in _local_ifs(self.node.body):
            # ``if n < limit: retry… else: raise`` leaves too, and so does ``if n < limit: continue``
            # followed by ``raise``: what follows the ``if`` is its ``else``.
            otherwise = stmt.orelse or (rest if cf.NEXT not in cf.outcomes(stmt.body, qualify) else [])
            for branch in (stmt.body, otherwise):
                if not branch:
                    continue
                leaving = cf.outcomes(branch, qualify)
                leaves = cf.BREAK in leaving or cf.RETURN in leaving or (cf.RAISE in leaving and not in_try)
                if leaves or (condition_keys and _assigns_any(branch, condition_keys)):
                    tests.append(stmt.test)
                    break
        return tests

    @cached_property
    def has_shutdown_check(self) -> bool:
        """The loop stops on a stop request: a shutdown flag in a test that leaves, or a handler
        that leaves on ``KeyboardInterrupt``/``SystemExit``/cancellation, or a flag that one of the
        module's stop paths sets."""
        return self.checks_a_stop_flag or self.leaves_on_shutdown_exception is not None \
            or self.calls_a_raising_stop_check is not None

    @cached_property
    def calls_a_raising_stop_check(self) -> str | None:
        """``self._check_shutdown()`` on the way of every round, outside any ``try`` of the loop, where that
        function (of this module or another, inherited too) raises when a stop flag says so (``if
        self._shutdown: raise ShutdownError()``): the exception leaves the loop. The function's name."""
        if not self.module.filename or not isinstance(self.node, ast.While):
            return None
        program = self.module.program
        patterns = self.module.shutdown_patterns
        for call in _calls_on_the_way(self.node.body):
            for value in self.module.callee_values(call, self.function.node):
                callee = program.function(value.name) if value.kind == "function" else None
                if callee is not None and any(patterns.matches(k.rsplit(".", 1)[-1]) for k in callee.raises_when):
                    return callee.name
        return None

    @cached_property
    def checks_a_stop_flag(self) -> bool:
        """A shutdown flag in a test that leaves, or a flag that one of the module's stop paths sets:
        what a stop method, a signal handler or another thread can reach, unlike an exception."""
        tests = self.stop_tests
        if any(self.reads_indicator(test) for test in tests):
            return True
        stopped = self.module.stops.keys_set_by_stop_paths
        if stopped and any(keys_read(test) & stopped for test in tests):
            return True
        return self.condition_ended_elsewhere is not None

    @cached_property
    def condition_ended_elsewhere(self) -> str | None:
        """``while not self._keepalive_evt.is_set():`` where another function of the module (not the loop's
        own, nor one that makes or restores the object) sets the event, or gives the flag the value that
        makes the condition false: whatever its name, that is how the loop is told to stop. The function."""
        node = self.node
        if not isinstance(node, ast.While) or _is_constant_true(node.test):
            return None
        wanted = keys_read(node.test) - {"self", "cls"}
        if not wanted:
            return None
        for function, set_there in self.module.flags_set_by_function:
            if function is self.function.node or not wanted & set_there.keys():
                continue
            flags = {k: v for k, v in set_there.items() if k in wanted}
            if _test_holds(node.test, flags) is False:
                return self.module.contexts.title(function)
        return None

    @cached_property
    def stop_tests(self) -> list[ast.expr]:
        """Every test that can end the loop: its ``while`` condition first, then its exit tests."""
        condition = [self.node.test] if isinstance(self.node, ast.While) else []
        return condition + self.exit_tests

    @cached_property
    def keys_tested(self) -> set[str]:
        """The names and attribute chains those tests read."""
        found: set[str] = set()
        for test in self.stop_tests:
            found |= keys_read(test)
        return found

    @cached_property
    def leaves_on_shutdown_exception(self) -> "Handler | None":
        """``except (KeyboardInterrupt, SystemExit): return``: the loop ends when told to stop."""
        qualify = self.module.qualify
        for handler in self.handlers:
            if handler.is_suppress or handler.own_catch.broad or not handler.own_catch.kinds - {GENERATOR_EXIT}:
                continue
            if not cf.outcomes(handler.body, qualify) - cf.EXITS:
                return handler
        return None

    @cached_property
    def is_bounded(self) -> bool:
        if self.counts_its_attempts:
            return True
        # A timeout scope ends the loop by cancelling it: only at an await, and only if nothing eats it.
        return self.awaits and CANCELLATION not in self.swallowed_kinds and self._in_timeout_scope()

    @cached_property
    def counts_its_attempts(self) -> bool:
        """Bounded by itself: a finite iterable (or a collection or queue it drains), or a condition or exit
        test on a counter or the clock."""
        node = self.node
        if isinstance(node, (ast.For, ast.AsyncFor)) and not self.module.is_endless(node.iter):
            return True
        if isinstance(node, ast.While) and not _is_constant_true(node.test) and self._condition_bounded(node.test):
            return True
        if isinstance(node, ast.While) and _drains(node):
            return True  # once through the items of a collection or a queue, putting none back
        if self.delegates_to_a_policy:
            return True
        return any(self._is_limit_test(test) for test in self.exit_tests)

    @cached_property
    def delegates_to_a_policy(self) -> bool:
        """A retry engine: the handler stores the exception in an object the loop then hands to a
        call that decides (``retry_state.set_exception(sys.exc_info())``, then
        ``self.iter(retry_state=retry_state)``). Bounds are the caller's policy, not the loop's."""
        for handler in self.retrying_handlers:
            for node in walk_local(handler.body):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                        and node.func.attr == "set_exception":
                    owner = key(node.func.value)
                    handler_nodes = {id(n) for n in walk_local(handler.body)}
                    for call in self._local_nodes:
                        if isinstance(call, ast.Call) and id(call) not in handler_nodes and owner and any(
                                key(a) == owner for a in [*call.args, *(k.value for k in call.keywords)]):
                            return True
        return False

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


def _spell_seconds(seconds: float) -> str:
    for unit, size in (("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            value = seconds / size
            return f"{value:g} {unit}" if unit != "days" or value != 1 else "1 day"
    return f"{seconds:g} s"


_SECONDS_PER = {"weeks": 604800.0, "days": 86400.0, "hours": 3600.0, "minutes": 60.0, "seconds": 1.0,
                "milliseconds": 0.001, "microseconds": 0.000001}


def _seconds(node: ast.expr, names: dict[str, ast.expr], depth: int = 0) -> float | None:
    """A length in seconds the code writes out: a number, arithmetic on numbers and constants, a clock read
    plus a length (the length), ``timedelta(days=1)`` and its ``total_seconds()``; None for anything else."""
    if depth > 5:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.Name) and node.id in names and node.id.isupper():
        return _seconds(names[node.id], names, depth + 1)
    if isinstance(node, ast.BinOp):
        left, right = _seconds(node.left, names, depth + 1), _seconds(node.right, names, depth + 1)
        if isinstance(node.op, (ast.Add, ast.Sub)):
            if left is None or right is None:  # ``time.monotonic() + 600``: the length is the known side
                return right if _reads_clock(node.left) else left if _reads_clock(node.right) else None
            return left + right if isinstance(node.op, ast.Add) else left - right
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, ast.Div) and right:
            return left / right
        return None
    if isinstance(node, ast.Call):
        name = last_name(node.func)
        if name == "total_seconds" and isinstance(node.func, ast.Attribute):
            return _seconds(node.func.value, names, depth + 1)
        if name == "timedelta":
            total = 0.0
            for argument, unit in zip(node.args, ("days", "seconds", "microseconds", "milliseconds", "minutes",
                                                  "hours", "weeks")):
                value = _seconds(argument, names, depth + 1)
                if value is None:
                    return None
                total += value * _SECONDS_PER[unit]
            for keyword in node.keywords:
                value = _seconds(keyword.value, names, depth + 1) if keyword.arg in _SECONDS_PER else None
                if value is None:
                    return None
                total += value * _SECONDS_PER[keyword.arg]
            return total
    return None


def _reads_clock(node: ast.expr) -> bool:
    """A call of a clock: ``time.monotonic()``, ``datetime.now()``, ``pika._utils.time_now()``, ``monotonic_ms()``."""
    for n in ast.walk(node):
        if isinstance(n, ast.Call):
            name = last_name(n.func)
            if name and (name in ("perf_counter", "time_ns", "monotonic_ns") or _CLOCK_WORDS & set(words(name))):
                return True
    return False


def _reads_deadline(node: ast.expr) -> bool:
    """A deadline kept by an object or a name: ``watch.expired()``, ``timer.check_return()``, ``deadline``."""
    for n in ast.walk(node):
        name = n.id if isinstance(n, ast.Name) else n.attr if isinstance(n, ast.Attribute) else None
        if name and (name in _DEADLINE_METHODS or _DEADLINE_WORDS & set(words(name))):
            return True
    return False


def _parameter_defaults_to_none(function: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> bool:
    arguments = function.args
    positional = [*arguments.posonlyargs, *arguments.args]
    defaults = dict(zip([a.arg for a in positional[len(positional) - len(arguments.defaults):]], arguments.defaults))
    defaults.update((a.arg, d) for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults) if d is not None)
    return name in defaults and is_none(defaults[name])


def _is_constant_true(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and bool(node.value)


def _assigns_any(body: list[ast.stmt], keys: set[str]) -> bool:
    for node in walk_local(body):
        if isinstance(node, ast.Assign) and any(key(t) in keys for t in node.targets):
            return True
    return False


def _is_liveness_probe(node: ast.AST) -> bool:
    """``worker.is_alive()``: another thread's liveness, not a flag that asks this code to stop."""
    return isinstance(node, ast.Attribute) and node.attr == "is_alive" and not (
        isinstance(node.value, ast.Name) and node.value.id == "self")


def liveness_questions(expression: ast.AST) -> set[int]:
    """The names in an expression that ask whether other work goes on, by ``id``: another thread's
    ``worker.is_alive``, and a function asked about the work its arguments name
    (``utils.is_job_running("mqtt_streaming")``, ``process_alive(pid)``). That work's own start and stop
    answer them; they are not flags that ask this code to stop."""
    found = set()
    for node in ast.walk(expression):
        if _is_liveness_probe(node):
            found.add(id(node))
        elif isinstance(node, ast.Call) and (node.args or node.keywords) \
                and set(words(last_name(node.func) or "")) & GO_ON_WORDS:
            found.add(id(node.func))
    return found


def _record_flags(node: ast.AST, flags: dict[str, list[ast.expr | None]]) -> None:
    if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        value = None if isinstance(node, ast.AugAssign) else node.value
        for k in map(key, targets):
            if k:
                flags.setdefault(k, []).append(value)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("set", "clear"):
        k = key(node.func.value)
        if k:
            flags.setdefault(k, []).append(ast.Constant(node.func.attr == "set"))


def _truth(value: ast.expr | None) -> bool | None:
    """The truth of an assigned value, when the code shows it (``None``, ``False``, ``0``, ``""``)."""
    if isinstance(value, ast.Constant):
        return bool(value.value)
    if isinstance(value, (ast.List, ast.Tuple, ast.Dict, ast.Set)):
        return bool(getattr(value, "elts", None) or getattr(value, "keys", None))
    return None


def _test_holds(test: ast.expr, flags: dict[str, list[ast.expr | None]]) -> bool | None:
    """Whether ``test`` is true once the handler's assignments hold; None when it cannot tell.

    ``pid = None`` does not make ``if pid: break`` leave; ``err = error`` does make
    ``while not err`` stop (an exception object is true).
    """
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _test_holds(test.operand, flags)
        return None if inner is None else not inner
    if isinstance(test, ast.BoolOp):
        parts = [_test_holds(v, flags) for v in test.values]
        if isinstance(test.op, ast.And):
            return False if False in parts else (True if all(p is True for p in parts) else None)
        return True if True in parts else (False if all(p is False for p in parts) else None)
    k = key(test) if isinstance(test, (ast.Name, ast.Attribute)) else None
    if isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute) and test.func.attr == "is_set":
        k = key(test.func.value)
    if k and k in flags:
        truths = {_truth(v) if v is not None else True for v in flags[k]}
        truths = {t if t is not None else True for t in truths}  # an object, an exception: true
        return truths.pop() if len(truths) == 1 else None
    return None


def _leaves(body: Sequence[ast.stmt], qualify) -> bool:
    """The block ends the loop or the program: it raises, returns, breaks or exits on every path."""
    if cf.outcomes(body, qualify) <= cf.EXITS:
        return True
    return any(isinstance(node, ast.Call) and qualify(node.func) in _EXIT_FUNCTIONS for node in walk_local(body))


def _only_reports(call: ast.Call) -> bool:
    """Logging, printing, formatting or inspecting the exception hands it to no one."""
    name = last_name(call.func) or ""
    if isinstance(call.func, ast.Name) and call.func.id in INSPECTING_BUILTINS:
        return True
    receiver = ast.unparse(call.func.value).lower() if isinstance(call.func, ast.Attribute) else ""
    return (name in ("print", "str", "repr", "format", "print_exc", "format_exc", "print_exception",
                     "format_exception", "capture_exception", "warn")
            or "log" in receiver.rsplit(".", 1)[-1] or "log" in name.lower())


def _blocks(body: Sequence[ast.stmt]) -> Iterator[Sequence[ast.stmt]]:
    """Every statement block of a loop body, without entering nested loops or functions."""
    yield body
    for stmt in body:
        if isinstance(stmt, (*_FUNCTION_TYPES, ast.ClassDef, *_LOOP_TYPES)):
            continue
        for name in ("body", "orelse", "finalbody"):
            inner = getattr(stmt, name, None)
            if inner and isinstance(inner, list) and isinstance(inner[0], ast.stmt):
                yield from _blocks(inner)
        for handler in getattr(stmt, "handlers", []):
            yield from _blocks(handler.body)
        for case in getattr(stmt, "cases", []):
            yield from _blocks(case.body)


def _local_ifs(body: Sequence[ast.stmt], in_try: bool = False
               ) -> Iterator[tuple[ast.If, bool, Sequence[ast.stmt]]]:
    """``if`` statements of a loop body, with whether a ``try`` around them would catch their raise,
    and the statements that follow them in their block."""
    for index, stmt in enumerate(body):
        if isinstance(stmt, ast.If):
            yield stmt, in_try, body[index + 1:]
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


def _outcomes_with_flags(body: Sequence[ast.stmt], flags: dict[str, list[ast.expr | None]], qualify) -> frozenset[str]:
    """Like ``outcomes``, but an ``if`` that tests a flag the handler set, and leaves, counts as leaving."""
    if flags:
        for position, stmt in enumerate(body):
            if isinstance(stmt, ast.If) and flags.keys() & keys_read(stmt.test) \
                    and _test_holds(stmt.test, flags) is not False:
                if cf.outcomes(stmt.body, qualify) & cf.EXITS:
                    return cf.outcomes(body[:position], qualify) - {cf.NEXT} | {cf.BREAK}
    return cf.outcomes(body, qualify)


def _calls_on_the_way(body: Sequence[ast.stmt]) -> Iterator[ast.Call]:
    """The calls made as statements of every round, outside any ``try``: the loop's own statements and the
    bodies of its ``with`` blocks."""
    for stmt in body:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            yield stmt.value
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            yield from _calls_on_the_way(stmt.body)


def _round_leaves(body: Sequence[ast.stmt], flags: dict[str, list[ast.expr | None]], qualify) -> bool:
    """Every way through one round of ``body`` leaves the loop once the flags hold: a test of them on the
    way (not under another condition) that returns, breaks or raises."""
    if not any(isinstance(stmt, ast.If) and flags.keys() & keys_read(stmt.test) and _test_holds(stmt.test, flags) is True
               for stmt in body):
        return False  # a value the handler gives that the test may not take (``done += 1`` for ``done == 3``)
    leaving = _outcomes_with_flags(body, flags, qualify)
    return cf.NEXT not in leaving and cf.CONTINUE not in leaving


_TAKING_METHODS = frozenset({"pop", "popleft", "get", "get_nowait"})
# Where a value is given once, when the object or the module is made: "" is module and class level.
_SETTING_UP = frozenset({"", "__init__", "__post_init__", "__new__", "__init_subclass__", "setup", "setUp"})


def _target_keys(target: ast.expr) -> list[str]:
    """The names an assignment or a loop binds: ``task``, ``self._current``, each of ``name, job``."""
    return [k for k in map(key, bound_targets(target)) if k]


def _steps_through_indexes(loop: ast.While) -> bool:
    """``while i < total:`` (or ``len(items)``), where the loop only adds to ``i``, never assigns the bound,
    and moves on in every round: its last statement adds to ``i``, and so does the statement before each
    ``continue``. An index walk over a finite range, a ``for`` written by hand; a round that goes back to
    the top without a step retries the same item, which is no walk."""
    test = loop.test
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return False
    if isinstance(test.ops[0], (ast.Lt, ast.LtE)):
        index, bound = test.left, test.comparators[0]
    elif isinstance(test.ops[0], (ast.Gt, ast.GtE)):
        index, bound = test.comparators[0], test.left
    else:
        return False
    counter = key(index)
    if counter is None:
        return False
    fixed = keys_read(bound)
    steps = False
    for node in walk_local(loop.body):
        if isinstance(node, ast.AugAssign):
            target = key(node.target)
            if target == counter:
                if not isinstance(node.op, ast.Add) or (
                        isinstance(node.value, ast.Constant) and not (isinstance(node.value.value, int) and node.value.value > 0)):
                    return False
                steps = True
            elif target in fixed:
                return False
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(k == counter or k in fixed for t in targets for k in _target_keys(t)):
                return False
    return steps and _steps(loop.body, counter) and all(_steps(block, counter) for block in _blocks_continuing(loop.body))


def _steps(block: Sequence[ast.stmt], counter: str) -> bool:
    """The block ends by adding to the counter (before its ``continue``, if it has one)."""
    tail = [stmt for stmt in block if not isinstance(stmt, ast.Continue)]
    last = tail[-1] if tail else None
    return isinstance(last, ast.AugAssign) and key(last.target) == counter


def _blocks_continuing(body: Sequence[ast.stmt]) -> Iterator[list[ast.stmt]]:
    """The blocks of a loop body that end in a ``continue`` of that loop (not of a loop inside it)."""
    for stmt in body:
        if isinstance(stmt, (ast.While, ast.For, ast.AsyncFor, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for block in statement_blocks(stmt):
            if block and isinstance(block[-1], ast.Continue):
                yield block
            yield from _blocks_continuing(block)


def _drains(loop: ast.While) -> bool:
    """``while self._pending: item = self._pending.pop()``, or ``while not pool.empty(): conn =
    pool.get_nowait()`` (in a ``try`` that leaves on ``queue.Empty`` too): a loop that takes the items of a
    collection or a queue until none is left, a ``for`` over them written by hand, and puts none back."""
    test = loop.test
    taking: tuple[str, ...] = ("pop", "popleft", "popitem")
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and isinstance(test.operand, ast.Call) \
            and isinstance(test.operand.func, ast.Attribute) and test.operand.func.attr == "empty":
        test, taking = test.operand.func.value, ("get_nowait",)
    if isinstance(test, ast.Call) and isinstance(test.func, ast.Name) and test.func.id == "len" and test.args:
        test = test.args[0]
    held = key(test)
    if held is None:
        return False
    statements = list(loop.body)
    if taking == ("get_nowait",):  # the take sits in the ``try`` that leaves once the queue is empty
        statements += [inner for stmt in loop.body if isinstance(stmt, _TRY_TYPES) for inner in stmt.body]
    takes = any(isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr in taking
                and key(value.func.value) == held
                for stmt in statements
                for value in [stmt.value if isinstance(stmt, (ast.Assign, ast.Expr)) else None])
    puts_back = any(isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("append", "appendleft", "add", "put", "put_nowait", "insert", "extend")
                    and key(node.func.value) == held for node in walk_local(loop.body))
    return takes and not puts_back


def _lands_in(wait: "Reached") -> str:
    """Where a Ctrl-C lands in a batch loop, as the models showed it: ``it lands in `requests.get(url)` at
    line 12, a wait for the HTTP server to answer; each press skips one item``."""
    first, last = wait.steps[0], wait.steps[-1]
    what = "a pause" if wait.kind == "sleep" else f"a wait for {wait.says}"
    through = "" if len(wait.steps) == 1 else f" in `{_clip(last.text)}` at {last.where.path}:{last.where.line}"
    return f"it lands in `{_clip(first.text)}` at line {first.where.line}, {what}{through}; each press skips one item"


def _clip(text: str, width: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


class ModuleAnalysis:
    """Every loop and loop handler of one module, with the facts the rules ask about."""

    def __init__(self, tree: ast.Module, settings: Settings, filename: str | None = None,
                 source: bytes | None = None) -> None:
        self.settings = settings
        self.filename = filename  # where the program's other modules are, for its signal handlers
        self._source = source  # the bytes parsed, when the front end has them (``mentions``)
        self.imports = ImportMap()
        self.loops: list[Loop] = []
        self.handlers: list[Handler] = []
        self._unchanged: dict[str, bool] = {}  # _unchanged_while_running's answers, by name
        self.has_async_functions = False  # an ``async def`` anywhere in the module
        # ``except`` clauses in a function but in no loop of it: a loop that calls the function may
        # still go on after one swallows a stop (``callee_handlers``).
        self.loose_handlers: list[tuple[ast.ExceptHandler, ast.Try, Function]] = []
        self.tree = tree
        collector = _Collector(self)
        collector.block(tree.body, Function(None), None, (), ())
        collector.finish()

    def release(self) -> None:
        """Let go of everything the analysis holds, once nobody will ask it anything more.

        Its loops, handlers and functions, and the answers kept on it (``ModuleFacts.of``,
        ``ModuleShutdownWaits.of``), point back at it: left as they are, the module's tree lives until the
        cyclic collector finds the cycle, and on the way every young collection walks the tree's
        nodes again. Released, reference counting frees it all at once. A fifth of a ``check -j 1``
        run over the standard library was that walking. The analysis is unusable afterwards."""
        for part in (*self.loops, *self.handlers):  # a loop and its handlers point at each other
            part.__dict__.clear()
        self.__dict__.clear()

    @cached_property
    def _always_raising(self) -> frozenset[str]:
        return cf.always_raising(self.tree.body, self.imports.qualified_name)

    def qualify(self, node: ast.expr) -> str | None:
        """The qualified name of what a call calls, as ``control_flow.outcomes`` reads it: a function of the
        module that always raises is one that never returns (``exit_program(EXIT_INTERRUPT)``), and so is a
        library's that the table says always raises (Twisted's ``returnValue(x)``)."""
        if isinstance(node, ast.Name) and node.id in self._always_raising and not self.imports.binds(node.id):
            return cf.RAISES_ALWAYS
        name = self.imports.qualified_name(node)
        if name is not None and "." in name and name not in cf.NO_RETURN_CALLS \
                and name.partition(".")[0] not in sys.stdlib_module_names:
            entry = self.library.api(name)
            if entry is not None and entry.never_returns:
                return cf.RAISES_ALWAYS
        return name

    @cached_property
    def library(self) -> LibraryModel:
        """The library table with the project's own entries: read only when a question names a library."""
        from ..model.library import library_model

        return library_model(self.settings.library)

    def driven_as_coroutine(self, function: ast.AST | None) -> bool:
        """A generator that its decorator runs as a coroutine (the table's ``drives``: Twisted's
        ``@inlineCallbacks``, Tornado's ``@gen.coroutine``): the library resumes it when what it yields is
        done and never closes it, so no consumer throws ``GeneratorExit`` into it."""
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return False
        for decorator in function.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            name = self.imports.qualified_name(target)
            entry = self.library.api(name) if name else None
            if entry is not None and entry.drives == "coroutine":
                return True
        return False

    def mentions(self, word: bytes) -> bool:
        """The module's bytes hold ``word`` (True when they are not known): a way out, before any walk, of a
        question about code the module cannot hold (no ``sleep`` anywhere: no sleep of its own to ask about)."""
        return self._source is None or word in self._source

    @cached_property
    def shutdown_patterns(self) -> WordPatterns:
        return WordPatterns(self.settings.shutdown_names)

    @cached_property
    def connect_patterns(self) -> WordPatterns:
        return WordPatterns(self.settings.connect_names)

    @cached_property
    def contexts(self) -> RunContexts:
        """Where each function runs (main thread, thread, task): asked only for the few loops that need it.
        With a project to ask, the library table's daemon-thread starters count too (``library_threads``)."""
        starts = None
        if self.filename is not None:
            from .library_threads import TableStarts

            starts = TableStarts(self)
            if not any(self.mentions(method.encode()) for method in starts.methods):
                starts = None  # no such call can be in the module: no thread start to ask the models about
        return RunContexts(self.tree, self.imports, starts)

    @cached_property
    def stops(self) -> ModuleStops:
        return ModuleStops(self.tree, self.imports, self.shutdown_patterns, self.contexts)

    @cached_property
    def program(self) -> Program:
        """The project this module belongs to, with this module's facts taken from its tree: asked only
        by the questions that need more than this module (what a called function or library waits for)."""
        from ..model.shared import program_for

        program = program_for(self.filename, self.settings.library, self.settings.cache)
        program.begin()
        self.module_facts = program.add_tree(self.tree, self.filename or "")
        return program

    @cached_property
    def waits(self) -> "WaitModel":
        """What the calls of this module wait for, as the program and library models say."""
        from ..model.waits import WaitModel

        return WaitModel(self.program)

    def handed_only_to_threads(self, function: ast.AST | None) -> "Where | None":
        """Where the project hands to a thread the module-level function(s) from which this module's code
        reaches ``function``, when that is all the project does with them (``await asyncio.to_thread(fetch,
        url)`` in another module, or through a helper that runs its parameter in an executor): the code runs
        in a worker thread only, where no Ctrl-C arrives. None when anything else may run it."""
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)) or not self.filename:
            return None
        contexts = self.contexts
        roots = contexts.entry_points(function)
        if not roots or len(roots) > 4:
            return None
        if any(contexts.enclosing_function(root) is not None for root in roots):
            return None  # a closure: handed on as an object, not by its name alone (a method counts when a
            # library runs it in a thread of its own: ``@cherrypy.expose``)
        if any(contexts.class_of(root) is not None and not root.decorator_list for root in roots):
            return None  # a method only a decorator can hand to a library's thread: no need to read the project
        from ..model.thread_hand_offs import handed_only_to_threads

        first = None
        for root in roots:
            facts = self.facts_of(root)
            where = handed_only_to_threads(self.program, facts.qualname) if facts is not None else None
            if where is None:
                return None
            first = first or where
        return first

    @cached_property
    def flags_set_by_function(self) -> list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, dict[str, list[ast.expr | None]]]]:
        """Each function of the module that sets a flag or an event once the object is made (not ``__init__``,
        a setup method or ``__setstate__``), with what it sets to what: worked out once per module."""
        found = []
        for function in self.contexts.functions:
            if function.name in _SETTING_UP or function.name == "__setstate__":
                continue
            flags: dict[str, list[ast.expr | None]] = {}
            for inner in walk_local(function.body):
                _record_flags(inner, flags)
            if flags:
                found.append((function, flags))
        return found

    def facts_of(self, function: ast.AST | None) -> "FunctionFacts | None":
        """The program model's facts of a function of this module (of its top level for None)."""
        self.program  # noqa: B018 (takes this module's facts)
        return self.module_facts.function_at(getattr(function, "lineno", None))

    def callee_values(self, call: ast.Call, site: ast.AST | None) -> "frozenset[Value]":
        """What the program model says a call written in ``site`` (a function of this module, None: its top
        level) calls: empty when the model has no facts of it or cannot tell."""
        facts = self.facts_of(site)
        fact = facts.call_at(call.lineno, call.col_offset) if facts is not None else None
        return self.program.evaluate(fact.function, facts.qualname) if fact is not None else frozenset()

    def is_configuration(self, name: str) -> bool:
        """A value named like a stop that nothing changes once the object is made: ``self.exit_on_error =
        config.exit_on_error`` in ``__init__`` and nowhere else, in this module or any other of the project.
        A flag is a stop flag only when something sets it while the program runs."""
        return bool(self._assignment_sites.get(name)) and self._unchanged_while_running(name)

    def asks_only_what_the_program_never_changes(self, function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        """``async def _is_running(): return (await db.find_one(...))["running"]``: the function reads no name
        and no attribute that code of the program changes once it runs (in this module or, for an attribute,
        any other of the project), and calls no function of the project that might. What it answers comes
        from outside the program (a database row, a file, a service), so no stop of this program changes
        it: a loop that asks it is not asking for a stop."""
        own = {a.arg for a in [*parameters(function), function.args.vararg, function.args.kwarg] if a is not None}
        own |= {n.id for n in walk_local(function.body) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        facts = self.facts_of(function) if self.filename is not None else None
        if facts is None:
            return False
        program = self.program
        for call in facts.calls:
            if any(value.kind in ("function", "class", "instance") for value in program.evaluate(call.function,
                                                                                                  facts.qualname)):
                return False  # project code: it may read what the program changes
        for node in walk_local(function.body):
            if isinstance(node, (ast.Global, ast.Nonlocal, ast.Lambda, ast.Yield, ast.YieldFrom)):
                return False
            if isinstance(node, ast.Call) and self.contexts.resolve(node.func, function) is not None:
                return False
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in own \
                    and not self._unchanged_while_running(node.id):
                return False
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load) \
                    and not self._unchanged_while_running(node.attr):
                return False
        return True

    def _unchanged_while_running(self, name: str) -> bool:
        """No code of the module assigns ``name`` (or ``.set()``s it) but where an object or the module is
        set up, nor does any other module of the project assign an attribute of that name elsewhere.
        Worked out once per name: each answer may read every module's setters."""
        if name not in self._unchanged:
            sites = self._assignment_sites.get(name, frozenset())
            self._unchanged[name] = sites <= _SETTING_UP and all(
                function.name in _SETTING_UP for function, _ in self.program.setters_of(name))
        return self._unchanged[name]

    @cached_property
    def _assignment_sites(self) -> dict[str, frozenset[str]]:
        """For each name assigned in the module (``x = ...``, ``obj.x = ...``, ``x += ...``, a class field),
        the functions that assign it ("" for module and class level), and "event" when it is ``.set()``."""
        sites: dict[str, set[str]] = {}

        def visit(node: ast.AST, function: str) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    visit(child, child.name)
                    continue
                targets: list[ast.expr] = []
                if isinstance(child, ast.Assign):
                    targets = child.targets
                elif isinstance(child, (ast.AnnAssign, ast.AugAssign)):
                    targets = [child.target]
                elif isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute) and \
                        child.func.attr in ("set", "clear", "cancel"):
                    owner = child.func.value
                    name = owner.id if isinstance(owner, ast.Name) else owner.attr if isinstance(owner, ast.Attribute) \
                        else None
                    if name:
                        sites.setdefault(name, set()).add("event")
                for target in targets:
                    for part in bound_targets(target):
                        name = part.id if isinstance(part, ast.Name) else part.attr \
                            if isinstance(part, ast.Attribute) else None
                        if name:
                            sites.setdefault(name, set()).add(function)
                visit(child, function)

        visit(self.tree, "")
        return {name: frozenset(where) for name, where in sites.items()}

    @cached_property
    def parents(self) -> dict[int, ast.AST]:
        """Each node's parent, by id: built only when a finding needs to look outwards."""
        return parent_map(self.tree)

    @cached_property
    def sigint_recorded(self) -> str | None:
        """Where the program handles SIGINT without raising (this module, its package, or a sibling module it
        imports that gives SIGINT back to the operating system's action when it is imported), or None."""
        own = self.stops.sigint_recorded
        if own is not None:
            return own.how
        found = recorded_sigint(self.filename)
        if found is None:
            return sigint_reset_by_import(self.filename, self.tree)
        path, handling = found
        return f"{handling.how.replace(' at line ', f' at {path}:', 1)}"

    @cached_property
    def cancellation_name(self) -> str:
        if self.imports.imports_module("trio") and not self.imports.imports_module("asyncio"):
            return "trio.Cancelled"
        return "asyncio.CancelledError"

    def cancellation_name_in(self, node: ast.AST | None) -> str:
        """The cancellation the code around ``node`` (a loop, a function) gets: in a module that imports
        both trio and asyncio, trio's when that code calls trio and not asyncio."""
        if node is None or not (self.imports.imports_module("trio") and self.imports.imports_module("asyncio")):
            return self.cancellation_name
        return "trio.Cancelled" if self.event_loop_called_in(node) == "trio" else "asyncio.CancelledError"

    def event_loop_called_in(self, node: ast.AST) -> str | None:
        """``"trio"`` or ``"asyncio"`` when the code of ``node`` calls that library and not the other;
        None when it calls both or neither (a module that imports both cannot tell which runs it)."""
        roots = {(self.imports.qualified_name(n.func) or "").split(".")[0]
                 for n in ast.walk(node) if isinstance(n, ast.Call)}
        called = roots & {"trio", "asyncio"}
        return next(iter(called)) if len(called) == 1 else None

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


def _yields_on_the_way(block: list[ast.stmt]) -> bool:
    """A ``yield`` that every pass through ``block`` reaches unless something raises: a statement of the
    block itself, or of a ``try``'s body, ``else`` or ``finally``, or a ``with`` body, in it."""
    for stmt in block:
        if isinstance(stmt, (ast.Expr, ast.Assign, ast.AnnAssign, ast.AugAssign)) and \
                isinstance(stmt.value, (ast.Yield, ast.YieldFrom)):
            return True
        if isinstance(stmt, _TRY_TYPES) and any(_yields_on_the_way(part)
                                                for part in (stmt.body, stmt.orelse, stmt.finalbody)):
            return True
        if isinstance(stmt, (ast.With, ast.AsyncWith)) and _yields_on_the_way(stmt.body):
            return True
    return False


class _Collector:
    """One statement-level pass that records loops, their handlers and the imports."""

    def __init__(self, analysis: ModuleAnalysis) -> None:
        self.analysis = analysis
        self._suppress_candidates: list[Handler] = []
        self._loop_statements: list[ast.stmt] = []  # the loops the statement is in, in this function

    def block(self, stmts, function, loop, frames, withs) -> None:
        for index, stmt in enumerate(stmts):
            self.statement(stmt, function, loop, frames + ((stmts, index),), withs)

    def statement(self, stmt, function, loop, here, withs) -> None:
        analysis = self.analysis
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            analysis.imports.add(stmt)
        elif isinstance(stmt, _FUNCTION_TYPES):
            inner = Function(stmt, isinstance(stmt, ast.AsyncFunctionDef))
            analysis.has_async_functions = analysis.has_async_functions or inner.is_async
            self._scope(stmt.body, inner)
        elif isinstance(stmt, ast.ClassDef):
            self._scope(stmt.body, Function(None))
        elif isinstance(stmt, _LOOP_TYPES):
            new = Loop(stmt, function, withs, module=analysis, around=tuple(self._loop_statements))
            analysis.loops.append(new)
            self._loop_statements.append(stmt)
            self.block(stmt.body, function, new, (), withs)
            self.block(stmt.orelse, function, loop, here, withs)
            self._loop_statements.pop()
        elif isinstance(stmt, _TRY_TYPES):
            if loop is not None:
                for position, clause in enumerate(stmt.handlers):
                    handler = Handler(clause, stmt, loop, here, tuple(stmt.handlers[:position]), module=analysis)
                    loop.handlers.append(handler)
                    analysis.handlers.append(handler)
            elif function.node is not None:
                analysis.loose_handlers.extend((clause, stmt, function) for clause in stmt.handlers)
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

    def _scope(self, body: list[ast.stmt], function: Function) -> None:
        """A function's or a class's body: the loops around it are another frame's."""
        outer, self._loop_statements = self._loop_statements, []
        self.block(body, function, None, (), ())
        self._loop_statements = outer

    def finish(self) -> None:
        """Keep the ``suppress`` items that really are ``contextlib.suppress``, now that imports are known."""
        for handler in self._suppress_candidates:
            if self.analysis.is_suppress(handler.node):
                handler.loop.handlers.append(handler)
                self.analysis.handlers.append(handler)
