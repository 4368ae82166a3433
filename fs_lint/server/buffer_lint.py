"""What the language server says about one version of an editor buffer: its findings, its error, its fixes.

Plain data, no LSP: positions are the rules' own (1-based lines, 0-based
UTF-8 byte columns), so this can be tested without an editor.

A ``BufferAnalysis`` is one version of one buffer. Everything it is asked is
computed once and kept, since an editor asks again and again for the same
version (code actions at every cursor move): the findings, the whole fix
(what ``fs-lint fix`` would write, and so which findings are fixable), and
each finding's own quick fix. Worker threads may ask at once; a lock keeps
each answer computed once.

A quick fix makes one finding's fix. Some fixes cannot be made alone: a loop
reported (FSR001) because its handler swallows Ctrl-C stops being a finding
when the handler's fix is made. So a finding that ``fix`` fixes but that does
not go away on its own is fixed with the fixes inside its statement, and
failing that with the whole file's: every finding ``fix`` would fix has a
quick fix.
"""

from __future__ import annotations

import ast
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

from ..codemods import REWRITES
from ..file_check import check_bytes, describe_source_error, error_line
from ..findings import Finding
from ..fixability import too_many_to_work_out
from ..project.file_rules import FileRules
from ..project.file_settings import ProjectSettings
from ..project.noqa import silenced_by
from ..rules import RULES

if TYPE_CHECKING:
    from ..fixing import FixResult


@dataclass(frozen=True)
class BufferReport:
    findings: tuple[Finding, ...] = ()
    error: str | None = None  # why the buffer could not be checked (a syntax error while typing)
    error_line: int | None = None


@dataclass(frozen=True)
class QuickFix:
    text: str  # the whole buffer with the fix made
    also: tuple[Finding, ...] = ()  # the other findings the fix had to fix with it


def _has_safe_fix(finding: Finding) -> bool:
    rule = RULES.get(finding.code)
    return rule is not None and rule.fix == "safe" and finding.code in REWRITES


def project_rules(root: str, path: str) -> FileRules:
    """The nearest ``[tool.fs-lint]`` above the buffer's file (the workspace root's when there is none).

    Read afresh for every buffer: a TOML file is cheap to read, and an edited config applies at once.
    """
    return ProjectSettings(Path(root)).rules_for(os.path.abspath(path))


class BufferAnalysis:
    """One version of one buffer, checked as ``fs-lint check --force-exclude --stdin-filename PATH`` would."""

    def __init__(self, text: str, path: str, root: str, version: int | None = None) -> None:
        self.text = text
        self.path = path
        self.root = root
        self.version = version
        self._source = text.encode("utf-8")
        self._lock = threading.RLock()
        self._quick_fixes: dict[Finding, QuickFix | None] = {}
        self._rules: FileRules | None = None
        self._checked: BufferReport | None = None
        self._fixed: tuple[FixResult | None] | None = None  # the whole fix, once made (None inside: it failed)

    # Not functools.cached_property: before Python 3.12 it holds one lock for all instances, so a huge
    # buffer's analysis would hold up every other buffer's. Each analysis has its own lock instead.

    @property
    def rules(self) -> FileRules:
        """Raises UsageError when the configuration is wrong."""
        with self._lock:
            if self._rules is None:
                self._rules = project_rules(self.root, self.path)
            return self._rules

    def report(self) -> BufferReport:
        with self._lock:
            if self._checked is None:
                self._checked = self._check()
            return self._checked

    def _check(self) -> BufferReport:
        codes = self.rules.codes_for(os.path.abspath(self.path))
        try:
            findings = check_bytes(self._source, self.rules.settings, codes, self.path)
        except Exception as error:  # a buffer being typed is often not valid Python
            return BufferReport(error=describe_source_error(error), error_line=error_line(error))
        return BufferReport(tuple(findings))

    def fixed_text(self) -> str | None:
        """The buffer with every safe fix made, as ``fs-lint fix`` writes it; None when nothing changes."""
        with self._lock:
            result = self._fix_all()
            return None if result is None or result.source == self._source else result.source.decode("utf-8")

    def too_many(self) -> bool:
        """More findings than the fixer's planning can work through at once in good time
        (``fixability.FIXABILITY_LIMIT``): each quick fix is then made on its own, on demand."""
        with self._lock:
            return too_many_to_work_out(self.report().findings)

    def fixable(self) -> frozenset[Finding]:
        """The findings ``fs-lint fix`` fixes in this version (those whose rule has a safe fix, untried,
        when there are too many to work out)."""
        with self._lock:
            if self.too_many():
                return frozenset(f for f in self.report().findings if _has_safe_fix(f))
            result = self._fix_all()
            reported = frozenset(self.report().findings)
            return frozenset() if result is None else reported & frozenset(result.applied)

    def finding_at(self, line: int, col: int, code: str) -> Finding | None:
        """This version's finding with that code at that place (as a diagnostic's data names it)."""
        return next((f for f in self.report().findings if (f.line, f.col, f.code) == (line, col, code)), None)

    def quick_fix(self, finding: Finding) -> QuickFix | None:
        """The buffer with ``finding``'s fix made (and what it needed with it); None when it has none."""
        with self._lock:
            if finding not in self._quick_fixes:
                self._quick_fixes[finding] = self._make_quick_fix(finding)
            return self._quick_fixes[finding]

    def _fix_all(self) -> FixResult | None:
        with self._lock:
            if self._fixed is None:
                report = self.report()
                nothing = report.error is not None or not report.findings
                self._fixed = (None if nothing else self._fix(lambda finding: False),)
            return self._fixed[0]

    def _fix(self, left_out: Callable[[Finding], bool]) -> FixResult | None:
        from ..fixing import fix_source  # libcst: paid for only when a fix is asked for

        noqa = silenced_by(self._source)
        codes = self.rules.codes_for(os.path.abspath(self.path))
        try:
            return fix_source(self._source, self.rules.settings, codes, False, self.path,
                              skip=lambda finding: noqa(finding) or left_out(finding))
        except Exception:
            return None

    def _make_quick_fix(self, finding: Finding) -> QuickFix | None:
        fixable = self.fixable()
        if finding not in fixable:
            return None
        for group in self._groups(finding, fixable):
            result = self._fix(lambda other: other not in group)
            if result is not None and finding in result.applied:
                also = tuple(sorted(f for f in result.applied if f != finding))
                return QuickFix(result.source.decode("utf-8"), also)
        whole = None if self.too_many() else self.fixed_text()
        return None if whole is None else QuickFix(whole, tuple(sorted(fixable - {finding})))

    def _groups(self, finding: Finding, fixable: frozenset[Finding]) -> Iterator[frozenset[Finding]]:
        """The finding alone, then with the fixable findings inside its statement."""
        yield frozenset({finding})
        if self.too_many():
            return
        last = self._statement_end(finding)
        inside = frozenset(f for f in fixable if finding.line <= f.line <= last)
        if len(inside) > 1:
            yield inside

    def _statement_end(self, finding: Finding) -> int:
        try:
            tree = ast.parse(self._source)
        except (SyntaxError, ValueError, RecursionError):
            return finding.line
        ends = [getattr(node, "end_lineno", None) or finding.line for node in ast.walk(tree)
                if getattr(node, "lineno", None) == finding.line and getattr(node, "col_offset", None) == finding.col]
        return max(ends, default=finding.line)


def lint_buffer(text: str, path: str, root: str) -> BufferReport:
    """Check the buffer as ``fs-lint check --force-exclude --stdin-filename PATH`` would."""
    return BufferAnalysis(text, path, root).report()


def fixed_text(text: str, path: str, root: str, only: Finding | None = None) -> str | None:
    """The buffer with its safe fixes made (only ``only``'s, and what it needs, when given); None when
    nothing changes. Exactly what ``fs-lint fix`` writes for the same file, since it is the same ``fix_source``."""
    analysis = BufferAnalysis(text, path, root)
    if analysis.report().error is not None:
        return None
    if only is None:
        return analysis.fixed_text()
    finding = analysis.finding_at(only.line, only.col, only.code)
    fix = None if finding is None else analysis.quick_fix(finding)
    return None if fix is None else fix.text
