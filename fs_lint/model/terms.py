"""Symbolic values: what an expression evaluates to, written down so that another module can finish it.

A module's facts are collected one module at a time, but what ``self._queue.cancel(tag)`` calls
depends on what another module (or a library) says ``self._queue`` holds. So the collector writes
each expression down as a *term*, a small tuple the ``Program`` evaluates later with the whole
project in view:

- ``("name", "aio_pika.RobustQueue")``: a global, already resolved through the module's imports;
- ``("self",)`` / ``("super",)``: the instance of the method's class, or its parent's view of it;
- ``("local", "queue")``: a local variable or parameter of the function the term was written in;
- ``("of", term)``: an instance of the class ``term`` names (what an annotation says);
- ``("attr", term, "cancel")``, ``("call", term, args, keywords)``, ``("elem", term)`` (an item of a
  collection), ``("union", terms)``, ``("in", function, term)`` (a term written in another
  function, such as ``self.x = ...`` in ``__init__``), ``("const", "int")`` and ``("unknown",)``.

Terms are plain tuples of strings, so they go to and from JSON for the facts cache unchanged.
"""

from __future__ import annotations

from typing import Any, Union

Term = tuple  # see the module docstring

UNKNOWN: Term = ("unknown",)
SELF: Term = ("self",)
SUPER: Term = ("super",)


def name(qualified: str) -> Term:
    return ("name", qualified)


def attr(base: Term, attribute: str) -> Term:
    if base[0] == "name":
        return ("name", f"{base[1]}.{attribute}")  # a dotted global stays one name: ``aio_pika.RobustQueue``
    return ("attr", base, attribute)


def call(function: Term, args: tuple[Term, ...] = (), keywords: tuple[tuple[str, Term], ...] = ()) -> Term:
    return ("call", function, tuple(args), tuple(keywords))


def union(terms: list[Term]) -> Term:
    flat: list[Term] = []
    for term in terms:
        for one in (term[1] if term[0] == "union" else (term,)):
            if one != UNKNOWN and one not in flat:
                flat.append(one)
    if not flat:
        return UNKNOWN
    return flat[0] if len(flat) == 1 else ("union", tuple(flat))


def written_in(function: str, term: Term) -> Term:
    """A term that names locals of ``function``, carried into a class's attribute facts."""
    if term[0] in ("name", "const", "unknown"):
        return term
    return ("in", function, term)


def from_json(value: Any) -> Any:
    """Lists back to tuples, all the way down (JSON has no tuples)."""
    if isinstance(value, list):
        return tuple(from_json(v) for v in value)
    return value


def keyword(term: Term, name_: str) -> Union[Term, None]:
    """The term passed as keyword ``name_`` to a ``("call", ...)`` term, or None."""
    if term[0] != "call":
        return None
    return next((value for key, value in term[3] if key == name_), None)


def argument(term: Term, index: int, keyword_name: str | None = None) -> Union[Term, None]:
    """The ``index``-th positional argument of a call term (or the keyword of that name)."""
    if term[0] != "call":
        return None
    if index < len(term[2]):
        return term[2][index]
    return keyword(term, keyword_name) if keyword_name else None
