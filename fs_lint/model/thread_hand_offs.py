"""Functions the project only ever hands to a thread: ``await asyncio.to_thread(fetch, url)``.

Python raises ``KeyboardInterrupt`` in the main thread only. A function that one module defines and
other modules only pass to ``loop.run_in_executor(pool, f)``, ``asyncio.to_thread(f)``,
``executor.submit(f)`` or ``Thread(target=f)`` (the library table's ``starts = "thread"``), directly or
through a project helper that hands its parameter on to one (``sync_to_async(f, url)`` whose body runs
``partial(func, *args)`` in an executor), runs in a worker thread wherever it is used: no Ctrl-C
lands in it. Its own module cannot show that; the program model can.

The same holds for a handler that a library calls in threads of its own (a decorator the table says
``drives = "thread"``: CherryPy's ``@cherrypy.expose``), when no code of the project may call it by
its name, and for a function called only from code that runs only in threads, up to two callers up.

The answer is kept to what the code proves. Every mention of the function's name in the project's
code (the name tokens of each file that holds it, less its ``def`` and the import statements) must be
one of those hand-offs, a call from code that runs only in threads, or a call of itself inside itself;
a direct call anywhere else, another decorator, a mention the facts cannot explain (stored in a dict,
handed to anything else) and the answer is None.
"""

from __future__ import annotations

import io
import os
import tokenize
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from . import terms as t
from .program import Where, called_name, ordered

if TYPE_CHECKING:
    from .program import Program
    from .summaries import CallFact, FunctionFacts, ModuleFacts

# ``partial`` as the facts write it: at module level, and in a function (a local the program resolves).
_PARTIAL = frozenset({("name", "functools.partial"), ("local", "partial")})
_MAX_MODULES = 8  # a name in more files than this is too common to account for (each is read): no answer
_CALLER_DEPTH = 2  # how many callers up a direct call is followed to a function that runs only in threads


def handed_only_to_threads(program: "Program", qualname: str, depth: int = _CALLER_DEPTH,
                           seen: frozenset[str] = frozenset()) -> Where | None:
    """Where a function of the project is handed to a thread, when that is all the project does with it
    (see the module's docstring), or where a library runs it in a thread of its own (a decorator the table
    says ``drives = "thread"``: CherryPy's ``@cherrypy.expose``); None when anything else may run it.
    A direct call counts when the caller, up to ``depth`` callers up, runs only in threads itself."""
    function = program.function(qualname)
    if function is None or function.parent:
        return None
    if function.owner or function.decorators:
        return _run_by_a_library_thread(program, function)
    home = program.module_of(qualname)
    if home is None:
        return None
    modules = program.files_holding(function.name)
    if modules is None or len(modules) > _MAX_MODULES:
        return None
    first: Where | None = None
    for module_name in modules:
        facts = program.module(module_name)
        if facts is None:
            return None  # a file that cannot be parsed: what it does with the name is not known
        aliases = {alias for alias, target in facts.imports.items() if target == qualname}
        through = {alias for alias, target in facts.imports.items() if target == home.name}  # ``helpers.fetch``
        if facts.name == home.name or through:
            aliases.add(function.name)
        if not aliases:
            continue  # it names something else that is called the same: not this function
        handed = _hand_offs(program, facts, qualname, aliases,
                            {("attr", ("local", module), function.name) for module in through}, depth, seen | {qualname})
        if handed is None:
            return None
        count, where = handed
        if count != _mentions(facts.path, frozenset(aliases)):
            return None  # a mention the facts do not explain: stored, decorated, handed to something else
        first = first or where
    return first


def _hand_offs(program: "Program", facts: "ModuleFacts", qualname: str, aliases: set[str],
               attributes: set[t.Term] = frozenset(), depth: int = 0,
               seen: frozenset[str] = frozenset()) -> tuple[int, Where | None] | None:
    """The mentions of the function in the calls of a module that hand it to a thread (or call it from
    itself), and where the first is; None at the first mention that may run it anywhere else.
    ``attributes``: the terms it goes by as an attribute of its module (``helpers.fetch``)."""
    mentions = {("name", qualname)} | {("local", alias) for alias in aliases} | set(attributes)
    count, first = 0, None
    for function in facts.functions.values():
        for call in function.calls:
            if called_name(call) in aliases and call.function in mentions:
                if function.qualname != qualname:
                    # called directly: it runs where its caller runs, which must be in threads only
                    where = handed_only_to_threads(program, function.qualname, depth - 1, seen) \
                        if depth > 0 and function.qualname not in seen else None
                    if where is None:
                        return None
                    first = first or where
                count += 1
                continue
            places = _places(call.value, mentions)
            if not places:
                continue
            if call.function in _PARTIAL:
                continue  # ``partial(f, x)``: judged where the partial is handed on
            if not _runs_in_a_thread(program, function, call, places):
                return None
            count += len(places)
            if first is None:
                first = program.where(function.qualname, call.line, call.text)
    return count, first


def _run_by_a_library_thread(program: "Program", function: "FunctionFacts") -> Where | None:
    """``@cherrypy.expose def search(self, q)``: a decorator the library table says runs the function in a
    thread of its own (``drives = "thread"``), and no code of the project calls it by its name."""
    for decorator in function.decorators:
        term = decorator[1] if decorator[0] == "call" else decorator
        for value in program.evaluate(term, function.qualname):
            entry = program.api_of(value)
            if entry is not None and entry.drives == "thread":
                if _called_by_the_project(program, function):
                    return None  # called directly too: it may run on the main thread
                return program.where(function.qualname, function.line, f"@{entry.name}")
    return None


def _called_by_the_project(program: "Program", function: "FunctionFacts") -> bool:
    """Some call of the project's code may be a call of ``function``: one by its name whose callee the model
    cannot tell apart from it (a library's ``re.search`` or another function of the project is not it)."""
    for caller in program.callers_named(function.name):
        for call in caller.calls:
            if called_name(call) != function.name:
                continue
            values = program.evaluate(call.function, caller.qualname)
            if not values or any(not value.kind.startswith("lib") and not (
                    value.kind == "function" and value.name != function.qualname) for value in values):
                return True
    return False


def _places(value: t.Term, mentions: set[t.Term]) -> list[int | str]:
    """The positions and keywords of a call term's arguments that are the function, or ``partial`` of it."""
    if value[0] != "call":
        return []

    def names_it(argument: t.Term) -> bool:
        return argument in mentions or any(_wraps(argument, mention) for mention in mentions)

    places: list[int | str] = [i for i, argument in enumerate(value[2]) if names_it(argument)]
    places += [name for name, argument in value[3] if names_it(argument)]
    return places


def _runs_in_a_thread(program: "Program", function: "FunctionFacts", call: "CallFact",
                      places: list[int | str]) -> bool:
    """The call runs what it is given at ``places`` in a thread: a library API that starts one (the table's
    ``starts = "thread"`` and ``runs``), or a project function that hands that parameter on to one."""
    for callee in ordered(program.evaluate(call.function, function.qualname)):
        entry = program.api_of(callee)
        if entry is not None:
            if entry.starts == "thread" and all(p in (entry.runs_position, entry.runs) for p in places):
                continue
            return False
        if callee.kind != "function":
            return False
        wrapper = program.function(callee.name)
        if wrapper is None or not all(isinstance(p, int) and _hands_parameter_to_a_thread(program, wrapper, p)
                                      for p in places):
            return False
    return bool(program.evaluate(call.function, function.qualname))


def _hands_parameter_to_a_thread(program: "Program", wrapper: "FunctionFacts", position: int) -> bool:
    """``def sync_to_async(func, *args): return await loop.run_in_executor(pool, partial(func, *args))``:
    the wrapper's parameter at ``position`` is what a thread-starting call of its own runs."""
    params = [p.name for p in wrapper.params]
    if wrapper.owner is not None and params and params[0] in ("self", "cls"):
        params = params[1:]
    if position >= len(params):
        return False
    own = ("local", params[position])
    runs_it = {own}
    for local, values in wrapper.locals.items():
        if any(_wraps(value, own) for value in values):
            runs_it.add(("local", local))
    for call in wrapper.calls:
        for callee in program.evaluate(call.function, wrapper.qualname):
            entry = program.api_of(callee)
            if entry is None or entry.starts != "thread":
                continue
            runs = t.argument(call.value, entry.runs_position, entry.runs or None)
            if runs is not None and (runs in runs_it or _wraps(runs, own)):
                return True
    return False


def _wraps(value: t.Term, own: t.Term) -> bool:
    """``partial(func, ...)`` of ``own`` (a parameter, or the function's name)."""
    return value[0] == "call" and bool(value[2]) and value[2][0] == own and value[1] in _PARTIAL


def _mentions(path: str, names: frozenset[str]) -> int:
    """How many times the file's code names one of ``names``: its name tokens, less the ``def``/``class``
    heads and the import statements (strings and comments are not tokens of code); -1 if unreadable."""
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError:
        return -1
    return _mentions_in(path, stamp, names)


@lru_cache(maxsize=256)
def _mentions_in(path: str, stamp: int, names: frozenset[str]) -> int:
    try:
        source = Path(path).read_bytes()
        tokens = list(tokenize.tokenize(io.BytesIO(source).readline))
    except (OSError, SyntaxError, tokenize.TokenError):
        return -1
    count = 0
    in_import = False
    previous = ""
    for token in tokens:
        if token.type == tokenize.ENCODING:
            continue
        if token.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
            in_import = False
        elif token.type == tokenize.NAME:
            if token.string in ("import", "from") and previous in ("", "\n", ";") or token.string == "import":
                in_import = True
            elif token.string in names and not in_import and previous not in ("def", "class"):
                count += 1
        if token.type not in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT):
            previous = "\n" if token.type == tokenize.NEWLINE else token.string
    return count
