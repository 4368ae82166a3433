"""Bad input, one row each: what ``check`` and ``fix`` say about it, and that nothing else suffers.

Every row puts one awkward file (``subject.py``) next to an ordinary one
(``svc.py``, two findings, one of them with a safe fix) and runs the real
``check`` and the real ``fix``. For every row: the subject gets at most one
line on stderr, ``fs-lint: error: subject.py: REASON``; the ordinary file is
still checked and fixed; the subject is rewritten only when the row says so,
and then exactly as it says; no temporary file is left behind.

Rows that other tests already cover for ``check`` alone (syntax errors, null
bytes, undecodable bytes, a FIFO, a link loop, a missing path, a broken
``[tool.fs-lint]``; see ``test_cli_check.py``, ``test_cli_config.py``) are
here only where ``fix`` had no test of its own.
"""

from __future__ import annotations

import os
import textwrap
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from fs_lint.cli.main import main
from tests.cli_output import unmarked, without_summary
from tests.expected_rewrites import let_stop_through

# FSR001 at 5:5 (no safe fix) and FSR002 at 8:9 (safe fix: let the stop requests through first)
SWALLOWS = textwrap.dedent("""\
    import time


    def serve():
        while True:
            try:
                work()
            except BaseException:
                time.sleep(1)


    def close():  # the stop path the loop defeats: it retries what close() shut
        work.close()
""")
FIXED = let_stop_through(SWALLOWS)
SVC_FINDINGS = ["svc.py:5:5: FSR001", "svc.py:8:9: FSR002"]


def _generated(megabytes: int) -> bytes:
    """A machine-written module of ``megabytes``: data embedded as a string (resources, a serialized
    descriptor), one line per record, with the retry loop at its end.

    (Ten megabytes of generated *code* is another matter: ``ast.parse`` alone needs about 2 GB for it,
    and LibCST far more; see docs/performance.md.)
    """
    records = "".join(f"{index:08d} {'x' * 66}\n" for index in range(megabytes * 1_000_000 // 76))
    return ('DATA = """\\\n' + records + '"""\n' + SWALLOWS).encode()


def _nested_calls(depth: int, in_the_loop: bool = True) -> bytes:
    """Within the parser's limits, but deeper than LibCST's recursive visitors reach: in the function
    that holds the finding (which LibCST must rewrite), or in a statement of its own (which it need not)."""
    deep = "f(" * depth + ")" * depth
    if in_the_loop:
        return SWALLOWS.replace("work()", f"work({deep})").encode()
    return (SWALLOWS + "VALUE = " + deep + "\n").encode()


@dataclass(frozen=True)
class Case:
    content: bytes | Callable[[Path], None]  # the bytes of subject.py, or what makes it
    error: str | None = None  # the reason on the subject's error line; None: no error line
    findings: tuple[str, ...] = ()  # "line:col: CODE" of the subject, in order
    fixed: bytes | None = None  # the subject after ``fix``; None: untouched


def _dangling(path: Path) -> None:
    path.symlink_to(path.parent / "gone.py")


def _read_only(path: Path) -> None:
    path.write_text(SWALLOWS)
    path.chmod(0o444)


GENERATED = _generated(10)
GENERATED_LINES = GENERATED.count(b"\n")
CASES: dict[str, Case] = {
    "crlf line endings: same positions, fixed with CRLF kept": Case(
        SWALLOWS.replace("\n", "\r\n").encode(), findings=("5:5: FSR001", "8:9: FSR002"),
        fixed=FIXED.replace("\n", "\r\n").encode()),
    "utf-8 bom: kept by the fix": Case(
        b"\xef\xbb\xbf" + SWALLOWS.encode(), findings=("5:5: FSR001", "8:9: FSR002"),
        fixed=b"\xef\xbb\xbf" + FIXED.encode()),
    "latin-1 coding cookie: the fix writes latin-1": Case(
        b"# -*- coding: latin-1 -*-\n# caf\xe9\n" + SWALLOWS.encode(), findings=("7:5: FSR001", "10:9: FSR002"),
        fixed=b"# -*- coding: latin-1 -*-\n# caf\xe9\n" + FIXED.encode()),
    "lone CR line endings: reported, not rewritten": Case(
        SWALLOWS.replace("\n", "\r").encode(), findings=("5:5: FSR001", "8:9: FSR002")),
    "a 10 MB generated module": Case(
        GENERATED, findings=(f"{GENERATED_LINES - 8}:5: FSR001", f"{GENERATED_LINES - 5}:9: FSR002"),
        fixed=let_stop_through(GENERATED)),
    "parentheses nested deeper than the parser allows": Case(
        (SWALLOWS + "x = " + "(" * 300 + ")" * 300 + "\n").encode(),
        error="syntax error at line 14: too many nested parentheses"),
    "indentation deeper than the parser allows": Case(
        (SWALLOWS + "".join("    " * i + "if x:\n" for i in range(110)) + "    " * 110 + "pass\n").encode(),
        error="syntax error at line 114: too many levels of indentation"),
    "an expression deeper than the recursion limit": Case(
        (SWALLOWS + "x = " + "+".join(["1"] * 200_000) + "\n").encode(),
        error="too deeply nested to analyse (hit the recursion limit)"),
    "an invalid escape under -W error is still valid code": Case(
        ('PATTERN = "\\d+"\n' + SWALLOWS).encode(), findings=("6:5: FSR001", "9:9: FSR002"),
        fixed=('PATTERN = "\\d+"\n' + FIXED).encode()),
    "a dangling symbolic link": Case(_dangling, error="cannot read: no such file (a dangling symbolic link?)"),
    "a read-only file that fix would change": Case(
        _read_only, findings=("5:5: FSR001", "8:9: FSR002"), error=None),
}
# What ``fix`` says on top of what ``check`` says (check has nothing to write).
FIX_ERRORS = {"a read-only file that fix would change": "not fixed: the file is read-only"}


def _make(root: Path, case: Case) -> None:
    subject = root / "subject.py"
    if callable(case.content):
        case.content(subject)
    else:
        subject.write_bytes(case.content)
    (root / "svc.py").write_text(SWALLOWS)


def _snapshot(root: Path) -> dict[str, bytes | None]:
    """Every file of the project; not fs-lint's own cache folder, which ``check`` may fill (as ruff's)."""
    return {name: (root / name).read_bytes() if (root / name).exists() else None for name in sorted(os.listdir(root))
            if name != ".fs-lint-cache"}


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # as under ``python -W error`` or PYTHONWARNINGS=error
        status = main([*argv, "--isolated", "subject.py", "svc.py"])
    out, err = capsys.readouterr()
    return status, unmarked(out), without_summary(err)


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                   capsys: pytest.CaptureFixture[str]) -> None:
    case = CASES[name]
    monkeypatch.chdir(tmp_path)
    _make(tmp_path, case)
    before = _snapshot(tmp_path)

    status, out, err = _run(capsys, "check")
    assert status == 1  # svc.py has findings
    assert err == ("" if case.error is None else f"fs-lint: error: subject.py: {case.error}\n")
    assert [line.split(" ")[0] + " " + line.split(" ")[1] for line in out.splitlines()] == [
        *(f"subject.py:{finding}" for finding in case.findings), *SVC_FINDINGS]
    assert _snapshot(tmp_path) == before  # check writes nothing

    status, out, err = _run(capsys, "fix")
    error = FIX_ERRORS.get(name, case.error)
    assert err == ("" if error is None else f"fs-lint: error: subject.py: {error}\n")
    assert status == 1  # a finding without a safe fix is left in svc.py
    after = _snapshot(tmp_path)
    assert after.pop("svc.py") == FIXED.encode()  # the ordinary file is fixed whatever its neighbour is
    expected = dict(before)
    expected.pop("svc.py")
    if case.fixed is not None:
        expected["subject.py"] = case.fixed
    assert after == expected  # nothing else written, no temporary file left
    assert "internal error" not in out + err


def test_deep_code_that_libcst_cannot_rewrite_is_refused_in_plain_words(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Parsed and checked fine, but too deep for LibCST: the fix is refused, not blamed on fs-lint."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "subject.py").write_bytes(_nested_calls(195))
    (tmp_path / "svc.py").write_text(SWALLOWS)
    status, out, err = _run(capsys, "check")
    assert (status, err) == (1, "")
    assert "subject.py:8:9: FSR002" in out
    status, out, err = _run(capsys, "fix")
    assert (tmp_path / "svc.py").read_text() == FIXED
    assert (tmp_path / "subject.py").read_bytes() == _nested_calls(195)
    refusals = [line for line in (out + err).splitlines() if line.startswith("subject.py:8:9: FSR002 not fixed: ")]
    assert len(refusals) == 1, out + err
    assert "too deeply nested" in refusals[0] and "internal error" not in refusals[0]


def test_deep_code_outside_the_function_being_fixed_does_not_stop_the_fix(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """LibCST is given only the function that holds the finding, so depth elsewhere costs nothing."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "subject.py").write_bytes(_nested_calls(195, in_the_loop=False))
    status, out, err = _run(capsys, "fix")
    assert (tmp_path / "subject.py").read_bytes() == let_stop_through(_nested_calls(195, in_the_loop=False))
    assert "subject.py:8:9: FSR002 not fixed" not in out + err
