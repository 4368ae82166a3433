"""Which library entries the calls of a module resolve to, line by line: the library table's own test.

Every entry of ``apis.toml`` names a fixture that uses it; ``tests/test_library_model.py`` asks this
module where in that fixture the entry is reached, so that an entry that no code resolves to (a
misspelt name, a type the model cannot follow) is caught, not left to rot.
"""

from __future__ import annotations

from .program import Program
from .summaries import ModuleFacts


def entries_by_line(program: Program, facts: ModuleFacts) -> dict[int, set[str]]:
    """Line -> the names of the table entries a call on that line resolves to: the API called, the
    type of its receiver (and the type's bases in the table), the timeout scopes around it, and the
    constants it is given (``threading.TIMEOUT_MAX``); and, on a ``def`` line, its decorators'."""
    found: dict[int, set[str]] = {}
    library = program.library
    for function in facts.functions.values():
        for decorator in function.decorators:  # ``@inlineCallbacks``: on the line of the ``def``
            target = decorator[1] if decorator[0] == "call" else decorator
            for value in program.evaluate(target, function.qualname):
                entry = program.api_of(value)
                if entry is not None:
                    found.setdefault(function.line, set()).add(entry.name)
        for call in function.calls:
            here = found.setdefault(call.line, set())
            for value in program.evaluate(call.function, function.qualname):
                entry = program.api_of(value)
                if entry is not None:
                    here.add(entry.name)
                owner = value.bound or (value.name if value.kind == "libclass" else "")
                if owner:
                    here.update(name for name in library.lineage(owner) if name in library.types)
            for argument in (call.value[2] + tuple(v for _, v in call.value[3])) if call.value[0] == "call" else ():
                for value in program.evaluate(argument, function.qualname):
                    if value.kind.startswith("lib") and library.means_forever(value.name):
                        here.add(library.canonical(value.name))
            for scope in call.scopes:
                if scope[0] != "call":
                    continue
                for value in program.evaluate(scope[1], function.qualname):
                    known = library.scope(value.name)
                    if known is not None:
                        here.add(known.name)
    return {line: names for line, names in found.items() if names}
