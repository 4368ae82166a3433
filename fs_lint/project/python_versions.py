"""Which Python the checked code must run on: ``target-version``, or the project's ``requires-python``.

A rewrite may only use what every Python the code supports has: ``asyncio.current_task().cancelling()``
and ``asyncio.timeout()`` exist from 3.11 on. The version is spelled as ruff spells it (``py310``,
``py311``), and when ``[tool.fs-lint]`` does not set it, it is read as ruff reads it: the lowest
version that ``requires-python`` of the same ``pyproject.toml`` allows (of the nearest one, when no
file configures fs-lint). Unknown stays unknown: the rewrites then assume the oldest Python.
"""

from __future__ import annotations

import re
from typing import Any

Version = tuple[int, int]

OLDEST: Version = (3, 7)
NEWEST: Version = (3, 14)
KNOWN = tuple((3, minor) for minor in range(OLDEST[1], NEWEST[1] + 1))

_SPELLING = re.compile(r"py3(\d{1,2})")
_CLAUSE = re.compile(r"^\s*(?P<op>~=|===|==|>=|>|<=|<|!=)\s*(?P<version>[0-9][0-9.*]*)\s*$")
_LOWER_BOUNDS = ("~=", "===", "==", ">=", ">")


def spell(version: Version) -> str:
    """``(3, 11)`` -> ``py311``."""
    return f"py{version[0]}{version[1]}"


def parse_target(text: Any) -> Version:
    """``"py311"`` -> ``(3, 11)``; ValueError says what is expected."""
    if isinstance(text, str):
        match = _SPELLING.fullmatch(text.strip().lower())
        if match and (3, int(match[1])) in KNOWN:
            return 3, int(match[1])
    shown = repr(text) if isinstance(text, str) else type(text).__name__
    raise ValueError(f"expected a Python version written as ruff writes it, {spell(OLDEST)} to {spell(NEWEST)} "
                     f"(such as \"py311\"), got {shown}")


def lowest_allowed(requires_python: str) -> Version | None:
    """The lowest Python 3 version a ``requires-python`` specifier allows, or None when it sets no lower
    bound (``<4``) or cannot be read. ``>=3.10,<4`` -> 3.10; ``~=3.11.2`` -> 3.11; ``>3.9`` -> 3.9
    (3.9.1 is allowed); below 3.7 (``>=2.7``, ``>=3.6``) -> 3.7, the oldest fs-lint names."""
    lowest: Version | None = None
    for clause in requires_python.split(","):
        match = _CLAUSE.match(clause)
        if match is None:
            return None
        if match["op"] not in _LOWER_BOUNDS:
            continue
        parts = match["version"].split(".")
        if not parts[0].isdigit() or int(parts[0]) > 3:
            return None
        if int(parts[0]) < 3:  # ``>=2.7``: every Python 3 is allowed
            bound = OLDEST
        elif len(parts) < 2 or not parts[1].isdigit():
            return None
        else:
            bound = (3, int(parts[1]))
        lowest = bound if lowest is None else max(lowest, bound)
    if lowest is None:
        return None
    return min(max(lowest, OLDEST), NEWEST)


def requires_python_target(pyproject: dict[str, Any]) -> Version | None:
    """The target a parsed ``pyproject.toml`` implies through ``[project] requires-python``, if any."""
    project = pyproject.get("project")
    requires = project.get("requires-python") if isinstance(project, dict) else None
    return lowest_allowed(requires) if isinstance(requires, str) else None
