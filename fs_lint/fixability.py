"""Which findings of a file ``fs-lint fix`` will fix: the promise behind ``[*]`` and "N fixable".

A rule with a fix does not make every one of its findings fixable: a planner
refuses what it cannot prove, the engine refuses a rewrite that would not
remove its finding or would add one. So the answer is the fixer's own, on the
same bytes, settings, codes and noqa as ``fs-lint fix`` uses: a finding is
fixable when ``fix_source`` applies its fix. The hint ("3 more with
`--unsafe-fixes`") counts the fixes that ``fs-lint fix`` holds back as unsafe
(its "not fixed: ...: an unsafe fix, applied only with --unsafe-fixes" lines),
without a second run of the fixer: a hint, not a ``[*]``. Only files with a finding of a rule that has a fix pay
for it (LibCST), as only they do under ``fs-lint fix``.

The fixer's planning grows with the square of a file's findings (each FSR001
plan walks the module for stop flags), so a file with more than
``FIXABILITY_LIMIT`` of them (generated code, a stress fixture: 400 take 10 s,
6,000 take most of an hour) is not worked out: its findings are not promised,
and the summary says in how many files that was so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Sequence

from .codemods import REWRITES
from .findings import Finding
from .project.noqa import silenced_by
from .settings import Settings

if TYPE_CHECKING:
    from .checker import CheckedModule


FIXABILITY_LIMIT = 200  # findings with a fix in one file; see the module's docstring


@dataclass(frozen=True)
class Fixability:
    safe: frozenset[Finding] = frozenset()  # what ``fs-lint fix`` fixes
    unsafe: frozenset[Finding] = frozenset()  # fixes ``fs-lint fix`` holds back as unsafe
    unknown: bool = False  # too many findings to work it out (``FIXABILITY_LIMIT``)


def too_many_to_work_out(findings: Sequence[Finding]) -> bool:
    return sum(finding.code in REWRITES for finding in findings) > FIXABILITY_LIMIT


def fixability(source: bytes, settings: Settings, codes: Iterable[str] | None, filename: str,
               findings: Sequence[Finding], disable_noqa: bool = False,
               checked: CheckedModule | None = None) -> Fixability:
    """The findings of ``findings`` (this file's, as reported) that the fixer fixes; never raises.
    ``checked``: the check's own analysis of these bytes, which the fixer then need not make again."""
    if not any(finding.code in REWRITES for finding in findings):
        return Fixability()
    if too_many_to_work_out(findings):
        return Fixability(unknown=True)
    from .fixing import UNSAFE_ONLY, fix_source  # libcst: only for a file with something to fix

    codes = None if codes is None else tuple(codes)
    skip = None if disable_noqa else silenced_by(source)
    reported = frozenset(findings)
    try:
        result = fix_source(source, settings, codes, False, filename, skip=skip, checked=checked)
    except Exception:  # the fixer would report this file as an error: nothing of it is fixed
        return Fixability()
    held_back = {(r.line, r.col, r.code) for r in result.refused if r.reason.endswith(UNSAFE_ONLY)}
    return Fixability(reported & frozenset(result.applied),
                      frozenset(f for f in reported if (f.line, f.col, f.code) in held_back))
