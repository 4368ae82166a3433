"""Taking names out of an exception list keeps the commas, line breaks and comments of those that stay."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from fs_lint.codemods.exception_lists import drop_with_items, edit_call_args, edit_handler_type, exception_named


def _edit(code: str, find, edit) -> str:  # type: ignore[no-untyped-def]
    module = cst.parse_module(textwrap.dedent(code))

    class Edit(cst.CSTTransformer):
        def on_leave(self, original, updated):  # type: ignore[no-untyped-def]
            return edit(updated) if isinstance(updated, find) else updated

    return module.visit(Edit()).code


def drop_from_handler(code: str, *drop: int) -> str:
    return _edit(code, cst.ExceptHandler, lambda h: edit_handler_type(h, {}, set(drop)))


HANDLER = "try:\n    pass\nexcept {}:\n    pass\n"


@pytest.mark.parametrize(("before", "drop", "after"), [
    ("(A, B, C)", [2], "(A, B)"),
    ("(A, B, C)", [1], "(A, C)"),
    ("(A, B, C)", [0], "(B, C)"),
    ("(A, B, C,)", [2], "(A, B,)"),
    ("(A, B)", [1], "A"),
    ("(A,B)as e", [1], "A as e"),
    ("(A, B) as e", [0], "B as e"),
    ("(*errors, B)", [1], "(*errors,)"),
])
def test_one_line_tuples(before: str, drop: list[int], after: str) -> None:
    assert drop_from_handler(HANDLER.format(before), *drop) == HANDLER.format(after)


def test_one_per_line_with_a_trailing_comma() -> None:
    before = """\
        try:
            pass
        except (
            A,  # a
            B,  # b
            C,  # c
        ):
            pass
    """
    assert drop_from_handler(before, 2) == textwrap.dedent(before).replace("    C,  # c\n", "")
    assert drop_from_handler(before, 1) == textwrap.dedent(before).replace("    B,  # b\n", "")


def test_one_per_line_without_a_trailing_comma() -> None:
    before = """\
        try:
            pass
        except (
            A,  # a
            B,  # b
            C  # c
        ):
            pass
    """
    expected = textwrap.dedent(before).replace("    B,  # b\n    C  # c\n", "    B  # b\n")
    assert drop_from_handler(before, 2) == expected


def test_one_left_with_its_comment_keeps_the_parentheses() -> None:
    before = """\
        try:
            pass
        except (
            A,  # a
            B,
        ):
            pass
    """
    assert drop_from_handler(before, 1) == textwrap.dedent(before).replace("    B,\n", "")


def test_renaming_only_touches_the_name() -> None:
    code = HANDLER.format("(builtins.BaseException, BaseException)")
    renamed = _edit(code, cst.ExceptHandler, lambda h: edit_handler_type(
        h, {0: lambda e: exception_named(e, "Exception"), 1: lambda e: exception_named(e, "Exception")}, {1}))
    assert renamed == HANDLER.format("builtins.Exception")


@pytest.mark.parametrize(("before", "drop", "after"), [
    ("suppress(A, B)", [1], "suppress(A)"),
    ("suppress(A, B,)", [1], "suppress(A,)"),
    ("suppress(A, B)", [0], "suppress(B)"),
    ("suppress(\n    A,  # a\n    B,  # b\n)", [1], "suppress(\n    A,  # a\n)"),
    ("suppress(\n    A,  # a\n    B  # b\n)", [1], "suppress(\n    A  # a\n)"),
])
def test_call_arguments(before: str, drop: list[int], after: str) -> None:
    edited = _edit(f"with {before}:\n    pass\n", cst.Call, lambda c: edit_call_args(c, {}, set(drop)))
    assert edited == f"with {after}:\n    pass\n"


@pytest.mark.parametrize(("before", "drop", "after"), [
    ("a, b", [1], "a"),
    ("a, b", [0], "b"),
    ("(\n    a,  # a\n    b,  # b\n)", [1], "(\n    a,  # a\n)"),
])
def test_with_items(before: str, drop: list[int], after: str) -> None:
    edited = _edit(f"with {before}:\n    pass\n", cst.With, lambda w: drop_with_items(w, set(drop)))
    assert edited == f"with {after}:\n    pass\n"
