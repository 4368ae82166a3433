"""The fix fixtures: each ``fixtures/fixes/<CODE>/<case>.py`` with its committed result.

``<case>.fixed.py`` is what ``fs-lint fix`` makes of the case and ``<case>.diff``
the same change as a unified diff, headed by one ``# refused`` line per finding
left alone, with the reason, and one ``# note`` line per thing a fix did besides
the fix (a comment it made false, removed), as ``--show-fixes`` lists them. When ``--unsafe-fixes`` would do more, the case
also has ``<case>.unsafe.fixed.py`` and ``<case>.unsafe.diff``. The ``all``
folder runs every rule at once. ``pytest --regen-fixes`` rewrites the expected
files; without it they are compared byte for byte.

Every case, safe and unsafe, is also held to the guarantees of the engine:
the result compiles, the fixed findings are gone and no new one appears, a
second run changes nothing, and only the flagged code and the imports changed
(comments, quotes, blank lines, line endings, encoding and BOM included).
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from fs_lint.checker import check_source
from fs_lint.findings import Finding
from fs_lint.fixing import FixResult, fix_source
from fs_lint.analysis.module_facts import ModuleFacts
from fs_lint.analysis.retry_loops import ModuleAnalysis
from fs_lint.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
FIXES = ROOT / "fixtures" / "fixes"
SETTINGS = Settings()
STRICT = Settings(strict=True)


@dataclass(frozen=True)
class FixCase:
    path: Path

    @property
    def id(self) -> str:
        return str(self.path.relative_to(FIXES))

    @property
    def codes(self) -> list[str] | None:
        folder = self.path.parent.name
        return None if folder == "all" else [folder]

    @property
    def source(self) -> bytes:
        return self.path.read_bytes()

    def expected(self, unsafe: bool) -> tuple[Path, Path]:
        stem = self.path.name[: -len(".py")] + (".unsafe" if unsafe else "")
        return self.path.with_name(stem + ".fixed.py"), self.path.with_name(stem + ".diff")

    @property
    def settings(self) -> Settings:
        """``strict_*`` cases show rewrites of shapes that only the strict mode reports (a policy
        with no stop path to defeat): the rewrite is the same in both modes. The cases are code for
        Python 3.11 and newer (``target-version = "py311"``), unless their name says ``py310``: the
        rewrites then use only what 3.10 has."""
        if self.path.name.startswith("test_"):  # test code, read as the strict mode with include-tests reads it
            settings = dataclasses.replace(STRICT, include_tests=True)
        else:
            settings = STRICT if self.path.name.startswith("strict_") else SETTINGS
        return settings.replace(target_version=(3, 10) if "py310" in self.path.name else (3, 11))

    def fix(self, unsafe: bool) -> FixResult:
        return fix_source(self.source, self.settings, self.codes, unsafe, str(self.path))


def _is_input(path: Path) -> bool:
    return not path.name.endswith(".fixed.py")


def all_cases() -> list[FixCase]:
    cases = [FixCase(p) for p in sorted(FIXES.rglob("*.py")) if _is_input(p)]
    if sys.version_info < (3, 11):  # pragma: no cover - except* is 3.11 syntax
        cases = [c for c in cases if not c.path.stem.endswith("_py311")]
    return cases


CASES = all_cases()


def render_diff(case: FixCase, result: FixResult) -> bytes:
    header = [f"# refused {r.line}:{r.col + 1} {r.code}: {r.reason}\n".encode() for r in result.refused]
    header += [f"# note {f.line}:{f.col + 1} {f.code}: {note}\n".encode()
               for f, notes in sorted(result.notes.items()) for note in notes]
    name = case.id.encode()
    diff = difflib.diff_bytes(difflib.unified_diff, case.source.splitlines(keepends=True),
                              result.source.splitlines(keepends=True), fromfile=b"a/" + name, tofile=b"b/" + name)
    return b"".join(header) + b"".join(diff)


@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_fix_matches_the_committed_result(case: FixCase, unsafe: bool, request: pytest.FixtureRequest) -> None:
    result = case.fix(unsafe)
    fixed_path, diff_path = case.expected(unsafe)
    if unsafe and result.source == case.fix(False).source:
        # --unsafe-fixes does nothing more here: no separate expectation to keep.
        if request.config.getoption("--regen-fixes", default=False):
            fixed_path.unlink(missing_ok=True)
            diff_path.unlink(missing_ok=True)
        assert not fixed_path.exists(), f"{fixed_path.name} is stale: --unsafe-fixes changes nothing more"
        return
    if request.config.getoption("--regen-fixes", default=False):
        fixed_path.write_bytes(result.source)
        diff_path.write_bytes(render_diff(case, result))
    assert fixed_path.exists(), f"run pytest --regen-fixes to create {fixed_path.name}"
    assert result.source == fixed_path.read_bytes()
    assert render_diff(case, result) == diff_path.read_bytes()


@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_fix_keeps_its_guarantees(case: FixCase, unsafe: bool) -> None:
    before, result = case.source, case.fix(unsafe)
    after = result.source
    compile(ast.parse(after), case.id, "exec")

    found_before = check_source(before, case.settings, case.codes)
    found_after = check_source(after, case.settings, case.codes)
    assert result.remaining == found_after
    assert {(f.line, f.code) for f in result.applied} <= {(f.line, f.code) for f in found_before}
    applied = Counter(f.code for f in result.applied)
    _assert_no_new_finding(before, after, found_before, found_after, applied, exact=True)
    every_rule_before, every_rule_after = check_source(before, case.settings), check_source(after, case.settings)
    _assert_no_new_finding(before, after, every_rule_before, every_rule_after, applied, exact=False)
    assert not any("internal error" in r.reason for r in result.refused)

    again = fix_source(after, case.settings, case.codes, unsafe, case.id)
    assert again.source == after, "a second run changed the file again"
    assert not again.applied

    _assert_only_flagged_code_changed(before, after, result)
    assert _line_endings(after) <= _line_endings(before), "the fix wrote a line ending the file did not use"
    assert after.startswith(b"\xef\xbb\xbf") == before.startswith(b"\xef\xbb\xbf")


def _assert_no_new_finding(before: bytes, after: bytes, found_before: list[Finding], found_after: list[Finding],
                           applied: Counter, exact: bool) -> None:
    """Per rule, the findings after are those before less the fixed ones (or fewer, unless ``exact``:
    a rule that was not selected may lose a finding to another rule's fix).

    Counted, not compared by message: a finding on a pause quotes the pause,
    and a fix may respell it (``time.sleep`` -> ``await asyncio.sleep``). The
    one exception: FSR005 may report more, on sleeps that were already there
    (a fix that adds a stop check makes the blind pause in that loop visible),
    so only when the fix added no plain sleep.
    """
    count_before = Counter(f.code for f in found_before)
    count_after = Counter(f.code for f in found_after)
    for code in set(count_before) | set(count_after):
        expected = count_before[code] - applied[code]
        if code == "FSR005" and count_after[code] > expected:
            assert _plain_sleeps(after) <= _plain_sleeps(before), "the fix added a blind pause"
            continue
        assert count_after[code] == expected if exact else count_after[code] <= expected, (
            f"{code}: {count_before[code]} before, {applied[code]} fixed, {count_after[code]} after")


def _plain_sleeps(source: bytes) -> int:
    analysis = ModuleAnalysis(ast.parse(source), SETTINGS)
    return sum(p.is_plain_sleep for p in ModuleFacts.of(analysis).pauses)


def _line_endings(source: bytes) -> set[bytes]:
    return {line[len(line.rstrip(b"\r\n")):] for line in source.splitlines(keepends=True)} - {b""}


def _assert_only_flagged_code_changed(before: bytes, after: bytes, result: FixResult) -> None:
    """Every changed line (line endings included) lies in the code of a fixed finding (its loop,
    handler, pause, statement or retry policy), or is an import the fix added, extended or removed."""
    spans = _flagged_spans(before, result)
    slots = _clause_slots(before, result)
    imports_before, imports_after = _import_lines(before), _import_lines(after)
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        old_lines, new_lines = range(i1 + 1, i2 + 1), range(j1 + 1, j2 + 1)
        if all(n in imports_before for n in old_lines) and all(
                n in imports_after or not new[n - 1].strip() for n in new_lines):
            continue
        first, last = (i1 + 1, i2) if i2 > i1 else (i1, i1 + 1)  # an insertion sits between two lines
        inserted = i2 == i1
        assert any(start <= first and last <= end + 1 for start, end in spans) or (
            inserted and any(slot <= last <= handler_line for slot, handler_line in slots)), (
            f"lines {first}-{last} changed outside the flagged code {spans}")


def _import_lines(source: bytes) -> set[int]:
    lines: set[int] = set()
    for statement in ast.parse(source).body:
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            lines.update(range(statement.lineno, statement.end_lineno + 1))
    return lines


def _flagged_spans(source: bytes, result: FixResult) -> list[tuple[int, int]]:
    """The lines of the code each fixed finding names: a loop or a handler (FSR001-FSR003), else the
    largest statement or expression that starts where the finding does (a pause, a growing
    assignment, a retry decorator), short of a whole ``def``; with the comment lines right above and
    below it."""
    tree = ast.parse(source)
    analysis = ModuleAnalysis(tree, SETTINGS)
    lines = source.splitlines()
    spans = []
    for finding in result.applied:
        place = (finding.line, finding.col)
        found = [(loop.node.lineno, loop.node.end_lineno) for loop in analysis.loops if loop.position == place]
        for handler in analysis.handlers:
            if handler.position == place:
                node = handler.statement if handler.is_suppress else handler.node
                found.append((node.lineno, node.end_lineno))
        if not found:
            found = [(n.lineno, n.end_lineno) for n in ast.walk(tree)
                     if isinstance(n, (ast.stmt, ast.expr)) and not isinstance(n, _DEFINITIONS)
                     and (n.lineno, n.col_offset) == place]
        assert found, f"no code starts where {finding} does"
        first, last = max(found, key=lambda span: span[1] - span[0])
        spans.append((_comments_above(lines, first), _comments_below(lines, last)))
    return spans


def _comments_above(lines: list[bytes], first: int) -> int:
    """The first line of the comment lines right above line ``first``: they speak of that code (a
    comment the fix makes false goes, see ``fs_lint.codemods.stale_words``)."""
    while first > 1 and lines[first - 2].strip().startswith(b"#"):
        first -= 1
    return first


def _comments_below(lines: list[bytes], last: int) -> int:
    """The last of the comment lines that end the block of line ``last`` (``ast`` ends a block at its
    last statement; a rewrite that wraps the block puts its clause after them)."""
    while last < len(lines) and lines[last].strip().startswith(b"#"):
        last += 1
    return last


def _clause_slots(source: bytes, result: FixResult) -> set[tuple[int, int]]:
    """Each fixed handler's place in its ``try``: from the line after the body or the clause before it
    (blank lines and comments above the handler included) to the handler's first line. FSR002's fix
    puts a clause of its own there."""
    analysis = ModuleAnalysis(ast.parse(source), SETTINGS)
    places = {(f.line, f.col) for f in result.applied}
    slots = set()
    for handler in analysis.handlers:
        if handler.position in places and not handler.is_suppress:
            clauses = handler.statement.handlers
            index = clauses.index(handler.node)
            before = clauses[index - 1] if index else handler.statement.body[-1]
            slots.add((before.end_lineno + 1, handler.node.lineno))
    return slots


_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def test_every_expected_file_has_its_case() -> None:
    inputs = {c.path for c in CASES}
    for path in FIXES.rglob("*"):
        if path.name.endswith(".fixed.py") or path.suffix == ".diff":
            stem = path.name.split(".")[0]
            assert path.with_name(stem + ".py") in inputs, f"{path.relative_to(FIXES)} has no input case"


def test_the_fixtures_cover_every_rule_with_a_fix() -> None:
    from fs_lint.codemods import REWRITES

    folders = {c.path.parent.name for c in CASES}
    assert set(REWRITES) <= folders
    for code in REWRITES:
        names = {c.path.stem.removeprefix("strict_") for c in CASES if c.path.parent.name == code}
        assert {"crlf", "latin1", "bom"} <= names, f"{code} lacks the byte-preservation cases"
