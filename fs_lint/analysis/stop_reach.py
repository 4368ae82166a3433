"""Whether the program's stops reach a function named like a stop *and something more*.

``stop()``, ``close()``, ``_shutdown()``, a shutdown hook, a signal handler, a context manager's exit:
code that runs while the program stops. ``stop_capture()``, ``close_job()``,
``close_because_disabled()`` or ``stop_after_metainfo()`` carry a stop word too, but what they end is
named by the other words: one packet capture, one remote job, one user's tunnel, while the service
goes on. Their name does not say that the program's stop runs them; the code that calls them does.
So such a function is a shutdown path (in the default mode) when a stop reaches it, or when nothing
shows who runs it:

- in its own module, a stop (a function named only like one, a hook, a handler, an exit, the
  module's own top-level code or its ``main()``) calls it or names it, directly or through other
  functions of the module; or a function of the module calls it in an ``except`` that catches its
  cancellation (``close()`` cancels the writer task, whose ``except CancelledError:`` closes the
  writer);
- elsewhere in the project, a function named only like a stop, an exit, a ``main()`` or a module's
  top level calls something of its name, directly or through up to ``CALLER_LEVELS`` callers (by the
  called name alone: more callers rather than fewer);
- nothing in the project calls it at all: an API (a client's ``loop_stop()``) whose callers, out of
  sight, stop with it.

``--strict`` keeps the name's reading: every function with a stop word in its name is a shutdown path.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from functools import cached_property
from typing import TYPE_CHECKING

from ..syntax.local_nodes import walk_local
from ..syntax.names import ImportMap, last_name, words
from .shutdown_exceptions import classify
from .stop_paths import SHUTDOWN_METHOD_WORDS

if TYPE_CHECKING:
    from ..model.program import Program

CALLER_LEVELS = 3  # how far up the project's callers are followed from a function named like a stop and more
CALLER_NAMES = 24  # how many names' callers one module may ask the project for; past it, a path is kept
# Words that leave a stop a stop: ``close_all``, ``async_stop``, ``on_shutdown``, ``do_close``, ``stop_now``.
_NEUTRAL_WORDS = frozenset({"a", "async", "sync", "all", "now", "do", "on", "self", "graceful", "gracefully",
                            "force", "forced", "soon", "hard", "soft", "impl", "internal"})
_SHUTDOWN_WORDS = frozenset(SHUTDOWN_METHOD_WORDS)
_EXITS = frozenset({"__exit__", "__aexit__"})
_MAIN_NAMES = frozenset({"main", "<module>"})


class _AssumedStop:
    name = "stop"  # what a walk that ran out of its bound takes the next caller for


_ASSUMED_STOP = _AssumedStop()


def names_only_a_stop(name: str) -> bool:
    """``stop``, ``_close``, ``aclose``, ``close_all``, ``async_shutdown``: nothing but a stop in the name
    (an exit dunder too); not ``stop_capture`` or ``close_job``."""
    if name in _EXITS:
        return True
    spelled = [word for word in words(name) if word not in _NEUTRAL_WORDS]
    return bool(spelled) and all(word in _SHUTDOWN_WORDS for word in spelled)


def _is_root_name(name: str) -> bool:
    return names_only_a_stop(name) or name in _MAIN_NAMES


class StopReach:
    """Which functions of one module the program's stops reach, asked one function at a time."""

    def __init__(self, calls_by_site: list[tuple[ast.AST | None, list[ast.Call]]],
                 roots: Iterable[ast.AST], program: Program | None, imports: ImportMap) -> None:
        self._sites = calls_by_site
        self._imports = imports
        self._roots = {id(root) for root in roots}
        self._program = program
        self._from_project: dict[tuple[str, int], bool] = {}
        self._asked: set[str] = set()  # the names whose callers the project was asked for (CALLER_NAMES)

    def reaches(self, function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        name = function.name
        if name in self._reached_in_module:
            return True
        if not self._called_in_project(name):
            return True  # an API (``Client.loop_stop()``): its callers are the program's users, out of sight
        return self._reached_from_project(name, CALLER_LEVELS)

    def _called_in_project(self, name: str) -> bool:
        if any(name in mentioned for site, mentioned in self._mentions if site != name):
            return True
        return any(caller.name != name for caller in self._callers(name))

    def _callers(self, name: str) -> list:
        """The project's functions that call ``name``; past ``CALLER_NAMES`` names, a caller named like a stop
        (so the walk keeps the path: a bound on the cost, on the side of the finding)."""
        if self._program is None:
            return []
        self._asked.add(name)
        if len(self._asked) > CALLER_NAMES:
            return [_ASSUMED_STOP]
        return self._program.callers_named(name)

    @cached_property
    def _mentions(self) -> list[tuple[str | None, frozenset[str]]]:
        """Each function of the module (None: its top level) with the names it calls or hands on."""
        found = []
        for site, calls in self._sites:
            mentioned = {last_name(node.func) for node in calls} | _references(calls)
            mentioned.discard(None)
            found.append((None if site is None else site.name, frozenset(mentioned)))
        return found

    @cached_property
    def _reached_in_module(self) -> frozenset[str]:
        """The names that the module's stops call or name, followed through the module's functions by name."""
        named: dict[str, set[str]] = {}  # function name -> the names its body calls or mentions
        reached: set[str] = set()
        for (site, _), (_, mentioned) in zip(self._sites, self._mentions):
            if site is None or id(site) in self._roots or _is_root_name(site.name):
                reached |= mentioned
            else:
                named.setdefault(site.name, set()).update(mentioned)
                reached |= _called_on_cancellation(site, self._imports)
        pending = list(reached)
        while pending:
            for name in named.pop(pending.pop(), ()):
                if name not in reached:
                    reached.add(name)
                    pending.append(name)
        return frozenset(reached)

    def _reached_from_project(self, name: str, levels: int) -> bool:
        """A function of the project named only like a stop (or a ``main()``, a module's top level)
        calls something named ``name``, directly or through up to ``levels`` callers."""
        if self._program is None or levels <= 0:
            return False
        known = self._from_project.get((name, levels))
        if known is not None:
            return known
        self._from_project[(name, levels)] = False  # a cycle of callers reaches nothing new
        callers = self._callers(name)
        reached = any(_is_root_name(caller.name) for caller in callers) or any(
            self._reached_from_project(caller.name, levels - 1) for caller in callers if caller.name != name)
        self._from_project[(name, levels)] = reached
        return reached


def _called_on_cancellation(function: ast.AST, imports: ImportMap) -> set[str]:
    """What a function calls while it is being stopped: in an ``except`` that catches its cancellation (or
    any stop: ``BaseException``, a bare ``except:``, ``KeyboardInterrupt``, ``SystemExit``, ``GeneratorExit``,
    as ``shutdown_exceptions.classify`` reads the clause). A task's stop is its cancellation, so ``close()``
    cancelling the writer task runs the writer's ``except CancelledError:`` and what it calls."""
    found: set[str] = set()
    for node in walk_local(function.body):
        if isinstance(node, ast.ExceptHandler) and classify(node.type, imports).kinds:
            found.update(last_name(call.func) for call in walk_local(node.body) if isinstance(call, ast.Call))
    found.discard(None)
    return found


def _references(calls: list[ast.Call]) -> set[str]:
    """Functions handed on rather than called: ``create_task(self._close_all())`` is a call already, but
    ``loop.call_soon(self.close_session)`` or ``atexit.register(stop_capture)`` only names it."""
    found: set[str] = set()
    for node in calls:
        for argument in [*node.args, *(k.value for k in node.keywords)]:
            name = last_name(argument)
            if name is not None:
                found.add(name)
    return found
