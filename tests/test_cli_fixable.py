"""``[*]``, "N fixable" and the JSON ``fixable`` promise exactly what ``fs-lint fix`` then does.

Over every rule and fix fixture: the findings ``check`` marks ``[*]`` are the
fixes ``fix --diff --show-fixes`` lists, finding by finding; those the hint
counts as "more with `--unsafe-fixes`" are the fixes ``fix`` holds back as
unsafe; and ``fix --check`` fails exactly when ``check`` says something is fixable.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PATHS = ("fixtures/rules", "fixtures/fixes")
SELECT = ("--isolated", "--select", "FSR0,FSR901")
APPLIED = re.compile(r"^    (\S+):(\d+):(\d+): (FSR\d+) ", re.MULTILINE)
SUMMARY = re.compile(r"^Found (\d+) findings?(?: \((\d+) fixable with `fs-lint fix`(?:; (\d+) more with "
                     r"`--unsafe-fixes`)?\))?", re.MULTILINE)


def fs_lint(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fs_lint", *argv], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, check=False)


HELD_BACK = re.compile(r"^(\S+):(\d+):(\d+): (FSR\d+) not fixed: .*: an unsafe fix, applied only with "
                       r"--unsafe-fixes$", re.MULTILINE)


@pytest.fixture(scope="module")
def fix_lists() -> dict[str, set[tuple[str, int, int, str]]]:
    """Which findings ``fix`` fixes, and which it holds back as unsafe: (file, line, column, code)."""
    run = fs_lint("fix", *SELECT, "--diff", "--show-fixes", *PATHS)
    lists = {"safe": {(path, int(line), int(col), code) for path, line, col, code in APPLIED.findall(run.stderr)},
             "held back": {(path, int(line), int(col), code)
                           for path, line, col, code in HELD_BACK.findall(run.stderr)}}
    assert lists["safe"] and lists["held back"], "the fixtures must have both kinds of fix"
    return lists


def test_every_marked_finding_is_fixed_and_every_fixed_finding_marked(
        fix_lists: dict[str, set[tuple[str, int, int, str]]]) -> None:
    run = fs_lint("check", *SELECT, *PATHS)
    marked = {(path, int(line), int(col), code)
              for path, line, col, code in re.findall(r"^(\S+):(\d+):(\d+): (FSR\d+) \[\*\] ", run.stdout, re.M)}
    assert marked == fix_lists["safe"]
    total, fixable, more = SUMMARY.search(run.stderr).groups()  # type: ignore[union-attr]
    assert int(fixable) == len(fix_lists["safe"])
    assert int(more) == len(fix_lists["held back"])
    assert int(total) > int(fixable) + int(more), "some findings have no fix: the fixtures show that too"


def test_json_fixable_is_the_same_promise(fix_lists: dict[str, set[tuple[str, int, int, str]]]) -> None:
    items = json.loads(fs_lint("check", *SELECT, "--format", "json", *PATHS).stdout)
    fixable = {(i["filename"], i["line"], i["column"], i["code"]) for i in items if i["fixable"]}
    assert fixable == fix_lists["safe"]
    assert any(i["fix"] == "safe" and not i["fixable"] for i in items), "a safe rule's refused finding"


def test_statistics_mark_all_some_or_none() -> None:
    rows = fs_lint("check", *SELECT, "--statistics", *PATHS).stdout.splitlines()
    markers = dict(re.match(r"\s*\d+  (FSR\d+)  (.{3}) ", row).groups() for row in rows)  # type: ignore[union-attr]
    assert markers["FSR002"] == "[~]"  # some of FSR002's findings are refused (fixtures/rules/FSR002/flagged.py)
    assert markers["FSR006"] == "   "  # unsafe fixes only
    # every one of them fixed (FSR003/flagged.py no longer: since the fixes depend on the target
    # Python, a cancellation caught around awaited work is refused before 3.11 with no stop flag)
    alone = fs_lint("check", *SELECT, "--statistics", "fixtures/rules/FSR007/flagged.py").stdout
    assert "  FSR007  [*] blocking-sleep-in-async-retry-loop\n" in alone


@pytest.mark.parametrize("name", ["FSR001/async_loops.py", "FSR002/flagged.py", "FSR005/ceilings_flagged.py"])
def test_fix_check_fails_exactly_when_check_promises_a_fix(name: str) -> None:
    path = f"fixtures/rules/{name}"
    check = fs_lint("check", *SELECT, path)
    promised = SUMMARY.search(check.stderr).group(2)  # type: ignore[union-attr]
    pending = fs_lint("fix", *SELECT, "--check", path)
    assert pending.returncode == (1 if promised else 0), (check.stderr, pending.stderr)


def test_a_file_with_too_many_findings_is_not_promised_and_says_so(tmp_path: Path) -> None:
    """Above FIXABILITY_LIMIT the fixer's planning would take minutes: check says it did not work it out."""
    from fs_lint.fixability import FIXABILITY_LIMIT

    # One finding each, FSR002 on the handler (the loop it swallows the cancellation of is the same hazard).
    one = ("\n\nasync def consume_{i}(broker):\n    while True:\n        try:\n            return await broker.connect()\n"
           "        except BaseException:\n            await asyncio.sleep(1)\n")
    count = FIXABILITY_LIMIT + 1
    (tmp_path / "many.py").write_text("import asyncio\n" + "".join(one.format(i=i) for i in range(count)))
    run = subprocess.run([sys.executable, "-m", "fs_lint", "check", "--isolated", "many.py"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=600, check=False)
    assert "[*]" not in run.stdout
    assert run.stderr == (f"Found {count} findings (not worked out in 1 file of more than {FIXABILITY_LIMIT} "
                          "findings: `fs-lint fix --diff` shows them).\n")


def test_the_answer_is_the_same_from_the_checks_own_analysis() -> None:
    """``check`` hands the fixer the analysis it made, instead of a second parse: the promise must not move.
    A file-level ``# flake8: noqa: FSR001`` makes the check run fewer rules than the fixer: then the fixer
    starts afresh."""
    from fs_lint.file_check import check_bytes_keeping
    from fs_lint.fixability import fixability
    from fs_lint.settings import Settings

    settings = Settings()
    paths = sorted(p for folder in PATHS for p in (ROOT / folder).rglob("*.py"))
    compared = 0
    for path in paths:
        source = path.read_bytes()
        for text in (source, b"# flake8: noqa: FSR001\n" + source):
            try:
                findings, checked = check_bytes_keeping(text, settings, None, str(path))
            except SyntaxError:
                continue
            if not findings:
                continue
            assert fixability(text, settings, None, str(path), findings, checked=checked) == \
                fixability(text, settings, None, str(path), findings), path
            compared += 1
    assert compared > 40
