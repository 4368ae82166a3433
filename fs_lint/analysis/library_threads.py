"""The library calls that start a daemon thread for the module's code, as the library table says.

``self.socketIO.start_background_task(self._ping)`` runs ``_ping`` in a daemon thread (python-engineio's
client makes ``threading.Thread(..., daemon=True)``): the interpreter does not wait for it, and no
Ctrl-C lands there. The run contexts know ``threading.Thread`` by its name; an entry of the table with
``starts = "thread"`` and ``daemon = "always"`` tells them of the others, once the program model shows
that the receiver is what the entry names.
"""

from __future__ import annotations

import ast

from ..syntax.local_nodes import call_argument
from .run_contexts import LibraryStarts


_STARTERS: dict[int, tuple[object, frozenset[str]]] = {}  # id(table) -> (the table, its starters' method names)


def _starter_methods(library) -> frozenset[str]:
    """The method names of the table's daemon-thread starters, worked out once per table."""
    known = _STARTERS.get(id(library))
    if known is None or known[0] is not library:
        known = _STARTERS[id(library)] = (library, frozenset(
            name.rsplit(".", 1)[-1] for name, api in library.apis.items()
            if api.starts == "thread" and api.daemon == "always"))
    return known[1]


class TableStarts(LibraryStarts):
    def __init__(self, analysis) -> None:  # a ModuleAnalysis, which imports this module when it needs it
        self.analysis = analysis
        self.methods = _starter_methods(analysis.library)

    def daemon_target(self, call: ast.Call, site: ast.AST | None) -> ast.expr | None:
        program = self.analysis.program
        for value in self.analysis.callee_values(call, site):
            entry = program.api_of(value)
            if entry is None or entry.starts != "thread" or entry.daemon != "always":
                continue
            return call_argument(call, entry.runs_position, entry.runs or None)
        return None
