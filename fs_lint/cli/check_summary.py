"""The lines ``fs-lint check`` ends with: a summary as ruff gives it, and ``--statistics``.

A finding is *fixable* (shown ``[*]``, as ruff marks them) when its rule has a
safe fix: ``fs-lint fix`` applies it unless it refuses, and then it says why.
"""

from __future__ import annotations

from collections import Counter
from typing import Sequence

from ..rules import RULES
from .fix_report import plural
from .output_formats import FileReport, is_fixable


def summary(reports: Sequence[FileReport]) -> str:
    """``Found 3 findings (2 fixable with `fs-lint fix`).``, ``All checks passed!``, and files not checked."""
    findings = [f for report in reports for f in report.findings]
    errors = sum(report.error is not None for report in reports)
    if not findings and not errors:
        return "All checks passed!\n"
    parts = []
    if findings:
        fixable = sum(map(is_fixable, findings))
        line = f"Found {plural(len(findings), 'finding')}"
        parts.append(line + (f" ({fixable} fixable with `fs-lint fix`)" if fixable else ""))
    if errors:
        parts.append(f"{plural(errors, 'file')} could not be checked")
    return "; ".join(parts) + ".\n"


def statistics(reports: Sequence[FileReport]) -> str:
    """One line per code, the most frequent first: count, code, ``[*]`` when fixable, the rule's name."""
    counts = Counter(f.code for report in reports for f in report.findings)
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    width = max((len(str(count)) for _, count in rows), default=1)
    lines = []
    for code, count in rows:
        rule = RULES.get(code)
        marker = "[*]" if rule is not None and rule.fix == "safe" else "   "
        lines.append(f"{count:>{width}}  {code}  {marker} {rule.name if rule else ''}".rstrip() + "\n")
    return "".join(lines)
