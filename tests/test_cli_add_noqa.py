"""``fs-lint check --add-noqa``: every current finding gets its ``# noqa``, once, and the codes already there stay."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fs_lint.cli.main import main

SOURCE = textwrap.dedent("""\
    import time


    def serve():
        while True:  # the main loop
            try:
                connect()
            except BaseException:  # noqa: E722
                time.sleep(1)


    def close():
        connect.close()
""")
MARKED = (SOURCE.replace("while True:  # the main loop", "while True:  # the main loop  # noqa: FSR001")
          .replace("except BaseException:  # noqa: E722", "except BaseException:  # noqa: E722, FSR002"))
# FSR003 on a handler whose line ends in a backslash: the comment goes on the next line of the statement
CONTINUED = textwrap.dedent("""\
    async def consume(broker):
        while True:
            try:
                return await broker.connect()
            except asyncio.CancelledError \\
                    :
                await asyncio.sleep(1)
""")


def run(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fs_lint", *argv], cwd=tmp_path, capture_output=True, text=True,
                          check=False)


def test_every_finding_is_silenced_once_and_the_codes_already_there_stay(tmp_path: Path) -> None:
    (tmp_path / "svc.py").write_text(SOURCE)
    added = run(tmp_path, "check", "--isolated", "--add-noqa")
    assert (added.returncode, added.stderr) == (0, "fs-lint: added noqa to 2 lines in 1 file\n")
    assert (tmp_path / "svc.py").read_text() == MARKED
    assert run(tmp_path, "check", "--isolated").returncode == 0
    again = run(tmp_path, "check", "--isolated", "--add-noqa")
    assert again.stderr == "fs-lint: added noqa to 0 lines in 0 files\n"
    assert (tmp_path / "svc.py").read_text() == MARKED  # idempotent
    flake8 = subprocess.run([sys.executable, "-m", "flake8", "--isolated", "--select", "FSR", "svc.py"],
                            cwd=tmp_path, capture_output=True, text=True, check=False)
    assert (flake8.returncode, flake8.stdout) == (0, "")  # the same comments silence them inside flake8


def test_a_line_that_cannot_end_in_a_comment_gives_it_to_the_next_line_of_its_statement(tmp_path: Path) -> None:
    (tmp_path / "consume.py").write_text("import asyncio\n\n\n" + CONTINUED)
    assert run(tmp_path, "check", "--isolated", "--add-noqa").returncode == 0
    text = (tmp_path / "consume.py").read_text()
    assert "except asyncio.CancelledError \\\n                :  # noqa: FSR003\n" in text
    assert run(tmp_path, "check", "--isolated").returncode == 0
    compile(text, "consume.py", "exec")


def test_line_endings_and_encoding_stay(tmp_path: Path) -> None:
    latin = ("# -*- coding: latin-1 -*-\n# caf\xe9\n" + SOURCE).replace("\n", "\r\n").encode("latin-1")
    (tmp_path / "svc.py").write_bytes(latin)
    assert run(tmp_path, "check", "--isolated", "--add-noqa").returncode == 0
    written = (tmp_path / "svc.py").read_bytes()
    assert written == ("# -*- coding: latin-1 -*-\n# caf\xe9\n" + MARKED).replace("\n", "\r\n").encode("latin-1")


@pytest.mark.parametrize("extra", [["--disable-noqa"], ["--format", "json"], ["--statistics"], ["-"]])
def test_add_noqa_does_not_go_with_modes_that_report(extra: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--isolated", "--add-noqa", *extra]) == 2
    assert "--add-noqa writes the comments into the files and reports nothing" in capsys.readouterr().err


def test_a_file_that_does_not_parse_is_named_and_the_others_get_their_comments(tmp_path: Path) -> None:
    (tmp_path / "svc.py").write_text(SOURCE)
    (tmp_path / "broken.py").write_text("def f(:\n")
    added = run(tmp_path, "check", "--isolated", "--add-noqa")
    assert added.returncode == 1 and "fs-lint: error: broken.py: syntax error at line 1" in added.stderr
    assert (tmp_path / "svc.py").read_text() == MARKED and (tmp_path / "broken.py").read_text() == "def f(:\n"
