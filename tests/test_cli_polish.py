"""What a user reads: colour on a terminal (and NO_COLOR, --color), "not fixed" under its file's header,
a notebook refused by name, a form feed that costs no fix, and syntax that needs a newer Python named as such.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from fs_lint.cli.main import main
from tests.swallowing_loops import SWALLOWING_LOOP
from tests.test_cli_reporting import HAZARD as RETRYING_HAZARD

HAZARD = SWALLOWING_LOOP
ESCAPE = "\x1b["


def on_a_terminal(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    """stdout of ``fs-lint ARGV`` when stdout is a terminal (a pseudo-terminal)."""
    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "fs_lint", *argv], cwd=cwd, stdout=follower,
                               stderr=subprocess.DEVNULL, env={**os.environ, **(env or {})})
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the other end is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks).decode()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "svc.py").write_text(HAZARD)
    return tmp_path


def test_colour_on_a_terminal_and_not_elsewhere(project: Path) -> None:
    environment = {key: value for key, value in os.environ.items() if key not in ("NO_COLOR", "TERM")}
    coloured = on_a_terminal(["check", "--isolated", "svc.py"], project, {"TERM": "xterm", "NO_COLOR": ""})
    assert f"{ESCAPE}1msvc.py{ESCAPE}0m:" in coloured and f"{ESCAPE}36m[*]{ESCAPE}0m" in coloured
    assert ESCAPE not in on_a_terminal(["check", "--isolated", "svc.py"], project, {"NO_COLOR": "1"})
    assert ESCAPE not in on_a_terminal(["check", "--isolated", "--color", "never", "svc.py"], project)
    piped = subprocess.run([sys.executable, "-m", "fs_lint", "check", "--isolated", "svc.py"], cwd=project,
                           capture_output=True, text=True, env=environment)
    assert ESCAPE not in piped.stdout + piped.stderr and "svc.py:8:9: FSR002 [*] " in piped.stdout
    forced = subprocess.run([sys.executable, "-m", "fs_lint", "check", "--isolated", "--color", "always", "svc.py"],
                            cwd=project, capture_output=True, text=True, env={**environment, "NO_COLOR": "1"})
    assert ESCAPE in forced.stdout  # asked for by name: the flag wins over NO_COLOR
    subprocess.run([sys.executable, "-m", "fs_lint", "check", "--isolated", "--color", "always", "-o", "out.txt",
                    "svc.py"], cwd=project, capture_output=True, env=environment)
    assert ESCAPE not in (project / "out.txt").read_text()  # a report in a file stays plain


def test_not_fixed_comes_under_its_files_header(project: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    retried = RETRYING_HAZARD  # FSR004 refused as unsafe, FSR001 refused, FSR002 fixed
    (project / "other.py").write_text(retried)
    (project / "svc.py").write_text(retried)
    monkeypatch.chdir(project)
    assert main(["fix", "--isolated", "--color", "never", "other.py", "svc.py"]) == 1
    lines = capsys.readouterr().out.splitlines()
    loop = "FSR001 not fixed: no shutdown flag or event found for the loop at line 10"
    refused = ("FSR004 not fixed: `stop=stop_after_delay(300)` makes the policy give up after 300 s, so a call that "
               "used to succeed after a longer outage raises instead: an unsafe fix, applied only with --unsafe-fixes")
    assert lines == [
        "fixed other.py (1 fix)", f"other.py:5:2: {refused}", f"other.py:10:1: {loop}",
        "fixed svc.py (1 fix)", f"svc.py:5:2: {refused}", f"svc.py:10:1: {loop}",
        "fs-lint: 2 files changed, 2 fixes applied, 4 findings left",
    ]


NOTEBOOK = '{"cells": [{"cell_type": "code", "source": ["while True:\\n", "    pass\\n"]}], "nbformat": 4}\n'


@pytest.mark.parametrize("command", ["check", "fix"])
def test_a_named_notebook_is_refused_by_name(project: Path, command: str) -> None:
    (project / "explore.ipynb").write_text(NOTEBOOK)
    run = subprocess.run([sys.executable, "-m", "fs_lint", command, "--isolated", "explore.ipynb"], cwd=project,
                         capture_output=True, text=True)
    assert run.returncode == 1
    assert ("fs-lint: error: explore.ipynb: a Jupyter notebook, which fs-lint does not check (it checks Python "
            "source files): export its code with `jupyter nbconvert --to script` to check it\n") in run.stderr
    assert (project / "explore.ipynb").read_text() == NOTEBOOK
    buffer = subprocess.run([sys.executable, "-m", "fs_lint", command, "--isolated", "--stdin-filename",
                             "explore.ipynb", "-"], cwd=project, input=NOTEBOOK, capture_output=True, text=True)
    assert buffer.returncode == 1 and "a Jupyter notebook" in buffer.stderr


def test_a_form_feed_in_an_unrelated_indent_costs_no_fix(project: Path, capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    paged = HAZARD + "\n\ndef page_two():\n\f    return 2\n"
    paged = "import time\n\n\ndef page_one():\n\f    return 1\n" + paged.split("\n", 1)[1]
    (project / "svc.py").write_text(paged)
    monkeypatch.chdir(project)
    main(["fix", "--isolated", "--select", "FSR002", "svc.py"])
    out = capsys.readouterr().out
    assert "internal error" not in out and "fixed svc.py (1 fix)" in out
    assert "except KeyboardInterrupt:\n            raise\n" in (project / "svc.py").read_text()


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="the constructs below parse on 3.12")
@pytest.mark.parametrize(("source", "line", "what"), [
    ("type Alias = list[int]\n", 1, "a `type` statement"),
    ("def first[T](items: list[T]) -> T:\n    return items[0]\n", 1, "a generic function (`def f[T]()`)"),
    ("class Box[T]:\n    pass\n", 1, "a generic class (`class C[T]`)"),
    ('names = {"a": 1}\nprint(f"{names["a"]}")\n', 2, "an f-string that uses its own quotes inside `{}`"),
    ('rows = [1, 2]\nprint(\n    f"rows: {\n        [row * 2 for row in rows]\n    }"\n)\n', 3,
     "an f-string whose `{}` goes on over several lines"),
])
def test_newer_syntax_says_which_python_it_needs(project: Path, source: str, line: int, what: str) -> None:
    (project / "new.py").write_text(source)
    run = subprocess.run([sys.executable, "-m", "fs_lint", "check", "--isolated", "new.py"], cwd=project,
                         capture_output=True, text=True)
    running = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert f"new.py: syntax error at line {line}: needs Python 3.12+ (fs-lint runs on {running}): " \
           f"{what}\n" in run.stderr
    assert run.returncode == 1


def test_an_ordinary_syntax_error_keeps_pythons_words(project: Path) -> None:
    (project / "typo.py").write_text("print(x y)\ntype = 3\n")
    run = subprocess.run([sys.executable, "-m", "fs_lint", "check", "--isolated", "typo.py"], cwd=project,
                         capture_output=True, text=True)
    assert "typo.py: syntax error at line 1: invalid syntax. Perhaps you forgot a comma?" in run.stderr
