"""The lines ``fs-lint check`` ends with: a summary as ruff gives it, and ``--statistics``.

A finding is *fixable* (shown ``[*]``, as ruff marks them) when ``fs-lint fix``
will fix it: the fixer's own answer for that finding (``fs_lint.fixability``),
not its rule's kind, so that "N fixable" is what ``fix`` then applies. Findings
that only ``--unsafe-fixes`` fixes are counted apart, as ruff's hint does.
"""

from __future__ import annotations

from collections import Counter
from typing import Sequence

from ..fixability import FIXABILITY_LIMIT
from ..rules import RULES
from .colour import PLAIN, Palette
from .fix_report import plural
from .output_formats import FileReport


def _fixable_part(fixable: int, unsafe: int, unknown: int) -> str:
    parts = []
    if fixable and unsafe:
        parts.append(f"{fixable} fixable with `fs-lint fix`; {unsafe} more with `--unsafe-fixes`")
    elif fixable:
        parts.append(f"{fixable} fixable with `fs-lint fix`")
    elif unsafe:
        parts.append(f"{unsafe} fixable with `fs-lint fix --unsafe-fixes`")
    if unknown:
        parts.append(f"not worked out in {plural(unknown, 'file')} of more than {FIXABILITY_LIMIT} findings: "
                     "`fs-lint fix --diff` shows them")
    return f" ({'; '.join(parts)})" if parts else ""


def summary(reports: Sequence[FileReport], paint: Palette = PLAIN) -> str:
    """``Found 3 findings (2 fixable with `fs-lint fix`).``, ``All checks passed!``, and files not checked."""
    findings = [f for report in reports for f in report.findings]
    errors = sum(report.error is not None for report in reports)
    if not findings and not errors:
        return paint("good", "All checks passed!") + "\n"
    parts = []
    if findings:
        fixable = sum(len(report.fixable) for report in reports)
        unsafe = sum(len(report.unsafe_fixable) for report in reports)
        unknown = sum(report.fixability_unknown for report in reports)
        parts.append(f"Found {plural(len(findings), 'finding')}{_fixable_part(fixable, unsafe, unknown)}")
    if errors:
        parts.append(f"{plural(errors, 'file')} could not be checked")
    return "; ".join(parts) + ".\n"


def statistics(reports: Sequence[FileReport]) -> str:
    """One line per code, the most frequent first: count, code, whether ``fix`` fixes them, the rule's name.

    As ruff marks them: ``[*]`` all of them, ``[~]`` some, blank none.
    """
    counts = Counter(f.code for report in reports for f in report.findings)
    fixed = Counter(f.code for report in reports for f in report.fixable)
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    width = max((len(str(count)) for _, count in rows), default=1)
    lines = []
    for code, count in rows:
        rule = RULES.get(code)
        marker = "[*]" if fixed[code] == count else "[~]" if fixed[code] else "   "
        lines.append(f"{count:>{width}}  {code}  {marker} {rule.name if rule else ''}".rstrip() + "\n")
    return "".join(lines)
