"""One configuration and one noqa dialect for every front end, run for real.

``[tool.fs-lint]`` is read by ``fs-lint check``, by the flake8 plugin (where
``[flake8] fsr-*`` wins) and by the LibCST codemods; a ``# noqa`` means the same
in each of them.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from tests.expected_rewrites import let_stop_through

HAZARD = textwrap.dedent("""\
    import time


    def poll():
        while True:
            try:
                conn.connect()
            except BaseException:
                time.sleep(1)


    def close():  # the stop path the loop defeats (FSR001): it retries what close() shut
        conn.close()
""")

DRAINING = textwrap.dedent("""\
    import threading, time


    class Worker(threading.Thread):  # a non-daemon thread: the interpreter waits for its loop
        def run(self):
            while not self.draining:
                try:
                    self.conn.connect()
                except Exception:
                    time.sleep(1)


    def start():
        Worker().start()
""")

_LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):\d+: (?P<code>FSR\d+) ", re.MULTILINE)


def run(*argv: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *argv], cwd=cwd, capture_output=True, text=True,
                          input=stdin, timeout=180, check=False)


def findings(output: str) -> set[tuple[str, int, str]]:
    return {(m["path"], int(m["line"]), m["code"]) for m in _LINE.finditer(output)}


def cli(project: Path, *paths: str) -> set[tuple[str, int, str]]:
    return findings(run("fs_lint", "check", *paths, cwd=project).stdout)


def flake8(project: Path, *args: str) -> subprocess.CompletedProcess:
    return run("flake8", "--select", "FSR", *args, cwd=project)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "worker.py").write_text(HAZARD)
    (tmp_path / "drain.py").write_text(DRAINING)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text(HAZARD)
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent("""\
        [tool.fs-lint]
        ignore = ["FSR001"]
        extend-shutdown-names = ["draining"]
        per-file-ignores = { "tests/*" = ["FSR002"] }
    """))
    return tmp_path


def test_flake8_reads_tool_fs_lint_like_the_cli(project: Path) -> None:
    paths = ("worker.py", "drain.py", "tests/test_x.py")
    expected = {("worker.py", 8, "FSR002")}  # FSR001 ignored, draining is a shutdown word, tests/ spared FSR002
    assert cli(project, *paths) == expected
    result = flake8(project, *paths)
    assert result.stderr == ""
    assert findings(result.stdout) == expected


def test_flake8_isolated_reads_no_tool_fs_lint(project: Path) -> None:
    result = flake8(project, "--isolated", "worker.py")
    assert {code for _, _, code in findings(result.stdout)} == {"FSR001", "FSR002"}


def test_flake8_fsr_options_win_over_tool_fs_lint(project: Path) -> None:
    # [tool.fs-lint] says draining is a shutdown word; flake8's own option replaces the list
    (project / ".flake8").write_text("[flake8]\nfsr-shutdown-names = stop\n")
    (project / "pyproject.toml").write_text('[tool.fs-lint]\nextend-shutdown-names = ["draining"]\n')
    assert cli(project, "drain.py") == set()
    assert findings(flake8(project, "drain.py").stdout) == {("drain.py", 6, "FSR001")}
    # a boolean given false in flake8's config is "given", and wins over true in [tool.fs-lint]
    (project / ".flake8").write_text("[flake8]\nfsr-async-requires-check = false\n")
    (project / "pyproject.toml").write_text("[tool.fs-lint]\nasync-requires-check = true\n")
    (project / "a.py").write_text(textwrap.dedent("""\
        import asyncio


        async def poll(conn):
            while True:
                try:
                    await conn.connect()
                except ConnectionError:
                    await asyncio.sleep(1)
    """))
    assert {code for _, _, code in cli(project, "a.py")} == {"FSR001"}
    assert findings(flake8(project, "a.py").stdout) == set()


def test_broken_config_stops_flake8_with_the_cli_s_message(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.fs-lint]\nselect = ["FSR999"]\n')
    result = flake8(project, "worker.py")
    assert result.returncode != 0
    assert "fs-lint: error: pyproject.toml: [tool.fs-lint] select: 'FSR999' is not a known fs-lint code" \
        in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    cli_result = run("fs_lint", "check", "worker.py", cwd=project)
    assert cli_result.returncode == 2
    assert "'FSR999' is not a known fs-lint code" in cli_result.stderr


NOQA_CASES = {
    "lower case codes": HAZARD.replace("except BaseException:", "except BaseException:  # NOQA: fsr002"),
    "the closing line of a multi-line except": HAZARD.replace(
        "except BaseException:", "except (\n            ValueError,\n            BaseException,\n        ):  # noqa: FSR002"),
    "file level": "# fs-lint: noqa\n" + HAZARD,
    "file level with a code": "# fs-lint: noqa: FSR002\n" + HAZARD,
}


@pytest.mark.parametrize("case", sorted(NOQA_CASES))
def test_one_noqa_dialect_in_both_front_ends(tmp_path: Path, case: str) -> None:
    (tmp_path / "m.py").write_text(NOQA_CASES[case])
    from_cli = findings(run("fs_lint", "check", "--isolated", "m.py", cwd=tmp_path).stdout)
    from_flake8 = findings(flake8(tmp_path, "--isolated", "m.py").stdout)
    assert from_cli == from_flake8
    assert "FSR002" not in {code for _, _, code in from_cli}
    if case == "file level with a code":
        assert {code for _, _, code in from_cli} == {"FSR001"}  # only the code named is silenced
    if case == "file level":
        assert from_cli == set()


def test_codemod_honours_noqa_and_the_config(tmp_path: Path) -> None:
    silenced = HAZARD.replace("except BaseException:", "except BaseException:  # noqa: FSR002")
    (tmp_path / "silenced.py").write_text(silenced)
    (tmp_path / "ignored.py").write_text(HAZARD)
    (tmp_path / "fixed.py").write_text(HAZARD)
    (tmp_path / "pyproject.toml").write_text('[tool.fs-lint]\nper-file-ignores = { "ignored.py" = ["FSR002"] }\n')
    completed = run("libcst.tool", "codemod", "--no-format", "-x",
                    "fs_lint.libcst_codemods.LetStopThroughBroadHandler", ".", cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert (tmp_path / "silenced.py").read_text() == silenced
    assert (tmp_path / "ignored.py").read_text() == HAZARD
    assert (tmp_path / "fixed.py").read_text() == let_stop_through(HAZARD)
    # and the same as fs-lint fix, byte for byte
    (tmp_path / "again.py").write_text(HAZARD)
    run("fs_lint", "fix", "--select", "FSR002", "again.py", cwd=tmp_path)
    assert (tmp_path / "again.py").read_text() == (tmp_path / "fixed.py").read_text()
