"""The argument that an endless retry loop defeats a real stop, or None when nothing real is defeated.

A retry loop with no stop check is only a shutdown hazard when something is trying to stop it:
the loop swallows the exception that would, it runs in a thread the interpreter waits for, or the
class or module has a stop path (a stop method, a flag other code sets, a sibling loop that stops
on a flag, a thread join) that this loop ignores. A main-thread loop that lets ``KeyboardInterrupt``
and ``SystemExit`` through, in a program with no graceful stop of its own, stops like any code.
Each reason names the code that makes it true, with its line, so a reader can check it.
"""

from __future__ import annotations

import ast
from typing import Iterator

from ..syntax.local_nodes import call_argument, key, keys_read, walk_local
from .retry_loops import Loop, ModuleAnalysis, liveness_questions
from .run_contexts import RunContext, ThreadStart
from .shutdown_indicators import indicator_candidates
from .shutdown_exceptions import KEYBOARD_INTERRUPT, SYSTEM_EXIT, describe
from .stop_paths import StopPath
from .greenlet_kills import killed_by
from .subclass_stops import subclass_stops

# What code raises when the socket or client it uses was closed under it: the I/O errors, and the
# broad catches that take them (``socket.error`` is spelt in lower case).
_CAUGHT_WHEN_CLOSED = ("Exception", "OSError", "IOError", "EnvironmentError", "error", "Connection", "Socket",
                       "Closed", "Network", "Broken", "Timeout")


def defeated_stop(loop: Loop, handlers: bool = True) -> str | None:
    """Why stopping this (unbounded, unchecked, sync) retry loop fails, in the message's words. Without
    ``handlers``, a handler of the loop that swallows the stop is not a reason: its own rule reports it."""
    for reason in _reasons(loop, handlers):
        return reason
    return None


def defeated_stop_of_function(module: ModuleAnalysis, function: ast.AST | None) -> str | None:
    """The same argument for code retried by a decorator or a retrying object in ``function``:
    the thread that runs it, or a stop path of its class or module that nothing there reads."""
    context = module.contexts.of(function)
    waited_for = _waited_for(context, module)
    if waited_for is not None:
        return waited_for
    cls = module.contexts.class_of(function)
    at_exit_stops_it = context.in_daemon_thread  # an atexit hook runs while only a daemon thread still goes
    for path in module.stops.paths_for_class(cls):
        if path.function is function or (not at_exit_stops_it and module.stops.runs_only_at_exit(path.function)):
            continue
        checked = _tested_on_each_attempt(function)
        for act in path.acts_on("sets"):
            if cls is None and not module.stops.is_module_global(act.target):
                continue
            if act.target in checked:
                continue  # ``if not self.closed:`` around the body: the next attempt returns, and the retry ends
            return f"{path.title} (line {act.line}) sets `{act.target}`, which the policy never reads"
        thread = context.thread
        for act in path.acts_on("joins"):
            if thread is not None and thread.stored_in == act.target:
                return f"{path.title} (line {act.line}) joins `{act.target}`, the thread that runs it"
    return None


def _tested_on_each_attempt(function: ast.AST | None) -> set[str]:
    """What the retried function tests in an ``if`` of its own body, before or around its work: each attempt
    reads it, so once a stop sets it the attempt returns without failing and the decorator stops retrying."""
    if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return set()
    found: set[str] = set()
    body = [s for s in function.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    for index, statement in enumerate(body):
        if not isinstance(statement, ast.If):
            continue
        leaves = any(isinstance(s, ast.Return) for s in statement.body)
        wraps_the_rest = index == len(body) - 1 and not statement.orelse  # ``if not self.closed: <the work>``
        if leaves or wraps_the_rest:
            found |= keys_read(statement.test)
    return found


def _reasons(loop: Loop, handlers: bool = True) -> Iterator[str]:
    swallowing = [h for h in loop.handlers if h.swallows & {KEYBOARD_INTERRUPT, SYSTEM_EXIT}]
    if swallowing and handlers:
        handler = swallowing[0]
        kinds = handler.swallows & {KEYBOARD_INTERRUPT, SYSTEM_EXIT}
        yield f"its handler at line {handler.node.lineno} swallows {describe(kinds, '')}"
    context = loop.context
    waited_for = _waited_for(context, loop.module)
    if waited_for is not None:
        yield waited_for
    stops = loop.module.stops
    function = loop.function.node
    cls = loop.module.contexts.class_of(function)
    owners = [cls]
    if context.thread is not None and context.thread.owner is not None and context.thread.owner is not cls:
        owners.append(context.thread.owner)
    used = _keys_used_in_attempts(loop)
    if killed_by(loop) is not None:
        return  # a stop path kills the greenlet that runs it: stopped another way, whatever flag it ignores
    at_exit_stops_it = context.in_daemon_thread  # an atexit hook runs while only a daemon thread still goes
    for owner in owners:
        for path in stops.paths_for_class(owner):
            if path.function is not function and (at_exit_stops_it or not stops.runs_only_at_exit(path.function)):
                yield from _path_reasons(loop, path, used, module_level=owner is None)
        if loop.module.settings.strict or not in_unjoined_daemon(loop):
            # A daemon thread nothing joins dies with the process: another loop's flag, which ends that
            # loop on the way out, says nothing this loop must hear (the stop paths above still count).
            yield from _sibling_reasons(loop, owner)
    if cls is not None:
        yield from _subclass_reasons(loop, cls)
    for indicator in indicator_candidates(loop, loop.module.tree, loop.module.parents):
        if indicator.is_question:
            yield f"the caller hands in `{indicator.expression}` to say when to stop, but this loop never asks it"
            continue
        what = "stop event" if indicator.is_event else "stop flag"
        yield f"`{indicator.expression}` is a {what} that other code sets, but this loop never checks it"


def in_unjoined_daemon(loop: Loop) -> bool:
    """The loop runs in a daemon thread that no stop path joins, or joins only with a timeout of at most
    ``max-blind-sleep`` seconds (``self.thread.join(timeout=5)``): the interpreter does not wait for it,
    and a stop waits for it no longer than a pause fs-lint lets pass."""
    if not loop.context.in_daemon_thread:
        return False
    thread = loop.context.thread
    if thread.stored_in is None:
        return True
    stops = loop.module.stops
    owner = thread.owner if thread.stored_in.startswith("self.") else None  # ``self.thread`` of which class
    joining = [path for path in stops.stop_methods if (owner is None or path.cls is owner)
               and any(act.target == thread.stored_in for act in path.acts_on("joins"))]
    limit = float(loop.module.settings.max_blind_sleep)
    for path in joining:
        for node in walk_local(path.function.body):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "join" \
                    and key(node.func.value) == thread.stored_in and not _short_bound(node, limit):
                return False
    return True


def _short_bound(join: ast.Call, limit: float) -> bool:
    """``t.join(5)``, ``t.join(timeout=5)``: a number of seconds no longer than ``limit``."""
    bound = call_argument(join, 0, "timeout")
    return isinstance(bound, ast.Constant) and isinstance(bound.value, (int, float)) \
        and not isinstance(bound.value, bool) and 0 <= bound.value <= limit


def _waited_for(context: RunContext, module: ModuleAnalysis) -> str | None:
    """The non-daemon thread the code runs in: the interpreter waits for it at exit."""
    thread = context.thread
    if context.in_thread and thread is not None and not thread.daemon and not _never_made(thread, module):
        return f"it runs in {thread.describe()}, and the interpreter waits for that thread at exit"
    return None


def _never_made(thread: ThreadStart, module: ModuleAnalysis) -> bool:
    """A ``Thread`` subclass that nothing makes: its module names it only where it defines it, and no other
    file of the project holds its name (a start left in a comment, a class kept for later). No thread of it
    runs, so none keeps the interpreter waiting."""
    cls = thread.owner
    if cls is None or not thread.how.startswith("`class ") or module.filename is None:
        return False
    if any(isinstance(node, ast.Name) and node.id == cls.name or isinstance(node, ast.Attribute) and node.attr == cls.name
           for node in ast.walk(module.tree)):
        return False  # ``PyroMonitor(...)``, ``kinds = [PyroMonitor]``, ``self.PyroMonitor``: made, or handed on
    return module.program.named_only_in(cls.name, module.filename)


def _path_reasons(loop: Loop, path: StopPath, used: set[str], *, module_level: bool) -> Iterator[str]:
    for act in path.acts_on("sets"):
        if module_level and not loop.module.stops.is_module_global(act.target):
            continue  # a local object's flag (``refresher.shutdown``): not one a module-level loop reads
        if act.target not in loop.keys_tested:
            yield f"{path.title} (line {act.line}) sets `{act.target}`, but this loop never stops on it"
    thread = loop.context.thread
    for act in path.acts_on("joins"):
        if thread is not None and thread.stored_in == act.target:
            yield (f"{path.title} (line {act.line}) joins `{act.target}`, the thread that runs this loop, "
                   "and waits while it retries")
    if _catches_what_closing_raises(loop):
        for act in path.acts_on("closes") + path.acts_on("cancels"):
            if act.target in used:
                yield (f"{path.title} (line {act.line}) closes `{act.target}`, but this loop catches the "
                       "failure and tries again")


def _sibling_reasons(loop: Loop, owner: ast.ClassDef | None) -> Iterator[str]:
    """Other loops of the same class (or module-level functions) stop on a flag this one ignores."""
    contexts = loop.module.contexts
    for other in loop.module.loops:
        if other is loop or other.function.node is None or other.function.node is loop.function.node:
            continue
        if contexts.class_of(other.function.node) is not owner:
            continue
        indicator = _indicator_read(other)
        if indicator is None or indicator in loop.keys_tested:
            continue
        if owner is None and ("." in indicator or not loop.module.stops.is_module_global(indicator)):
            continue  # another function's own parameter or local (``stop: asyncio.Event``): not one this loop can read
        title = contexts.title(other.function.node)
        yield (f"`{title}()` stops its loop on `{indicator}` (line {other.node.lineno}), "
               "but this loop never reads it")
        return


def _subclass_reasons(loop: Loop, cls: ast.ClassDef) -> Iterator[str]:
    """A subclass's stop method, in this module or another, sets a flag the base class's loop never reads."""
    for stop in subclass_stops(loop, cls):
        yield (f"`{stop.title}` ({stop.where}) sets `self.{stop.attribute}`, but this loop of its base class "
               "never stops on it")
        return


def _indicator_read(loop: Loop) -> str | None:
    """The shutdown flag a loop stops on, by its name (``self._stop_requested``)."""
    patterns = loop.module.shutdown_patterns
    for test in loop.stop_tests:
        other_work = liveness_questions(test)
        asked = {key(n.func) for n in ast.walk(test) if isinstance(n, ast.Call) and id(n.func) in other_work}
        for k in sorted(keys_read(test), key=len, reverse=True):
            if patterns.matches(k.rsplit(".", 1)[-1]) and not k.endswith((".is_set", ".is_alive")) \
                    and k not in asked:
                return k
    return None


def _keys_used_in_attempts(loop: Loop) -> set[str]:
    """The names the retried code uses (``self.s``, ``self.s.connect``): what a closed resource breaks."""
    found: set[str] = set()
    for handler in loop.retrying_handlers:
        for node in walk_local(handler.protected_body):
            k = key(node) if isinstance(node, (ast.Name, ast.Attribute)) else None
            if k:
                found.add(k)
    return found


def _catches_what_closing_raises(loop: Loop) -> bool:
    """A handler that retries catches what using a closed socket or client raises."""
    for handler in loop.retrying_handlers:
        if handler.is_suppress:
            continue
        if handler.node.type is None:
            return True
        text = ast.unparse(handler.node.type)
        if any(word in text for word in _CAUGHT_WHEN_CLOSED):
            return True
    return False
