"""``fs-lint fix``: detect, then rewrite, then prove that the rewrite did only what it should.

Detecting and rewriting are two passes (fixing while detecting lets line numbers
drift): the ``ast`` check finds what to fix, each rule's planner in
``fs_lint.codemods`` turns a finding into an edit on the same analysis objects,
and LibCST applies them at the positions the check reported. LibCST is given
only the functions (or top-level statements) the edits change, not the whole
file: see ``fs_lint.codemods.splicing``.

Then the result is checked like any other file. A rewrite must compile, must
remove the finding it fixes and must not make any rule fire where it did not
before; a rewrite that fails, or raises, is refused with the reason and the
others are kept. What ``fix_source`` returns therefore always parses, and a
second run over it changes nothing.

One new finding is allowed: FSR005 on a plain sleep that was there before the
rewrite. FSR005 only looks at loops that check for shutdown, so a fix that adds
the check (FSR001) makes the blind pause in that loop visible; it does not make
it. Such a *revealed* finding gets a fix of its own in a second round, and is
reported (or refused, with the reason) like any other.

Files without a finding to fix never reach LibCST: its import, parse and
position metadata cost many times the check itself.
"""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Callable, Iterable

from .checker import CheckedModule, check_analysis, check_module, codes_that_may_fire
from .codemods import REWRITES, TOO_DEEP_FOR_LIBCST
from .findings import Finding
from .line_matching import Match, matching_blocks
from .analysis.module_facts import ModuleFacts
from .analysis.pauses import Pause
from .analysis.retry_loops import ModuleAnalysis
from .rules import RULES
from .settings import Settings
from .syntax.parsing import parse_module

if TYPE_CHECKING:
    from .codemods.base import Edit
    from .codemods.splicing import SplicedRewrite


# How a refusal ends when only ``--unsafe-fixes`` would make the fix (``fixability`` counts them).
UNSAFE_ONLY = "an unsafe fix, applied only with --unsafe-fixes"


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
    # What an applied fix did besides the fix itself (a comment it removed because the fix made it
    # false), for ``--show-fixes``.
    notes: dict[Finding, tuple[str, ...]] = field(default_factory=dict)


def fix_source(source: bytes, settings: Settings, codes: Iterable[str] | None, unsafe: bool, filename: str,
               skip: Callable[[Finding], bool] | None = None, checked: CheckedModule | None = None) -> FixResult:
    """Fix the findings of ``codes`` (all rules when None) in one file's bytes.

    ``skip`` says which findings are silenced (``# noqa``): they are neither fixed
    nor refused. Fixes marked unsafe are refused unless ``unsafe``. Raises what
    ``checker.check_source`` raises on bad input: SyntaxError, ValueError,
    RecursionError. ``checked`` is ``check``'s analysis of the same bytes and settings: used when it ran
    the same rules, so that working out ``[*]`` does not parse and analyse the file again.
    """
    selected = list(RULES) if codes is None else [c for c in RULES if c in set(codes)]
    firing = codes_that_may_fire(source, selected, settings)  # the others cannot fire here: their walks are saved
    if not firing:
        return FixResult(source, [], [], [])
    if checked is not None and checked.codes == frozenset(firing):
        return _fix_checked(source, settings, selected, unsafe, filename, skip, checked)
    checked = check_module(parse_module(source, filename), settings, firing, filename, source)
    if checked is None:  # test code, examples, a vendored copy: not the service
        return FixResult(source, [], [], [])
    try:
        return _fix_checked(source, settings, selected, unsafe, filename, skip, checked)
    finally:
        checked.analysis.release()  # made here, so let go here (the caller's own it keeps)


def _fix_checked(source: bytes, settings: Settings, selected: list[str], unsafe: bool, filename: str,
                 skip: Callable[[Finding], bool] | None, checked: CheckedModule) -> FixResult:
    analysis, tree, findings = checked.analysis, checked.analysis.tree, list(checked.findings)
    wanted = [f for f in findings if f.code in REWRITES and not (skip and skip(f))]
    if not wanted:
        return FixResult(source, [], [], findings)
    result, revealed = _Fixer(source, tree, analysis, selected, filename, findings).fix(wanted, unsafe)
    # A ``# noqa`` is read on the input's lines: ``at_input`` is the finding where its pause was.
    follow_up = [f for f, at_input in revealed
                 if f.code in REWRITES and f.code in selected and not (skip and skip(at_input))]
    if not follow_up:
        return result
    # The blind pauses the first round made visible get their own fix; findings of the first
    # round stay as they are (its output is the second round's input, and already checked).
    tree = parse_module(result.source, filename)
    analysis = ModuleAnalysis(tree, settings, filename, result.source)
    try:
        findings = check_analysis(analysis, selected)
        second, _ = _Fixer(result.source, tree, analysis, selected, filename, findings).fix(follow_up, unsafe)
    finally:
        analysis.release()
    return FixResult(second.source, result.applied, result.refused + second.refused, second.remaining,
                     {**result.notes, **second.notes})


@dataclass
class _Attempt:
    """One rewrite of the whole file with some of the edits, checked."""

    source: bytes
    findings: list[Finding]  # every rule's, in the new source
    problem: str | None = None  # why this rewrite may not be kept
    gone: set[Finding] = field(default_factory=set)  # findings of the input the new source no longer has
    # New FSR005 findings on blind pauses that were there, each with its place in the input.
    revealed: list[tuple[Finding, Finding]] = field(default_factory=list)


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
    def _pauses(self) -> list[Pause]:
        return ModuleFacts.of(self.analysis).pauses

    @cached_property
    def watched(self) -> list[str]:
        """The rules a fix may not add a finding of, whichever were selected: every rule that is on by
        default, and the selected ones. An off-by-default rule nobody selected (FSR901, which reads the
        whole project) is not asked: no rewrite of the others adds a wait, and its findings are not shown."""
        return [c for c in RULES if c in self.selected or RULES[c].default_enabled]

    @cached_property
    def baseline(self) -> list[Finding]:
        """The watched rules' findings in the input: a fix may not add one."""
        others = [c for c in self.watched if c not in self.selected]
        return sorted(set(self.findings) | set(check_analysis(self.analysis, others)))

    def fix(self, wanted: list[Finding], unsafe: bool) -> tuple[FixResult, list[tuple[Finding, Finding]]]:
        """The result, and the findings it revealed (see the module's docstring)."""
        edits, refused = self._plan(wanted, unsafe)
        outcome = None
        if edits:
            outcome, failed = self._rewrite(edits)
            refused.update(failed)
        if outcome is None or outcome.source == self.source:
            return FixResult(self.source, [], _refusals(refused), self.findings), []
        applied = [f for f in wanted if f in outcome.gone]
        still_refused = {f: reason for f, reason in refused.items() if f not in outcome.gone}
        remaining = [f for f in outcome.findings if f.code in self.selected]
        notes = {e.finding: e.notes for e in edits if e.notes and e.finding in outcome.gone and e.finding not in refused}
        return FixResult(outcome.source, applied, _refusals(still_refused), remaining, notes), outcome.revealed

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
                refused[finding] = f"{edit.unsafe_because}: {UNSAFE_ONLY}"
                continue
            edits.append(edit)
        return edits, refused

    def _rewrite(self, edits: list[Edit]) -> tuple[_Attempt | None, dict[Finding, str]]:
        """Apply all edits at once; if the result fails its check, add them one by one and keep those that pass."""
        from .codemods.base import ChangeFailed
        from .codemods.splicing import RegionFailed, SplicedRewrite

        rewrite = SplicedRewrite(self.source, self.tree, self.filename)
        refused: dict[Finding, str] = {}

        def attempt_or_refuse(trying: list[Edit]) -> _Attempt | None:
            """The checked attempt, or None when some edit of ``trying`` was refused (and so recorded)."""
            try:
                return self._attempt(rewrite, trying)
            except ChangeFailed as failure:
                refused[failure.edit.finding] = failure.reason
            except RegionFailed as failure:
                for edit in failure.edits:
                    refused[edit.finding] = failure.reason
            return None

        pending = list(edits)
        while pending:
            attempt = attempt_or_refuse(pending)
            if attempt is None:
                pending = [e for e in pending if e.finding not in refused]
                continue
            if attempt.problem is None:
                return attempt, refused
            break

        accepted: list[Edit] = []
        best: _Attempt | None = None
        for edit in pending:
            attempt = attempt_or_refuse(accepted + [edit])
            if attempt is None:
                continue
            if attempt.problem is not None:
                refused[edit.finding] = attempt.problem
                continue
            accepted.append(edit)
            best = attempt
        return best, refused

    def _attempt(self, rewrite: SplicedRewrite, edits: list[Edit]) -> _Attempt:
        from .codemods.base import ChangeFailed
        from .codemods.splicing import RegionFailed

        try:
            new_source = rewrite.apply(edits)
        except (ChangeFailed, RegionFailed):
            raise
        except RecursionError:  # LibCST recurses once per nested node: ``ast`` takes more than it does
            return _Attempt(self.source, [], TOO_DEEP_FOR_LIBCST)
        except Exception as error:  # which edit is to blame is found by adding them one by one
            return _Attempt(self.source, [], f"internal error while rewriting: {error!r}")
        return self._check(new_source, edits)

    def _check(self, new_source: bytes, edits: list[Edit]) -> _Attempt:
        try:
            tree = parse_module(new_source, self.filename)
            with warnings.catch_warnings():  # "assertion is always true" and the like: not ours to judge
                warnings.simplefilter("ignore")
                compile(tree, self.filename, "exec", dont_inherit=True)
        except (SyntaxError, ValueError, RecursionError) as error:
            return _Attempt(new_source, [], f"the rewritten code would not compile: {error}")
        try:
            # with its bytes, as the check reads the input: the same questions asked the same way (the
            # library table's daemon-thread starters, ``mentions``), or the rewrite's findings may differ
            analysis = ModuleAnalysis(tree, self.analysis.settings, self.analysis.filename, new_source)
            findings = check_analysis(analysis, self.watched)
            new_pauses = ModuleFacts.of(analysis).pauses
        except Exception as error:
            return _Attempt(new_source, [], f"internal error while checking the rewritten code: {error!r}")
        try:
            return self._judge(new_source, edits, findings, new_pauses)
        finally:
            analysis.release()  # the rewritten module's: once its pauses are judged, nothing asks it

    def _judge(self, new_source: bytes, edits: list[Edit], findings: list[Finding], new_pauses: list) -> _Attempt:
        """The rewrite's findings against the input's: what went, what came, and whether to keep it."""
        blocks = _matching_blocks(self.source, new_source)
        line_map = _line_map(blocks)
        pauses = _pause_map(blocks, line_map, self._pauses, new_pauses)
        pairs = _pair(line_map, pauses, self.baseline, findings)
        attempt = _Attempt(new_source, findings, gone={f for f in self.baseline if f not in pairs})
        kept = set(pairs.values())
        added = [f for f in findings if f not in kept]
        blind_before = {new.position: old.position for old, new in pauses.items() if old.is_plain_sleep}
        for finding in added:
            was = blind_before.get((finding.line, finding.col))
            if finding.code == _REVEALED_BY_FIXES and was is not None:
                attempt.revealed.append((finding, Finding(*was, finding.code, finding.message)))
        added = [f for f in added if (f.line, f.col) not in blind_before or f.code != _REVEALED_BY_FIXES]
        if added:
            attempt.problem = f"the rewrite would make {added[0].code} fire: {_detail(added[0])}"
        hidden = _hidden(attempt.gone, edits)
        if hidden:
            attempt.problem = (f"the rewrite would hide {hidden[0].code} without fixing it: {_detail(hidden[0])}")
        for edit in edits:
            if edit.finding in pairs:
                attempt.problem = "the rewrite would not make the finding go away"
        return attempt


def _hidden(gone: set[Finding], edits: list[Edit]) -> list[Finding]:
    """Findings that went away although no edit fixes them and none declares it may (see ``Edit.also_fixes``)."""
    if any(edit.also_fixes is None for edit in edits):
        return []
    fixed = {edit.finding for edit in edits}
    settled = set().union(*(edit.also_fixes for edit in edits))
    return sorted(f for f in gone if f not in fixed and f.code not in settled)


def _refusals(refused: dict[Finding, str]) -> list[Refusal]:
    return [Refusal(f.line, f.col, f.code, reason) for f, reason in sorted(refused.items())]


def _detail(finding: Finding) -> str:
    return finding.message[len(finding.code):].strip()



# The one rule whose new findings a fix may reveal rather than cause: see the module's docstring.
_REVEALED_BY_FIXES = "FSR005"


def _matching_blocks(old: bytes, new: bytes) -> list[Match]:
    """The runs of lines the rewrite left as they were (0-based)."""
    return matching_blocks(old.splitlines(), new.splitlines())


def _line_map(blocks: list[Match]) -> dict[int, int]:
    """Line numbers of the old source that survive unchanged, mapped to where they are in the new one."""
    mapping = {}
    for block in blocks:
        for offset in range(block.size):
            mapping[block.a + offset + 1] = block.b + offset + 1
    return mapping


def _pause_map(blocks: list[Match], line_map: dict[int, int], old: list[Pause],
               new: list[Pause]) -> dict[Pause, Pause]:
    """Which pause of the new source each old one became.

    On an unchanged line, the pause at the same column. Between two runs of
    unchanged lines (the lines a rewrite replaced), the pauses in the order
    they come: a rewrite respells a pause (``time.sleep`` -> ``await
    asyncio.sleep``, a sleep -> a wait on the stop event) but adds none, so the
    n-th pause of the old lines is the n-th of the new ones.
    """
    by_place = {p.position: p for p in new}
    mapping: dict[Pause, Pause] = {}
    for pause in old:
        line = line_map.get(pause.position[0])
        match = by_place.get((line, pause.position[1])) if line else None
        if match is not None:
            mapping[pause] = match
    old_end = new_end = 0  # where the previous run of unchanged lines ended (0-based, exclusive)
    for block in blocks:
        replaced = [p for p in old if old_end < p.position[0] <= block.a]
        written = [p for p in new if new_end < p.position[0] <= block.b]
        mapping.update(zip(replaced, written))
        old_end, new_end = block.a + block.size, block.b + block.size
    return mapping


def _pair(line_map: dict[int, int], pauses: dict[Pause, Pause], old: list[Finding],
          new: list[Finding]) -> dict[Finding, Finding]:
    """Which old finding each new one is: same code at the same place on an unchanged line, or
    same code on the pause it was on, or same code and column on a rewritten line. A new finding
    without a pair is one the rewrite added."""
    by_place = {(f.code, f.line, f.col): f for f in new}
    pairs: dict[Finding, Finding] = {}
    for finding in old:
        line = line_map.get(finding.line)
        match = by_place.get((finding.code, line, finding.col)) if line else None
        if match is not None:
            pairs[finding] = match
    taken = set(pairs.values())
    pause_images = {old_pause.position: new_pause.position for old_pause, new_pause in pauses.items()}
    for finding in old:
        image = pause_images.get((finding.line, finding.col))
        if finding in pairs or image is None:
            continue
        match = by_place.get((finding.code, *image))
        if match is not None and match not in taken:
            pairs[finding] = match
            taken.add(match)
    images = set(line_map.values())
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
