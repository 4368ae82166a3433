"""Check one file's bytes the way every front end does.

Whatever the bytes hold, they are parsed: a file in which no rule's needle
occurs cannot hold a finding, but if it does not parse (or decode) the user
must still hear of it, since Python will not run it either. Findings that a
``# noqa`` silences are dropped here, so the CLI, stdin, the language server
and the codemods agree.
"""

from __future__ import annotations

from typing import Iterable

from .checker import check_tree, codes_that_may_fire, parse_module
from .findings import Finding
from .project.noqa import drop_silenced
from .settings import Settings


def check_bytes(source: bytes, settings: Settings, codes: Iterable[str] | None, filename: str,
                disable_noqa: bool = False) -> list[Finding]:
    """The findings left after noqa; raises SyntaxError, ValueError or RecursionError on bad input."""
    firing = codes_that_may_fire(source, codes)
    tree = parse_module(source, filename)
    if not firing:
        return []
    findings = check_tree(tree, settings, firing)
    return findings if disable_noqa else drop_silenced(source, findings)
