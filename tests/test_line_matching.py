"""``line_matching.matching_blocks`` against difflib: always a valid alignment, and as good where it counts."""

from __future__ import annotations

import difflib

from hypothesis import given, settings
from hypothesis import strategies as st

from fs_lint.line_matching import Match, matching_blocks

# Few distinct lines, so that repeats (the case difflib is slow on) are common.
LINES = st.lists(st.sampled_from([b"", b"pass", b"return None", b"x = 1", b"y = 2", b"def f():", b"z"]), max_size=60)


def _valid(old: list[bytes], new: list[bytes], blocks: list[Match]) -> None:
    end_a = end_b = 0
    for block in blocks:
        assert block.a >= end_a and block.b >= end_b, blocks
        assert old[block.a:block.a + block.size] == new[block.b:block.b + block.size]
        end_a, end_b = block.a + block.size, block.b + block.size
    assert blocks[-1] == Match(len(old), len(new), 0)


@given(LINES, LINES)
@settings(max_examples=300, deadline=None)
def test_any_two_versions_get_a_valid_alignment(old: list[bytes], new: list[bytes]) -> None:
    _valid(old, new, matching_blocks(old, new))


@given(LINES, st.integers(min_value=0), st.lists(st.sampled_from([b"", b"pass", b"new"]), max_size=4),
       st.integers(min_value=0, max_value=3))
@settings(max_examples=300, deadline=None)
def test_one_rewritten_place_keeps_every_other_line(old: list[bytes], where: int, written: list[bytes],
                                                    removed: int) -> None:
    """A rewrite replaces lines at one place: every line before and after it is matched, and never fewer
    lines than difflib matches (which, greedy, sometimes matches fewer: ``pass, '', pass, ''`` less line 2)."""
    where = where % (len(old) + 1)
    new = old[:where] + written + old[where + removed:]
    blocks = matching_blocks(old, new)
    _valid(old, new, blocks)
    ours = sum(b.size for b in blocks)
    theirs = sum(b.size for b in difflib.SequenceMatcher(None, old, new, autojunk=False).get_matching_blocks())
    assert ours >= len(old) - min(removed, len(old) - where)
    assert ours >= theirs


def test_a_generated_module_with_thousands_of_repeated_lines_is_matched_at_once() -> None:
    """The shape that made difflib take minutes: 60,000 lines, a third of them blank."""
    old = [line for i in range(20_000) for line in (b"def f%d(x):" % i, b"    return x", b"")]
    new = old[:30_000] + [b"    # rewritten"] + old[30_001:]
    blocks = matching_blocks(old, new)
    _valid(old, new, blocks)
    assert sum(b.size for b in blocks) == len(old) - 1
