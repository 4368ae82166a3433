"""Stop paths that a class's subclasses add: the stop of a base class's loop may live in another module.

``class PriceFeed(ReconnectingFeed): def stopService(self): self.stopping = True`` asks the loop that
``ReconnectingFeed.run()`` runs to stop, even though ``ReconnectingFeed`` never sets the flag itself.
The program model finds the subclasses, in this module or any other of the project, and what their
stop methods set. Asked last, only for a loop nothing nearer shows to be stopped: it loads the project.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

from ..syntax.local_nodes import walk_local
from ..syntax.names import words
from .stop_paths import GO_ON_WORDS

if TYPE_CHECKING:
    from .retry_loops import Loop


@dataclass(frozen=True)
class SubclassStop:
    """``PriceFeed.stop()`` sets ``self.stopping`` at ``svc/price.py:6``."""

    title: str  # "PriceFeed.stop()"
    where: str  # "svc/price.py:6"
    attribute: str  # "stopping"


def subclass_stops(loop: "Loop", cls: ast.ClassDef) -> Iterator[SubclassStop]:
    """The flags that subclasses' stop methods set to "stop" on an object whose class runs ``loop``.

    Left out: a subclass that defines the loop's method itself (it runs its own loop instead), and a
    flag that the class reads outside ``__init__`` (a helper the loop calls may stop on it)."""
    function = loop.function.node
    if function is None:
        return
    facts = loop.module.facts_of(function)
    if facts is None or facts.owner is None:
        return
    stops = loop.module.stops
    read = _attributes_read(cls)
    program = loop.module.program
    program.load_all()
    for qualname in sorted(program.subclasses(facts.owner)):
        sub = program.class_(qualname)
        if sub is None or function.name in sub.methods:
            continue
        for name, method_qualname in sorted(sub.methods.items()):
            method = program.function(method_qualname)
            if method is None or name == "__init__" or not stops.is_stop_name(name) or method.self_name is None:
                continue
            for fact in method.sets:
                receiver, _, attribute = fact.key.partition(".")
                if receiver != method.self_name or "." in attribute or attribute in read:
                    continue
                if stops.is_flag_word(attribute) and fact.value == _stop_value(attribute, fact.value):
                    yield SubclassStop(f"{sub.name}.{name}()", str(program.where(method_qualname, fact.line)),
                                       attribute)


def _stop_value(attribute: str, value: str) -> str:
    """The recorded value that means "stop" for a flag of this name: ``True`` for ``stopping``, ``False`` for
    ``running``; ``set`` for an event that says stop."""
    go_on = bool(GO_ON_WORDS & set(words(attribute)))
    if value == "set":
        return "" if go_on else "set"
    return "False" if go_on else "True"


def _attributes_read(cls: ast.ClassDef) -> set[str]:
    """The ``self.x`` attributes (``x``) that the class's methods other than ``__init__`` read."""
    found: set[str] = set()
    for method in cls.body:
        if not isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)) or method.name == "__init__":
            continue
        for node in walk_local(method.body):
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load) \
                    and isinstance(node.value, ast.Name) and node.value.id == "self":
                found.add(node.attr)
    return found
