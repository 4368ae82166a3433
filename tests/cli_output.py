"""What the CLI prints besides the findings, taken apart so tests can look at each piece.

``fs-lint check`` ends its stderr with a summary line (``Found 3 findings
(2 fixable ...)``, ``All checks passed!``) and marks fixable findings ``[*]``
as ruff does; the flake8-format tests compare the rest.
"""

from __future__ import annotations

import re

SUMMARY = re.compile(
    r"^(?:Found \d+ findings?.*|All checks passed!|\d+ files? could not be checked\.)\n", re.MULTILINE)


def without_summary(err: str) -> str:
    return SUMMARY.sub("", err)


def summary_of(err: str) -> str | None:
    match = SUMMARY.search(err)
    return match.group().strip() if match else None


def unmarked(out: str) -> str:
    """flake8's lines: the ``[*]`` fixable marker taken out."""
    return re.sub(r"^(\S+:\d+:\d+: [A-Z]+\d+) \[\*\] ", r"\1 ", out, flags=re.MULTILINE)
