"""The code that runs while a program stops: the shutdown paths that a wait with no bound holds up.

A stop that waits, with no bound, for something that may never come never returns: the service
hangs until it is killed, and what the stop had still to do after the wait (close the connection,
flush the log) is never done. Which code runs while a program stops is the stop-path model's
question too, so the names come from there (``stop_paths.SHUTDOWN_METHOD_WORDS``: the stop words
that end an object's work, not those that may end one operation such as ``abort_transaction``;
plus the ``shutdown-path-names`` option), and so do the signal handlers and atexit hooks. Added here:

- ``__exit__`` / ``__aexit__``, when it ends something: it calls a stop (``close()``, ``cancel()``,
  an exit stack's ``aclose()``), sets an event, joins or waits for work, or awaits a task. An exit that
  only resets the object, commits or runs what the block queued (a pipeline's ``execute()``) ends one
  use of the object, not its work: ``async with r.pipeline() as pipe:`` is not a stop;
- framework shutdown hooks: FastStream's ``@app.on_shutdown`` / ``@app.after_shutdown`` (and
  ``on_shutdown=[...]`` / ``after_shutdown=[...]``), FastAPI's ``@app.on_event("shutdown")`` and
  ``add_event_handler("shutdown", f)``, aiohttp's ``app.on_shutdown.append(f)`` /
  ``on_cleanup``, Quart's ``after_serving``, Sanic's ``before_server_stop`` / ``after_server_stop``;
- the teardown of a lifespan: the code after the ``yield`` of a context manager passed as
  ``lifespan=`` (FastStream, FastAPI, Starlette) or named like one. The part after the ``yield``
  of any other context manager is not a shutdown path: it runs at the end of every ``with``.

A name whose first word asks or waits (``is_closed``, ``wait_closed``, ``get_shutdown_event``)
is a question about a stop, not a stop; and a function named like a stop that goes round a loop
retrying a connection (``_force_disconnect()`` that tears the connection down and then reconnects)
is a reconnect, not a stop: the program's stop is elsewhere.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property

from ..syntax.local_nodes import key, walk_local
from ..syntax.names import ImportMap, WordPatterns, last_name, words
from .run_contexts import RunContexts
from .stop_paths import ModuleStops

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_TRY_TYPES = (ast.Try,) + ((ast.TryStar,) if hasattr(ast, "TryStar") else ())
_ASKING_WORDS = frozenset({"wait", "waits", "is", "has", "should", "can", "get", "gets", "set", "check", "checks",
                           "when", "until", "must", "needs", "will", "was", "test"})
EXIT_DUNDERS = frozenset({"__exit__", "__aexit__"})  # a context manager's end: a stop path
# Besides the stop words: calls that end other work, or wait for it to end, from a context manager's exit
# (``self._stop.set()``, ``self._thread.join()``, ``await asyncio.wait(tasks)``, ``self._done.result()``).
_ENDING_CALLS = frozenset({"set", "join", "wait", "gather", "result"})
_CONNECTION_WORDS = frozenset({"connection", "conn", "socket", "sock", "transport", "link", "peer", "stream", "ws",
                               "websocket"})
_STOP_WORDS = frozenset({"close", "closed", "closing", "lost", "disconnect", "disconnected", "stop", "stopped",
                         "shutdown", "terminate", "terminated", "exit"})
_HOOK_DECORATORS = frozenset({"on_shutdown", "after_shutdown", "after_serving", "before_server_stop",
                              "after_server_stop", "on_cleanup"})
_HOOK_LISTS = frozenset({"on_shutdown", "after_shutdown", "on_cleanup"})
_SHUTDOWN_EVENTS = frozenset({"shutdown"})
_CONTEXT_MANAGERS = frozenset({"contextlib.asynccontextmanager", "contextlib.contextmanager"})


@dataclass(frozen=True)
class ShutdownPath:
    """A function, or the part of it, that runs while the program stops."""

    function: ast.FunctionDef | ast.AsyncFunctionDef
    title: str  # "`Consumer.stop()`", "the `@app.on_shutdown` hook `stop_audit()` (line 30)"
    statements: tuple[ast.stmt, ...]  # what runs during the stop: the body, or a lifespan's teardown
    by_name: bool = False  # found by its name alone: no hook, handler, exit or lifespan runs it
    at_exit: bool = False  # an ``atexit`` hook: it runs once the interpreter has joined its threads

    @property
    def never_returns(self) -> str:
        """How the end of a message says the path hangs: "stop never returns", "the hook never returns"."""
        for kind in ("hook", "handler", "teardown"):
            if kind in self.title.split(" (")[0]:
                return f"the {kind} never {'ends' if kind == 'teardown' else 'returns'}"
        return f"`{self.function.name}()` never returns"


class ModuleShutdownPaths:
    """The shutdown paths of one module, found when first asked."""

    def __init__(self, tree: ast.Module, imports: ImportMap, contexts: RunContexts, stops: ModuleStops,
                 extra_names: tuple[str, ...] = (), reconnecting: Callable[[], set[int]] | None = None) -> None:
        self.tree = tree
        self.imports = imports
        self.contexts = contexts
        self.stops = stops
        self._extra = WordPatterns(extra_names)
        self._reconnecting = reconnecting or set

    def is_shutdown_name(self, name: str) -> bool:
        """``stop``, ``close_all``, ``_on_disconnect``, ``__exit__``; not ``is_closed`` or ``wait_closed``."""
        if name in EXIT_DUNDERS:
            return True
        if name.startswith("__") and name.endswith("__"):
            return False  # ``__del__``, ``__init__``: not asked to stop
        first = (words(name) or ("",))[0]
        if first in _ASKING_WORDS:
            return False
        if _names_an_event(name):
            return False
        return self.stops.is_shutdown_name(name) or self._extra.matches(name)

    @cached_property
    def paths(self) -> list[ShutdownPath]:
        """Every shutdown path, one per function: a hook's title wins over its name's."""
        found: dict[int, ShutdownPath] = {}
        for path in [*self._hooked, *self._lifespans, *self._registered, *self._named]:
            found.setdefault(id(path.function), path)
        return sorted(found.values(), key=lambda p: (p.function.lineno, p.function.col_offset))

    def _whole(self, function, title: str) -> ShutdownPath:
        return ShutdownPath(function, title, tuple(function.body))

    def _call_title(self, function) -> str:
        return f"`{self.contexts.title(function)}()`"

    @cached_property
    def _named(self) -> list[ShutdownPath]:
        named = [f for f in self.contexts.functions
                 if self.is_shutdown_name(f.name) and (f.name not in EXIT_DUNDERS or self._ends_something(f))]
        if named:
            reconnecting = self._reconnecting()
            named = [f for f in named if id(f) not in reconnecting]
        return [ShutdownPath(f, self._call_title(f), tuple(f.body), by_name=f.name not in EXIT_DUNDERS)
                for f in named]

    def _ends_something(self, function) -> bool:
        """A context manager's exit that stops work: it calls a stop, sets an event, joins or waits, awaits
        a task or a future (``await self._task``, ``await asyncio.Future()``), or hands on to another exit
        (``super().__aexit__()``). Its own statements only: an exit that resets, commits or executes through
        its own object (a pipeline's ``await self.reset()``) ends one use of the object."""
        own = function.args.args[0].arg if function.args.args else None
        for node in walk_local(function.body):
            if isinstance(node, ast.Call):
                name = last_name(node.func)
                if name and (name in _ENDING_CALLS or name in EXIT_DUNDERS or self.stops.is_stop_name(name)):
                    return True
            elif isinstance(node, ast.Await) and not (isinstance(node.value, ast.Call)
                                                      and (key(node.value.func) or "").split(".")[0] == own):
                return True  # ``await self._task``, ``await asyncio.Future()``: it waits for something to end
        return False

    @cached_property
    def _registered(self) -> list[ShutdownPath]:
        return [replace(self._whole(hook.function, hook.title), at_exit=hook.at_exit) for hook in self.stops.hooks]

    @cached_property
    def _hooked(self) -> list[ShutdownPath]:
        """Functions a framework runs on shutdown: decorated as its hooks, or handed to it as one."""
        found = []
        for function in self.contexts.functions:
            for decorator in function.decorator_list:
                hook = _hook_decorator(decorator)
                if hook is not None:
                    found.append(self._whole(function, f"the `@{hook}` hook {self._call_title(function)} "
                                                       f"(line {function.lineno})"))
                    break
        for site, node in self._calls:
            for keyword in node.keywords:
                if keyword.arg in _HOOK_LISTS and isinstance(keyword.value, (ast.List, ast.Tuple)):
                    for element in keyword.value.elts:
                        self._add_handed(found, element, site, f"the `{keyword.arg}` hook", node.lineno)
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in ("append", "insert") and node.args \
                    and last_name(func.value) in _HOOK_LISTS:
                self._add_handed(found, node.args[-1], site, f"the `{last_name(func.value)}` hook", node.lineno)
            elif last_name(func) == "add_event_handler" and len(node.args) == 2 \
                    and isinstance(node.args[0], ast.Constant) and node.args[0].value in _SHUTDOWN_EVENTS:
                self._add_handed(found, node.args[1], site, "the shutdown event handler", node.lineno)
        return found

    def _add_handed(self, found: list[ShutdownPath], handler: ast.expr, site, what: str, line: int) -> None:
        function = self.contexts.resolve(handler, site)
        if function is not None:
            found.append(self._whole(function, f"{what} {self._call_title(function)} (registered at line {line})"))

    @cached_property
    def _calls(self) -> list[tuple[ast.AST | None, ast.Call]]:
        """Every call with keywords or a hook-like function, with the function it is made in."""
        return [(site, node) for site, calls in self.contexts.calls_by_site for node in calls
                if node.keywords or isinstance(node.func, ast.Attribute)]

    @cached_property
    def _lifespans(self) -> list[ShutdownPath]:
        """The teardown of each lifespan context manager: what runs after its ``yield``."""
        handed: set[int] = set()
        for site, node in self._calls:
            for keyword in node.keywords:
                if keyword.arg == "lifespan":
                    function = self.contexts.resolve(keyword.value, site)
                    if function is not None:
                        handed.add(id(function))
        found = []
        for function in self.contexts.functions:
            if id(function) not in handed and not ("lifespan" in words(function.name) and self._is_manager(function)):
                continue
            found_yield = _teardown(function.body)
            if found_yield is None:
                continue
            line, statements = found_yield
            if statements:
                title = (f"the teardown of the lifespan {self._call_title(function)} "
                         f"(after its `yield` at line {line})")
                found.append(ShutdownPath(function, title, tuple(statements)))
        return found

    def _is_manager(self, function) -> bool:
        return any(self.imports.qualified_name(d) in _CONTEXT_MANAGERS for d in function.decorator_list)


def _names_an_event(name: str) -> bool:
    """A name whose stop word says what happened to something else, not what the function does:
    ``handle_connection_close`` and ``on_socket_closed`` react to a lost connection (and often
    reconnect); ``process_IN_CLOSE_WRITE`` handles a file event whose constant it spells."""
    parts = [p for p in name.split("_") if p]
    if any(p.isupper() and len(p) > 1 and p.lower() in _STOP_WORDS for p in parts) and \
            any(p.islower() for p in parts):
        return True
    spelled = words(name)
    return any(a in _CONNECTION_WORDS and b in _STOP_WORDS for a, b in zip(spelled, spelled[1:]))


def _hook_decorator(decorator: ast.expr) -> str | None:
    """``app.on_shutdown`` for ``@app.on_shutdown`` (or ``@app.on_shutdown()``), ``app.on_event("shutdown")``."""
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    if not isinstance(target, ast.Attribute):
        return None
    if target.attr in _HOOK_DECORATORS:
        return ast.unparse(target)
    if target.attr == "on_event" and isinstance(decorator, ast.Call) and decorator.args \
            and isinstance(decorator.args[0], ast.Constant) and decorator.args[0].value in _SHUTDOWN_EVENTS:
        return ast.unparse(decorator)
    return None


def _is_yield(statement: ast.stmt) -> bool:
    value = getattr(statement, "value", None)
    return isinstance(statement, (ast.Expr, ast.Assign, ast.AnnAssign)) and isinstance(value, (ast.Yield,
                                                                                                ast.YieldFrom))


def _teardown(body: list[ast.stmt]) -> tuple[int, list[ast.stmt]] | None:
    """The line of the block's top-level ``yield`` and what runs after it: the rest of each block
    around it, and the ``finally:`` of each ``try`` around it. None when there is no such ``yield``."""
    for index, statement in enumerate(body):
        if _is_yield(statement):
            return statement.lineno, body[index + 1:]
        inner = None
        if isinstance(statement, (ast.With, ast.AsyncWith)):
            inner = _teardown(statement.body)
            after = []
        elif isinstance(statement, _TRY_TYPES):
            inner = _teardown(statement.body)
            after = list(statement.finalbody)
        if inner is not None:
            line, rest = inner
            return line, rest + after + body[index + 1:]
    return None
