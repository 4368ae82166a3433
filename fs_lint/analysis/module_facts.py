"""The facts about one module that rules need beyond ``retry_loops``, computed once.

Each rule gets the same ``ModuleAnalysis``; ``ModuleFacts.of(analysis)`` gives
them the same facts too: the tree, its module constants, its pauses, the
events it waits on, the shutdown flags a loop reads.
"""

from __future__ import annotations

import ast
from functools import cached_property

from ..syntax.local_nodes import key, walk_local
from .module_bindings import module_constants
from ..syntax.names import last_name
from .pauses import Pause, find_pauses
from .retry_loops import Loop, ModuleAnalysis, liveness_questions

_KEY = "_module_facts"  # where ``ModuleFacts.of`` keeps them on a ModuleAnalysis


class ModuleFacts:
    """What the rules beyond ``ModuleAnalysis`` share about one module, computed once per analysis."""

    def __init__(self, analysis: ModuleAnalysis) -> None:
        self.analysis = analysis

    @classmethod
    def of(cls, analysis: ModuleAnalysis) -> "ModuleFacts":
        """The facts live on the analysis itself, and die with it.

        (A class-level ``WeakKeyDictionary`` cannot do this: its value holds the analysis,
        so no entry ever went away and every tree checked stayed in memory.)
        """
        facts = analysis.__dict__.get(_KEY)
        if facts is None:
            facts = analysis.__dict__[_KEY] = cls(analysis)
        return facts

    @cached_property
    def tree(self) -> ast.Module:
        return self.analysis.tree

    @cached_property
    def constants(self) -> dict[str, ast.expr]:
        return module_constants(self.tree)

    @cached_property
    def pauses(self) -> list[Pause]:
        return find_pauses(self.analysis)

    @cached_property
    def async_library(self) -> str:
        """The library whose sleep an ``async def`` of this module should await."""
        imports = self.analysis.imports
        if not imports.imports_module("asyncio"):
            for library in ("anyio", "trio"):
                if imports.imports_module(library):
                    return library
        return "asyncio"

    def indicator_keys(self, loop: Loop) -> list[str]:
        """The shutdown flags and events a loop's condition and ``if`` tests read (``self._stop``)."""
        patterns = self.analysis.shutdown_patterns
        tests: list[ast.expr] = []
        if isinstance(loop.node, ast.While):
            tests.append(loop.node.test)
        tests.extend(n.test for n in walk_local(loop.node.body) if isinstance(n, ast.If))
        keys: list[str] = []
        for test in tests:
            other_work = liveness_questions(test)
            for node in ast.walk(test):
                if id(node) in other_work or loop.describes_a_failure(node):
                    continue  # a thread's liveness probe, a question about other work, a caught exception's
                    # account of the failure (``e.exit_code``): not a stop flag
                if isinstance(node, ast.Attribute) and patterns.matches(node.attr) or \
                        isinstance(node, ast.Name) and patterns.matches(node.id):
                    k = key(node)
                    if k and k not in keys:
                        keys.append(k)
        return keys

    @cached_property
    def events(self) -> set[str]:
        """Keys of names the module makes an Event (``self._stop = threading.Event()``) or waits on."""
        found = set()
        for node in ast.walk(self.tree):
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, ast.Call) \
                    and last_name(node.value.func) == "Event":
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                found.update(k for k in map(key, targets) if k)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in ("is_set", "wait", "set"):
                k = key(node.func.value)
                if k:
                    found.add(k)
        return found
