"""``fs-lint fix``: detect, then rewrite, then prove that the rewrite did only what it should.

Detecting and rewriting are two passes (fixing while detecting lets line numbers
drift): the ``ast`` check finds what to fix, each rule's planner in
``fs_lint.codemods`` turns a finding into an edit on the same analysis objects,
and one LibCST pass applies them all at the positions the check reported.

Then the result is checked like any other file. A rewrite must compile, must
remove the finding it fixes and must not make any rule fire where it did not
before; a rewrite that fails, or raises, is refused with the reason and the
others are kept. What ``fix_source`` returns therefore always parses, and a
second run over it changes nothing.

Files without a finding to fix never reach LibCST: its import, parse and
position metadata cost many times the check itself.
"""

from __future__ import annotations

import ast
import difflib
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Callable, Iterable

from .checker import check_analysis, may_have_findings
from .codemods import REWRITES
from .findings import Finding
from .retry_loops import ModuleAnalysis
from .rules import RULES
from .settings import Settings

if TYPE_CHECKING:
    import libcst as cst

    from .codemods.base import Edit


@dataclass
class Refusal:
    """A finding of a rule that has a fix, left as it is, and why."""

    line: int
    col: int
    code: str
    reason: str


@dataclass
class FixResult:
    source: bytes  # the new content; the input itself when nothing changed
    applied: list[Finding]  # findings of the input that the new source no longer has
    refused: list[Refusal]  # findings of fixable rules left as they are
    remaining: list[Finding]  # findings of the new source (positions in the new source)


def fix_source(source: bytes, settings: Settings, codes: Iterable[str] | None, unsafe: bool, filename: str,
               skip: Callable[[Finding], bool] | None = None) -> FixResult:
    """Fix the findings of ``codes`` (all rules when None) in one file's bytes.

    ``skip`` says which findings are silenced (``# noqa``): they are neither fixed
    nor refused. Fixes marked unsafe are refused unless ``unsafe``. Raises what
    ``checker.check_source`` raises on bad input: SyntaxError, ValueError,
    RecursionError.
    """
    selected = list(RULES) if codes is None else [c for c in RULES if c in set(codes)]
    if not may_have_findings(source, selected):
        return FixResult(source, [], [], [])
    tree = ast.parse(source, filename=filename)
    analysis = ModuleAnalysis(tree, settings)
    findings = check_analysis(analysis, selected)
    wanted = [f for f in findings if f.code in REWRITES and not (skip and skip(f))]
    if not wanted:
        return FixResult(source, [], [], findings)
    return _Fixer(source, tree, analysis, selected, filename, findings).fix(wanted, unsafe)


@dataclass
class _Attempt:
    """One rewrite of the whole file with some of the edits, checked."""

    source: bytes
    findings: list[Finding]  # every rule's, in the new source
    problem: str | None = None  # why this rewrite may not be kept
    gone: set[Finding] = field(default_factory=set)  # findings of the input the new source no longer has


class _Fixer:
    """The fixes of one file that has something to fix."""

    def __init__(self, source: bytes, tree: ast.Module, analysis: ModuleAnalysis, selected: list[str],
                 filename: str, findings: list[Finding]) -> None:
        self.source = source
        self.tree = tree
        self.analysis = analysis
        self.selected = selected
        self.filename = filename
        self.findings = findings  # of the selected rules

    @cached_property
    def baseline(self) -> list[Finding]:
        """Every rule's findings in the input: a fix may not add one, whichever rules were selected."""
        others = [c for c in RULES if c not in self.selected]
        return sorted(set(self.findings) | set(check_analysis(self.analysis, others)))

    def fix(self, wanted: list[Finding], unsafe: bool) -> FixResult:
        edits, refused = self._plan(wanted, unsafe)
        outcome = None
        if edits:
            outcome, failed = self._rewrite(edits)
            refused.update(failed)
        if outcome is None or outcome.source == self.source:
            return FixResult(self.source, [], _refusals(refused), self.findings)
        applied = [f for f in wanted if f in outcome.gone]
        still_refused = {f: reason for f, reason in refused.items() if f not in outcome.gone}
        remaining = [f for f in outcome.findings if f.code in self.selected]
        return FixResult(outcome.source, applied, _refusals(still_refused), remaining)

    def _plan(self, wanted: list[Finding], unsafe: bool) -> tuple[list[Edit], dict[Finding, str]]:
        from .codemods import rewrite_for
        from .codemods.base import CannotFix, FixContext

        context = FixContext(self.source, self.tree, self.analysis)
        edits: list[Edit] = []
        refused: dict[Finding, str] = {}
        for finding in wanted:
            try:
                edit = rewrite_for(finding.code).plan(finding, context)
            except CannotFix as refusal:
                refused[finding] = str(refusal)
                continue
            except Exception as error:  # a bug in one planner must not cost the other fixes
                refused[finding] = f"internal error while planning the {finding.code} fix: {error!r}"
                continue
            if edit.unsafe_because and not unsafe:
                refused[finding] = f"{edit.unsafe_because}: an unsafe fix, applied only with --unsafe-fixes"
                continue
            edits.append(edit)
        return edits, refused

    def _rewrite(self, edits: list[Edit]) -> tuple[_Attempt | None, dict[Finding, str]]:
        """Apply all edits at once; if the result fails its check, add them one by one and keep those that pass."""
        import libcst as cst

        from .codemods.base import ChangeFailed

        refused: dict[Finding, str] = {}
        try:
            module = cst.parse_module(self.source)
        except Exception as error:  # LibCST's grammar lags behind the interpreter's now and then
            return None, {e.finding: f"LibCST cannot parse this file: {error}" for e in edits}
        if module.bytes != self.source:
            reason = "LibCST does not reproduce this file byte for byte (form feeds, or lone CR line endings)"
            return None, {e.finding: reason for e in edits}

        pending = list(edits)
        while pending:
            try:
                attempt = self._attempt(module, pending)
            except ChangeFailed as failure:
                refused[failure.edit.finding] = failure.reason
                pending.remove(failure.edit)
                continue
            if attempt.problem is None:
                return attempt, refused
            break

        accepted: list[Edit] = []
        best: _Attempt | None = None
        for edit in pending:
            try:
                attempt = self._attempt(module, accepted + [edit])
            except ChangeFailed as failure:
                refused[edit.finding] = failure.reason
                continue
            if attempt.problem is not None:
                refused[edit.finding] = attempt.problem
                continue
            accepted.append(edit)
            best = attempt
        return best, refused

    def _attempt(self, module: cst.Module, edits: list[Edit]) -> _Attempt:
        from libcst.codemod import CodemodContext

        from .codemods.base import ChangeFailed, FixFindings

        codemod = FixFindings(CodemodContext(filename=self.filename), edits=edits)
        try:
            new_source = codemod.transform_module(module).bytes
        except ChangeFailed:
            raise
        except Exception as error:  # which edit is to blame is found by adding them one by one
            return _Attempt(self.source, [], f"internal error while rewriting: {error!r}")
        for edit in codemod.missed_edits():
            raise ChangeFailed(edit, "the rewrite did not find the code it planned to change")
        return self._check(new_source, edits)

    def _check(self, new_source: bytes, edits: list[Edit]) -> _Attempt:
        try:
            tree = ast.parse(new_source, filename=self.filename)
            compile(tree, self.filename, "exec", dont_inherit=True)
        except (SyntaxError, ValueError, RecursionError) as error:
            return _Attempt(new_source, [], f"the rewritten code would not compile: {error}")
        try:
            findings = check_analysis(ModuleAnalysis(tree, self.analysis.settings), list(RULES))
        except Exception as error:
            return _Attempt(new_source, [], f"internal error while checking the rewritten code: {error!r}")
        pairs = _pair(_line_map(self.source, new_source), self.baseline, findings)
        attempt = _Attempt(new_source, findings, gone={f for f in self.baseline if f not in pairs})
        kept = set(pairs.values())
        added = [f for f in findings if f not in kept]
        if added:
            attempt.problem = f"the rewrite would make {added[0].code} fire: {_detail(added[0])}"
        for edit in edits:
            if edit.finding in pairs:
                attempt.problem = "the rewrite would not make the finding go away"
        return attempt


def _refusals(refused: dict[Finding, str]) -> list[Refusal]:
    return [Refusal(f.line, f.col, f.code, reason) for f, reason in sorted(refused.items())]


def _detail(finding: Finding) -> str:
    return finding.message[len(finding.code):].strip()


def _line_map(old: bytes, new: bytes) -> dict[int, int]:
    """Line numbers of the old source that survive unchanged, mapped to where they are in the new one."""
    matcher = difflib.SequenceMatcher(None, old.splitlines(), new.splitlines(), autojunk=False)
    mapping = {}
    for block in matcher.get_matching_blocks():
        for offset in range(block.size):
            mapping[block.a + offset + 1] = block.b + offset + 1
    return mapping


def _pair(line_map: dict[int, int], old: list[Finding], new: list[Finding]) -> dict[Finding, Finding]:
    """Which old finding each new one is: same code at the same place on an unchanged line, or
    same code and column on a rewritten line. A new finding without a pair is one the rewrite added."""
    by_place = {(f.code, f.line, f.col): f for f in new}
    pairs: dict[Finding, Finding] = {}
    for finding in old:
        line = line_map.get(finding.line)
        match = by_place.get((finding.code, line, finding.col)) if line else None
        if match is not None:
            pairs[finding] = match
    images = set(line_map.values())
    taken = set(pairs.values())
    rewritten = [f for f in new if f not in taken and f.line not in images]
    for finding in old:
        if finding in pairs or finding.line in line_map:
            continue
        for candidate in rewritten:
            if candidate not in taken and (candidate.code, candidate.col) == (finding.code, finding.col):
                pairs[finding] = candidate
                taken.add(candidate)
                break
    return pairs
