"""The ways one module shows to stop its code: stop methods, signal handlers, atexit hooks.

A loop is a shutdown hazard only when something real tries to stop it and cannot. This module
finds the real things: a method named like ``stop``/``close``/``shutdown`` (``on_stop``,
``please_stop``, ``__exit__``…) and what it does (sets a flag or an event, closes a resource,
cancels a task, joins a thread), any other function that sets a shutdown flag to its "stop" value,
the handlers the module gives ``signal.signal`` and ``add_signal_handler`` (do they only set a
flag, or raise?), and ``atexit`` hooks. Every fact keeps its line, so a message can quote it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import cached_property

from . import control_flow as cf
from ..syntax.local_nodes import key, spelled, walk_local
from ..syntax.names import ImportMap, WordPatterns, last_name, words
from .run_contexts import RunContexts

# Words that end an object's work (``close``, ``loop_stop``)...
SHUTDOWN_METHOD_WORDS = ("stop", "close", "shutdown", "disconnect", "terminate", "quit", "halt", "teardown",
                         "aclose")
# ...and words that may also end one operation only (``kill_task``, ``abort_transaction``, ``_entry_exit``).
STOP_METHOD_WORDS = (*SHUTDOWN_METHOD_WORDS, "kill", "abort", "cancel", "exit")
GO_ON_WORDS = frozenset({"running", "alive"})  # true means "go on"; the other shutdown words mean "stop"
_CLOSING_CALLS = frozenset({"close", "aclose", "stop", "shutdown", "disconnect", "terminate", "kill", "cancel",
                            "release", "unsubscribe"})
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_SIGNAL_CALLS = frozenset({"signal.signal"})
# The operating system's own action: the process ends (SIGINT, SIGTERM) with no Python exception raised.
DEFAULT_ACTIONS = frozenset({"signal.SIG_DFL", "signal.Handlers.SIG_DFL"})
_DEFAULT_HANDLERS = DEFAULT_ACTIONS | {"signal.default_int_handler"}
IGNORE_HANDLERS = frozenset({"signal.SIG_IGN", "signal.Handlers.SIG_IGN"})
_EXIT_CALLS = frozenset({"sys.exit", "exit", "quit", "os._exit", "os.kill"})
# Signals whose handler is not a stop: reload, status dumps, children, timers, the terminal.
_NOT_STOPPING_SIGNALS = frozenset({"SIGHUP", "SIGUSR1", "SIGUSR2", "SIGCHLD", "SIGCLD", "SIGWINCH", "SIGALRM",
                                   "SIGVTALRM", "SIGPROF", "SIGCONT", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGIO",
                                   "SIGPIPE", "SIGURG", "SIGINFO"})


@dataclass(frozen=True)
class Act:
    """One thing a stop path does to a name: ``sets self._running`` at line 88."""

    verb: str  # "sets", "closes", "cancels", "joins"
    target: str  # the key: ``self._running``, ``self._thread``
    line: int


@dataclass
class StopPath:
    """A function that asks code to stop, and what it does to ask."""

    function: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
    title: str  # "`Consumer.stop()`", "the SIGTERM handler `on_signal()`"
    cls: ast.ClassDef | None
    acts: list[Act] = field(default_factory=list)
    exits_at: int | None = None  # a ``raise`` or ``sys.exit()`` on some path

    @property
    def line(self) -> int:
        return self.function.lineno

    def acts_on(self, verb: str) -> list[Act]:
        return [a for a in self.acts if a.verb == verb]


@dataclass(frozen=True)
class SignalHandling:
    """What the module makes of one signal."""

    signal: str  # "SIGINT"
    line: int
    raises: bool  # the handler raises or exits (or the default action is kept)
    how: str  # "`signal.signal(SIGINT, self._on_signal)`", for the message
    received_as_data: bool = False  # no handler seen: the module compares a received signal with it
    # the handler may raise ``KeyboardInterrupt`` (the default one does); one that only exits raises
    # ``SystemExit`` instead, and one that records the signal raises nothing
    interrupts: bool = True
    # ``SIG_DFL``: the operating system's action, which ends the process at once; Python raises nothing
    # (neither ``KeyboardInterrupt`` nor ``SystemExit``), so no handler of the program can swallow it
    default_action: bool = False


@dataclass(frozen=True)
class Hook:
    """A function the module hands over to run while it stops: a signal handler or an atexit hook."""

    function: ast.FunctionDef | ast.AsyncFunctionDef
    title: str  # "the SIGTERM handler `on_term()` (registered at line 40)"
    line: int  # where it is registered
    at_exit: bool = False  # an ``atexit`` hook (it runs after the main thread and the non-daemon threads end)


class ModuleStops:
    """The stop paths of one module, found when first asked."""

    def __init__(self, tree: ast.Module, imports: ImportMap, shutdown_patterns: WordPatterns,
                 contexts: RunContexts) -> None:
        self.tree = tree
        self.imports = imports
        self.shutdown_patterns = shutdown_patterns
        self.contexts = contexts
        self._stop_names = WordPatterns(STOP_METHOD_WORDS)
        self._shutdown_names = WordPatterns(SHUTDOWN_METHOD_WORDS)

    # -- stop methods and flag setters ----------------------------------------------------------

    def is_stop_name(self, name: str) -> bool:
        return self._stop_names.matches(name)

    def is_shutdown_name(self, name: str) -> bool:
        """Named like an end of the object's work, not of one operation: ``close``, not ``cancel_order``."""
        return self._shutdown_names.matches(name)

    @cached_property
    def stop_methods(self) -> list[StopPath]:
        """Functions named like a stop (``close``, ``on_stop``, ``__exit__``) that do something to stop."""
        found = []
        for function in self.contexts.functions:
            if function.name == "__init__" or not self.is_stop_name(function.name):
                continue
            path = self._describe(function, f"`{self._title(function)}()`", stop_named=True)
            if path.acts or path.exits_at is not None:
                found.append(path)
        return found

    @cached_property
    def flag_setters(self) -> list[StopPath]:
        """Other functions that set a shutdown flag or event to "stop" (``self._closing = True``)."""
        found = []
        for function in self.contexts.functions:
            if function.name == "__init__" or self.is_stop_name(function.name):
                continue
            path = self._describe(function, f"`{self._title(function)}()`", stop_named=False)
            path.acts = path.acts_on("sets")
            if path.acts:
                found.append(path)
        return found

    def _title(self, function: ast.AST) -> str:
        return self.contexts.title(function)

    def _describe(self, function, title: str, *, stop_named: bool) -> StopPath:
        path = StopPath(function, title, self.contexts.class_of(function))
        body = function.body if isinstance(function.body, list) else [ast.Expr(function.body)]
        qualify = self.imports.qualified_name
        shared = {n for node in walk_local(body) if isinstance(node, (ast.Global, ast.Nonlocal)) for n in node.names}
        for node in walk_local(body):
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    name, word = _flag_key(target)
                    if not name or (isinstance(target, ast.Name) and target.id not in shared):
                        continue  # a local of the stop path: nobody else can read it
                    if self.is_flag_word(word) and (stop_named or _stop_value(node.value, word)):
                        path.acts.append(Act("sets", name, node.lineno))
                    elif stop_named and isinstance(node.value, ast.Constant):
                        path.acts.append(Act("assigns", name, node.lineno))  # ``self._go = False``
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                receiver = key(node.func.value)
                method = node.func.attr
                if receiver is None:
                    continue
                word = receiver.rsplit(".", 1)[-1]
                if method in ("set", "clear") and self.is_flag_word(word):
                    if stop_named or (method == "set") != bool(GO_ON_WORDS & set(words(word))):
                        path.acts.append(Act("sets", receiver, node.lineno))
                elif stop_named and method == "join" and not isinstance(node.func.value, ast.Constant):
                    path.acts.append(Act("joins", receiver, node.lineno))
                elif stop_named and method == "cancel":
                    path.acts.append(Act("cancels", receiver, node.lineno))
                elif stop_named and method in _CLOSING_CALLS:
                    path.acts.append(Act("closes", receiver, node.lineno))
            if isinstance(node, ast.Raise) or isinstance(node, ast.Call) and qualify(node.func) in _EXIT_CALLS:
                if path.exits_at is None:
                    path.exits_at = node.lineno
        return path

    @cached_property
    def keys_set_by_stop_paths(self) -> set[str]:
        """Every name a stop method sets: a loop that tests one of them stops when asked.

        (The flag setters set shutdown-named flags only, which a loop's test already counts as a
        shutdown check by its name: they need not be read for this.)"""
        return {act.target for path in self.stop_methods for act in path.acts if act.verb in ("sets", "assigns")}

    @cached_property
    def module_globals(self) -> set[str]:
        """Names bound at module level or declared ``global``: what a module-level loop can read."""
        found: set[str] = set()
        for stmt in self.tree.body:
            if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                found.update(t.id for t in targets if isinstance(t, ast.Name))
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Global):
                found.update(node.names)
        return found

    def is_module_global(self, target: str) -> bool:
        """``stopping``, ``state.running``: a name a module-level loop can read (not a local object's)."""
        return target.split(".")[0].split("[")[0] in self.module_globals

    def is_flag_word(self, word: str | None) -> bool:
        """Named like a shutdown flag (``_closing``, ``running``), and not a negation (``not_stopped``)."""
        return bool(word) and self.shutdown_patterns.matches(word) and not ({"not", "no"} & set(words(word)))

    def paths_for_class(self, cls: ast.ClassDef | None) -> list[StopPath]:
        """The stop methods and flag setters of a class (or, for None, of module-level functions)."""
        wanted = self._lineage(cls) if cls is not None else None
        return [p for p in self.stop_methods + self.flag_setters
                if (p.cls is None and wanted is None) or (wanted is not None and p.cls is not None
                                                          and id(p.cls) in wanted)]

    def _lineage(self, cls: ast.ClassDef, depth: int = 0) -> set[int]:
        """The class and its bases defined in the same module."""
        found = {id(cls)}
        if depth < 5:
            for base in cls.bases:
                parent = self.contexts.classes.get(last_name(base) or "")
                if parent is not None and parent is not cls:
                    found |= self._lineage(parent, depth + 1)
        return found

    # -- hooks that run while the program stops -------------------------------------------------

    def runs_only_at_exit(self, function: ast.AST) -> bool:
        """An ``atexit`` hook and nothing else: Python runs it once the main thread has returned and the
        non-daemon threads were joined, so it cannot stop a loop of either (only a daemon thread's).
        Only a hook nothing else can call: a function nested in another, or a private one the module never
        calls (``atexit.register(self.close)`` leaves ``close()`` the object's API, called any time)."""
        hooks = [hook for hook in self.hooks if hook.function is function]
        if not hooks or not all(hook.at_exit for hook in hooks):
            return False
        nested = self.contexts.enclosing_function(function) is not None
        private = getattr(function, "name", "").startswith("_")
        return nested or (private and not self.contexts.is_called(function))

    @cached_property
    def hooks(self) -> list[Hook]:
        """The module's own functions given to ``signal.signal``, ``add_signal_handler`` or ``atexit.register``.

        They run while the program stops, whatever they are called. A handler of a signal that
        does not stop (SIGHUP reloads, SIGUSR1 dumps) is not one.
        """
        found: list[Hook] = []
        if not (self.imports.imports_module("signal") or self.imports.imports_module("atexit")
                or self.imports.imports_module("asyncio")):
            return found
        qualify = self.imports.qualified_name
        for site in [None, *self.contexts.functions]:
            body = self.tree.body if site is None else site.body
            for node in walk_local(body):
                if isinstance(node, _FUNCTIONS) and node is not site:
                    if any(qualify(d) == "atexit.register" for d in node.decorator_list):
                        found.append(Hook(node, f"the atexit hook `{self._title(node)}()`", node.lineno, at_exit=True))
                    continue
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                name = qualify(node.func)
                if name == "atexit.register":
                    what, handler = "the atexit hook", node.args[0]
                elif len(node.args) >= 2 and (name in _SIGNAL_CALLS or last_name(node.func) == "add_signal_handler"):
                    signal_name = (qualify(node.args[0]) or "").rsplit(".", 1)[-1]
                    if signal_name in _NOT_STOPPING_SIGNALS:
                        continue
                    label = signal_name if signal_name.startswith("SIG") else "signal"
                    what, handler = f"the {label} handler", node.args[1]
                else:
                    continue
                if isinstance(handler, ast.Call) and qualify(handler.func) == "functools.partial" and handler.args:
                    handler = handler.args[0]
                function = self.contexts.resolve(self._alias(handler, site), site)
                if function is not None:
                    found.append(Hook(function, f"{what} `{self._title(function)}()` (registered at line "
                                                f"{node.lineno})", node.lineno, at_exit=name == "atexit.register"))
        return found

    # -- signals --------------------------------------------------------------------------------

    @cached_property
    def signals(self) -> dict[str, SignalHandling]:
        """SIGINT and SIGTERM as the module handles them: with a handler, or as data it reads."""
        found: dict[str, SignalHandling] = {}
        if not self.imports.imports_module("signal"):
            return found  # neither ``signal.signal`` nor ``signal.SIGINT`` can be spelt without it
        qualify = self.imports.qualified_name
        for site in [None, *self.contexts.functions]:
            body = self.tree.body if site is None else site.body
            for node in walk_local(body):
                if isinstance(node, ast.Dict):
                    self._handler_table(node, site, found)
                    continue
                if not isinstance(node, ast.Call) or len(node.args) < 2:
                    continue
                is_signal = qualify(node.func) in _SIGNAL_CALLS
                if not (is_signal or last_name(node.func) == "add_signal_handler"):
                    continue
                name = self._signal_name(node.args[0])
                if name is None:
                    continue
                handling = self._handled_by(name, node.lineno, node.args[1], site,
                                            f"`{spelled(node)}` at line {node.lineno}")
                previous = found.get(name)
                if previous is None or (previous.raises and not handling.raises):
                    found[name] = handling
        if "SIGINT" not in found:
            received = self._signal_received_as_data("SIGINT")
            if received is not None:
                found["SIGINT"] = received
        return found

    def _handler_table(self, table: ast.Dict, site: ast.AST | None, found: dict[str, SignalHandling]) -> None:
        """``{signal.SIGINT: self.stop, signal.SIGTERM: self.stop}``: a table of handlers the program
        installs in a loop (``for sig, handler in table.items(): loop.add_signal_handler(sig, handler)``),
        often in another module. A call written there is what a handler is; a constant (a name for the
        log) is not one."""
        for signal_key, value in zip(table.keys, table.values):
            name = self._signal_name(signal_key) if signal_key is not None else None
            if name is None or name in found or not isinstance(value, (ast.Name, ast.Attribute, ast.Lambda)):
                continue
            found[name] = self._handled_by(name, table.lineno, value, site,
                                           f"`{spelled(signal_key)}: {spelled(value)}` in a table of handlers "
                                           f"at line {table.lineno}")

    def _handled_by(self, name: str, line: int, handler: ast.expr, site: ast.AST | None, how: str) -> SignalHandling:
        """What installing ``handler`` for the signal ``name`` makes of it: whether the handler raises or exits,
        and whether what it raises may be ``KeyboardInterrupt``."""
        raises = self._handler_raises(handler, site)
        if self.imports.qualified_name(handler) in DEFAULT_ACTIONS:
            return SignalHandling(name, line, raises, how, interrupts=False, default_action=True)
        return SignalHandling(name, line, raises, how, interrupts=raises and self._handler_interrupts(handler, site))

    def _signal_name(self, node: ast.expr) -> str | None:
        name = self.imports.qualified_name(node) or ""
        last = name.rsplit(".", 1)[-1]
        return last if last in ("SIGINT", "SIGTERM") else None

    def _handler_raises(self, handler: ast.expr, site: ast.AST | None) -> bool:
        qualify = self.imports.qualified_name
        name = qualify(handler)
        if name in _DEFAULT_HANDLERS:
            return True
        if name in IGNORE_HANDLERS:
            return False
        if isinstance(handler, ast.Lambda):
            return raises_or_exits([ast.Expr(handler.body)], qualify)
        handler = self._alias(handler, site)
        function = self.contexts.resolve(handler, site)
        if function is not None:
            return raises_or_exits(function.body, qualify)
        name = last_name(handler)
        if name == "set":
            return False  # ``stop_event.set``
        # ``self.receiver.receive``: the methods of that name the module defines, if it defines any.
        same_name = [m for cls in self.contexts.classes.values() for m in self.contexts.methods(cls).values()
                     if m.name == name] if isinstance(handler, ast.Attribute) else []
        return not same_name or any(raises_or_exits(m.body, qualify) for m in same_name)

    def _handler_interrupts(self, handler: ast.expr, site: ast.AST | None) -> bool:
        """The handler may raise ``KeyboardInterrupt``: the default one, or one with a ``raise`` of anything
        but ``SystemExit``. One that ends in ``sys.exit()``/``exit()`` raises ``SystemExit`` where the main
        thread is, never ``KeyboardInterrupt`` (SmartHomeNG's ``signal.signal(SIGINT, self.stop)``)."""
        qualify = self.imports.qualified_name
        if qualify(handler) in _DEFAULT_HANDLERS or isinstance(handler, ast.Lambda):
            return True
        function = self.contexts.resolve(self._alias(handler, site), site)
        if function is None:
            return True
        return any(isinstance(node, ast.Raise) and not _raises_system_exit(node, qualify)
                   for node in walk_local(function.body))

    @staticmethod
    def _alias(handler: ast.expr, site: ast.AST | None) -> ast.expr:
        """``receive = self.signal_receiver.receive`` earlier in the same function: what it names."""
        if isinstance(handler, ast.Name) and site is not None:
            for node in walk_local(getattr(site, "body", [])):
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                        and node.targets[0].id == handler.id and isinstance(node.value, ast.Attribute):
                    return node.value
        return handler

    def _signal_received_as_data(self, signal_name: str) -> SignalHandling | None:
        """``if sig in (signal.SIGTERM, signal.SIGINT):``: the program takes signals as values it polls."""
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Compare):
                for part in [node.left, *node.comparators]:
                    elements = part.elts if isinstance(part, (ast.Tuple, ast.List, ast.Set)) else [part]
                    for element in elements:
                        if self._signal_name(element) == signal_name:
                            return SignalHandling(signal_name, node.lineno, False,
                                                  f"it compares a received signal with `{ast.unparse(element)}` "
                                                  f"at line {node.lineno}", received_as_data=True,
                                                  interrupts=False)
        return None

    @property
    def sigint_recorded(self) -> SignalHandling | None:
        """The module's own SIGINT handling, when it raises no ``KeyboardInterrupt`` (it records the signal,
        exits with ``SystemExit``, or gives SIGINT back to the operating system's action or ignores it): then
        no ``KeyboardInterrupt`` arrives."""
        handling = self.signals.get("SIGINT")
        return handling if handling is not None and not handling.interrupts else None

    @property
    def exiting_signal(self) -> SignalHandling | None:
        """A signal handler of the module that raises or calls ``sys.exit()``: SystemExit can arrive anywhere.
        (``SIG_DFL`` ends the process with no exception at all.)"""
        for handling in self.signals.values():
            if handling.raises and not handling.received_as_data and not handling.default_action:
                return handling
        return None


def _raises_system_exit(node: ast.Raise, qualify) -> bool:
    """``raise SystemExit(1)`` (or ``raise SystemExit``)."""
    exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
    return exc is not None and qualify(exc) in ("SystemExit", "builtins.SystemExit")


def raises_or_exits(body: list[ast.stmt], qualify) -> bool:
    """Some path through the block raises or exits (a ``raise``, ``sys.exit()``)."""
    for node in walk_local(body):
        if isinstance(node, ast.Raise):
            return True
        if isinstance(node, ast.Call) and qualify(node.func) in _EXIT_CALLS | cf.NO_RETURN_CALLS:
            return True
    return False


def _flag_key(target: ast.expr) -> tuple[str | None, str | None]:
    """``self._running`` -> (``self._running``, ``_running``); ``d[uuid]['running']`` -> (``d[…]['running']``, ``running``)."""
    if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant) \
            and isinstance(target.slice.value, str):
        return f"{ast.unparse(target.value)}[{target.slice.value!r}]", target.slice.value
    k = key(target)
    if k is None:
        return None, None
    return k, k.rsplit(".", 1)[-1]


def _stop_value(value: ast.expr | None, word: str | None) -> bool:
    """The value says "stop" for this flag: True for ``closing``, False or None for ``running``."""
    if not isinstance(value, ast.Constant) or word is None:
        return False
    go_on = bool(GO_ON_WORDS & set(words(word)))
    return (not value.value) if go_on else value.value is True
