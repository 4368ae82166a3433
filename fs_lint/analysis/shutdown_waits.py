"""The waits with no bound in a module's shutdown paths, and what each one waits for.

A wait is a call that returns only when something else happens: a thread ends (``join()``), an
event is set (``wait()``), a future has its result, a queue has room or an item, a task finishes
(``await task``), the peer reads or closes (``drain()``, ``wait_closed()``), a group of tasks ends
(``gather``, ``asyncio.wait``). In a shutdown path (``shutdown_paths``) a wait with no bound
(``wait_bounds``) hangs the stop for as long as that does not happen. These are left alone, each for
a reason a reader can check in the same function or module:

- the task was cancelled first (``t.cancel()`` before ``await t``; any ``.cancel()`` before a
  ``gather`` or ``asyncio.wait``), or the process killed first (``p.kill()`` before ``p.wait()``);
- it delegates: ``self.wait_closed()`` or a ``join`` the class defines itself, a task named like a
  stop (``self._close_task``) or made in the same function from a close or a coroutine of the
  module, a ``gather`` of ``close()`` calls: the wait is checked where it is defined;
- a ``put`` on a queue the module makes with no ``maxsize`` (it never blocks);
- an ``asyncio.wait`` that returns at the first task done (a race against a stop event);
- a wait the caller opts into: under ``if wait:`` (or ``wait and ...``) where ``wait`` is a
  parameter of the shutdown path that defaults to False (``stop(self, wait=False)``).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, replace
from functools import cached_property, partial

from ..syntax.local_nodes import is_none, key, loop_sources, spelled, walk_local
from ..syntax.names import last_name, words
from .retry_loops import ModuleAnalysis
from .shutdown_paths import ModuleShutdownPaths, ShutdownPath
from .stop_reach import StopReach, names_only_a_stop
from ..model.terms import argument
from .finished_work import known_finished
from .reached_waits import ReachedWaits, Verdict
from .wait_bounds import has_bound_argument, is_bounded_wait_for, is_timeout_scope

_KEY = "_module_shutdown_waits"
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)

# The kinds of wait, as ``Wait.kind`` names them.
CHILD_PROCESS = "the child process"  # what a ``wait()`` the library table types as a process's waits for
JOIN = "join"  # thread or process join()
QUEUE_JOIN = "queue-join"  # Queue.join(): every item processed
EVENT_WAIT = "wait"  # Event / Condition / process wait()
RESULT = "result"  # future.result()
PUT = "put"
GET = "get"
TASK = "task"  # await task
WAIT_CLOSED = "wait_closed"
DRAIN = "drain"
GATHER = "gather"
ASYNCIO_WAIT = "asyncio.wait"

_QUEUE_WORDS = frozenset({"queue", "q", "queues", "inbox", "outbox", "mailbox", "updates", "pending", "jobs"})
_WRITER_WORDS = frozenset({"writer", "transport", "stream", "sock", "socket", "producer", "w"})
_TASK_WORDS = frozenset({"task", "tasks", "future", "fut", "worker", "runner", "thread", "waiter", "job"})
_FUTURE_WORDS = frozenset({"fut", "future", "futures", "promise", "f"})
_FINISHED_WORDS = frozenset({"stopped", "closed", "finished", "done", "exited", "terminated", "complete",
                             "completed"})
_TASK_MAKERS = frozenset({"create_task", "ensure_future"})
_QUEUE_CLASSES = frozenset({"Queue", "LifoQueue", "PriorityQueue", "SimpleQueue", "JoinableQueue"})
_RACES = frozenset({"FIRST_COMPLETED", "FIRST_EXCEPTION"})
# The methods whose waits this walk judges by shape (with the models' review): the models judge the rest.
_SHAPES = frozenset({"join", "wait", "result", "put", "get"})
_AWAITED_SHAPES = frozenset({"join", "wait", "put", "get", "drain", "flush", "wait_closed"})


@dataclass(frozen=True)
class Wait:
    """One wait with no bound in a shutdown path."""

    node: ast.expr  # the ``await`` for an awaited wait, else the call
    kind: str
    target: str  # what it waits on, as written: ``self._thread``, ``asyncio.gather(...)``
    path: ShutdownPath
    awaited: bool
    made: str | None = None  # the thread or task it waits for, when the module shows it
    detail: str = ""  # the finding's words, when the program and library models wrote them
    evidence: tuple[str, ...] = ()  # the facts behind them, each with its file and line
    guard: str = ""  # the liveness test the library offers, which skips the wait while the peer is gone
    forever: str = ""  # the bound it is given, when that is None or for ever unless a caller passes one

    @property
    def position(self) -> tuple[int, int]:
        return self.node.lineno, self.node.col_offset

    @property
    def waited(self) -> ast.expr:
        """The expression that waits: the awaited one, or the call."""
        return self.node.value if isinstance(self.node, ast.Await) else self.node


def _reconnecting(analysis: ModuleAnalysis) -> set[int]:
    """The functions (by ``id`` of their node) with a loop that retries a connection: reconnects.
    (A function of the analysis, not a method of the waits: the paths keep it, and a bound method
    would make the waits and their paths a cycle that holds the module's tree.)"""
    return {id(loop.function.node) for loop in analysis.loops
            if loop.function.node is not None and loop.is_retry_loop and loop.calls_connection_like}


class ModuleShutdownWaits:
    """The unbounded waits of one module's shutdown paths, found when first asked."""

    def __init__(self, analysis: ModuleAnalysis) -> None:
        self.analysis = analysis
        self.imports = analysis.imports
        self.shutdown_paths = ModuleShutdownPaths(analysis.tree, analysis.imports, analysis.contexts,
                                                  analysis.stops, analysis.settings.shutdown_path_names,
                                                  partial(_reconnecting, analysis))
        self._reach: StopReach | None = None  # made when a path named like a stop and more has a wait

    @classmethod
    def of(cls, analysis: ModuleAnalysis) -> "ModuleShutdownWaits":
        """Kept on the analysis, so the rule and its fix read the same waits (see ``ModuleFacts.of``)."""
        found = analysis.__dict__.get(_KEY)
        if found is None:
            found = analysis.__dict__[_KEY] = cls(analysis)
        return found

    @cached_property
    def model(self) -> ReachedWaits | None:
        """The program and library models' view of this module (None when they cannot be built)."""
        program = self.analysis.program
        facts = getattr(self.analysis, "module_facts", None)
        return ReachedWaits(program, facts, self.analysis.settings.strict) if facts is not None else None

    @cached_property
    def waits(self) -> list[Wait]:
        found: dict[tuple[int, int], Wait] = {}
        # The models are asked about the shutdown paths and about async functions' cancellation
        # handlers: a module with neither (most of them) does not pay for summarising itself.
        model = self.model if self.shutdown_paths.paths or self.analysis.has_async_functions else None
        for path in self.shutdown_paths.paths:
            waits = self._path_waits(path, model)
            if waits and not self._run_by_a_stop(path, model):
                continue  # ``stop_capture()`` that only a user's request runs: see ``stop_reach``
            for wait in waits:
                found.setdefault(wait.position, wait)
        if model is not None:
            for model_wait in model.cancellation_waits():
                wait = Wait(self._place(model_wait), model_wait.kind, "", None, True,
                            detail=model_wait.detail, evidence=model_wait.evidence)
                found.setdefault(wait.position, wait)
        return sorted(found.values(), key=lambda w: w.position)

    def _path_waits(self, path: ShutdownPath, model: ReachedWaits | None) -> list[Wait]:
        """The waits of one shutdown path, in the order they are reported (the first at a place wins)."""
        found: list[Wait] = []
        function = model.function_of(path.function) if model is not None else None
        walk = _PathWalk(self, path)
        by_shape = walk.waits()
        for wait in by_shape:
            if wait.kind in (JOIN, TASK) and known_finished(path.function, wait.node, wait.target):
                continue  # ``if not t.is_alive(): t.join()``: the work has ended, nothing to wait for
            reviewed = self._reviewed(wait, function) if function is not None else wait
            if reviewed is not None:
                found.append(reviewed)
        if function is None:
            return found
        seen = frozenset((w.waited.lineno, w.waited.col_offset) for w in by_shape) | walk.judged
        for node, target in walk.cancelled_awaits:
            verdict = model.review_work_wait(function, node, target, cancelled_first=True)
            if verdict is not None and verdict.keep:
                found.append(Wait(node, TASK, target, path, True, detail=(
                    f"{path.title} awaits `{target}` with no timeout; {verdict.detail}: the cancellation may be "
                    f"swallowed, and {path.never_returns}"), evidence=verdict.evidence))
        for model_wait in model.path_waits(path, function, seen):
            found.append(Wait(self._place(model_wait), model_wait.kind, "", path, True,
                              detail=model_wait.detail, evidence=model_wait.evidence, guard=model_wait.guard))
        return found

    def _run_by_a_stop(self, path: ShutdownPath, model: ReachedWaits | None) -> bool:
        """A path found by a name that is a stop word *and more* is one only when a stop reaches it;
        every other path (and every path under ``--strict``) runs while the program stops."""
        if not path.by_name or names_only_a_stop(path.function.name) or self.analysis.settings.strict:
            return True
        if self._reach is None:
            roots = [p.function for p in self.shutdown_paths.paths
                     if not p.by_name or names_only_a_stop(p.function.name)]
            self._reach = StopReach(self.analysis.contexts.calls_by_site, roots,
                                    model.program if model is not None else None, self.analysis.imports)
        return self._reach.reaches(path.function)

    @cached_property
    def _awaits(self) -> dict[tuple[int, int], ast.Await]:
        """The ``await`` of each awaited call, by the call's place (``yield from`` too)."""
        return {(node.value.lineno, node.value.col_offset): node for node in ast.walk(self.analysis.tree)
                if isinstance(node, (ast.Await, ast.YieldFrom)) and isinstance(node.value, ast.Call)}

    def _place(self, model_wait) -> ast.AST:
        """Where a wait the models found is reported: its ``await`` when awaited, as the shape's waits are."""
        awaited = self._awaits.get((model_wait.line, model_wait.col))
        return awaited if awaited is not None else _Position(model_wait.line, model_wait.col)

    def _reviewed(self, wait: Wait, function) -> Wait | None:
        """A wait found by its shape, as the models see it: dropped when they show it never waits, ends
        promptly or is bounded by the library; with their words when they show why it may not end."""
        waited = wait.waited
        if wait.kind in (JOIN, EVENT_WAIT) and isinstance(waited, ast.Call) and (waited.args or waited.keywords):
            bound = waited.args[0] if waited.args else waited.keywords[0].value
            wait = replace(wait, forever=spelled(bound, 30))
        model = self.model
        if wait.kind in (JOIN, TASK):
            outlived = self._outlived_bounded_join(wait, function)
            if outlived:
                return replace(wait, detail=_described_join(wait, outlived), evidence=(outlived,))
            verdict = model.review_work_wait(function, wait.node, wait.target, cancelled_first=False)
            if verdict is None:
                verdict = self._unseen_drain(wait, function)
        elif wait.kind in (GATHER, ASYNCIO_WAIT, QUEUE_JOIN):
            verdict = model.review_gathered_work(function, wait.node) if wait.kind != QUEUE_JOIN else None
            if verdict is None or not verdict.keep:
                verdict = self._unseen_drain(wait, function) or verdict
        else:
            verdict = model.review_library(function, wait.node, wait.path, wait.kind)
            if verdict is None and wait.kind == EVENT_WAIT:
                verdict = model.review_event_wait(function, wait.target)
        if verdict is None:
            return None if self._unseen_in_flight(wait, function) else wait
        if not verdict.keep:
            return None
        if verdict.message:
            return replace(wait, evidence=verdict.evidence, detail=verdict.message)
        if not verdict.detail:
            return wait
        verb = "joins" if wait.kind == JOIN else "waits for" if wait.kind == EVENT_WAIT else "awaits"
        bound = (f"with `{wait.forever}`, a timeout that is None or for ever unless a caller passes one"
                 if wait.forever else "with no timeout")
        return replace(wait, evidence=verdict.evidence, detail=(
            f"{wait.path.title} {verb} `{wait.target}` {bound}; {verdict.detail}, so {wait.path.never_returns}"))

    def _fact(self, call: ast.Call, function_node: ast.AST):
        model = self.model
        function = model.function_of(function_node) if model is not None else None
        if function is None:
            return None, None
        return function, function.call_at(call.lineno, call.col_offset)

    def typed(self, call: ast.Call, function_node: ast.AST) -> str | None:
        """What the library table says the call waits for (``queue-item``, ``peer``...), when the models
        know its type; None when they do not, and the call is judged by its shape."""
        function, fact = self._fact(call, function_node)
        if fact is None:
            return None
        found = self.model.waits.api_of(function, fact)
        return found[0].waits if found is not None else None

    def typed_unbounded(self, call: ast.Call, function_node: ast.AST) -> bool:
        """The table knows the call, and nothing bounds it: no argument, scope or liveness guard (a
        ``get(True)`` waits for ever, whatever its positional argument looks like)."""
        function, fact = self._fact(call, function_node)
        return fact is not None and self.model.waits.library_wait(function, fact) is not None

    def forever_bound(self, call: ast.Call, function_node: ast.AST) -> bool:
        """The bound passed to a wait is None, or waits for ever, unless a caller passes another
        (``def close(self, timeout=None): ...; self._thread.join(timeout)``): the models can tell."""
        function, fact = self._fact(call, function_node)
        if fact is None:
            return False
        bound = argument(fact.value, 0, "timeout")
        return bound is not None and bound[0] != "const" and self.model.waits.forever_by_default(function, bound)

    def _unseen_drain(self, wait: Wait, function):
        """A wait for work the models cannot see (a thread made elsewhere, the tasks of a gather, a queue's
        consumers), after the stop told that work to end (it set a flag, put a sentinel, closed the pool):
        the drain the author meant, left alone outside ``strict``. None when it stands."""
        model = self.model
        if self.analysis.settings.strict:
            return None
        receiver = wait.target.split("(")[0] if wait.kind in (JOIN, TASK, QUEUE_JOIN) else None
        return Verdict(False) if model.signalled_before(function, wait.node.lineno, receiver) else None

    def _unseen_in_flight(self, wait: Wait, function) -> bool:
        """Outside ``strict``: a wait whose other party the models cannot see, of a kind a stop waits for
        on purpose: the work in flight (a gather or ``asyncio.wait`` of tasks, a queue's items, a join of
        each thread or task of a collection) or an event someone else sets. Nothing shows that it stalls,
        so it is the drain the author meant. Nor is a ``wait_closed()`` or ``drain()`` of an object the
        models cannot type: only the library table says which of those wait for a peer. A child process
        stays: a supervisor that signals a child and waits for it with no bound is held by the child's
        own shutdown."""
        if self.analysis.settings.strict or self._waits_for_child(wait, function):
            return False
        if wait.kind in (GATHER, ASYNCIO_WAIT):
            return not _names_each_task(wait.waited)
        if wait.kind in (QUEUE_JOIN, EVENT_WAIT):
            return True
        if wait.kind in (JOIN, TASK):
            call = wait.waited
            pooled = isinstance(call, ast.Call) and self.typed(call, wait.path.function) in ("greenlet", "jobs")
            return pooled or "[" in wait.target or wait.target in _loop_variables(wait.path.function)
        if wait.kind in (WAIT_CLOSED, DRAIN):
            # A stream's close or drain on an object the library table does not know: the method's name
            # alone does not show a peer behind it (a tunnel's ``wait_closed()`` ends with its own tasks).
            return isinstance(wait.waited, ast.Call) and self.typed(wait.waited, wait.path.function) is None
        return False

    def _waits_for_child(self, wait: Wait, function) -> bool:
        """The wait is for a child process: the table types it so, or the path terminated it first."""
        if wait.kind not in (JOIN, EVENT_WAIT):
            return False
        call = wait.waited
        if isinstance(call, ast.Call) and self.typed(call, wait.path.function) == "process":
            return True
        sources = loop_sources(wait.path.function.body)
        targets = {wait.target, sources.get(wait.target)} - {None}
        return any(c.method in ("terminate", "send_signal") and c.line <= wait.node.lineno
                   and ({c.receiver, sources.get(c.receiver or "")} - {None}) & targets
                   for c in function.calls)

    @staticmethod
    def _outlived_bounded_join(wait: Wait, function) -> str:
        """``t.join(timeout)`` then ``if t.is_alive(): ... t.join()``: the thread already outlived a bound."""
        if wait.kind != JOIN:
            return ""
        line = wait.node.lineno
        call = next((c for c in function.calls if c.line == line and c.method == "join"), None)
        if call is None or f"{wait.target}.is_alive" not in call.guards:
            return ""
        earlier = [c for c in function.calls if c.method == "join" and c.receiver == wait.target and c.line < line
                   and (c.args or c.keywords)]
        if not earlier:
            return ""
        return f"line {earlier[-1].line}: `{earlier[-1].text}` already timed out (`{wait.target}.is_alive()`)"

    def wait_at(self, position: tuple[int, int]) -> Wait | None:
        return next((w for w in self.waits if w.position == position), None)

    # -- what the module shows about the things waited on ----------------------------------------

    @cached_property
    def _assignments(self) -> dict[str, list[ast.expr]]:
        """Every value the module assigns to each name or attribute chain."""
        found: dict[str, list[ast.expr]] = {}
        for node in ast.walk(self.analysis.tree):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    k = key(target)
                    if k:
                        found.setdefault(k, []).append(node.value)
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                k = key(node.target)
                if k:
                    found.setdefault(k, []).append(node.value)
        return found

    def values_of(self, target: str, function: ast.AST) -> list[ast.expr]:
        """What the code assigns to ``target``: an attribute anywhere in the module, a plain name in
        the function itself (or at module level, for a global): another function's local is not it."""
        if "." in target or "[" in target:
            return self._assignments.get(target, [])
        local = [value for node in walk_local(getattr(function, "body", [])) for value in _assigned(node, target)]
        return local or [value for node in self.analysis.tree.body for value in _assigned(node, target)]

    def never_full(self, target: str, function: ast.AST) -> bool:
        """Every queue the code puts under ``target`` is made with no ``maxsize``: a put never blocks."""
        values = self.values_of(target, function)
        return bool(values) and all(_unbounded_queue(v) for v in values)

    def put_may_wait(self, call: ast.Call, target: str, function: ast.AST) -> bool:
        """A queue's ``put()`` waits only while the queue is full, so only on one made with a size. Under
        ``strict`` every put may, unless every queue the module puts there is made without one; otherwise
        only where a making with a size is shown: in this module, or by the program model for a queue made
        in another (most queues have no size, and one handed in or only annotated shows none)."""
        if self.never_full(target, function):
            return False
        if self.analysis.settings.strict:
            return True
        if any(_sized_queue(v, self.imports.qualified_name) for v in self.values_of(target, function)):
            return True
        model_function, fact = self._fact(call, function)
        if fact is None:
            return False
        found = self.model.waits.api_of(model_function, fact)
        return found is not None and bool(found[0].size_arg) and \
            self.model.waits.made_with_size(model_function, fact, found[0]) is True

    def is_queue(self, target: str, function: ast.AST) -> bool:
        return any(isinstance(v, ast.Call) and last_name(v.func) in _QUEUE_CLASSES
                   for v in self.values_of(target, function))

    def task_made(self, target: str, function: ast.AST) -> str | None:
        """``the task that runs `self._run()` (made at line 30)`` when the code makes ``target`` a task."""
        for value in self.values_of(target, function):
            if isinstance(value, ast.Call) and last_name(value.func) in _TASK_MAKERS and value.args:
                return f"the task that runs `{spelled(value.args[0], 40)}` (made at line {value.lineno})"
        return None

    @cached_property
    def _methods(self) -> dict[str, set[str]]:
        """Method name -> the classes of the module that define it."""
        found: dict[str, set[str]] = {}
        contexts = self.analysis.contexts
        for name, cls in contexts.classes.items():
            for method in contexts.methods(cls):
                found.setdefault(method, set()).add(name)
        return found

    def defines(self, method: str, receiver: str | None) -> bool:
        """The wait is a method this module writes, so it is checked there: ``self.ws_server.wait_closed()``
        where ``self.ws_server`` is made from (or annotated as) a class of the module that defines it."""
        classes = self._methods.get(method)
        return bool(classes) and receiver is not None and bool(self._classes_of(receiver) & classes)

    def _classes_of(self, target: str, depth: int = 0) -> set[str]:
        """The names of the classes the module makes ``target`` from, or annotates it with."""
        found = set(self._annotations.get(target, ()))
        for value in self._assignments.get(target, []):
            if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
                found.add(value.func.id)  # ``asyncio.Server(...)`` is not the module's ``Server``
            elif isinstance(value, ast.Name) and depth < 2:
                found |= self._classes_of(value.id, depth + 1)
        return found

    @cached_property
    def _annotations(self) -> dict[str, set[str]]:
        """Names and attributes annotated with a class of the module's namespace (``ws_server: WebSocketServer``)."""
        found: dict[str, set[str]] = {}
        for node in ast.walk(self.analysis.tree):
            if isinstance(node, ast.arg) and node.annotation is not None:
                name, annotation = node.arg, node.annotation
            elif isinstance(node, ast.AnnAssign):
                name, annotation = key(node.target), node.annotation
            else:
                continue
            if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
                annotation = ast.Name(annotation.value)  # ``"WebSocketServer"``
            if name and isinstance(annotation, ast.Name):
                found.setdefault(name, set()).add(annotation.id)
        return found

    @cached_property
    def _threads(self) -> dict[tuple[int, str], str]:
        """Where the module keeps each thread it makes, and what the thread runs: ``self.x`` by the
        class whose code makes it (its ``id``), other names with 0."""
        contexts = self.analysis.contexts
        found: dict[tuple[int, str], str] = {}
        for function in contexts.functions:
            start = contexts.of(function).thread
            if start is None or not start.stored_in:
                continue
            owner = id(start.owner) if start.stored_in.startswith("self.") and start.owner is not None else 0
            found.setdefault((owner, start.stored_in), f"the thread that runs `{contexts.title(function)}()` "
                                                       f"(made at line {start.line})")
        return found

    def thread_made(self, target: str, path: ShutdownPath) -> str | None:
        """The thread that ``target`` holds, when the module shows it made there (in the same class)."""
        if target.startswith("self."):
            cls = self.analysis.contexts.class_of(path.function)
            return self._threads.get((id(cls), target)) if cls is not None else None
        return self._threads.get((0, target))


class _PathWalk:
    """The waits of one shutdown path, found by a walk that knows which timeout scopes it is in."""

    def __init__(self, module: ModuleShutdownWaits, path: ShutdownPath) -> None:
        self.module = module
        self.path = path
        self.function = path.function
        self.is_async = isinstance(path.function, ast.AsyncFunctionDef)
        self.qualify = module.imports.qualified_name
        self._found: list[Wait] = []

    def waits(self) -> list[Wait]:
        self.cancelled_awaits: list[tuple[ast.Await, str]] = []  # ``t.cancel(); await t``: asked of the models
        # Every call this walk judges by its shape (the waits it knows, kept or left alone for a reason):
        # the models review those it keeps, and do not judge them again.
        self.undecided: set[tuple[int, int]] = set()  # shape calls this walk leaves to the models
        self._walk(self.path.statements, bounded=False, statement=None)
        awaited = {id(node.value) for node in walk_local(self.path.statements) if isinstance(node, ast.Await)}
        self.judged = frozenset((node.lineno, node.col_offset) for node in walk_local(self.path.statements)
                                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                                and node.func.attr in (_AWAITED_SHAPES if id(node) in awaited else _SHAPES)
                                ) - self.undecided
        return self._found

    def _walk(self, nodes, bounded: bool, statement: ast.stmt | None) -> None:
        for node in nodes:
            if isinstance(node, _SCOPES):
                continue
            here = node if isinstance(node, ast.stmt) else statement
            if isinstance(node, ast.If) and self._opted_in(node.test):
                self._walk(node.orelse, bounded, here)  # ``if wait:`` with ``wait=False``: the caller asked
                continue
            if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And) and self._opted_in(node.values[0]):
                continue  # ``wait and self._stopped.wait()``
            if isinstance(node, (ast.With, ast.AsyncWith)):
                scoped = bounded or any(is_timeout_scope(item.context_expr, self.module.imports)
                                        for item in node.items)
                self._walk(node.items, bounded, here)
                self._walk(node.body, scoped, here)
                continue
            if not bounded:
                if isinstance(node, ast.Await):
                    self._awaited(node, here)
                elif isinstance(node, ast.Call):
                    self._blocking(node, here)
            self._walk(ast.iter_child_nodes(node), bounded, here)

    @cached_property
    def _off_by_default(self) -> frozenset[str]:
        """The parameters of the path that default to False: ``stop(self, wait=False)``."""
        arguments = self.function.args
        positional = [*arguments.posonlyargs, *arguments.args]
        pairs = list(zip(positional[len(positional) - len(arguments.defaults):], arguments.defaults))
        pairs += [(a, d) for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults) if d is not None]
        return frozenset(a.arg for a, d in pairs if isinstance(d, ast.Constant) and d.value is False)

    def _opted_in(self, test: ast.expr) -> bool:
        """The wait runs only when the caller asks for it, with a flag that is off by default."""
        return isinstance(test, ast.Name) and test.id in self._off_by_default

    def _add(self, node: ast.expr, kind: str, target: str, awaited: bool, made: str | None = None) -> None:
        self._found.append(Wait(node, kind, target, self.path, awaited, made))

    # -- awaited waits ----------------------------------------------------------------------------

    def _awaited(self, node: ast.Await, statement: ast.stmt | None) -> None:
        value = node.value
        if isinstance(value, (ast.Name, ast.Attribute)):
            self._awaited_task(node, value)
            return
        if not isinstance(value, ast.Call):
            return
        name = self.qualify(value.func) or ""
        if name == "asyncio.gather":
            if not self._cancelled_any_before(node) and not self._all_delegations(value.args):
                self._add(node, GATHER, spelled(value, 50), True)
            return
        if name == "asyncio.wait":
            if has_bound_argument(value, None) or _races(value) or self._cancelled_any_before(node):
                return
            if value.args and self._all_delegations(value.args[:1]):
                return
            self._add(node, ASYNCIO_WAIT, spelled(value, 50), True)
            return
        if not isinstance(value.func, ast.Attribute) or self._delegates(value):
            return
        receiver = _receiver(value.func.value)
        if receiver is None or self.module.imports.binds(receiver.split(".")[0]):
            self.undecided.add((value.lineno, value.col_offset))  # a module's function: the models judge it
            return  # ``asyncio.sleep()``, a chain through a call or a module: not a wait on an object
        method = value.func.attr
        last = set(words(receiver.rsplit(".", 1)[-1]))
        kind = self.module.typed(value, self.function)
        if kind is not None and kind not in ("nothing", "bounded", "sleep") and method in ("put", "get", "drain",
                                                                                           "flush", "join"):
            if not self.module.typed_unbounded(value, self.function):
                return  # bounded the way the library takes a bound
            if method == "put" and (kind != "queue-space" or self.module.put_may_wait(value, receiver, self.function)):
                self._add(node, PUT, receiver, True)
            elif method == "get":
                self._add(node, GET, receiver, True)
            elif method in ("drain", "flush"):
                self._add(node, DRAIN, receiver, True)
            elif method == "join":
                self._add(node, QUEUE_JOIN, receiver, True)
            return
        if method == "wait":
            if value.args or has_bound_argument(value, 0) or self._killed_before(receiver, node):
                return
            if self._own_trigger(receiver):
                return
            if last & _FINISHED_WORDS and self._cancelled_any_before(node):
                return  # ``await self._stopped.wait()`` after cancelling what sets it
            self._add(node, EVENT_WAIT, receiver, True, CHILD_PROCESS if kind == "process" else None)
        elif method == "wait_closed" and not value.args:
            self._add(node, WAIT_CLOSED, receiver, True)
        elif method == "join" and not value.args and not value.keywords:
            self._add(node, QUEUE_JOIN, receiver, True)
        elif method in ("drain", "flush") and not value.args and last & _WRITER_WORDS:
            self._add(node, DRAIN, receiver, True)
        elif method == "put" and len(value.args) == 1 and self._queue_like(receiver, last):
            if not has_bound_argument(value, 1) and self.module.put_may_wait(value, receiver, self.function):
                self._add(node, PUT, receiver, True)
        elif method == "get" and not value.args and self._queue_like(receiver, last):
            if not has_bound_argument(value, 0):
                self._add(node, GET, receiver, True)

    def _awaited_task(self, node: ast.Await, value: ast.expr) -> None:
        target = key(value)
        if target is None:
            return
        made = self.module.task_made(target, self.function)
        name = target.rsplit(".", 1)[-1]
        if made is None and not set(words(name)) & _TASK_WORDS:
            return
        if self.module.analysis.stops.is_stop_name(name) or "clos" in name.lower():
            return  # ``await self._close_task``: a close, checked where it is written
        if self._cancelled_before(target, node):
            self.cancelled_awaits.append((node, target))
            return
        if self._made_here(target, node):
            return
        self._add(node, TASK, target, True, made or self.module.thread_made(target, self.path))

    # -- blocking waits ---------------------------------------------------------------------------

    def _blocking(self, call: ast.Call, statement: ast.stmt | None) -> None:
        if not isinstance(call.func, ast.Attribute):
            return
        method = call.func.attr
        if method not in ("join", "wait", "result", "put", "get"):
            return
        if self.is_async and not self._stands_as_statement(call, statement):
            return  # in an ``async def`` an un-awaited call is a coroutine handed on, unless it stands alone
        receiver_node = call.func.value
        if isinstance(receiver_node, ast.Constant):
            return  # ``", ".join()``
        receiver = _receiver(receiver_node)
        if receiver is None or self.module.imports.binds(receiver.split(".")[0]):
            self.undecided.add((call.lineno, call.col_offset))  # a module's function: the models judge it
            return
        if self._delegates(call):
            return
        last = set(words(receiver.rsplit(".", 1)[-1]))
        kind = self.module.typed(call, self.function)
        if kind is not None and kind not in ("nothing", "bounded", "sleep") and method in ("result", "put", "get"):
            if not self.module.typed_unbounded(call, self.function):
                return  # bounded the way the library takes a bound (``get(True)`` is not one)
            if method == "result":
                self._add(call, RESULT, receiver, False)
            elif method == "put" and (kind != "queue-space" or self.module.put_may_wait(call, receiver, self.function)):
                self._add(call, PUT, receiver, False)
            elif method == "get":
                self._add(call, GET, receiver, False)
            return
        if method == "join":
            if (call.args and not is_none(call.args[0]) or has_bound_argument(call, 0)) \
                    and not self.module.forever_bound(call, self.function):
                return
            if self._killed_before(receiver, call):
                return
            if self._queue_like(receiver, last):
                self._add(call, QUEUE_JOIN, receiver, False)
            else:
                self._add(call, JOIN, receiver, False, self.module.thread_made(receiver, self.path))
        elif method == "wait":
            if (call.args or has_bound_argument(call, 0)) and not self.module.forever_bound(call, self.function):
                return
            if self._killed_before(receiver, call):
                return
            if self._own_trigger(receiver) or self._set_as_cancelled_work_ends(receiver, call):
                return
            made = CHILD_PROCESS if kind == "process" else self.module.thread_made(receiver, self.path)
            self._add(call, EVENT_WAIT, receiver, False, made)
        elif method == "result":
            if self.is_async or call.args or has_bound_argument(call, 0) or not last & _FUTURE_WORDS:
                return  # an asyncio future's result() does not wait
            self._add(call, RESULT, receiver, False)
        elif method == "put":
            if len(call.args) != 1 or has_bound_argument(call, 1) or not self._queue_like(receiver, last):
                return
            if self.module.put_may_wait(call, receiver, self.function):
                self._add(call, PUT, receiver, False)
        elif method == "get":
            if call.args or has_bound_argument(call, 0) or not self._queue_like(receiver, last):
                return
            self._add(call, GET, receiver, False)

    @staticmethod
    def _stands_as_statement(call: ast.Call, statement: ast.stmt | None) -> bool:
        return isinstance(statement, (ast.Expr, ast.Assign, ast.AnnAssign, ast.Return)) \
            and statement.value is call

    # -- the exemptions -----------------------------------------------------------------------------

    def _queue_like(self, receiver: str, last: set[str]) -> bool:
        return bool(last & _QUEUE_WORDS) or self.module.is_queue(receiver, self.function)

    def _delegates(self, call: ast.Call) -> bool:
        """``self.wait_closed()``, ``super().join()``: a method of the class itself, checked where it is written.

        A ``self.join()`` or ``self.wait()`` the module does not define is the inherited one of a
        thread or process class: a real wait."""
        func = call.func
        if not isinstance(func, ast.Attribute):
            return False
        receiver = func.value
        if isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Name) and receiver.func.id == "super":
            return func.attr not in ("join", "wait")
        if isinstance(receiver, ast.Name) and receiver.id in ("self", "cls"):
            method = self.module.analysis.contexts.resolve(func, self.function)
            return method is not None or func.attr not in ("join", "wait")
        return self.module.defines(func.attr, key(receiver))

    def _own_trigger(self, receiver: str) -> bool:
        """``event = Event(); register(lambda *_: event.set()); await event.wait()``: the path waits for
        the trigger it arranged itself (a signal, a callback): that wait comes before the stop, it is
        not a wait inside it."""
        if "." in receiver or not any(isinstance(v, ast.Call) for v in self.module.values_of(receiver, self.function)):
            return False
        for node in walk_local(self.function.body):
            if isinstance(node, (ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef)) and node is not self.function:
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute) \
                            and inner.func.attr in ("set", "set_result") and key(inner.func.value) == receiver:
                        return True
        return False

    def _set_as_cancelled_work_ends(self, receiver: str, node: ast.AST) -> bool:
        """``self._task.add_done_callback(self._on_done); self._task.cancel(); await self._stopped.wait()``
        where ``_on_done`` sets ``self._stopped``: the event is set once the cancelled task has ended, so
        the wait is for a task the path has just cancelled, as ``task.cancel(); await task`` is."""
        cancelled = {key(c.func.value) for c in self._earlier_calls(node, "cancel")} - {None}
        if not cancelled:
            return False
        for call in self._earlier_calls(node, "add_done_callback"):
            if key(call.func.value) not in cancelled or len(call.args) != 1:
                continue
            callback = call.args[0]
            bodies = [callback.body] if isinstance(callback, ast.Lambda) else []
            resolved = None if bodies else self.module.analysis.contexts.resolve(callback, self.function)
            if resolved is not None:
                bodies = list(resolved.body)
            if any(isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute)
                   and inner.func.attr in ("set", "set_result") and key(inner.func.value) == receiver
                   for body in bodies for inner in ast.walk(body)):
                return True
        return False

    def _earlier_calls(self, node: ast.AST, method: str) -> list[ast.Call]:
        """The ``.method()`` calls of the function that come before ``node``."""
        line = node.lineno
        return [n for n in walk_local(self.function.body)
                if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == method
                and n.lineno <= line and n is not node]

    @cached_property
    def _loop_sources(self) -> dict[str, str]:
        """``for task in tasks``: ``task`` stands for ``tasks``."""
        return loop_sources(self.function.body)

    def _same(self, one: str, other: str) -> bool:
        sources = self._loop_sources
        return bool({one, sources.get(one)} & {other, sources.get(other)} - {None})

    def _cancelled_before(self, target: str, node: ast.AST) -> bool:
        return any(self._same(key(c.func.value) or "", target) for c in self._earlier_calls(node, "cancel"))

    def _cancelled_any_before(self, node: ast.AST) -> bool:
        return bool(self._earlier_calls(node, "cancel"))

    def _killed_before(self, target: str, node: ast.AST) -> bool:
        if any(self._same(key(c.func.value) or "", target) for c in self._earlier_calls(node, "kill")):
            return True
        return any(self.qualify(n.func) in ("os.kill", "os.killpg") and len(n.args) == 2
                   and (self.qualify(n.args[1]) or "").endswith("SIGKILL")
                   for n in walk_local(self.function.body) if isinstance(n, ast.Call) and n.lineno <= node.lineno)

    def _all_delegations(self, args: list[ast.expr]) -> bool:
        """``gather(a.close(), b.close())``, ``gather(*(c.close() for c in cs))``, ``asyncio.wait(to_close)``
        of a list the function fills with ``create_task(x.close())``: each part is a close (or is bounded)."""
        parts: list[ast.expr] = []
        for arg in args:
            inner = arg.value if isinstance(arg, ast.Starred) else arg
            parts.extend(self._elements(inner))
        return all(self._is_close(part) for part in parts)

    def _elements(self, collection: ast.expr) -> list[ast.expr]:
        """What a collection holds, as far as the function shows: the collection itself otherwise."""
        if isinstance(collection, (ast.GeneratorExp, ast.ListComp, ast.SetComp)):
            return [collection.elt]
        if isinstance(collection, (ast.List, ast.Tuple, ast.Set)):
            return list(collection.elts)
        name = key(collection)
        if name is None:
            return [collection]
        found: list[ast.expr] = []
        for node in walk_local(self.function.body):
            if isinstance(node, ast.Assign) and any(key(t) == name for t in node.targets):
                value = node.value
                if isinstance(value, (ast.List, ast.Tuple, ast.Set)) and not value.elts:
                    continue  # ``tasks = []``, filled below
                if isinstance(value, ast.Call):
                    found.append(collection)  # what a call returns (``self._close_all()``): not known here
                    continue
                found.extend(self._elements(value) if not isinstance(value, ast.Name) else [value])
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in ("append", "add") and key(node.func.value) == name and node.args:
                found.append(node.args[0])
        return found or [collection]

    def _is_close(self, part: ast.expr) -> bool:
        """A close (checked where it is written), or a part bounded by ``wait_for`` of its own."""
        if is_bounded_wait_for(part, self.module.imports):
            return True
        if isinstance(part, ast.Call) and last_name(part.func) in _TASK_MAKERS and part.args:
            part = part.args[0]
        if isinstance(part, ast.Call):
            part = part.func
        return isinstance(part, (ast.Attribute, ast.Name)) \
            and self.module.analysis.stops.is_stop_name(last_name(part) or "")

    def _made_here(self, target: str, node: ast.AST) -> bool:
        """``t = asyncio.create_task(self.close())`` (or ``wait_for(...)``) in the same function: the work
        is a close or a coroutine of this module, checked where it is written, or already bounded."""
        for stmt in walk_local(self.function.body):
            if isinstance(stmt, ast.Assign) and stmt.lineno <= node.lineno and any(
                    key(t) == target for t in stmt.targets):
                if self._is_close(stmt.value) or self._runs_own_coroutine(stmt.value):
                    return True
        return False

    def _runs_own_coroutine(self, value: ast.expr) -> bool:
        if not (isinstance(value, ast.Call) and last_name(value.func) in _TASK_MAKERS and value.args):
            return False
        coroutine = value.args[0]
        return isinstance(coroutine, ast.Call) and \
            self.module.analysis.contexts.resolve(coroutine.func, self.function) is not None


@dataclass(frozen=True)
class _Position:
    """Where a wait the models found is: the line and column of its call."""

    lineno: int
    col_offset: int


def _names_each_task(call: ast.AST) -> bool:
    """``gather(self._reader, self._writer)``, ``asyncio.wait([self._task])``: the tasks are named one by one,
    the object's own workers, not a collection of the work in flight (``gather(*tasks)``)."""
    if not isinstance(call, ast.Call) or not call.args:
        return False
    parts = call.args
    if last_name(call.func) == "wait":
        first = call.args[0]
        if not isinstance(first, (ast.List, ast.Tuple, ast.Set)):
            return False
        parts = first.elts
    return all(isinstance(part, (ast.Name, ast.Attribute)) for part in parts)


def _loop_variables(function: ast.AST) -> frozenset[str]:
    """The names a ``for`` of the function binds, one item of a collection each (``for i, t in ...``)."""
    return frozenset(n.id for node in walk_local(function.body) if isinstance(node, (ast.For, ast.AsyncFor))
                     for n in ast.walk(node.target) if isinstance(n, ast.Name))


def _described_join(wait: Wait, outlived: str) -> str:
    return (f"{wait.path.title} joins `{wait.target}` with no timeout after it outlived a bounded join "
            f"({outlived.split(':', 1)[0]}); the thread is known not to be stopping, so "
            f"{wait.path.never_returns}")


def _assigned(node: ast.AST, name: str) -> list[ast.expr]:
    """The values ``node`` assigns to the plain name ``name``."""
    if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
        return [node.value]
    if isinstance(node, ast.AnnAssign) and node.value is not None and isinstance(node.target, ast.Name) \
            and node.target.id == name:
        return [node.value]
    return []


def _receiver(node: ast.expr) -> str | None:
    """``self._thread``, or ``self[key]`` / ``threads[name]`` spelled as written; None for a call's result."""
    if isinstance(node, ast.Subscript):
        return spelled(node, 40) if key(node.value) is not None else None
    return key(node)


def _races(call: ast.Call) -> bool:
    return any(k.arg == "return_when" and (last_name(k.value) or "") in _RACES for k in call.keywords)


def _sized_queue(value: ast.expr, qualify) -> bool:
    """``Queue(maxsize=16)``, ``MPQueue(queue_size)`` (``multiprocessing.Queue`` imported under another name):
    a queue made with a size that may not be 0."""
    if not isinstance(value, ast.Call):
        return False
    made = (qualify(value.func) or last_name(value.func) or "").rsplit(".", 1)[-1]
    return made in _QUEUE_CLASSES and not _unbounded_queue(value, made)


def _unbounded_queue(value: ast.expr, made: str | None = None) -> bool:
    made = made or (last_name(value.func) if isinstance(value, ast.Call) else None)
    if not isinstance(value, ast.Call) or made not in _QUEUE_CLASSES:
        return False
    if made == "SimpleQueue":
        return True
    size = value.args[0] if value.args else next((k.value for k in value.keywords if k.arg == "maxsize"), None)
    return size is None or (isinstance(size, ast.Constant) and size.value in (0, None)) or (
        isinstance(size, ast.UnaryOp) and isinstance(size.op, ast.USub))
