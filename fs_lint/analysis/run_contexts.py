"""Where a function runs: the main thread, a thread of its own (daemon or not), a greenlet, or a task.

Python raises ``KeyboardInterrupt`` only in the main thread; the interpreter waits at exit for
non-daemon threads only, and simply drops daemon ones; a task is stopped by cancellation. So what a
loop can swallow, and whether anything waits for it, depends on where it runs. This module reads
that from the code of one module: ``Thread`` subclasses and their ``run``, functions handed to
``Thread(target=...)``, what they call, and how the thread is made daemon. A function handed to
``gevent.spawn`` (or a pool's ``spawn``, eventlet's) runs in a greenlet: gevent raises
``KeyboardInterrupt`` in the main greenlet, and nothing waits for a greenlet at exit, so for these
questions it is a daemon thread.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, replace
from functools import cached_property

from ..syntax.local_nodes import key, spelled, walk_local
from ..syntax.names import ImportMap, last_name

MAIN = "main"  # module level, or a function that nothing shows to run anywhere else
THREAD = "thread"
TASK = "task"

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_THREAD_CLASSES = frozenset({"threading.Thread"})
_GREENLET_LIBRARIES = ("gevent", "eventlet")
_SPAWNS = frozenset({"spawn", "spawn_later", "spawn_raw", "spawn_n", "spawn_after"})
_DELAYED_SPAWNS = frozenset({"spawn_later", "spawn_after"})


class LibraryStarts:
    """The library calls that start a daemon thread, as the library table says (``daemon = "always"``):
    ``methods`` are their method names, a cheap first filter; ``daemon_target`` the callable one such call
    starts, when the program model shows the call is one of them (an analysis of the module answers)."""

    methods: frozenset[str] = frozenset()

    def daemon_target(self, call: ast.Call, site: ast.AST | None) -> ast.expr | None:
        return None


@dataclass(frozen=True)
class ThreadStart:
    """How the thread that runs some code is made: the evidence a message quotes."""

    line: int
    daemon: bool
    how: str  # "`threading.Thread(target=self._poll)`", "`Consumer(threading.Thread)`"
    stored_in: str | None = None  # ``self._thread``: the key the thread object is kept under
    owner: ast.ClassDef | None = None  # the class whose code made the thread (or the Thread subclass)
    made_in: int = 0  # ``id()`` of the function whose code makes it (0: module level, or a Thread subclass)
    inherited: bool = False  # daemon because the thread that makes it is: ``Thread()`` takes its maker's flag
    greenlet: bool = False  # a greenlet, not a thread: no Ctrl-C arrives there, and nothing waits for it at exit

    def describe(self) -> str:
        if self.greenlet:
            return f"the greenlet made at line {self.line} ({self.how})"
        kind = "daemon" if self.daemon else "non-daemon"
        inherited = ", daemon like the thread that makes it" if self.inherited else ""
        return f"the {kind} thread made at line {self.line} ({self.how}{inherited})"


@dataclass(frozen=True)
class RunContext:
    kind: str  # MAIN, THREAD or TASK
    thread: ThreadStart | None = None

    @property
    def in_thread(self) -> bool:
        return self.kind == THREAD

    @property
    def in_daemon_thread(self) -> bool:
        """A thread the interpreter does not wait for at exit."""
        return self.kind == THREAD and self.thread is not None and self.thread.daemon


MAIN_CONTEXT = RunContext(MAIN)
TASK_CONTEXT = RunContext(TASK)


class RunContexts:
    """The run context of every function of one module, worked out once, when first asked."""

    def __init__(self, tree: ast.Module, imports: ImportMap,
                 library_starts: "LibraryStarts | None" = None) -> None:
        self.tree = tree
        self.imports = imports
        self.library_starts = library_starts  # the library calls that start a daemon thread (the table's)

    # -- the module's functions and classes -----------------------------------------------------

    @cached_property
    def _scopes(self) -> dict[int, tuple[ast.AST | None, ast.ClassDef | None]]:
        """For each function: (the function that defines it, or None, and the class it belongs to)."""
        return {id(node): (parent, cls) for node, parent, cls in self._definitions if isinstance(node, _FUNCTIONS)}

    def class_of(self, function: ast.AST | None) -> ast.ClassDef | None:
        """The class a method (or a function nested in a method) belongs to."""
        if function is None:
            return None
        return self._scopes.get(id(function), (None, None))[1]

    def enclosing_function(self, function: ast.AST) -> ast.AST | None:
        """The function that defines a nested function (a closure), or None."""
        return self._scopes.get(id(function), (None, None))[0]

    def title(self, function: ast.AST) -> str:
        """``Consumer.stop`` for a method, ``poll`` for a function."""
        cls = self.class_of(function)
        name = getattr(function, "name", "<lambda>")
        return f"{cls.name}.{name}" if cls is not None else name

    @cached_property
    def functions(self) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
        """Every function of the module, found by a walk of statements only (expressions hold none we follow)."""
        return [f for f, _, _ in self._definitions if isinstance(f, _FUNCTIONS)]

    @cached_property
    def _definitions(self) -> list[tuple[ast.AST, ast.AST | None, ast.ClassDef | None]]:
        """Every function and class, with the function that defines it and the class it belongs to,
        from one walk of the statements (expressions hold no definition this model follows)."""
        found: list[tuple[ast.AST, ast.AST | None, ast.ClassDef | None]] = []
        stack: list[tuple[ast.AST, ast.AST | None, ast.ClassDef | None]] = [(self.tree, None, None)]
        while stack:
            node, parent, cls = stack.pop()
            for child in _statements_in(node):
                if isinstance(child, _FUNCTIONS):
                    found.append((child, parent, cls))
                    stack.append((child, child, cls))
                elif isinstance(child, ast.ClassDef):
                    found.append((child, parent, cls))
                    stack.append((child, parent, child))
                elif isinstance(child, (ast.stmt, ast.ExceptHandler, ast.match_case)):
                    stack.append((child, parent, cls))
        found.sort(key=lambda entry: (entry[0].lineno, entry[0].col_offset))
        return found

    @cached_property
    def _module_functions(self) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
        return {s.name: s for s in self.tree.body if isinstance(s, _FUNCTIONS)}

    @cached_property
    def classes(self) -> dict[str, ast.ClassDef]:
        found: dict[str, ast.ClassDef] = {}
        for node, _, _ in self._definitions:
            if isinstance(node, ast.ClassDef):
                found.setdefault(node.name, node)  # the first of a name, as ``ast.walk`` found it before
        return found

    @staticmethod
    def methods(cls: ast.ClassDef) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
        return {s.name: s for s in cls.body if isinstance(s, _FUNCTIONS)}

    def resolve(self, target: ast.expr, site: ast.AST | None) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        """The function a callable expression names: ``self._run`` in a method, ``poll`` in the module."""
        cls = self.class_of(site)
        if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and cls is not None \
                and target.value.id in ("self", "cls"):
            return self._method(cls, target.attr)
        if isinstance(target, ast.Name):
            if site is not None:
                nested = self._nested_defs.get(id(site), {}).get(target.id)
                if nested is not None:
                    return nested
            return self._module_functions.get(target.id)
        return None

    @cached_property
    def _nested_defs(self) -> dict[int, dict[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
        """The functions each function defines in its own body, by name (``def on_term`` inside ``main``)."""
        found: dict[int, dict[str, ast.FunctionDef | ast.AsyncFunctionDef]] = {}
        by_id = {id(f): f for f in self.functions}
        for fid, (parent, _) in self._scopes.items():
            if parent is not None and isinstance(parent, _FUNCTIONS):
                found.setdefault(id(parent), {}).setdefault(by_id[fid].name, by_id[fid])
        return found

    def _method(self, cls: ast.ClassDef, name: str, depth: int = 0):
        """A method of the class, or of a base class defined in the same module."""
        found = self.methods(cls).get(name)
        if found is not None or depth > 5:
            return found
        for base in cls.bases:
            parent = self.classes.get(last_name(base) or "")
            if parent is not None and parent is not cls:
                found = self._method(parent, name, depth + 1)
                if found is not None:
                    return found
        return None

    # -- threads --------------------------------------------------------------------------------

    def is_thread_class(self, cls: ast.ClassDef, depth: int = 0) -> bool:
        """A ``threading.Thread`` subclass, directly or through classes of the module."""
        for base in cls.bases:
            if self.imports.qualified_name(base) in _THREAD_CLASSES:
                return True
            parent = self.classes.get(last_name(base) or "")
            if parent is not None and parent is not cls and depth < 5 and self.is_thread_class(parent, depth + 1):
                return True
        return False

    def _class_is_daemon(self, cls: ast.ClassDef, depth: int = 0) -> bool:
        """The class makes its threads daemon: ``self.daemon = True``, ``super().__init__(daemon=True)``, or
        ``daemon = True`` in the class body, which hides ``Thread.daemon`` (the interpreter reads that
        attribute when the thread starts, to decide whether to wait for it)."""
        for statement in cls.body:
            if isinstance(statement, (ast.Assign, ast.AnnAssign)) and isinstance(statement.value, ast.Constant) \
                    and statement.value.value is True and any(
                        isinstance(t, ast.Name) and t.id == "daemon"
                        for t in (statement.targets if isinstance(statement, ast.Assign) else [statement.target])):
                return True
        for node in ast.walk(cls):
            if _sets_daemon(node, "self"):
                return True
            if isinstance(node, ast.Call) and last_name(node.func) == "__init__" and _daemon_keyword(node):
                return True
        for base in cls.bases:
            parent = self.classes.get(last_name(base) or "")
            if parent is not None and parent is not cls and depth < 5 and self._class_is_daemon(parent, depth + 1):
                return True
        return False

    def _every_instance_made_daemon(self, cls: ast.ClassDef) -> bool:
        """The module makes the thread class, and every instance it makes is made daemon where it is made:
        ``thread = Monitor(path); thread.setDaemon(True); thread.start()``, or ``Monitor(path, daemon=True)``."""
        made = 0
        for site, calls in self.calls_by_site:
            body = self.tree.body if site is None else site.body
            for node in calls:
                if not (isinstance(node.func, ast.Name) and node.func.id == cls.name):
                    continue
                made += 1
                if not _made_daemon(node, _stored_in(body, node), body):
                    return False
        return made > 0

    @cached_property
    def _entries(self) -> dict[int, ThreadStart]:
        """The functions a thread starts in: ``run`` of a Thread subclass, ``Thread(target=...)``."""
        entries: dict[int, ThreadStart] = {}
        greenlets = any(self.imports.imports_module(m) for m in _GREENLET_LIBRARIES)
        starts = self.library_starts
        if not self.imports.imports_module("threading") and not greenlets and starts is None:
            return entries  # most modules: no thread can be started here, so none is looked for
        for cls in self.classes.values():
            if self.is_thread_class(cls):
                run = self._method(cls, "run")
                if run is not None:
                    bases = ", ".join(ast.unparse(b) for b in cls.bases)
                    daemon = self._class_is_daemon(cls) or self._every_instance_made_daemon(cls)
                    entries.setdefault(id(run), ThreadStart(cls.lineno, daemon,
                                                            f"`class {cls.name}({bases})`", owner=cls))
        for site, calls in self.calls_by_site:
            body = self.tree.body if site is None else site.body
            for node in calls:
                if self.imports.qualified_name(node.func) in _THREAD_CLASSES:
                    target = _target(node)
                    function = self.resolve(target, site) if target is not None else None
                    if function is None:
                        continue
                    stored = _stored_in(body, node)
                    entries.setdefault(id(function), ThreadStart(
                        node.lineno, _made_daemon(node, stored, body), f"`{spelled(node)}`", stored,
                        self.class_of(site),
                        made_in=0 if site is None else id(site)))
                elif greenlets and (function := self.greenlet_target(node, site)) is not None:
                    entries.setdefault(id(function), ThreadStart(
                        node.lineno, True, f"`{spelled(node)}`", _stored_in(body, node), self.class_of(site),
                        made_in=0 if site is None else id(site), greenlet=True))
                elif starts is not None and isinstance(node.func, ast.Attribute) and node.func.attr in starts.methods:
                    target = starts.daemon_target(node, site)  # ``sio.start_background_task(self._ping)``
                    function = self.resolve(target, site) if target is not None else None
                    if function is not None:
                        entries.setdefault(id(function), ThreadStart(
                            node.lineno, True, f"`{spelled(node)}`", _stored_in(body, node), self.class_of(site),
                            made_in=0 if site is None else id(site)))
        return entries

    def greenlet_target(self, call: ast.Call, site: ast.AST | None) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        """The module's function that a greenlet spawn runs: ``gevent.spawn(f)``, ``Greenlet.spawn(f)``,
        ``pool.spawn(f)``, ``eventlet.spawn_after(5, f)``; None for any other call."""
        if not call.args:
            return None
        name = self.imports.qualified_name(call.func) or ""
        if name.split(".")[0] in _GREENLET_LIBRARIES:
            if last_name(call.func) not in _SPAWNS:
                return None
        elif not (isinstance(call.func, ast.Attribute) and call.func.attr in ("spawn", "spawn_later")):
            return None
        position = 1 if last_name(call.func) in _DELAYED_SPAWNS else 0
        return self.resolve(call.args[position], site) if len(call.args) > position else None

    @cached_property
    def calls_by_site(self) -> list[tuple[ast.FunctionDef | ast.AsyncFunctionDef | None, list[ast.Call]]]:
        """Every call of the module with the function it is made in (None: module level), in one walk:
        the who-calls-whom map and the shutdown hooks (``ModuleShutdownPaths``) both read it."""
        found = []
        for site in [None, *self.functions]:
            body = self.tree.body if site is None else site.body
            found.append((site, [node for node in walk_local(body) if isinstance(node, ast.Call)]))
        return found

    def entry_points(self, function: ast.AST, limit: int = 16) -> list[ast.FunctionDef | ast.AsyncFunctionDef] | None:
        """The functions nothing in the module calls from which the module's calls reach ``function`` (itself
        when nothing calls it); None when module-level code calls one of them on the way, or past ``limit``."""
        by_id = {id(f): f for f in self.functions}
        found, seen, todo = [], set(), [function]
        while todo:
            current = todo.pop()
            if id(current) in seen:
                continue
            seen.add(id(current))
            if len(seen) > limit:
                return None
            callers = self._calls.get(id(current))
            if not callers:
                found.append(current)
            elif 0 in callers:
                return None
            else:
                todo.extend(by_id[c] for c in sorted(callers) if c in by_id)
        return found

    def is_called(self, function: ast.AST) -> bool:
        """Some code of the module calls it (``self.m()``, ``f()``), as far as the module resolves calls."""
        return bool(self._calls.get(id(function)))

    def callers(self, function: ast.AST) -> frozenset[int]:
        """Who in the module calls it, by ``id`` (0: module-level code)."""
        return frozenset(self._calls.get(id(function), ()))

    def called_from(self, function: ast.AST) -> set[int]:
        """The module's functions that ``function`` calls, directly or through others, by ``id``."""
        reached: set[int] = set()
        todo = [id(function)]
        while todo:
            for callee in self._callees.get(todo.pop(), ()):
                if callee not in reached:
                    reached.add(callee)
                    todo.append(callee)
        return reached

    @cached_property
    def _callees(self) -> dict[int, set[int]]:
        """``_calls`` the other way round: caller -> the functions it calls."""
        callees: dict[int, set[int]] = {}
        for callee, callers in self._calls.items():
            for caller in callers:
                callees.setdefault(caller, set()).add(callee)
        return callees

    @cached_property
    def _calls(self) -> dict[int, set[int]]:
        """Who calls whom, for the calls the module resolves (``self.m()``, ``f()``): callee -> callers."""
        callers: dict[int, set[int]] = {}
        for site, calls in self.calls_by_site:
            for node in calls:
                callee = self.resolve(node.func, site)
                if callee is not None and callee is not site:
                    callers.setdefault(id(callee), set()).add(0 if site is None else id(site))  # 0: module level
        return callers

    @cached_property
    def _threads(self) -> dict[int, ThreadStart]:
        """Entry points, and the functions only thread code calls, with the thread that runs them."""
        threads = dict(self._entries)
        if not threads:
            return threads
        changed = True
        while changed:
            changed = False
            for function in self.functions:
                fid = id(function)
                callers = self._calls.get(fid)
                if fid in threads or not callers or not callers <= threads.keys():
                    continue
                threads[fid] = threads[next(iter(sorted(callers)))]
                changed = True
        return self._inherit_daemon(threads)

    def _inherit_daemon(self, threads: dict[int, ThreadStart]) -> dict[int, ThreadStart]:
        """A ``Thread()`` that does not say ``daemon=`` takes the flag of the thread that makes it: one made by
        code that runs only in a daemon thread is a daemon thread too, and the interpreter does not wait for it."""
        changed = True
        while changed:
            changed = False
            for fid, start in list(threads.items()):
                if start.daemon or not start.made_in or start.made_in not in threads:
                    continue
                maker = threads[start.made_in]
                if maker is start or not maker.daemon or self._entry_on_main(start.made_in, threads):
                    continue
                inherited = replace(start, daemon=True, inherited=True)
                for other, same in list(threads.items()):  # the functions only that thread runs, too
                    if same is start:
                        threads[other] = inherited
                changed = True
        return threads

    def _entry_on_main(self, fid: int, threads: dict[int, ThreadStart]) -> bool:
        """The function is a thread's target that code outside threads also calls: it runs on the main thread too."""
        return fid in self._entries and any(caller == 0 or caller not in threads for caller in self._calls.get(fid, ()))

    def of(self, function: ast.AST | None) -> RunContext:
        if isinstance(function, ast.AsyncFunctionDef):
            return TASK_CONTEXT
        if function is None:
            return MAIN_CONTEXT
        start = self._threads.get(id(function))
        if start is None or self._also_called_on_the_main_thread(function):
            return MAIN_CONTEXT
        return RunContext(THREAD, start)

    def _also_called_on_the_main_thread(self, function: ast.AST) -> bool:
        """A thread's target that other code also calls directly (``Thread(target=poll)`` for the workers,
        ``poll()`` from ``main()``): it runs on the main thread too, where a Ctrl-C arrives."""
        return self._entry_on_main(id(function), self._threads)


def _target(call: ast.Call) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == "target":
            return keyword.value
    return call.args[1] if len(call.args) > 1 else None


def _daemon_keyword(call: ast.Call) -> bool:
    return any(k.arg == "daemon" and isinstance(k.value, ast.Constant) and k.value.value is True
               for k in call.keywords)


def _made_daemon(made: ast.Call, stored: str | None, body: list[ast.stmt]) -> bool:
    """A thread made daemon where it is made: ``Thread(..., daemon=True)``, or kept under ``stored`` and
    given ``stored.daemon = True`` / ``stored.setDaemon(True)`` in the same body."""
    return _daemon_keyword(made) or (stored is not None and any(_sets_daemon(n, stored) for n in walk_local(body)))


def _sets_daemon(node: ast.AST, owner: str) -> bool:
    """``owner.daemon = True`` or ``owner.setDaemon(True)``."""
    if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and node.value.value is True:
        return any(isinstance(t, ast.Attribute) and t.attr == "daemon" and key(t.value) == owner for t in node.targets)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "setDaemon":
        return key(node.func.value) == owner and bool(node.args) and isinstance(node.args[0], ast.Constant) \
            and node.args[0].value is True
    return False


def _stored_in(body, call: ast.Call) -> str | None:
    for node in walk_local(body):
        if isinstance(node, ast.Assign) and node.value is call and len(node.targets) == 1:
            return key(node.targets[0])
    return None


_STATEMENT_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")


def _statements_in(node: ast.AST) -> list[ast.AST]:
    """The statements, ``except`` clauses and ``case`` blocks a node holds: where a definition can be.
    Its expressions are not looked at (a third of the nodes ``ast.iter_child_nodes`` would give)."""
    found: list[ast.AST] = []
    for name in _STATEMENT_FIELDS:
        children = getattr(node, name, None)
        if type(children) is list:
            found.extend(children)
    return found
