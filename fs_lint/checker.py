"""Run the enabled rules over one module: the single entry point of every front end."""

from __future__ import annotations

import ast
from typing import Iterable

from .findings import Finding
from .retry_loops import ModuleAnalysis
from .rules import RULES
from .settings import Settings


def check_tree(tree: ast.Module, settings: Settings, codes: Iterable[str] | None = None) -> list[Finding]:
    if codes is not None and not set(codes) & RULES.keys():
        return []
    return check_analysis(ModuleAnalysis(tree, settings), codes)


def check_analysis(analysis: ModuleAnalysis, codes: Iterable[str] | None = None) -> list[Finding]:
    """Run the rules on an analysis already made (the fixer keeps it to plan its rewrites)."""
    wanted = RULES.keys() if codes is None else [c for c in RULES if c in set(codes)]
    findings: list[Finding] = []
    for code in wanted:
        findings.extend(RULES[code]().check(analysis))
    return sorted(set(findings))


def may_have_findings(source: bytes, codes: Iterable[str] | None = None) -> bool:
    """A cheap look at the raw bytes: False means no enabled rule can fire, so parsing can be skipped."""
    rules = RULES.values() if codes is None else [RULES[c] for c in codes if c in RULES]
    return any(needle in source for rule in rules for needle in rule.needles)


def check_source(source: bytes, settings: Settings, codes: Iterable[str] | None = None,
                 filename: str = "<unknown>") -> list[Finding]:
    """Parse and check; raises SyntaxError, ValueError (null bytes) or RecursionError on bad input."""
    codes = list(RULES) if codes is None else list(codes)
    if not may_have_findings(source, codes):
        return []
    tree = ast.parse(source, filename=filename)
    return check_tree(tree, settings, codes)
