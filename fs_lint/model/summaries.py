"""The facts of one module, collected in one pass, in a form that survives a trip through JSON.

For each class: its bases and what its methods store on ``self``. For each function: its
parameters, its locals, and every call it makes in its own frame, with what bounds or guards that
call (the timeout scopes around it, the tests it sits under or after), the loop and the handler it
sits in; its loops (how they end, what they test), its ``except`` handlers (what they catch, whether
they raise again), and what it sets. Expressions are written as terms (``terms.py``) so that the
``Program`` can finish them with the whole project in view. Nothing here interprets a library:
``asyncio.sleep`` is just the name ``asyncio.sleep`` until the library model says what it does.
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Iterable

from ..syntax.local_nodes import instance_name, key, keys_read, spelled
from ..syntax.names import words
from . import terms as t
from .terms import Term

SCHEMA = 11  # bump when the facts change shape: the cache then rebuilds every entry

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
# Expression nodes with nothing to look at below them (for the walk of expressions, by exact type).
_LEAVES = frozenset({ast.Name, ast.Constant, ast.JoinedStr, ast.Load, ast.Store, ast.Del})
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_TRY = (ast.Try,) + ((ast.TryStar,) if hasattr(ast, "TryStar") else ())
_BUILTINS = frozenset(dir(builtins))
_MAX_ARGS = 4
_MAX_KEYWORDS = 8
_MAX_DEPTH = 6  # how deep a term may nest; deeper parts are unknown
_OPTIONAL = frozenset({"typing.Optional", "Optional", "typing_extensions.Optional"})
_UNION = frozenset({"typing.Union", "Union", "typing_extensions.Union"})
_CONTAINERS = frozenset({
    "builtins.list", "builtins.set", "builtins.frozenset", "builtins.tuple", "builtins.dict",
    "typing.List", "typing.Set", "typing.FrozenSet", "typing.Tuple", "typing.Sequence", "typing.Iterable",
    "typing.Collection", "typing.MutableSequence", "typing.Deque", "collections.deque", "typing.Dict",
    "typing.Mapping", "typing.MutableMapping", "collections.abc.Sequence", "collections.abc.Iterable",
    "collections.abc.Collection", "collections.abc.Mapping", "collections.abc.MutableMapping",
})
_MAPPINGS = frozenset({"builtins.dict", "typing.Dict", "typing.Mapping", "typing.MutableMapping",
                       "collections.abc.Mapping", "collections.abc.MutableMapping"})
# What makes a dataclass-like field: its ``default_factory=`` (``factory=``) is called for each instance.
_FIELD_MAKERS = frozenset({"dataclasses.field", "attr.ib", "attr.attrib", "attr.field", "attrs.field",
                           "pydantic.Field", "pydantic.fields.Field"})
_CLOCK_CALLS = frozenset({"time", "monotonic", "perf_counter", "time_ns", "monotonic_ns", "now", "utcnow"})
_TIME_WORDS = frozenset({"time", "monotonic", "perf_counter", "deadline", "timeout", "elapsed", "expires",
                         "expiry", "until", "remaining", "started", "start_time", "timer"})


@dataclass
class CallFact:
    """One call in a function's own frame, and what surrounds it."""

    line: int
    col: int
    end_line: int
    function: Term  # what is called
    receiver: str | None  # ``self._queue`` for ``self._queue.cancel(tag)``, when it is a plain chain
    method: str | None  # ``cancel``
    awaited: bool  # ``await f()`` or ``yield from f()``
    args: int
    keywords: tuple[str, ...]
    literals: tuple[tuple[str, str], ...]  # keywords (and ``0``, ``1``... for positions) given a literal: its repr
    text: str
    scopes: tuple[Term, ...]  # the context managers of the ``with`` blocks around it
    guards: tuple[str, ...]  # keys read by the tests it sits under, or after an early exit; and the
    # conditions on a name its ``if`` bodies need (``?namespace!='admin'``, ``?wait``: see ``_conditions``)
    loop: int  # index in ``FunctionFacts.loops`` of the innermost loop around it, or -1
    handler: str  # "" outside handlers; "finally", or "except:" + the caught names
    statement: int  # the line of the statement that holds it
    value: Term = t.UNKNOWN  # the whole call as a term (the call of a start, a factory...)


@dataclass
class LoopFact:
    line: int
    kind: str  # "while", "for", "async for"
    infinite: bool  # ``while True``, ``while 1``, ``for _ in itertools.count()``
    test_keys: tuple[str, ...]  # what the ``while`` condition reads
    exit_keys: tuple[str, ...]  # what the tests of its ``break``/``return``/``raise`` branches read
    exits: bool  # it has a ``break``, ``return`` or ``raise`` of its own
    deadline: bool  # its condition or an exit test reads a clock or a deadline, or a count the loop moves
    parent: int  # index of the loop around it, or -1
    iterates: Term = t.UNKNOWN  # what a ``for`` walks over
    test: str = ""  # the ``while`` condition as written
    col: int = 0  # where the loop statement starts on its line


@dataclass
class HandlerFact:
    line: int
    caught: tuple[str, ...]  # qualified names; () for a bare ``except:``
    loop: int
    reraises: bool  # a ``raise`` in its own body
    leaves: bool  # a ``return`` or ``break`` in its own body
    text: str = ""  # what it catches, as written: ``(asyncio.CancelledError, OSError)``


@dataclass
class SetFact:
    """``self._closing = True``, ``self._stop.set()``, ``self._closed.set_result(None)``: a flag or event set."""

    key: str
    line: int
    value: str  # "True", "False", "None", "set", "other"


@dataclass
class ParamFact:
    name: str
    annotation: Term | None
    default: Term | None
    default_text: str | None


@dataclass
class FunctionFacts:
    qualname: str
    name: str
    line: int
    end_line: int
    is_async: bool
    owner: str | None  # the class it is a method of
    parent: str | None  # the function it is nested in
    self_name: str | None
    decorators: tuple[Term, ...]
    params: list[ParamFact]
    returns: Term | None
    returned: tuple[Term, ...]  # what its ``return`` statements give, when not annotated
    locals: dict[str, list[Term]]
    calls: list[CallFact] = field(default_factory=list)
    loops: list[LoopFact] = field(default_factory=list)
    handlers: list[HandlerFact] = field(default_factory=list)
    sets: list[SetFact] = field(default_factory=list)
    # keys read by the tests a ``raise`` of its own frame sits under (not in a handler):
    # ``if self._shutdown: raise ShutdownError()`` gives ``self._shutdown``
    raises_when: tuple[str, ...] = ()

    def call_at(self, line: int, col: int) -> CallFact | None:
        """The facts of the call written at ``line``:``col`` (not an ``await`` of a value at that place)."""
        return next((c for c in self.calls if c.line == line and c.col == col and c.method != "__await__"), None)


@dataclass
class ClassFacts:
    qualname: str
    name: str
    line: int
    bases: tuple[Term, ...]
    methods: dict[str, str]  # name -> qualname
    attributes: dict[str, list[Term]]  # ``self.x``: annotations and assigned values
    elements: dict[str, list[Term]]  # what is added to ``self.x`` (``append``, ``add``, ``[k] =``)


@dataclass
class ModuleFacts:
    name: str
    path: str
    is_package: bool
    imports: dict[str, str]
    defined: dict[str, str]  # module-level name -> "class", "function" or "value"
    globals: dict[str, list[Term]]
    classes: dict[str, ClassFacts]
    functions: dict[str, FunctionFacts]

    def function_at(self, line: int | None) -> FunctionFacts | None:
        """The facts of the function whose ``def`` is on ``line``; of the module's top level for None."""
        return self._by_line.get(line if line is not None else -1)

    @cached_property
    def _by_line(self) -> dict[int, FunctionFacts]:
        return {-1 if f.qualname.endswith(".<module>") else f.line: f for f in self.functions.values()}

    def to_json(self) -> dict:
        """The facts as JSON's types: what ``asdict`` gives, at a fraction of its cost (see ``_plain``)."""
        return _plain(self)

    @classmethod
    def from_json(cls, data: dict) -> "ModuleFacts":
        def terms_of(values):
            return [t.from_json(v) for v in values]

        functions = {}
        for qualname, f in data["functions"].items():
            functions[qualname] = FunctionFacts(
                qualname=f["qualname"], name=f["name"], line=f["line"], end_line=f["end_line"],
                is_async=f["is_async"], owner=f["owner"], parent=f["parent"], self_name=f["self_name"],
                decorators=tuple(terms_of(f["decorators"])),
                params=[ParamFact(p["name"], t.from_json(p["annotation"]), t.from_json(p["default"]),
                                  p["default_text"]) for p in f["params"]],
                returns=t.from_json(f["returns"]), returned=tuple(terms_of(f["returned"])),
                locals={k: terms_of(v) for k, v in f["locals"].items()},
                calls=[CallFact(**{**c, "function": t.from_json(c["function"]), "keywords": tuple(c["keywords"]),
                                   "literals": tuple(tuple(pair) for pair in c["literals"]),
                                   "scopes": tuple(terms_of(c["scopes"])), "guards": tuple(c["guards"]),
                                   "value": t.from_json(c["value"])}) for c in f["calls"]],
                loops=[LoopFact(**{**lp, "test_keys": tuple(lp["test_keys"]), "exit_keys": tuple(lp["exit_keys"]),
                                   "iterates": t.from_json(lp["iterates"])}) for lp in f["loops"]],
                handlers=[HandlerFact(**{**h, "caught": tuple(h["caught"])}) for h in f["handlers"]],
                sets=[SetFact(**s) for s in f["sets"]], raises_when=tuple(f["raises_when"]),
            )
        classes = {q: ClassFacts(qualname=c["qualname"], name=c["name"], line=c["line"],
                                 bases=tuple(terms_of(c["bases"])), methods=dict(c["methods"]),
                                 attributes={k: terms_of(v) for k, v in c["attributes"].items()},
                                 elements={k: terms_of(v) for k, v in c["elements"].items()})
                   for q, c in data["classes"].items()}
        return cls(name=data["name"], path=data["path"], is_package=data["is_package"],
                   imports=dict(data["imports"]), defined=dict(data["defined"]),
                   globals={k: terms_of(v) for k, v in data["globals"].items()},
                   classes=classes, functions=functions)


def _plain(value):
    """Dataclasses as dicts, lists and dicts walked; tuples (terms, names) are left whole, as JSON writes
    them. ``asdict`` deep-copies every term on the way, which cost more than summarising the module."""
    names = _FIELD_NAMES.get(type(value))
    if names is not None:
        return {name: _plain(getattr(value, name)) for name in names}
    if type(value) is list:
        return [_plain(item) for item in value]
    if type(value) is dict:
        return {key: _plain(item) for key, item in value.items()}
    return value


_FIELD_NAMES = {cls: tuple(f.name for f in fields(cls))
                for cls in (CallFact, LoopFact, HandlerFact, SetFact, ParamFact, FunctionFacts, ClassFacts, ModuleFacts)}


def summarize(tree: ast.Module, module: str, path: str = "", is_package: bool = False) -> ModuleFacts:
    """The facts of one module, in one walk of its statements."""
    return _Collector(module, path, is_package).run(tree)


def resolve_relative(module: str, is_package: bool, level: int, target: str | None) -> str | None:
    """``from ..x import y`` in ``a.b.c`` -> ``a.x``; None when it climbs above the top package."""
    parts = module.split(".")
    if not is_package:
        parts = parts[:-1]
    if level - 1 > len(parts):
        return None
    base = parts[: len(parts) - (level - 1)]
    if target:
        base = base + target.split(".")
    return ".".join(base) or None


class _Frame:
    """What a term conversion needs to know about the code it is in: the function (None at module or
    class level, where a name is a global) and the name its instance goes by."""

    def __init__(self, qualname: str | None, self_name: str | None) -> None:
        self.qualname = qualname
        self.self_name = self_name


_GLOBAL = _Frame(None, None)


class _Collector:
    """One module's facts, in one pass over each function's own statements (no walk before or after).

    A name inside a function is written ``("local", name)`` whatever it is: the ``Program`` looks in
    the function's parameters and locals first, then its enclosing functions, then the module's
    globals, imports and the builtins, as Python does. So no pass is needed to learn which names a
    function binds before its statements are read.
    """

    def __init__(self, module: str, path: str, is_package: bool) -> None:
        self.module = module
        self.facts = ModuleFacts(module, path, is_package, {}, {}, {}, {}, {})

    # -- the module --------------------------------------------------------------------------------

    def run(self, tree: ast.Module) -> ModuleFacts:
        for stmt in _top_statements(tree.body):
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                self.add_import(stmt)
            kind = "class" if isinstance(stmt, ast.ClassDef) else "function" if isinstance(stmt, _FUNCTIONS) \
                else "value"
            for name in _bound_names(stmt):
                self.facts.defined.setdefault(name, kind)
            if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
                for target in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]):
                    if isinstance(target, ast.Name):
                        self.facts.globals.setdefault(target.id, []).append(self.term(stmt.value, _GLOBAL))
        # Module-level code (registrations, ``if __name__ == "__main__":``) as a function of its own;
        # the classes and functions it defines are read as the walk meets them.
        self._body("<module>", f"{self.module}.<module>", tree.body, tree, owner=None, parent=None)
        return self.facts

    def add_import(self, node: ast.Import | ast.ImportFrom) -> None:
        imports = self.facts.imports
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    imports[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    imports.setdefault(top, top)
            return
        base = node.module if node.level == 0 else resolve_relative(
            self.module, self.facts.is_package, node.level, node.module)
        if base is None:
            return
        for alias in node.names:
            if alias.name != "*":
                imports.setdefault(alias.asname or alias.name, f"{base}.{alias.name}")

    def definition(self, node: ast.AST, prefix: str, owner: str | None, parent: str | None) -> None:
        """A class or function met in a body: read it, with the names it lives under."""
        if isinstance(node, ast.ClassDef):
            self._class(node, prefix, parent)
        else:
            self._body(node.name, f"{prefix}.{node.name}", node.body, node, owner, parent)

    def _class(self, node: ast.ClassDef, prefix: str, parent: str | None) -> None:
        qualname = f"{prefix}.{node.name}"
        bases = [b.value if isinstance(b, ast.Subscript) else b for b in node.bases]  # ``Handler[Msg]``
        facts = ClassFacts(qualname, node.name, node.lineno, tuple(self.term(b, _GLOBAL) for b in bases), {}, {}, {})
        self.facts.classes[qualname] = facts
        for stmt in _top_statements(node.body):
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                facts.attributes.setdefault(stmt.target.id, []).append(self.annotation(stmt.annotation, _GLOBAL))
                if stmt.value is not None:
                    facts.attributes[stmt.target.id].append(self._default(stmt.value))
            elif isinstance(stmt, ast.Assign) and stmt.value is not None:
                for target in stmt.targets:
                    if isinstance(target, ast.Name):
                        facts.attributes.setdefault(target.id, []).append(self.term(stmt.value, _GLOBAL))
            elif isinstance(stmt, _FUNCTIONS):
                facts.methods[stmt.name] = f"{qualname}.{stmt.name}"
            elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
                self.add_import(stmt)
        for stmt in _top_statements(node.body):
            if isinstance(stmt, (*_FUNCTIONS, ast.ClassDef)):
                self.definition(stmt, qualname, qualname, parent)

    def _default(self, value: ast.expr) -> Term:
        """What a class-level default makes: ``field(default_factory=Queue)`` (a dataclass's, attrs',
        pydantic's) makes ``Queue()`` for each instance, ``field(default=x)`` is ``x``, any other value
        itself."""
        if isinstance(value, ast.Call):
            maker = self.term(value.func, _GLOBAL)
            if maker[0] == "name" and maker[1] in _FIELD_MAKERS:
                for keyword in value.keywords:
                    if keyword.arg in ("default_factory", "factory"):
                        return t.call(self.term(keyword.value, _GLOBAL))
                    if keyword.arg == "default":
                        return self.term(keyword.value, _GLOBAL)
                return t.UNKNOWN
        return self.term(value, _GLOBAL)

    # -- one function ------------------------------------------------------------------------------

    def _body(self, name: str, qualname: str, body: list[ast.stmt], node: ast.AST, owner: str | None,
              parent: str | None) -> None:
        is_function = isinstance(node, _FUNCTIONS)
        self_name = instance_name(node) if is_function and owner else None
        frame = _Frame(qualname, self_name)
        params = []
        if is_function:
            arguments = node.args
            positional = [*arguments.posonlyargs, *arguments.args]
            defaults = [None] * (len(positional) - len(arguments.defaults)) + list(arguments.defaults)
            pairs = list(zip(positional, defaults)) + list(zip(arguments.kwonlyargs, arguments.kw_defaults))
            for arg, default in pairs:
                if arg.arg == self_name:
                    continue
                params.append(ParamFact(arg.arg, self.annotation(arg.annotation, frame) if arg.annotation else None,
                                        self.term(default, frame) if default is not None else None,
                                        spelled(default, 40) if default is not None else None))
        facts = FunctionFacts(
            qualname=qualname, name=name, line=getattr(node, "lineno", 1), end_line=getattr(node, "end_lineno", 1),
            is_async=isinstance(node, ast.AsyncFunctionDef), owner=owner, parent=parent, self_name=self_name,
            decorators=tuple(self.term(d, _GLOBAL) for d in getattr(node, "decorator_list", ())),
            params=params,
            returns=self.annotation(node.returns, _GLOBAL) if is_function and node.returns is not None else None,
            returned=(), locals={},
        )
        self.facts.functions[qualname] = facts
        walk = _BodyWalk(self, frame, facts)
        walk.walk(body)
        facts.returned = tuple(walk.returned[:4])
        prefix = self.module if node is not None and not is_function else f"{qualname}.<locals>"
        for inner in walk.nested:
            if is_function:
                self.definition(inner, prefix, None, qualname)
            else:  # the module's own classes and functions
                self.definition(inner, self.module, None, None)

    # -- expressions as terms ----------------------------------------------------------------------

    def qualified(self, node: ast.expr) -> str | None:
        """``itertools.count`` however it was imported, for the few checks made on the spot."""
        chain = key(node)
        if chain is None:
            return None
        first, _, rest = chain.partition(".")
        head = self.global_name(first)
        return f"{head}.{rest}" if head and rest else head

    def global_name(self, identifier: str) -> str | None:
        if identifier in self.facts.imports:
            return self.facts.imports[identifier]
        if identifier in self.facts.defined:
            return f"{self.module}.{identifier}"
        if identifier in _BUILTINS:
            return f"builtins.{identifier}"
        return None

    def term(self, node: ast.AST | None, frame: _Frame, depth: int = 0) -> Term:
        if node is None or depth > _MAX_DEPTH:
            return t.UNKNOWN
        if isinstance(node, ast.Name):
            if node.id == frame.self_name:
                return t.SELF
            if frame.qualname is not None:
                return ("local", node.id)  # a local, a parameter, a closure's or a global: the Program decides
            qualified = self.global_name(node.id)
            return t.name(qualified) if qualified else ("local", node.id)
        if isinstance(node, ast.Attribute):
            return t.attr(self.term(node.value, frame, depth + 1), node.attr)
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id == "super":
                return t.SUPER
            args = tuple(self.term(a, frame, depth + 1) for a in node.args[:_MAX_ARGS]
                         if not isinstance(a, ast.Starred))
            keywords = tuple((k.arg, self.term(k.value, frame, depth + 1)) for k in node.keywords[:_MAX_KEYWORDS]
                             if k.arg is not None)
            return t.call(self.term(node.func, frame, depth + 1), args, keywords)
        if isinstance(node, (ast.Await, ast.YieldFrom)):
            return self.term(node.value, frame, depth)
        if isinstance(node, ast.Constant):
            literal = _literal(node)
            return ("const", type(node.value).__name__) if literal is None else \
                ("const", type(node.value).__name__, literal)
        if isinstance(node, ast.UnaryOp) and _literal(node) is not None:
            return ("const", type(node.operand.value).__name__, _literal(node))
        if isinstance(node, ast.Subscript):
            return ("elem", self.term(node.value, frame, depth + 1))
        if isinstance(node, ast.BoolOp):
            return t.union([self.term(v, frame, depth + 1) for v in node.values])
        if isinstance(node, ast.IfExp):
            return t.union([self.term(node.body, frame, depth + 1), self.term(node.orelse, frame, depth + 1)])
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            inner = t.union([self.term(e, frame, depth + 1) for e in node.elts[:_MAX_ARGS]])
            return ("collection", inner)
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
            return ("collection", self.term(node.elt, frame, depth + 1))
        if isinstance(node, ast.Dict):
            return ("const", "dict")
        if isinstance(node, ast.JoinedStr):
            return ("const", "str")
        return t.UNKNOWN

    def annotation(self, node: ast.AST | None, frame: _Frame, depth: int = 0) -> Term:
        """What an annotation says a value is: ``Optional[X]`` is X, ``A | B`` both, ``list[X]`` holds X."""
        if node is None or depth > _MAX_DEPTH:
            return t.UNKNOWN
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                parsed = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                return t.UNKNOWN
            return self.annotation(parsed, frame, depth + 1)
        if isinstance(node, ast.Constant) and node.value is None:
            return t.UNKNOWN
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return t.union([self.annotation(node.left, frame, depth + 1), self.annotation(node.right, frame, depth + 1)])
        if isinstance(node, ast.Subscript):
            base = self.term(node.value, _GLOBAL, depth + 1)
            base_name = base[1] if base[0] == "name" else ""
            inner = node.slice
            items = list(inner.elts) if isinstance(inner, ast.Tuple) else [inner]
            if not items:  # ``Callable[[], bool]``'s ``[]``, ``tuple[()]``: nothing to read a type from
                return ("of", base)
            if base_name in _OPTIONAL or base_name.endswith(".Optional"):
                return self.annotation(items[0], frame, depth + 1)
            if base_name in _UNION or base_name.endswith(".Union"):
                return t.union([self.annotation(i, frame, depth + 1) for i in items])
            if base_name in _CONTAINERS:
                element = items[-1] if base_name in _MAPPINGS else items[0]
                return ("collection", self.annotation(element, frame, depth + 1))
            if base_name.endswith((".Awaitable", ".Coroutine")) and items:
                return self.annotation(items[-1], frame, depth + 1)
            if base_name in ("typing.Type", "builtins.type", "Type", "type") and items:
                inner_term = self.annotation(items[0], frame, depth + 1)  # ``Type[X]``: the class X itself
                return inner_term[1] if inner_term[0] == "of" else inner_term
            return ("of", base)
        if isinstance(node, (ast.Name, ast.Attribute)):
            return ("of", self.term(node, _GLOBAL, depth + 1))
        return t.UNKNOWN


class _BodyWalk:
    """One pass over a function's own statements: its calls, loops, handlers, locals, returns and sets,
    each with what surrounds it, and the definitions nested in it (read after it)."""

    def __init__(self, collector: _Collector, frame: _Frame, facts: FunctionFacts) -> None:
        self.collector = collector
        self.frame = frame
        self.facts = facts
        self.returned: list[Term] = []
        self.nested: list[ast.AST] = []
        self._loops: list[int] = []  # the loops the walk is in, innermost last

    def term(self, node: ast.AST) -> Term:
        return self.collector.term(node, self.frame)

    def walk(self, body: list[ast.stmt]) -> None:
        self._block(body, scopes=(), guards=(), loop=-1, handler="")

    def _block(self, body: list[ast.stmt], scopes, guards, loop: int, handler: str) -> None:
        guards = tuple(guards)
        for stmt in body:
            self._statement(stmt, scopes, guards, loop, handler)
            if isinstance(stmt, ast.If) and not stmt.orelse and _leaves(stmt.body):
                guards = guards + tuple(sorted(keys_read(stmt.test)))  # ``if x.is_closed: return`` guards the rest

    def _add_exit_keys(self, loop: int, test: ast.expr) -> None:
        fact = self.facts.loops[loop]
        fact.exit_keys += tuple(k for k in sorted(keys_read(test)) if k not in fact.exit_keys)

    def _loops_ended_by(self, body: list[ast.stmt], loop: int) -> list[int]:
        """The loops around (``loop`` and those it is in) whose ``while`` tests a name that one of the block's
        statements sets false: ``run = False`` ends ``while run:`` at its next test."""
        ended = []
        while loop >= 0:
            fact = self.facts.loops[loop]
            if fact.kind == "while" and any(
                    isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
                    and s.targets[0].id in fact.test_keys and isinstance(s.value, ast.Constant)
                    and not s.value.value for s in body):
                ended.append(loop)
            loop = fact.parent
        return ended

    def _statement(self, stmt: ast.stmt, scopes, guards, loop: int, handler: str) -> None:
        if isinstance(stmt, ast.Raise) and not handler and guards:
            known = self.facts.raises_when
            self.facts.raises_when = known + tuple(g for g in guards if not g.startswith("?") and g not in known)
        if isinstance(stmt, (*_FUNCTIONS, ast.ClassDef)):
            self.nested.append(stmt)
            self._bind(ast.Name(stmt.name), t.UNKNOWN)
            return
        if isinstance(stmt, ast.If):
            self._expression(stmt.test, stmt, scopes, guards, loop, handler)
            if loop >= 0 and any(isinstance(s, (ast.Break, ast.Return, ast.Raise)) for s in stmt.body):
                self._add_exit_keys(loop, stmt.test)
            for ended in self._loops_ended_by(stmt.body, loop):
                self._add_exit_keys(ended, stmt.test)  # ``if self._terminate: run = False`` ends ``while run:``
            inner = guards + tuple(sorted(keys_read(stmt.test)))
            self._block(stmt.body, scopes, inner + _conditions(stmt.test), loop, handler)
            self._block(stmt.orelse, scopes, inner, loop, handler)
            return
        if isinstance(stmt, (ast.While, ast.For, ast.AsyncFor)):
            self._loop_statement(stmt, scopes, guards, loop, handler)
            return
        if isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                self._expression(item.context_expr, stmt, scopes, guards, loop, handler)
                if item.optional_vars is not None:
                    self._bind(item.optional_vars, ("enter", self.term(item.context_expr)))
            inner = scopes + tuple(self.term(item.context_expr) for item in stmt.items)
            self._block(stmt.body, inner, guards, loop, handler)
            return
        if isinstance(stmt, _TRY):
            self._block(stmt.body, scopes, guards, loop, handler)
            for clause in stmt.handlers:
                caught = self._caught(clause.type)
                own = list(_own_frame(clause.body))
                self.facts.handlers.append(HandlerFact(
                    clause.lineno, caught, loop,
                    reraises=any(isinstance(n, ast.Raise) for n in own),
                    leaves=any(isinstance(n, (ast.Return, ast.Break)) for n in own),
                    text=spelled(clause.type, 60) if clause.type is not None else ""))
                if clause.name:
                    self.facts.locals.setdefault(clause.name, []).append(
                        self.term(clause.type) if clause.type is not None else t.name("builtins.BaseException"))
                self._block(clause.body, scopes, guards, loop, "except:" + ",".join(caught))
            self._block(stmt.orelse, scopes, guards, loop, handler)
            self._block(stmt.finalbody, scopes, guards, loop, "finally")
            return
        if isinstance(stmt, ast.Match):
            self._expression(stmt.subject, stmt, scopes, guards, loop, handler)
            for case in stmt.cases:
                self._block(case.body, scopes, guards, loop, handler)
            return
        if isinstance(stmt, (ast.Break, ast.Return, ast.Raise)) and self._loops:
            leaving = self._loops[-1:] if isinstance(stmt, ast.Break) else self._loops
            for index in leaving:
                self.facts.loops[index].exits = True
        if isinstance(stmt, ast.Return) and stmt.value is not None:
            self.returned.append(self.term(stmt.value))
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            self.collector.add_import(stmt)
        elif isinstance(stmt, ast.Assign):
            value = self.term(stmt.value)
            for target in stmt.targets:
                self._bind(target, value)
                if isinstance(target, ast.Subscript):
                    self._element(target.value, stmt.value)
        elif isinstance(stmt, ast.AnnAssign):
            self._bind(stmt.target, self.collector.annotation(stmt.annotation, self.frame))
            if stmt.value is not None:
                self._bind(stmt.target, self.term(stmt.value))
        self._sets(stmt)
        for child in ast.iter_child_nodes(stmt):
            self._expression(child, stmt, scopes, guards, loop, handler)

    def _loop_statement(self, stmt, scopes, guards, loop: int, handler: str) -> None:
        index = self._loop(stmt, loop)
        if isinstance(stmt, ast.While):
            self._expression(stmt.test, stmt, scopes, guards, index, handler)
            # the body runs only while the test holds: ``while wait and ...`` does nothing for ``wait=False``
            inner = guards + tuple(sorted(keys_read(stmt.test))) + _conditions(stmt.test)
        else:
            if isinstance(stmt, ast.AsyncFor) and isinstance(stmt.iter, ast.Call):
                # ``async for frame in conn.read_frames():`` runs the generator's body, awaiting what it awaits
                self._expression(stmt.iter, stmt, scopes, guards, index, handler, awaited=True)
            else:
                self._expression(stmt.iter, stmt, scopes, guards, loop, handler)
            self._bind(stmt.target, ("elem", self.term(stmt.iter)))
            inner = guards
        self._loops.append(index)
        self._block(stmt.body, scopes, inner, index, handler)
        self._loops.pop()
        self._block(stmt.orelse, scopes, guards, loop, handler)
        facts = self.facts.loops[index]
        tests = set(facts.test_keys) | set(facts.exit_keys)
        facts.deadline = any(set(_words_of(k)) & _TIME_WORDS for k in tests) or _ends_by_its_own_moves(stmt)

    def _bind(self, target: ast.expr, value: Term) -> None:
        """What an assignment (a ``for``, a ``with ... as``) binds: a local, ``self.x``, or the items of a tuple."""
        if isinstance(target, ast.Name):
            self.facts.locals.setdefault(target.id, []).append(value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for index, element in enumerate(target.elts):
                self._bind(element, ("item", value, index))
        elif isinstance(target, ast.Starred):
            self._bind(target.value, t.UNKNOWN)
        elif self.frame.self_name and self.facts.owner and isinstance(target, ast.Attribute) \
                and isinstance(target.value, ast.Name) and target.value.id == self.frame.self_name:
            cls = self.collector.facts.classes.get(self.facts.owner)
            if cls is not None:
                cls.attributes.setdefault(target.attr, []).append(t.written_in(self.frame.qualname, value))
        elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
            cls = self._global_instance_class(target.value.id)
            if cls is not None:
                cls.attributes.setdefault(target.attr, []).append(t.written_in(self.frame.qualname, value))

    def _global_instance_class(self, name: str) -> "ClassFacts | None":
        """``presence.task = create_task(...)`` in a hook, where the module made ``presence = Presence()``:
        the class of this module whose one shared instance the name holds (None for a local or a parameter
        of that name, or a global that is something else)."""
        if name in self.facts.locals or any(p.name == name for p in self.facts.params):
            return None
        values = self.collector.facts.globals.get(name, ())
        if len(values) != 1 or values[0][0] != "call" or values[0][1][0] != "name":
            return None
        return self.collector.facts.classes.get(values[0][1][1])

    def _element(self, holder: ast.expr, value: ast.expr) -> None:
        """``self._tasks.append(task)``, ``self._tasks[k] = task``: what ``self._tasks`` holds."""
        if self.frame.self_name and self.facts.owner and isinstance(holder, ast.Attribute) \
                and isinstance(holder.value, ast.Name) and holder.value.id == self.frame.self_name:
            cls = self.collector.facts.classes.get(self.facts.owner)
            if cls is not None:
                cls.elements.setdefault(holder.attr, []).append(t.written_in(self.frame.qualname, self.term(value)))
        elif isinstance(holder, ast.Name):
            self.facts.locals.setdefault(f"{holder.id}[]", []).append(self.term(value))

    def _expression(self, node: ast.AST, stmt: ast.stmt, scopes, guards, loop: int, handler: str,
                    awaited: bool = False) -> None:
        """The calls of an expression, with whether each is awaited and the tests it sits behind.

        Most nodes of an expression are names, attributes and constants: they are stepped over by
        their type, and only the others are taken apart field by field."""
        stack = [(node, awaited)]
        pop, push = stack.pop, stack.append
        while stack:
            current, awaited = pop()
            kind = type(current)
            if kind in _LEAVES:
                continue
            if kind is ast.Attribute:
                push((current.value, False))
                continue
            if kind is ast.Call:
                self._call(current, awaited, stmt, scopes, guards, loop, handler)
                for keyword in current.keywords:
                    push((keyword.value, False))
                for arg in reversed(current.args):
                    push((arg, False))
                push((current.func, False))
                continue
            if kind is ast.Await or kind is ast.YieldFrom:
                value = current.value
                if isinstance(value, (ast.Name, ast.Attribute, ast.Subscript)) or \
                        isinstance(value, ast.Call) and _makes_awaitable(value):
                    self._awaited_value(value, stmt, scopes, guards, loop, handler)
                if value is not None:
                    push((value, True))
                continue
            if kind in _SCOPES:
                continue
            if kind is ast.IfExp:
                push((current.test, False))
                inner = guards + tuple(sorted(keys_read(current.test)))
                for branch in (current.body, current.orelse):
                    self._expression(branch, stmt, scopes, inner, loop, handler)
                continue
            if kind is ast.BoolOp:
                # ``a and b.wait()``: what comes after a test runs only when it passed
                seen: tuple[str, ...] = ()
                for value in current.values:
                    self._expression(value, stmt, scopes, guards + seen, loop, handler)
                    seen = seen + tuple(sorted(keys_read(value)))
                continue
            if kind is ast.NamedExpr:
                self._bind(current.target, self.term(current.value))
            stack.extend((child, False) for child in reversed(list(ast.iter_child_nodes(current))))

    def _call(self, node: ast.Call, awaited: bool, stmt: ast.stmt, scopes, guards, loop, handler) -> None:
        func = node.func
        receiver = key(func.value) if isinstance(func, ast.Attribute) else None
        literals = [(str(i), lit) for i, a in enumerate(node.args) if (lit := _argument_literal(a)) is not None]
        literals += [(k.arg, lit) for k in node.keywords
                     if k.arg and (lit := _argument_literal(k.value)) is not None]
        value = self.term(node)
        if isinstance(func, ast.Attribute):
            if func.attr in ("set", "set_result") and len(node.args) <= 1 and receiver:
                self.facts.sets.append(SetFact(receiver, node.lineno, "set"))
            elif func.attr in ("append", "add", "appendleft", "put_nowait", "setdefault") and node.args:
                self._element(func.value, node.args[-1])
        self.facts.calls.append(CallFact(
            line=node.lineno, col=node.col_offset, end_line=node.end_lineno or node.lineno,
            function=value[1] if value[0] == "call" else self.term(func), receiver=receiver,
            method=func.attr if isinstance(func, ast.Attribute) else None, awaited=awaited,
            args=sum(1 for a in node.args if not isinstance(a, ast.Starred)) + (99 if any(
                isinstance(a, ast.Starred) for a in node.args) else 0),
            keywords=tuple(k.arg or "**" for k in node.keywords), literals=tuple(literals),
            text=short_text(node), scopes=tuple(scopes), guards=tuple(dict.fromkeys(guards)), loop=loop,
            handler=handler, statement=stmt.lineno, value=value))

    def _awaited_value(self, node: ast.expr, stmt: ast.stmt, scopes, guards, loop, handler) -> None:
        """``await self._task``: waiting on a value, written down as a call of its ``__await__``."""
        receiver = key(node.value) if isinstance(node, ast.Subscript) else key(node)
        self.facts.calls.append(CallFact(
            line=node.lineno, col=node.col_offset, end_line=node.end_lineno or node.lineno,
            function=t.attr(self.term(node), "__await__"),
            receiver=receiver or short_text(node), method="__await__", awaited=True, args=0, keywords=(),
            literals=(), text=short_text(node), scopes=tuple(scopes), guards=tuple(dict.fromkeys(guards)),
            loop=loop, handler=handler, statement=stmt.lineno, value=self.term(node)))

    def _loop(self, stmt, parent: int) -> int:
        infinite = False
        test_keys: tuple[str, ...] = ()
        iterates = t.UNKNOWN
        if isinstance(stmt, ast.While):
            infinite = isinstance(stmt.test, ast.Constant) and bool(stmt.test.value)
            test_keys = tuple(sorted(keys_read(stmt.test)))
        else:
            iterates = self.term(stmt.iter)
            infinite = isinstance(stmt.iter, ast.Call) and \
                self.collector.qualified(stmt.iter.func) in ("itertools.count", "itertools.cycle")
        self.facts.loops.append(LoopFact(stmt.lineno, "while" if isinstance(stmt, ast.While) else
                                         "async for" if isinstance(stmt, ast.AsyncFor) else "for",
                                         infinite, test_keys, (), False, False, parent, iterates,
                                         short_text(stmt.test) if isinstance(stmt, ast.While) else "",
                                         stmt.col_offset))
        return len(self.facts.loops) - 1

    def _caught(self, node: ast.expr | None) -> tuple[str, ...]:
        if node is None:
            return ()
        parts = node.elts if isinstance(node, ast.Tuple) else [node]
        names = []
        for part in parts:
            term = self.collector.term(part, _GLOBAL)
            names.append(term[1] if term[0] == "name" else spelled(part, 40))
        return tuple(names)

    def _sets(self, stmt: ast.stmt) -> None:
        if not isinstance(stmt, (ast.Assign, ast.AnnAssign)) or stmt.value is None:
            return
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        value = stmt.value
        text = repr(value.value) if isinstance(value, ast.Constant) and value.value in (True, False, None) \
            else "other"
        for target in targets:
            k = key(target)
            if k and "." in k:
                self.facts.sets.append(SetFact(k, stmt.lineno, text))


def _ends_by_its_own_moves(loop: ast.While | ast.For | ast.AsyncFor) -> bool:
    """A ``while`` that ends by what it moves itself, in one walk of its body:

    - ``while retries > 0: ...; retries -= 1``: its condition, or a test that leaves it, compares a count
      the loop moves (``+=``/``-=``), so it ends after so many rounds; ``while left: ...; left -= 1`` counts
      down to a false zero (a truth test and ``-=``);
    - ``while not ready() and left > 0: ...; left = end - time.time()``: its condition compares a name the
      loop sets from a clock each round, so it ends when the time is up, whatever the name says."""
    if not isinstance(loop, ast.While):
        return False
    counters: set[str] = set()
    down: set[str] = set()
    clocked: set[str] = set()
    exit_tests: list[ast.expr] = []
    for node in _own_frame(loop.body):
        if isinstance(node, ast.AugAssign) and isinstance(node.op, (ast.Add, ast.Sub)):
            k = key(node.target)
            if k:
                counters.add(k)
                if isinstance(node.op, ast.Sub):
                    down.add(k)
        elif isinstance(node, ast.Assign) and any(
                isinstance(n, ast.Call) and (spelled(n.func) or "").rsplit(".", 1)[-1] in _CLOCK_CALLS
                for n in ast.walk(node.value)):
            clocked.update(k for k in map(key, node.targets) if k)
        elif isinstance(node, ast.If) and any(isinstance(s, (ast.Break, ast.Return, ast.Raise)) for s in node.body):
            exit_tests.append(node.test)

    def compared(tests: list[ast.expr]) -> set[str]:
        return {k for test in tests for node in ast.walk(test) if isinstance(node, ast.Compare) for k in keys_read(node)}

    truths = loop.test.values if isinstance(loop.test, ast.BoolOp) and isinstance(loop.test.op, ast.And) \
        else [loop.test]
    return bool(counters and counters & compared([loop.test, *exit_tests])) or \
        bool(clocked and clocked & compared([loop.test])) or \
        bool(down and down & {key(t) for t in truths if isinstance(t, (ast.Name, ast.Attribute))})


def short_text(node: ast.AST, limit: int = 80) -> str:
    """The code of ``node`` as written, cut to ``limit``: quick for the common shapes (names, attribute
    chains, calls of them with plain arguments), ``ast.unparse`` for the rest."""
    text = _quick_text(node, 0)
    if text is None:
        text = ast.unparse(node)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quick_text(node: ast.AST, depth: int) -> str | None:
    """What ``ast.unparse`` writes for the shapes most calls are made of (names, attribute chains, plain
    literals, subscripts, calls of them), or None for any other, which ``ast.unparse`` writes instead."""
    if depth > 6:
        return None
    kind = type(node)
    if kind is ast.Name:
        return node.id
    if kind is ast.Attribute:
        if type(node.value) is ast.Constant and type(node.value.value) is int:
            return None  # ``1 .real``
        base = _quick_text(node.value, depth + 1)
        return None if base is None else f"{base}.{node.attr}"
    if kind is ast.Constant:
        value = node.value
        if type(value) is float and value - value != 0:  # inf and nan are written as expressions
            return None
        if type(value) in _QUICK_CONSTANTS and node.kind is None:
            return repr(value)
        return None
    if kind is ast.Subscript:
        if type(node.value) not in _ATOMS or type(node.slice) not in (ast.Name, ast.Constant, ast.Attribute):
            return None
        base, index = _quick_text(node.value, depth + 1), _quick_text(node.slice, depth + 1)
        return None if base is None or index is None else f"{base}[{index}]"
    if kind is ast.Call:
        func = _quick_text(node.func, depth + 1) if type(node.func) in _ATOMS else None
        if func is None:
            return None
        parts = []
        for arg in node.args:
            starred = type(arg) is ast.Starred
            text = _quick_text(arg.value if starred else arg, depth + 1)
            if text is None:
                return None
            parts.append(f"*{text}" if starred else text)
        for keyword in node.keywords:
            text = _quick_text(keyword.value, depth + 1)
            if text is None:
                return None
            parts.append(f"**{text}" if keyword.arg is None else f"{keyword.arg}={text}")
        return f"{func}({', '.join(parts)})"
    return None


_QUICK_CONSTANTS = (int, float, bool, type(None), str, bytes)
_ATOMS = (ast.Name, ast.Attribute, ast.Call, ast.Subscript)  # written as they are where an atom goes


def _makes_awaitable(call: ast.Call) -> bool:
    """``await asyncio.Future()``, ``await loop.create_future()``: what is awaited is made right there."""
    name = call.func.attr if isinstance(call.func, ast.Attribute) else call.func.id if isinstance(call.func, ast.Name) \
        else ""
    return name in ("Future", "create_future")


def _literal(node: ast.expr) -> str | None:
    """``None``, ``False``, ``-1``, ``5``: the repr of a literal argument, or None for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (bool, int, float, type(None))):
        return repr(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant) \
            and isinstance(node.operand.value, (int, float)):
        return repr(-node.operand.value)
    return None


def _argument_literal(node: ast.expr) -> str | None:
    """What ``_literal`` reads, and a short string (``"admin"``): an argument a callee may compare."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) <= 40:
        return repr(node.value)
    return _literal(node)


def _conditions(test: ast.expr) -> tuple[str, ...]:
    """What must hold for the body of ``if test:`` (or ``while test:``) to run, for a plain name compared with a literal:
    ``namespace != "admin"`` -> ``?namespace!='admin'``, ``wait`` -> ``?wait``, ``not wait`` -> ``?!wait``.
    Each part of an ``and`` is one; any other test says nothing. A caller that passes a literal for the
    parameter can then tell that the call under it does not run (``waits.ruled_out``)."""
    parts = test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) else [test]
    found = []
    for part in parts:
        if isinstance(part, ast.Name):
            found.append(f"?{part.id}")
        elif isinstance(part, ast.UnaryOp) and isinstance(part.op, ast.Not) and isinstance(part.operand, ast.Name):
            found.append(f"?!{part.operand.id}")
        elif isinstance(part, ast.Compare) and len(part.ops) == 1 and isinstance(part.left, ast.Name) \
                and isinstance(part.ops[0], (ast.Eq, ast.NotEq, ast.Is, ast.IsNot)):
            value = _argument_literal(part.comparators[0])
            if value is not None:
                op = "==" if isinstance(part.ops[0], (ast.Eq, ast.Is)) else "!="
                found.append(f"?{part.left.id}{op}{value}")
    return tuple(found)


def _words_of(identifier_chain: str) -> list[str]:
    found: list[str] = []
    for part in identifier_chain.split("."):
        found.extend(words(part))
    return found


def _leaves(body: list[ast.stmt]) -> bool:
    """A block that ends by leaving: ``return``, ``raise``, ``continue`` or ``break`` as its last statement."""
    return bool(body) and isinstance(body[-1], (ast.Return, ast.Raise, ast.Continue, ast.Break))


def _own_frame(body: Iterable[ast.AST]) -> Iterable[ast.AST]:
    """Every node of the block that runs in its frame (not in nested functions, classes or lambdas)."""
    stack = list(body)
    stack.reverse()
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, _SCOPES):
            continue
        children = list(ast.iter_child_nodes(node))
        children.reverse()
        stack.extend(children)


def _own_loop(body: Iterable[ast.AST]) -> Iterable[ast.AST]:
    """The nodes of a loop's body that belong to it, not to a loop or function nested in it."""
    stack = list(body)
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, _SCOPES + (ast.While, ast.For, ast.AsyncFor)):
            continue
        stack.extend(ast.iter_child_nodes(node))


def _assigned_targets(node: ast.AST) -> list[ast.expr]:
    if isinstance(node, ast.Assign):
        return [n for target in node.targets for n in _names_in(target)]
    if isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
        return _names_in(node.target)
    if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
        return _names_in(node.target)
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return [n for item in node.items if item.optional_vars is not None for n in _names_in(item.optional_vars)]
    if isinstance(node, ast.ExceptHandler) and node.name:
        return [ast.Name(node.name)]
    if isinstance(node, _FUNCTIONS + (ast.ClassDef,)):
        return [ast.Name(node.name)]
    return []


def _names_in(target: ast.expr) -> list[ast.expr]:
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for element in target.elts for n in _names_in(element)]
    if isinstance(target, ast.Starred):
        return _names_in(target.value)
    return [target]


def _bound_names(stmt: ast.stmt) -> list[str]:
    """The names one statement of a module binds (its blocks are read as statements of their own)."""
    found = []
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return found  # an import is an import, not a definition of the module
    for target in _assigned_targets(stmt):
        if isinstance(target, ast.Name):
            found.append(target.id)
    return found


def _top_statements(body: list[ast.stmt]) -> Iterable[ast.stmt]:
    """The statements of a module or class body, with those of its ``if``/``try``/``with`` blocks
    (``if TYPE_CHECKING:``, ``try: import x``): what runs at its top level."""
    for stmt in body:
        yield stmt
        for block in _blocks(stmt):
            yield from _top_statements(block)


def _blocks(stmt: ast.stmt) -> list[list[ast.stmt]]:
    if isinstance(stmt, ast.If):
        return [stmt.body, stmt.orelse]
    if isinstance(stmt, _TRY):
        return [stmt.body, *[h.body for h in stmt.handlers], stmt.orelse, stmt.finalbody]
    if isinstance(stmt, (ast.With, ast.AsyncWith)):
        return [stmt.body]
    return []
