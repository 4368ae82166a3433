"""The fix fixtures: each ``fixtures/fixes/<CODE>/<case>.py`` with its committed result.

``<case>.fixed.py`` is what ``fs-lint fix`` makes of the case and ``<case>.diff``
the same change as a unified diff, headed by one ``# refused`` line per finding
left alone, with the reason. When ``--unsafe-fixes`` would do more, the case
also has ``<case>.unsafe.fixed.py`` and ``<case>.unsafe.diff``. The ``all``
folder runs every rule at once. ``pytest --regen-fixes`` rewrites the expected
files; without it they are compared byte for byte.

Every case, safe and unsafe, is also held to the guarantees of the engine:
the result compiles, the fixed findings are gone and no new one appears, a
second run changes nothing, and only the flagged loops and handlers changed
(comments, quotes, blank lines, line endings, encoding and BOM included).
"""

from __future__ import annotations

import ast
import difflib
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from fs_lint.checker import check_source
from fs_lint.fixing import FixResult, fix_source
from fs_lint.retry_loops import ModuleAnalysis
from fs_lint.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
FIXES = ROOT / "fixtures" / "fixes"
SETTINGS = Settings()


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

    def fix(self, unsafe: bool) -> FixResult:
        return fix_source(self.source, SETTINGS, self.codes, unsafe, str(self.path))


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

    found_before = check_source(before, SETTINGS, case.codes)
    found_after = check_source(after, SETTINGS, case.codes)
    assert result.remaining == found_after
    assert len(found_after) == len(found_before) - len(result.applied)
    assert not Counter(f.message for f in found_after) - Counter(f.message for f in found_before), "a new finding"
    assert {(f.line, f.code) for f in result.applied} <= {(f.line, f.code) for f in found_before}
    every_rule_before = Counter(f.message for f in check_source(before, SETTINGS))
    every_rule_after = Counter(f.message for f in check_source(after, SETTINGS))
    assert not every_rule_after - every_rule_before, "the fix made another rule fire"
    assert not any("internal error" in r.reason for r in result.refused)

    again = fix_source(after, SETTINGS, case.codes, unsafe, case.id)
    assert again.source == after, "a second run changed the file again"
    assert not again.applied

    _assert_only_flagged_code_changed(before, after, result)
    assert _line_endings(after) <= _line_endings(before), "the fix wrote a line ending the file did not use"
    assert after.startswith(b"\xef\xbb\xbf") == before.startswith(b"\xef\xbb\xbf")


def _line_endings(source: bytes) -> set[bytes]:
    return {line[len(line.rstrip(b"\r\n")):] for line in source.splitlines(keepends=True)} - {b""}


def _assert_only_flagged_code_changed(before: bytes, after: bytes, result: FixResult) -> None:
    """Every changed line (line endings included) lies in a loop or handler that had a fixed finding."""
    spans = _flagged_spans(before, result)
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, _j1, _j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        first, last = (i1 + 1, i2) if i2 > i1 else (i1, i1 + 1)  # an insertion sits between two lines
        assert any(start <= first and last <= end + 1 for start, end in spans), (
            f"lines {first}-{last} changed outside the flagged loops and handlers {spans}")


def _flagged_spans(source: bytes, result: FixResult) -> list[tuple[int, int]]:
    analysis = ModuleAnalysis(ast.parse(source), SETTINGS)
    spans = []
    for finding in result.applied:
        for loop in analysis.loops:
            if loop.position == (finding.line, finding.col):
                spans.append((loop.node.lineno, loop.node.end_lineno))
        for handler in analysis.handlers:
            if handler.position == (finding.line, finding.col):
                node = handler.statement if handler.is_suppress else handler.node
                spans.append((node.lineno, node.end_lineno))
    return spans


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
        names = {c.path.stem for c in CASES if c.path.parent.name == code}
        assert {"crlf", "latin1", "bom"} <= names, f"{code} lacks the byte-preservation cases"
