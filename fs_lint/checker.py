"""Run the enabled rules over one module: the single entry point of every front end."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Iterable

from .findings import Finding
from .syntax.parsing import parse_module
from .analysis.retry_loops import ModuleAnalysis
from .rules import RULES
from .settings import Settings
from .test_files import is_example_path, is_test_path


@dataclass(frozen=True)
class CheckedModule:
    """A module as ``check`` left it: its analysis, the codes run and their findings before noqa.

    ``fix_source`` starts from it when it works out ``[*]`` for the same file, instead of parsing and
    analysing the file a second time."""

    analysis: ModuleAnalysis
    codes: frozenset[str]
    findings: tuple[Finding, ...]


def check_tree(tree: ast.Module, settings: Settings, codes: Iterable[str] | None = None,
               filename: str | None = None, source: bytes | None = None) -> list[Finding]:
    checked = check_module(tree, settings, codes, filename, source)
    if checked is None:
        return []
    checked.analysis.release()
    return list(checked.findings)


def check_module(tree: ast.Module, settings: Settings, codes: Iterable[str] | None = None,
                 filename: str | None = None, source: bytes | None = None) -> CheckedModule | None:
    """``check_tree``, keeping the analysis; None where no rule runs (test code, vendored copies). ``source``,
    the bytes parsed, lets the analysis skip questions about words they do not hold."""
    codes = RULES.keys() if codes is None else codes
    run = frozenset(codes) & RULES.keys()
    if not run or not rules_apply_to(filename, settings):
        return None
    analysis = ModuleAnalysis(tree, settings, filename, source)
    findings = check_analysis(analysis, run)
    if findings and is_set_apart(filename, settings):
        analysis.release()
        return None
    return CheckedModule(analysis, run, tuple(findings))


def check_analysis(analysis: ModuleAnalysis, codes: Iterable[str] | None = None) -> list[Finding]:
    """Run the rules on an analysis already made (the fixer keeps it to plan its rewrites)."""
    wanted = RULES.keys() if codes is None else [c for c in RULES if c in set(codes)]
    findings: list[Finding] = []
    for code in wanted:
        findings.extend(RULES[code]().check(analysis))
    return sorted(set(findings))


def codes_that_may_fire(source: bytes, codes: Iterable[str] | None = None,
                        settings: Settings | None = None) -> list[str]:
    """The codes whose rule finds one of its needles in the raw bytes: no other rule can fire here.

    Asked per rule, not for the whole set: nearly every file says ``except``, few say ``retry``,
    and a rule left out is a walk of the whole tree saved. ``settings`` adds the needles that come
    from options (the words of ``shutdown-path-names``).
    """
    wanted = RULES if codes is None else [c for c in codes if c in RULES]
    return [code for code in wanted
            if any(needle in source for needle in RULES[code].needles_for(settings or Settings()))]


def may_have_findings(source: bytes, codes: Iterable[str] | None = None) -> bool:
    """A cheap look at the raw bytes: False means no enabled rule can fire, so parsing can be skipped."""
    return bool(codes_that_may_fire(source, codes))


def check_source(source: bytes, settings: Settings, codes: Iterable[str] | None = None,
                 filename: str = "<unknown>") -> list[Finding]:
    """Parse and check; raises SyntaxError, ValueError (null bytes) or RecursionError on bad input."""
    codes = codes_that_may_fire(source, codes, settings)
    if not codes:
        return []
    tree = parse_module(source, filename)
    return check_tree(tree, settings, codes, filename, source)


def rules_apply_to(filename: str | None, settings: Settings) -> bool:
    """Test code and examples are not the service that must stop: they are left out unless
    ``include-tests`` / ``include-examples`` is on (copies carried in the tree: ``is_set_apart``)."""
    if filename is None:
        return True
    return (settings.include_tests or not is_test_path(filename)) and \
        (settings.include_examples or not is_example_path(filename))


def is_set_apart(filename: str | None, settings: Settings) -> bool:
    """A copy carried in the tree: of another library (left out unless ``include-vendored`` is on), or of one
    of the project's own modules kept aside (unless ``include-backups``). Asked only of a file with findings:
    it looks at the project's layout and imports, which the others need not pay for."""
    if filename is None or filename.startswith("<"):
        return False
    if not settings.include_vendored:
        from .model.vendored_code import vendored_folder

        if vendored_folder(filename) is not None:
            return True
    if not settings.include_backups:
        from .model.set_aside_copies import set_aside_copy

        if set_aside_copy(filename) is not None:
            return True
    return False
