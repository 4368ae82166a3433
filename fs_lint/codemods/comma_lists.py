"""Add to a comma-separated list (a call's arguments, an import's names) in the layout it has.

``retry(wait=wait_fixed(1))`` gets ``, stop=...`` on the same line; a call with
one argument per line gets a new line at the same indentation, and keeps its
trailing comma if it had one. A comment after the last argument stays with that
argument, and the new one goes after it. ``from tenacity import (...)`` gets a
new name the same way, where it sorts when the names are sorted (so that isort and
ruff's I001 stay quiet). A call whose arguments end their own lines without a
trailing comma gets one after the new argument, as ``ruff format`` and black write
an exploded call (the magic trailing comma).
"""

from __future__ import annotations

from typing import Union

import libcst as cst

from .base import CannotFix

Where = Union[int, str]  # an argument by its position among the positional ones, or by its keyword


def replace_argument(call: cst.Call, where: Where, value: cst.BaseExpression) -> cst.Call:
    """The call with one argument's value replaced (its comma and spaces stay)."""
    args = list(call.args)
    if isinstance(where, int):
        positional = [i for i, a in enumerate(args) if a.keyword is None and a.star != "**"]
        index = positional[where] if where < len(positional) else None
    else:
        index = next((i for i, a in enumerate(args) if a.keyword is not None and a.keyword.value == where), None)
    if index is None:
        raise CannotFix("the argument is no longer where it was planned")
    args[index] = args[index].with_changes(value=value)
    return call.with_changes(args=args)


def argument(call: cst.Call, where: Where) -> cst.BaseExpression:
    """The value of one argument (see ``replace_argument``)."""
    if isinstance(where, int):
        positional = [a for a in call.args if a.keyword is None and a.star != "**"]
        if where < len(positional):
            return positional[where].value
    else:
        found = keyword(call, where)
        if found is not None:
            return found.value
    raise CannotFix("the argument is no longer where it was planned")


def keyword(call: cst.Call, name: str) -> cst.Arg | None:
    return next((a for a in call.args if a.keyword is not None and a.keyword.value == name), None)


def set_keyword(call: cst.Call, name: str, value: cst.BaseExpression) -> cst.Call:
    """``name=value``: the existing argument's value is replaced, or the argument is added last."""
    existing = keyword(call, name)
    if existing is None:
        return add_keyword(call, name, value)
    return call.with_changes(args=[a.with_changes(value=value) if a is existing else a for a in call.args])


def add_keyword(call: cst.Call, name: str, value: cst.BaseExpression) -> cst.Call:
    new = cst.Arg(value=value, keyword=cst.Name(name),
                  equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                        whitespace_after=cst.SimpleWhitespace("")))
    args = list(call.args)
    if not args:
        return call.with_changes(args=[new])
    last = args[-1]
    between = _space_between_arguments(call)
    if isinstance(last.comma, cst.Comma):
        ending = last.comma.whitespace_after  # the trailing comma's: what leads to ``)``
        last_comma = last.comma.with_changes(whitespace_after=_continue(ending, between))
        args[-1] = last.with_changes(comma=last_comma)
        args.append(new.with_changes(comma=cst.Comma(whitespace_after=_close(ending))))
    else:
        ending = last.whitespace_after_arg
        args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=_continue(ending, between)),
                                     whitespace_after_arg=cst.SimpleWhitespace(""))
        if isinstance(ending, cst.ParenthesizedWhitespace):
            # one argument per line: the new last one ends its line with a comma, as formatters write it
            args.append(new.with_changes(comma=cst.Comma(whitespace_after=_close(ending))))
        else:
            args.append(new.with_changes(whitespace_after_arg=_close(ending)))
    return call.with_changes(args=args)


def one_argument_per_line(call: cst.Call, indent: str) -> cst.Call:
    """The call's arguments one per line, four spaces in from ``indent`` (the line's), with a trailing
    comma: the layout ``ruff format`` and black give a call too long for its line, and keep."""
    inner = cst.ParenthesizedWhitespace(first_line=cst.TrailingWhitespace(), indent=False,
                                        last_line=cst.SimpleWhitespace(indent + "    "))
    outer = cst.ParenthesizedWhitespace(first_line=cst.TrailingWhitespace(), indent=False,
                                        last_line=cst.SimpleWhitespace(indent))
    if any(isinstance(a.comma, cst.Comma) and isinstance(a.comma.whitespace_after, cst.ParenthesizedWhitespace)
           for a in call.args):
        return call  # already spread over lines
    args = [a.with_changes(comma=cst.Comma(whitespace_after=inner), whitespace_after_arg=cst.SimpleWhitespace(""))
            for a in call.args]
    if args:
        args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=outer))
    return call.with_changes(whitespace_before_args=inner, args=args)


def extend_names(statement: cst.ImportFrom, name: str) -> cst.ImportFrom:
    """``from tenacity import retry`` -> ``from tenacity import retry, name`` (nothing if already there)."""
    names = statement.names
    if isinstance(names, cst.ImportStar):
        raise CannotFix("cannot add a name to `import *`")
    if any(alias.asname is None and alias.evaluated_name == name for alias in names):
        return statement
    aliases = list(names)
    last = aliases[-1]
    if len(aliases) >= 2 and isinstance(aliases[-2].comma, cst.Comma):
        between = aliases[-2].comma.whitespace_after
    elif statement.lpar is not None and isinstance(statement.lpar.whitespace_after, cst.ParenthesizedWhitespace):
        between = statement.lpar.whitespace_after
    else:
        between = cst.SimpleWhitespace(" ")
    new = cst.ImportAlias(name=cst.Name(name))
    where = _sorted_position([alias.evaluated_name for alias in aliases], name)
    if where < len(aliases):  # a sorted list stays sorted (ruff's isort, I001): the name goes where it sorts
        comma = aliases[where - 1].comma if where else cst.Comma(whitespace_after=between)
        aliases.insert(where, new.with_changes(comma=comma if isinstance(comma, cst.Comma) else
                                               cst.Comma(whitespace_after=between)))
        return statement.with_changes(names=aliases)
    if isinstance(last.comma, cst.Comma):
        ending = last.comma.whitespace_after
        aliases[-1] = last.with_changes(comma=last.comma.with_changes(whitespace_after=_continue(ending, between)))
        aliases.append(new.with_changes(comma=cst.Comma(whitespace_after=_close(ending))))
    else:
        aliases[-1] = last.with_changes(comma=cst.Comma(whitespace_after=_continue(cst.SimpleWhitespace(""), between)))
        aliases.append(new)
    return statement.with_changes(names=aliases)


def _sorted_position(names: list[str], name: str) -> int:
    """Where ``name`` goes in ``names`` if they are sorted as isort and ruff sort them (constants,
    classes, then the rest, each case-insensitively; or plainly); the end when they are not sorted."""
    def by_type(text: str) -> tuple[int, str]:
        kind = 0 if text.isupper() and len(text) > 1 else 1 if text[:1].isupper() else 2
        return kind, text.lower()

    for key in (by_type, str.lower, str):
        keys = [key(n) for n in names]
        if keys == sorted(keys):
            return next((i for i, k in enumerate(keys) if key(name) < k), len(names))
    return len(names)


def _space_between_arguments(call: cst.Call) -> cst.BaseParenthesizableWhitespace:
    """What separates two arguments (after the comma): a space, or a new line and the arguments' indentation."""
    if len(call.args) >= 2 and isinstance(call.args[-2].comma, cst.Comma):
        return call.args[-2].comma.whitespace_after
    return call.whitespace_before_args if isinstance(call.whitespace_before_args, cst.ParenthesizedWhitespace) \
        else cst.SimpleWhitespace(" ")


def _continue(ending: cst.BaseParenthesizableWhitespace,
              between: cst.BaseParenthesizableWhitespace) -> cst.BaseParenthesizableWhitespace:
    """The old last argument's line end (and comment), then the indentation of the next argument."""
    if isinstance(ending, cst.ParenthesizedWhitespace):
        indent = between.last_line if isinstance(between, cst.ParenthesizedWhitespace) else ending.last_line
        return ending.with_changes(last_line=indent)
    if isinstance(between, cst.ParenthesizedWhitespace):
        return between.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[])
    return cst.SimpleWhitespace(" ")


def _close(ending: cst.BaseParenthesizableWhitespace) -> cst.BaseParenthesizableWhitespace:
    """After the new argument, what led to ``)`` before, without the old last argument's comment."""
    if isinstance(ending, cst.ParenthesizedWhitespace):
        return ending.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[])
    return ending
