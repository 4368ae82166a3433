"""Which lines a rewrite left as they were: the runs of lines two versions of a file share.

``difflib.SequenceMatcher`` answers this, but without its "junk" heuristic it
is quadratic in lines that repeat (blank lines, ``return None``), and generated
modules have hundreds of thousands of those. A rewrite changes a few places, so
the common start and end are cut off first; what is left is split at lines that
occur exactly once on each side, in the same order (the anchors of patience
diff), and only the short stretches between anchors go to ``SequenceMatcher``.
"""

from __future__ import annotations

import bisect
import difflib
from typing import NamedTuple, Sequence

# Stretches up to this many lines on both sides go to SequenceMatcher as they are.
_SMALL = 400


class Match(NamedTuple):
    """``size`` lines from line ``a`` of the old version are lines from ``b`` of the new (0-based)."""

    a: int
    b: int
    size: int


def matching_blocks(old: Sequence[bytes], new: Sequence[bytes]) -> list[Match]:
    """Like ``SequenceMatcher.get_matching_blocks``: in order, adjacent runs joined, ending with a run of 0."""
    found: list[Match] = []
    _match(old, 0, len(old), new, 0, len(new), found)
    joined: list[Match] = []
    for block in sorted(found):
        if block.size == 0:
            continue
        if joined and joined[-1].a + joined[-1].size == block.a and joined[-1].b + joined[-1].size == block.b:
            joined[-1] = Match(joined[-1].a, joined[-1].b, joined[-1].size + block.size)
        else:
            joined.append(block)
    joined.append(Match(len(old), len(new), 0))
    return joined


def _match(old: Sequence[bytes], alo: int, ahi: int, new: Sequence[bytes], blo: int, bhi: int,
           found: list[Match]) -> None:
    start = 0
    while alo + start < ahi and blo + start < bhi and old[alo + start] == new[blo + start]:
        start += 1
    if start:
        found.append(Match(alo, blo, start))
        alo, blo = alo + start, blo + start
    end = 0
    while alo < ahi - end and blo < bhi - end and old[ahi - end - 1] == new[bhi - end - 1]:
        end += 1
    if end:
        found.append(Match(ahi - end, bhi - end, end))
        ahi, bhi = ahi - end, bhi - end
    if alo == ahi or blo == bhi:
        return
    if ahi - alo <= _SMALL and bhi - blo <= _SMALL:
        _small(old, alo, ahi, new, blo, bhi, found)
        return
    anchors = _anchors(old, alo, ahi, new, blo, bhi)
    if not anchors:
        matcher = difflib.SequenceMatcher(None, old[alo:ahi], new[blo:bhi], autojunk=True)
        found.extend(Match(alo + m.a, blo + m.b, m.size) for m in matcher.get_matching_blocks())
        return
    previous_a, previous_b = alo, blo
    for a, b in anchors:
        _match(old, previous_a, a, new, previous_b, b, found)
        found.append(Match(a, b, 1))
        previous_a, previous_b = a + 1, b + 1
    _match(old, previous_a, ahi, new, previous_b, bhi, found)


def _small(old: Sequence[bytes], alo: int, ahi: int, new: Sequence[bytes], blo: int, bhi: int,
           found: list[Match]) -> None:
    matcher = difflib.SequenceMatcher(None, old[alo:ahi], new[blo:bhi], autojunk=False)
    found.extend(Match(alo + m.a, blo + m.b, m.size) for m in matcher.get_matching_blocks())


def _anchors(old: Sequence[bytes], alo: int, ahi: int, new: Sequence[bytes], blo: int,
             bhi: int) -> list[tuple[int, int]]:
    """Lines found once on each side, the longest run of them that keeps its order on both."""
    counts: dict[bytes, list[int]] = {}  # line -> [times in old, index in old, times in new, index in new]
    for index in range(alo, ahi):
        entry = counts.setdefault(old[index], [0, index, 0, -1])
        entry[0] += 1
    for index in range(blo, bhi):
        entry = counts.get(new[index])
        if entry is not None:
            entry[2] += 1
            entry[3] = index
    pairs = sorted((e[1], e[3]) for e in counts.values() if e[0] == 1 and e[2] == 1)
    return _longest_increasing(pairs)


def _longest_increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest subsequence of ``pairs`` (sorted by the first) whose second members increase too."""
    tails: list[int] = []  # tails[k]: the smallest second member that ends a run of k + 1
    ends: list[int] = []  # index in ``pairs`` of that run's last pair
    before: list[int] = [-1] * len(pairs)
    for index, (_, b) in enumerate(pairs):
        k = bisect.bisect_left(tails, b)
        if k == len(tails):
            tails.append(b)
            ends.append(index)
        else:
            tails[k] = b
            ends[k] = index
        before[index] = ends[k - 1] if k else -1
    run = []
    index = ends[-1] if ends else -1
    while index != -1:
        run.append(pairs[index])
        index = before[index]
    return run[::-1]
