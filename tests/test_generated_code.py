"""Generated programs (hypothesmith) never make the analysis raise."""

from __future__ import annotations

import ast

import hypothesmith
import pytest
from hypothesis import HealthCheck, given, settings

from fs_lint.checker import check_tree
from fs_lint.settings import Settings

SETTINGS = Settings()
ALL_ON = Settings(async_requires_check=True)
_RELAXED = settings(max_examples=80, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def _parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


@_RELAXED
@given(hypothesmith.from_grammar())
def test_check_survives_grammatical_programs(source):
    tree = _parse(source)
    if tree is not None:
        for options in (SETTINGS, ALL_ON):
            for finding in check_tree(tree, options):
                assert finding.line >= 1 and finding.message.startswith(finding.code)


@_RELAXED
@given(hypothesmith.from_node())
def test_check_survives_valid_modules(source):
    tree = _parse(source)
    assert tree is not None
    for finding in check_tree(tree, ALL_ON):
        assert finding.line >= 1


@pytest.mark.parametrize("depth", [50, 99])
def test_deeply_nested_loops_and_handlers(depth):
    lines = []
    for level in range(depth):
        pad = "    " * level
        lines.append(f"{pad}while True:" if level % 2 == 0 else f"{pad}try:")
    pad = "    " * depth
    lines.append(f"{pad}pass")
    for level in reversed(range(depth)):
        if level % 2:
            lines.append("    " * level + "except BaseException:")
            lines.append("    " * (level + 1) + "pass")
    tree = _parse("\n".join(lines) + "\n")
    if tree is not None:
        check_tree(tree, SETTINGS)
