"""Edit the list of exceptions a handler catches, element by element, keeping its layout.

Both handler rewrites change what an ``except`` clause or a ``suppress(...)``
call names: FSR002 swaps ``BaseException`` for ``Exception``, FSR003 takes the
shutdown exceptions out; FSR004 does both to the exceptions a retry decorator
retries. The elements are addressed by their index, which is
the same in the ``ast`` tuple the planner classified and in the LibCST tuple
edited here. Commas, line breaks and comments of the elements that stay, stay.
"""

from __future__ import annotations

import ast
from typing import Callable, Collection, Iterator, Mapping, Sequence, TypeVar, Union

import libcst as cst

from ..analysis import control_flow as cf
from ..syntax.local_nodes import walk_local
from ..analysis.retry_loops import Handler
from ..analysis.shutdown_exceptions import classify
from .base import CannotFix
from .source_text import code_of

Replace = Mapping[int, Callable[[cst.BaseExpression], cst.BaseExpression]]
_Element = TypeVar("_Element", cst.Element, cst.Arg, cst.WithItem)
AnyExceptHandler = Union[cst.ExceptHandler, cst.ExceptStarHandler]


def cst_handler_class(handler: Handler) -> type[cst.CSTNode]:
    """The LibCST node of the handler's clause: ``except*`` in a ``try``/``except*`` statement."""
    return cst.ExceptStarHandler if type(handler.statement).__name__ == "TryStar" else cst.ExceptHandler


def cst_try_class(statement: ast.stmt) -> type[cst.CSTNode]:
    """The LibCST node of a ``try`` statement: ``TryStar`` when its clauses are ``except*``."""
    return cst.TryStar if type(statement).__name__ == "TryStar" else cst.Try


def exception_named(expression: cst.BaseExpression, name: str) -> cst.BaseExpression:
    """``BaseException`` -> ``Exception``, ``builtins.BaseException`` -> ``builtins.Exception``: only the name."""
    if isinstance(expression, cst.Name):
        return expression.with_changes(value=name)
    if isinstance(expression, cst.Attribute):
        return expression.with_changes(attr=expression.attr.with_changes(value=name))
    raise CannotFix(f"cannot rename `{code_of(expression)}` to {name}")


def edit_handler_type(handler: AnyExceptHandler, replace: Replace, drop: Collection[int]) -> AnyExceptHandler:
    """Replace and drop elements of what ``handler`` catches; a tuple left with one element loses its parentheses."""
    if handler.type is None:
        raise CannotFix("a bare `except:` has no exception list to edit")
    return with_handler_type(handler, edit_exception_types(handler.type, replace, drop))


def edit_exception_types(old: cst.BaseExpression, replace: Replace, drop: Collection[int]) -> cst.BaseExpression:
    """Replace and drop elements of an exception type or tuple of them (what ``except`` catches, what
    a retry decorator retries); a tuple left with one element loses its parentheses."""
    if not isinstance(old, cst.Tuple):
        if drop:
            raise CannotFix("the rewrite would leave no exception type")
        change = replace.get(0)
        return change(old) if change else old
    elements = [_replaced(e, replace.get(i)) for i, e in enumerate(old.elements)]
    closer = old.rpar[0] if old.rpar else None
    kept, closer_space = _kept_in_brackets(elements, drop, closer.whitespace_before if closer else None)
    if not kept:
        raise CannotFix("the rewrite would leave no exception type")
    if len(kept) == 1 and isinstance(kept[0], cst.StarredElement) and not isinstance(kept[0].comma, cst.Comma):
        kept[0] = kept[0].with_changes(comma=cst.Comma())  # ``(*errors)`` is no tuple: ``(*errors,)`` is
    new = old.with_changes(elements=kept)
    if closer is not None and closer_space is not None:
        new = new.with_changes(rpar=[closer.with_changes(whitespace_before=closer_space)])
    if len(kept) == 1 and isinstance(kept[0], cst.Element) and not has_comment(new):
        return kept[0].value  # ``except (ConnectionError):`` says no more than ``except ConnectionError:``
    return new


def with_handler_type(handler: AnyExceptHandler, new_type: cst.BaseExpression) -> AnyExceptHandler:
    """Set the type, with the spaces it needs once no parenthesis separates it from ``except`` or ``as``."""
    changes: dict = {"type": new_type}
    # ``except*`` keeps the space after the star; ``except`` needs one before a name.
    star = isinstance(handler, cst.ExceptStarHandler)
    space_before_type = "whitespace_after_star" if star else "whitespace_after_except"
    if not new_type.lpar and _is_empty(getattr(handler, space_before_type)):
        changes[space_before_type] = cst.SimpleWhitespace(" ")
    name = handler.name
    if isinstance(name, cst.AsName) and not new_type.rpar and _is_empty(name.whitespace_before_as):
        changes["name"] = name.with_changes(whitespace_before_as=cst.SimpleWhitespace(" "))
    return handler.with_changes(**changes)


def edit_call_args(call: cst.Call, replace: Replace, drop: Collection[int]) -> cst.Call:
    """Replace and drop arguments; when the last one goes, the new last one closes the call as it did."""
    args = [_replaced(a, replace.get(i)) for i, a in enumerate(call.args)]
    kept = [a for i, a in enumerate(args) if i not in drop]
    if not kept:
        raise CannotFix("the rewrite would leave the call without arguments")
    last = args[-1]
    if len(args) - 1 in drop:
        own = kept[-1].comma
        closes_with = last.comma.whitespace_after if isinstance(last.comma, cst.Comma) else last.whitespace_after_arg
        space = _line_end(own, closes_with)
        if isinstance(last.comma, cst.Comma):
            kept[-1] = kept[-1].with_changes(comma=last.comma.with_changes(whitespace_after=space))
        else:
            kept[-1] = kept[-1].with_changes(comma=last.comma, whitespace_after_arg=space)
    return call.with_changes(args=kept)


def drop_with_items(statement: cst.With, drop: Collection[int]) -> cst.With:
    """The ``with`` without some of its items (at least one must stay)."""
    closer = statement.rpar if isinstance(statement.rpar, cst.RightParen) else None
    kept, closer_space = _kept_in_brackets(list(statement.items), drop, closer.whitespace_before if closer else None)
    if not kept:
        raise CannotFix("the rewrite would leave the `with` without items")
    new = statement.with_changes(items=kept)
    if closer is not None and closer_space is not None:
        new = new.with_changes(rpar=closer.with_changes(whitespace_before=closer_space))
    return new


def _kept_in_brackets(elements: Sequence[_Element], drop: Collection[int],
                      closer_space: cst.BaseParenthesizableWhitespace | None):
    """The elements not in ``drop``, and the space before the closing bracket, for lists whose closing
    bracket holds that space (tuples, ``with (...)``).

    When the last element goes, the new last one ends the list as the old one
    did (with or without a trailing comma); if it ended its own line, with a
    comment perhaps, that line end moves in front of the closing bracket.
    """
    kept = [e for i, e in enumerate(elements) if i not in drop]
    if not kept or len(elements) - 1 not in drop:
        return kept, None
    own, closing = kept[-1].comma, elements[-1].comma
    kept[-1] = kept[-1].with_changes(comma=closing)
    if isinstance(own, cst.Comma) and isinstance(own.whitespace_after, cst.ParenthesizedWhitespace):
        return kept, _line_end(own, closer_space)
    return kept, None


def _line_end(own, closer_space):  # type: ignore[no-untyped-def]
    """The space before a closing bracket once the element before it is gone: the new last element's
    own line end (keeping its comment) at the closing bracket's indentation."""
    if not (isinstance(own, cst.Comma) and isinstance(own.whitespace_after, cst.ParenthesizedWhitespace)):
        return closer_space
    if isinstance(closer_space, cst.ParenthesizedWhitespace):
        return own.whitespace_after.with_changes(indent=closer_space.indent, last_line=closer_space.last_line)
    return own.whitespace_after


def _replaced(element: _Element, change: Callable[[cst.BaseExpression], cst.BaseExpression] | None) -> _Element:
    if change is None:
        return element
    if isinstance(element, cst.WithItem):
        return element.with_changes(item=change(element.item))
    if isinstance(element, cst.StarredElement) or (isinstance(element, cst.Arg) and element.star):
        raise CannotFix("cannot rewrite an unpacked `*` element")
    return element.with_changes(value=change(element.value))


def _is_empty(whitespace: cst.BaseParenthesizableWhitespace) -> bool:
    return isinstance(whitespace, cst.SimpleWhitespace) and whitespace.value == ""


class _CommentFinder(cst.CSTVisitor):
    found = False

    def visit_Comment(self, node: cst.Comment) -> bool:
        self.found = True
        return False


def has_comment(node: cst.CSTNode) -> bool:
    """Does any comment live inside ``node``? A rewrite must not drop it."""
    finder = _CommentFinder()
    node.visit(finder)
    return finder.found


def shutdown_tests(handler: Handler) -> Iterator[ast.expr]:
    """Names of shutdown exceptions the handler body acts on: code that a narrower handler would never run.

    A guard that only re-raises (``if isinstance(exc, KeyboardInterrupt): raise``)
    is not counted: once the exception no longer arrives it is dead but harmless.
    """
    imports = handler.module.imports
    guards: set[int] = set()
    for node in walk_local(handler.body):
        if isinstance(node, ast.If) and cf.outcomes(node.body, handler.module.qualify) <= cf.EXITS:
            guards.update(id(n) for n in ast.walk(node.test))
    for node in walk_local(handler.body):
        if isinstance(node, (ast.Name, ast.Attribute)) and id(node) not in guards and classify(node, imports).kinds:
            yield node
