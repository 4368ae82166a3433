"""The whole project, asked one question at a time: what a name is, what a value holds, what a call reaches.

``Program`` holds the facts of each module (``summaries``), loaded on first need from the facts
cache or by parsing the file, and finishes the terms the collector wrote down: ``self._queue``
in ``LogicHandler.close`` is what ``LogicHandler`` (or a base class, in any module) stores there,
annotated or assigned; ``await channel.declare_queue()`` is what the library table says that
method returns. Every answer is a set of ``Value``s; a question that reaches further than the
bounds below stops there and answers what it found so far, never endlessly.

The project's own classes and functions are ``instance``, ``class`` and ``function`` values; a
library's are ``libinstance``, ``libclass``, ``libfunc`` and ``libname`` values, named as the library
table files them (``aio_pika.RobustQueue``).
"""

from __future__ import annotations

import ast
import builtins
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .layout import ProjectLayout, module_name
from .library import Api, LibraryModel, builtin_table
from .summaries import CallFact, ClassFacts, FunctionFacts, ModuleFacts, SetFact, summarize
from .terms import Term

_BUILTINS = frozenset(dir(builtins))
MAX_DEPTH = 24  # how far one evaluation may go through names, attributes and calls
MAX_LOADED = 2000  # modules kept in memory at once; the least recently used are read again when needed
# A collection's methods that hand on what it holds: ``self.servers.values()``, ``self._tasks.pop()``.
_COLLECTION_METHODS = frozenset({"values", "copy", "keys", "__iter__", "pop", "popleft", "get", "popitem"})
# Builtins that make a new collection of the same items: ``list(self._tasks)``.
_COPIES = frozenset({"builtins.list", "builtins.tuple", "builtins.set", "builtins.sorted", "builtins.frozenset",
                     "builtins.reversed"})


@dataclass(frozen=True)
class Value:
    kind: str  # instance, class, function, module, libinstance, libclass, libfunc, libname, const, collection
    name: str = ""
    bound: str = ""  # a method bound to an instance of this class (``function``/``libfunc``)
    made: Term | None = None  # the call that made an instance, when known (``asyncio.Queue(maxsize=10)``)
    items: frozenset["Value"] = frozenset()  # what a collection holds
    context: str = ""  # the function the ``made`` term was written in


def ordered(values) -> list[Value]:
    """Values in one order whatever the hash seed: every choice made among them is the same in every run."""
    return sorted(values, key=lambda v: (v.kind, v.name, v.bound, repr(v.made), v.context))


@dataclass(frozen=True)
class Where:
    """The place that proves an answer: a file, a line, and the code there."""

    path: str
    line: int
    text: str = ""

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


class Program:
    """One project's modules, their facts, and the answers that need more than one module."""

    def __init__(self, layout: ProjectLayout | None, library: LibraryModel | None = None,
                 load: Callable[[Path, str, bool], ModuleFacts | None] | None = None) -> None:
        self.layout = layout
        self.library = library or builtin_table()
        self._load = load or _parse_and_summarize
        self._modules: dict[str, ModuleFacts | None] = {}
        self._functions: dict[str, FunctionFacts] = {}
        self._classes: dict[str, ClassFacts] = {}
        self._owner_module: dict[str, str] = {}
        self._memo: dict[tuple, frozenset[Value]] = {}
        self._evaluating: set[tuple] = set()
        self.cuts = 0  # how many answers were cut short: those are not remembered
        self._lineages: dict[str, tuple[str, ...]] = {}
        self._callbacks: dict[str, dict[str, frozenset[Value]]] = {}
        self._stats: dict[str, tuple[int, int] | None] = {}
        self._called: dict[str, dict[str, list[FunctionFacts]]] = {}  # module -> called name -> its callers
        self._mentioning: dict[str, list[str]] = {}  # name -> the modules whose text holds it (or read already)
        self._holding: dict[str, tuple[list[str], bool]] = {}  # name -> the modules whose text holds it
        self.facts_cache = None  # the FactsCache its loader reads, when it has one (for the cost and its tests)

    # -- modules -----------------------------------------------------------------------------------

    def add(self, facts: ModuleFacts) -> ModuleFacts:
        """Take a module's facts (the file being checked: from the tree already parsed). Facts that
        replace other facts of the same module make every answer found so far stale."""
        known = self._modules.get(facts.name)
        if known is not None and known is not facts:
            self._forget(known)
        self._modules[facts.name] = facts
        self._called.pop(facts.name, None)
        if facts.path:
            self._stats[facts.name] = _stat(facts.path)
        for qualname, function in facts.functions.items():
            self._functions[qualname] = function
            self._owner_module[qualname] = facts.name
        for qualname, cls in facts.classes.items():
            self._classes[qualname] = cls
            self._owner_module[qualname] = facts.name
        return facts

    def add_tree(self, tree: ast.Module, path: str) -> ModuleFacts:
        name, is_package = module_name(Path(path)) if path else ("__main__", False)
        return self.add(summarize(tree, name, path, is_package))

    def _forget(self, facts: ModuleFacts) -> None:
        for qualname in facts.functions:
            self._functions.pop(qualname, None)
        for qualname in facts.classes:
            self._classes.pop(qualname, None)
        self._modules.pop(facts.name, None)
        self._stats.pop(facts.name, None)
        self._called.pop(facts.name, None)
        self._memo.clear()
        self._lineages.clear()
        self._callbacks.clear()

    def refresh(self) -> None:
        """Forget the modules whose file changed on disk since they were read (a long-lived server)."""
        for name, stat in list(self._stats.items()):
            facts = self._modules.get(name)
            if facts is not None and _stat(facts.path) != stat:
                self._forget(facts)
                self._mentioning.clear()  # its text may hold other names now
                self._holding.clear()
        for name in [n for n, f in self._modules.items() if f is None]:
            del self._modules[name]  # a module that could not be read may exist now

    def begin(self) -> None:
        """Forget the answers found so far (not the facts): each file is answered from the project's facts
        alone, whatever other files this process looked at before, so that every process, and every
        order of files, gives it the same answer."""
        self._memo.clear()
        self._lineages.clear()
        self._callbacks.clear()

    def module(self, name: str) -> ModuleFacts | None:
        if name in self._modules:
            self._modules[name] = self._modules.pop(name)  # the most recently used last
            return self._modules[name]
        facts = None
        if self.layout is not None:
            path = self.layout.file_of(name)
            if path is not None:
                facts = self._load(path, name, path.name == "__init__.py")
        self._modules[name] = facts
        if facts is not None:
            self.add(facts)
        while len(self._modules) > MAX_LOADED:
            oldest = next(iter(self._modules))
            dropped = self._modules.pop(oldest)
            self._called.pop(oldest, None)
            if dropped is not None:
                for qualname in dropped.functions:
                    self._functions.pop(qualname, None)
                for qualname in dropped.classes:
                    self._classes.pop(qualname, None)
        return facts

    def function(self, qualname: str) -> FunctionFacts | None:
        found = self._functions.get(qualname)
        if found is None:
            self._load_owner(qualname)
            found = self._functions.get(qualname)
        return found

    def class_(self, qualname: str) -> ClassFacts | None:
        found = self._classes.get(qualname)
        if found is None:
            self._load_owner(qualname)
            found = self._classes.get(qualname)
        return found

    def _load_owner(self, qualname: str) -> None:
        if self.layout is None:
            return
        split = self.layout.split(qualname)
        if split is not None:
            self.module(split[0])

    def module_of(self, qualname: str) -> ModuleFacts | None:
        name = self._owner_module.get(qualname)
        return self._modules.get(name) if name else None

    def where(self, qualname: str, line: int | None = None, text: str = "") -> Where:
        module = self.module_of(qualname)
        path = module.path if module is not None else "?"
        if line is None:
            found = self._functions.get(qualname) or self._classes.get(qualname)
            line = found.line if found is not None else 0
        return Where(_shown(path, self.layout), line, text)

    # -- names -------------------------------------------------------------------------------------

    def resolve(self, qualified: str, depth: int = 0) -> frozenset[Value]:
        """What a dotted global name is: a project module, class or function, or a library name."""
        if depth > MAX_DEPTH:
            self.cuts += 1
            return frozenset()
        split = self.layout.split(qualified) if self.layout is not None else None
        if split is None:
            local = self._known_module_prefix(qualified)
            split = local
        if split is None:
            return frozenset({self._library_value(qualified)})
        module_name_, rest = split
        facts = self.module(module_name_)
        if facts is None:
            return frozenset()  # a module of the project that cannot be read or parsed: nothing is known
        if not rest:
            return frozenset({Value("module", module_name_)})
        head = rest[0]
        qualname = f"{module_name_}.{head}"
        if qualname in facts.classes:
            values = frozenset({Value("class", qualname)})
        elif qualname in facts.functions:
            values = frozenset({Value("function", qualname)})
        elif head in facts.imports and facts.imports[head] != qualified:
            values = self.resolve(facts.imports[head], depth + 1)
        elif head in facts.globals:
            values = self._evaluate_all(facts.globals[head], f"{module_name_}.<module>", depth + 1)
        elif self.layout is not None and self.layout.is_module(qualname):
            return self.resolve(".".join((qualname, *rest[1:])), depth + 1)  # a submodule not imported here
        else:
            return frozenset()
        for attribute in rest[1:]:
            values = self._attribute_all(values, attribute, depth + 1)
        return values

    def _known_module_prefix(self, qualified: str) -> tuple[str, tuple[str, ...]] | None:
        """A module already added (the file being checked outside any layout)."""
        parts = qualified.split(".")
        for cut in range(len(parts), 0, -1):
            name = ".".join(parts[:cut])
            if name in self._modules and self._modules[name] is not None:
                return name, tuple(parts[cut:])
        return None

    def _library_value(self, qualified: str) -> Value:
        canonical = self.library.canonical(qualified)
        if self.library.is_type(canonical):
            return Value("libclass", canonical)
        if self.library.api(canonical) is not None:
            return Value("libfunc", canonical)
        return Value("libname", canonical)

    # -- values ------------------------------------------------------------------------------------

    def evaluate(self, term: Term, context: str | None, depth: int = 0) -> frozenset[Value]:
        """What ``term``, written in function ``context`` (a qualname), may hold.

        An answer cut short by ``MAX_DEPTH`` (or by a cycle) is not remembered: asked again from
        nearer, the same term may be answered in full."""
        if term is None:
            return frozenset()
        if depth > MAX_DEPTH:
            self.cuts += 1
            return frozenset()
        memo_key = (term, context)
        if memo_key in self._memo:
            return self._memo[memo_key]
        if memo_key in self._evaluating:
            self.cuts += 1
            return frozenset()  # a cycle answers nothing
        cut_before = self.cuts
        self._evaluating.add(memo_key)
        try:
            result = self._evaluate(term, context, depth)
        finally:
            self._evaluating.discard(memo_key)
        if self.cuts == cut_before:
            self._memo[memo_key] = result
        return result

    def _evaluate_all(self, terms: Iterable[Term], context: str | None, depth: int) -> frozenset[Value]:
        found: set[Value] = set()
        for term in terms:
            found |= self.evaluate(term, context, depth)
        return frozenset(found)

    def _evaluate(self, term: Term, context: str | None, depth: int) -> frozenset[Value]:
        kind = term[0]
        if kind == "name":
            return self.resolve(term[1], depth + 1)
        if kind == "self":
            owner = self.owner_class(context)
            return frozenset({Value("instance", owner)}) if owner else frozenset()
        if kind == "super":
            owner = self.owner_class(context)
            return frozenset({Value("super", owner)}) if owner else frozenset()
        if kind == "local":
            return self._local(term[1], context, depth)
        if kind == "attr":
            return self._attribute_all(self.evaluate(term[1], context, depth + 1), term[2], depth + 1)
        if kind == "call":
            return self._call_all(self.evaluate(term[1], context, depth + 1), term, context, depth + 1)
        if kind == "union":
            return self._evaluate_all(term[1], context, depth + 1)
        if kind == "in":
            return self.evaluate(term[2], term[1], depth + 1)
        if kind in ("elem", "item"):
            found: set[Value] = set()
            for value in self.evaluate(term[1], context, depth + 1):
                if value.kind == "collection":
                    found |= value.items
                elif kind == "item" and value.kind == "tuple":
                    index = term[2]
                    items = sorted(value.items, key=lambda v: v.context)
                    if index < len(items):
                        found.add(items[index])
            return frozenset(found)
        if kind == "of":  # an annotation: an instance of the class it names
            found = set()
            for value in self.evaluate(term[1], context, depth + 1):
                if value.kind == "class":
                    found.add(Value("instance", value.name))
                elif value.kind in ("libclass", "libname"):
                    found.add(Value("libinstance", value.name))
                else:
                    found.add(value)
            return frozenset(found)
        if kind == "enter":
            return self.evaluate(term[1], context, depth + 1)
        if kind == "collection":
            return frozenset({Value("collection", items=self.evaluate(term[1], context, depth + 1))})
        if kind == "const":
            return frozenset({Value("const", term[1])})
        return frozenset()

    def owner_class(self, context: str | None) -> str | None:
        """The class whose method ``context`` is, or is nested in."""
        while context:
            function = self.function(context)
            if function is None:
                return None
            if function.owner:
                return function.owner
            context = function.parent
        return None

    def _local(self, name: str, context: str | None, depth: int) -> frozenset[Value]:
        """A name read in a function: a parameter or local of it, or of a function around it, else a global
        of its module (an import, a definition, a builtin), as Python looks names up."""
        if context:
            self.function(context)  # loads its module, if it is not yet
        module = self.module_of(context) if context else None
        while context:
            function = self.function(context)
            if function is None:
                break
            values: set[Value] = set()
            for param in function.params:
                if param.name == name:
                    if param.annotation is not None:
                        values |= self.evaluate(param.annotation, context, depth + 1)
                    if param.default is not None and (not values or param.default[0] == "const"):
                        values |= self.evaluate(param.default, context, depth + 1)
            if name in function.locals:
                values |= self._evaluate_all(function.locals[name], context, depth + 1)
            if not values and any(p.name == name and p.annotation is None for p in function.params):
                values |= self.callback_arguments(function, depth).get(name, frozenset())
            nested = f"{context}.<locals>.{name}"
            if self.function(nested) is not None:
                values.add(Value("function", nested))
            if values or any(p.name == name for p in function.params) or name in function.locals:
                return frozenset(values)
            context = function.parent  # a closure's variable
        if module is None:
            return frozenset()
        if name in module.imports:
            return self.resolve(module.imports[name], depth + 1)
        if name in module.defined:
            return self.resolve(f"{module.name}.{name}", depth + 1)
        if name in _BUILTINS:
            return self.resolve(f"builtins.{name}", depth + 1)
        return frozenset()

    def _handed_to(self, function: FunctionFacts, depth: int) -> Iterator[tuple[Api, list[int | str]]]:
        """Each library API the module hands ``function`` to, with where: the positions and keywords of
        the call's arguments that name it (``start_server(self.handle, ...)``: ``[0]``)."""
        module = self.module_of(function.qualname)
        mentions = {("attr", ("self",), function.name), ("name", function.qualname), ("local", function.name)}
        for other in (module.functions.values() if module is not None else ()):
            for call in other.calls:
                if call.value[0] != "call":
                    continue
                handed: list[int | str] = [i for i, arg in enumerate(call.value[2]) if arg in mentions]
                handed += [name for name, arg in call.value[3] if arg in mentions]
                if not handed:
                    continue
                for callee in ordered(self.evaluate(call.function, other.qualname, depth + 1)):
                    entry = self.api_of(callee)
                    if entry is not None:
                        yield entry, handed

    def callback_arguments(self, function: FunctionFacts, depth: int = 0) -> dict[str, frozenset[Value]]:
        """The parameters of a function the module hands to a library as a callback, typed as the library
        calls it: ``asyncio.start_server(self.handle, ...)`` calls ``handle(reader, writer)`` with a
        ``StreamReader`` and a ``StreamWriter`` (the table's ``callback_args``)."""
        known = self._callbacks.get(function.qualname)
        if known is not None:
            return known
        self._callbacks[function.qualname] = {}
        found: dict[str, frozenset[Value]] = {}
        for entry, handed in self._handed_to(function, depth):
            if not entry.callback_args or (entry.callback_position not in handed and entry.callback not in handed):
                continue
            types = [self.library.canonical(t.strip()) for t in entry.callback_args.split(",")]
            for param, type_name in zip(function.params, types):
                found[param.name] = frozenset({Value("libinstance", type_name)})
        self._callbacks[function.qualname] = found
        return found

    def reconnect_callback_of(self, function: FunctionFacts, depth: int = 0) -> Api | None:
        """The library API the module hands ``function`` to as the callback it calls each time a lost
        connection is back (``nats.connect(reconnected_cb=self._reconnected)``: the table's
        ``reconnected``); None when it is handed to none."""
        return next((entry for entry, handed in self._handed_to(function, depth)
                     if entry.reconnected and entry.reconnected in handed), None)

    def _attribute_all(self, values: Iterable[Value], name: str, depth: int) -> frozenset[Value]:
        found: set[Value] = set()
        for value in values:
            found |= self.attribute(value, name, depth)
        return frozenset(found)

    def attribute(self, value: Value, name: str, depth: int = 0) -> frozenset[Value]:
        if depth > MAX_DEPTH:
            self.cuts += 1
            return frozenset()
        if value.kind == "module":
            return self.resolve(f"{value.name}.{name}", depth + 1)
        if value.kind in ("instance", "class", "super"):
            return self._member(value, name, depth)
        if value.kind in ("libinstance", "libclass"):
            typed = self.library.attribute_type(value.name, name)
            if typed:
                return frozenset({Value("libinstance", typed)})
            return frozenset({Value("libfunc", f"{value.name}.{name}",
                                    bound=value.name if value.kind == "libinstance" else "", made=value.made,
                                    context=value.context)})
        if value.kind in ("libname", "libfunc"):
            return frozenset({self._library_value(f"{value.name}.{name}")})
        if value.kind == "collection" and name in _COLLECTION_METHODS:
            return frozenset({Value("collection-method", name, items=value.items)})
        return frozenset()

    def _member(self, value: Value, name: str, depth: int) -> frozenset[Value]:
        """A method or attribute of a project class, looked up through its bases (project or library)."""
        lineage = self.lineage(value.name)
        if value.kind == "super":
            lineage = lineage[1:]
        found: set[Value] = set()
        for entry in lineage:
            if entry.startswith("lib:"):
                library_type = entry[4:]
                if name == "__init__" and value.kind != "super":
                    continue
                typed = self.library.attribute_type(library_type, name)
                found.add(Value("libinstance", typed) if typed else
                          Value("libfunc", f"{library_type}.{name}", bound=library_type))
                break
            cls = self.class_(entry)
            if cls is None:
                continue
            if name in cls.methods:
                found.add(Value("function", cls.methods[name], bound=value.name if value.kind != "class" else ""))
                break
            if name in cls.attributes or name in cls.elements:
                found |= self._evaluate_all(cls.attributes.get(name, ()), None, depth + 1)
                if name in cls.elements:
                    items = self._evaluate_all(cls.elements[name], None, depth + 1)
                    found.add(Value("collection", items=items))
                break
        return frozenset(found)

    def lineage(self, class_qualname: str) -> tuple[str, ...]:
        """The class and its bases, nearest first (a left-to-right walk, each once); library bases as
        ``lib:<name>``."""
        known = self._lineages.get(class_qualname)
        if known is not None:
            return known
        self._lineages[class_qualname] = (class_qualname,)  # a class that is its own base stops here
        order: list[str] = []
        queue = [class_qualname]
        while queue and len(order) < 32:
            current = queue.pop(0)
            if current in order:
                continue
            order.append(current)
            if current.startswith("lib:"):
                continue
            cls = self.class_(current)
            if cls is None:
                continue
            for base in cls.bases:
                for value in ordered(self.evaluate(base, None)):
                    if value.kind == "class":
                        queue.append(value.name)
                    elif value.kind in ("libclass", "libname") and value.name not in ("builtins.object",):
                        queue.append(f"lib:{value.name}")
        self._lineages[class_qualname] = tuple(order)
        return self._lineages[class_qualname]

    def _call_all(self, callees: Iterable[Value], term: Term, context: str | None, depth: int) -> frozenset[Value]:
        found: set[Value] = set()
        for callee in callees:
            if callee.kind == "collection-method":
                views = callee.name in ("values", "copy", "keys", "__iter__")
                found |= {Value("collection", items=callee.items)} if views else callee.items
                continue
            if callee.kind in ("libfunc", "libname") and callee.name in _COPIES and term[2]:
                found |= {v for v in self.evaluate(term[2][0], context, depth + 1) if v.kind == "collection"}
                continue
            if callee.kind == "class":
                found.add(Value("instance", callee.name, made=term, context=context or ""))
            elif callee.kind == "function":
                function = self.function(callee.name)
                if function is None:
                    continue
                returned = self.evaluate(function.returns, callee.name, depth + 1) if function.returns is not None \
                    else self._evaluate_all(function.returned, callee.name, depth + 1)
                # ``create_task(coro)`` of the project's own that returns a task: the task is made by this call
                found |= {replace(v, made=term, context=context or "") if v.kind == "libinstance" and v.made is None
                          else v for v in returned}
            elif callee.kind == "libclass":
                found.add(Value("libinstance", callee.name, made=term, context=context or ""))
            elif callee.kind in ("libfunc", "libname"):
                api = self.api_of(callee)
                returns = api.returns if api is not None else ""
                if "," in returns:
                    parts = [Value("libinstance", self.library.canonical(r.strip()), context=str(i))
                             for i, r in enumerate(returns.split(","))]
                    found.add(Value("tuple", items=frozenset(parts)))
                elif returns:
                    found.add(Value("libinstance", self.library.canonical(returns), made=term, context=context or ""))
                elif callee.kind == "libname" and callee.name.rsplit(".", 1)[-1][:1].isupper():
                    found.add(Value("libinstance", callee.name, made=term, context=context or ""))
        return frozenset(found)

    def api_of(self, value: Value) -> Api | None:
        """The library table's entry for a library function or bound method value."""
        if value.kind not in ("libfunc", "libname", "libclass"):
            return None
        if value.bound:
            method = value.name.rsplit(".", 1)[-1]
            entry = self.library.method(value.bound, method)
            if entry is not None:
                return entry
        return self.library.api(value.name)

    # -- questions about code ---------------------------------------------------------------------

    def callees(self, function: FunctionFacts, call_index: int) -> frozenset[Value]:
        return self.evaluate(function.calls[call_index].function, function.qualname)

    def functions_of(self, module: str) -> Iterator[FunctionFacts]:
        facts = self.module(module)
        if facts is not None:
            yield from facts.functions.values()

    def subclasses(self, class_qualname: str) -> list[str]:
        """The classes of the loaded modules that have ``class_qualname`` among their bases."""
        return [q for q in list(self._classes) if q != class_qualname and class_qualname in self.lineage(q)]

    def setters_of(self, attribute: str) -> list[tuple[FunctionFacts, SetFact]]:
        """Every assignment ``<anything>.<attribute> = ...`` in the project's functions, with the function that
        makes it: who can change a flag of that name (``worker.should_stop = True`` in another module)."""
        self.load_all()
        return [(function, fact) for function in list(self._functions.values()) for fact in function.sets
                if fact.key.rsplit(".", 1)[-1] == attribute]

    def callers_named(self, name: str) -> list[FunctionFacts]:
        """Every function of the project with a call of something named ``name`` (``self.name()``,
        ``node.name()``, ``name()``): who may call a method, by its name alone, so more rather than fewer.
        A module not read yet is read only when its text holds the name."""
        found: list[FunctionFacts] = []
        for module in self._modules_mentioning(name):
            found += self._calls_by_name(module).get(name, ())
        return found

    def named_only_in(self, name: str, path: str) -> bool:
        """No other file of the project holds ``name`` in its text: nothing there can import, subclass or
        make what the file defines under it. False without a project to read, or when one cannot be read."""
        if self.layout is None:
            return False
        holding, complete = self._texts_holding(name)
        home = os.path.abspath(path)
        return complete and all(os.path.abspath(self.layout.modules[m]) == home for m in holding)

    def awaited_in_a_going_loop(self, name: str, depth: int = 2, seen: frozenset[str] = frozenset()) -> bool:
        """Some function of the project awaits something named ``name`` (runs it in its own task) inside a
        ``while`` loop or an endless ``for``, directly or through up to ``depth`` callers that await the
        one before the same way. A call handed on (``create_task(handle(msg))``) runs in a task of its own."""
        if name in seen:
            return False
        seen = seen | {name}
        for caller in self.callers_named(name):
            awaits_it = False
            for call in caller.calls:
                if called_name(call) != name or not call.awaited:
                    continue
                awaits_it = True
                if _in_a_going_loop(caller, call.loop):
                    return True
            if awaits_it and depth > 0 and self.awaited_in_a_going_loop(caller.name, depth - 1, seen):
                return True
        return False

    def files_holding(self, name: str) -> list[str] | None:
        """The project's modules whose text holds ``name`` (read for it, not loaded); None without a project,
        or when a file cannot be read."""
        if self.layout is None:
            return None
        holding, complete = self._texts_holding(name)
        return holding if complete else None

    def _modules_mentioning(self, name: str) -> list[str]:
        """The loaded modules, and those whose text holds ``name``: kept until a file changes."""
        if self.layout is None:
            return [m for m, facts in self._modules.items() if facts is not None]
        known = self._mentioning.get(name)
        if known is None:
            holding = set(self._texts_holding(name)[0])
            known = [m for m in list(self.layout.modules)[:MAX_LOADED] if m in self._modules or m in holding]
            self._mentioning[name] = known
        return [m for m in known if self.module(m) is not None]

    def _texts_holding(self, name: str) -> tuple[list[str], bool]:
        """The modules whose file holds ``name`` in its bytes, in the layout's order, and whether every file
        could be read: one scan of the project per name, kept until a file changes."""
        known = self._holding.get(name)
        if known is None:
            needle = name.encode()
            holding, complete = [], True
            for module, file in list(self.layout.modules.items()):
                try:
                    if needle in file.read_bytes():
                        holding.append(module)
                except OSError:
                    complete = False
            known = self._holding[name] = (holding, complete)
        return known

    def _calls_by_name(self, module: str) -> dict[str, list[FunctionFacts]]:
        """The functions of a loaded module by the names they call, worked out once per module's facts."""
        index = self._called.get(module)
        if index is None:
            index = {}
            facts = self._modules.get(module)
            for function in facts.functions.values() if facts is not None else ():
                for called in {called_name(call) for call in function.calls} - {None}:
                    index.setdefault(called, []).append(function)
            self._called[module] = index
        return index

    def load_all(self) -> None:
        """Load every module of the project (for questions that look backwards: who calls this?)."""
        if self.layout is None:
            return
        for name in list(self.layout.modules)[:MAX_LOADED]:
            self.module(name)


def _in_a_going_loop(function: FunctionFacts, loop: int) -> bool:
    """The loop at ``loop`` (an index in ``function.loops``), or one around it, goes round until something
    else stops it: a ``while``, or a ``for`` over an endless iterator."""
    while 0 <= loop < len(function.loops):
        fact = function.loops[loop]
        if fact.kind == "while" or fact.infinite:
            return True
        loop = fact.parent
    return False


def called_name(call: CallFact) -> str | None:
    """The last name of what a call calls: ``cancel`` for ``self._queue.cancel(tag)``, ``stop`` for ``stop()``."""
    if call.method is not None:
        return call.method
    term = call.function
    if term[0] in ("name", "local"):
        return term[1].rsplit(".", 1)[-1]
    if term[0] == "attr":
        return term[2]
    return None


def _stat(path: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def _shown(path: str, layout: ProjectLayout | None) -> str:
    if layout is None or not path:
        return path
    try:
        return str(Path(path).resolve().relative_to(layout.root))
    except ValueError:
        return path


def _parse_and_summarize(path: Path, name: str, is_package: bool) -> ModuleFacts | None:
    """The facts of a module that is not cached: read, parse, collect. A file that cannot be read or
    parsed adds no facts (its neighbours are still checked)."""
    try:
        source = path.read_bytes()
        tree = ast.parse(source, filename=str(path))
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    try:
        return summarize(tree, name, str(path), is_package)
    except RecursionError:
        return None
