"""CI that cannot pass by mistake: every likely mistake exits non-zero or says so, through the real command."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from tests.expected_rewrites import let_stop_through

HAZARD = textwrap.dedent("""\
    import time
    while True:
        try:
            connect()
        except BaseException:
            time.sleep(1)


    def close():  # the stop path the loop defeats: it retries what close() shut
        connect.close()
""")


def fs_lint(*argv: str, cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fs_lint", *argv], cwd=cwd, capture_output=True,
                          input=stdin if stdin is not None else b"", timeout=120, check=False)


def text(completed: subprocess.CompletedProcess) -> tuple[int, str, str]:
    return completed.returncode, completed.stdout.decode(), completed.stderr.decode()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "svc.py").write_text(HAZARD)
    (tmp_path / "ok.py").write_text("print('fine')\n")
    return tmp_path


def test_exit_zero_reports_but_exits_0(project: Path) -> None:
    status, out, err = text(fs_lint("check", "--isolated", "--exit-zero", "svc.py", cwd=project))
    assert status == 0
    assert "svc.py:2:1: FSR001" in out and "Found 2 findings" in err
    sarif = fs_lint("check", "--isolated", "--exit-zero", "--format", "sarif", "svc.py", cwd=project)
    assert sarif.returncode == 0 and b'"ruleId": "FSR001"' in sarif.stdout
    fixed = fs_lint("fix", "--isolated", "--exit-zero", "svc.py", cwd=project)
    assert fixed.returncode == 0  # FSR001 is left: no stop flag to check


def test_exit_zero_does_not_hide_configuration_errors_nor_unchecked_files(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.fs-lint]\nselect = ["FSR00"]\nignor = []\n')
    status, _, err = text(fs_lint("check", "--exit-zero", "svc.py", cwd=project))
    assert status == 2 and "did you mean 'ignore'?" in err
    (project / "pyproject.toml").unlink()
    assert fs_lint("check", "--exit-zero", "gone.py", cwd=project).returncode == 2
    (project / "bad.py").write_text("def f(:\n    pass\n")
    assert fs_lint("check", "--exit-zero", "bad.py", cwd=project).returncode == 1


@pytest.mark.parametrize(("argv", "suggestion"), [
    (["--select", "FSR008"], "did you mean 'FSR007'?"),
    (["--select", "FSR999"], "is not a known fs-lint code"),
    (["--select", "FSR01"], "is not a known fs-lint code"),
    (["--ignore", "FSR0O1"], "is not an fs-lint code or prefix"),
    (["--ignore", "FSR010"], "did you mean"),
    (["--extend-select", "FSR123"], "is not a known fs-lint code"),
    (["--per-file-ignores", "svc.py:FSR008"], "did you mean 'FSR007'?"),
])
def test_unknown_codes_on_the_command_line_are_errors(project: Path, argv: list[str], suggestion: str) -> None:
    status, out, err = text(fs_lint("check", "--isolated", *argv, "svc.py", cwd=project))
    assert (status, out) == (2, "")
    assert suggestion in err
    assert "`fs-lint rules` lists them" in err or "is not an fs-lint code" in err


@pytest.mark.parametrize("table", [
    'select = ["FSR008"]', 'ignore = ["FSR99"]', 'extend-select = ["FSR010"]',
    'per-file-ignores = { "tests/*" = ["FSR017"] }',
])
def test_unknown_codes_in_the_config_are_errors(project: Path, table: str) -> None:
    (project / "pyproject.toml").write_text(f"[tool.fs-lint]\n{table}\n")
    status, out, err = text(fs_lint("check", "svc.py", cwd=project))
    assert (status, out) == (2, "")
    assert err.startswith("fs-lint: error: pyproject.toml: [tool.fs-lint] ") and err.count("\n") == 1
    assert "is not a known fs-lint code" in err


def test_prefixes_that_name_rules_are_fine(project: Path) -> None:
    for codes in ("FSR", "FSR0", "FSR00", "fsr001", "F"):
        assert fs_lint("check", "--isolated", "--select", codes, "svc.py", cwd=project).returncode == 1, codes


def test_a_folder_with_no_python_file_warns_and_nothing_checked_is_said(project: Path) -> None:
    (project / "empty").mkdir()
    (project / "docs").mkdir()
    (project / "docs" / "notes.txt").write_text("not python\n")
    status, out, err = text(fs_lint("check", "--isolated", "empty", "docs", cwd=project))
    assert (status, out) == (0, "")  # as ruff: a warning, exit 0 (README, Exit status)
    assert err == ("fs-lint: warning: empty: no Python files in it, so none was checked\n"
                   "fs-lint: warning: docs: no Python files in it, so none was checked\n"
                   "fs-lint: warning: no Python files found under the given paths; nothing was checked\n")
    # next to a folder that has some: the warning for the empty one, and the run goes on
    status, out, err = text(fs_lint("check", "--isolated", "empty", "svc.py", cwd=project))
    assert status == 1 and "svc.py:2:1" in out
    assert err.startswith("fs-lint: warning: empty: no Python files in it") and "nothing was checked" not in err
    status, _, err = text(fs_lint("fix", "--isolated", "empty", cwd=project))
    assert status == 0 and "nothing was checked" in err


def test_a_folder_git_ignores_says_nothing_was_checked(project: Path) -> None:
    if subprocess.run(["git", "--version"], capture_output=True).returncode != 0:
        pytest.skip("no git")
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    (project / ".gitignore").write_text("gen/\n")
    (project / "gen").mkdir()
    (project / "gen" / "client.py").write_text(HAZARD)
    status, _, err = text(fs_lint("check", "--isolated", "gen", cwd=project))
    assert status == 0
    assert "gen: git ignores every Python file in it" in err and "nothing was checked" in err


@pytest.mark.parametrize(("content", "reason"), [
    (b"def f(:\n    pass\n", "syntax error at line 1"),
    (b"x = 1\ny = '\xe9'\n", "not valid text in its encoding"),
    (b"x = 1\x00\n", "contains a null byte"),
    (b"# -*- coding: klingon -*-\nx = 1\n", "bad coding cookie"),
    (b"  x = 1\n", "syntax error at line 1"),
])
def test_unparseable_files_without_any_rule_needle_are_reported(project: Path, content: bytes, reason: str) -> None:
    (project / "broken.py").write_bytes(content)
    for command in (["check"], ["fix"], ["fix", "--check"], ["fix", "--diff"]):
        status, _, err = text(fs_lint(*command, "--isolated", "broken.py", "ok.py", cwd=project))
        assert status == 1, command
        assert f"fs-lint: error: broken.py: {reason}" in err, command


def test_errors_are_in_json_and_github_output(project: Path) -> None:
    import json

    (project / "broken.py").write_bytes(b"x = (\n")
    completed = fs_lint("check", "--isolated", "--format", "json", "broken.py", "svc.py", cwd=project)
    items = json.loads(completed.stdout)
    errors = [item for item in items if item["code"] is None]
    assert [(e["filename"], e["line"]) for e in errors] == [("broken.py", 1)]
    assert "syntax error" in errors[0]["message"]
    github = fs_lint("check", "--isolated", "--format", "github", "broken.py", cwd=project).stdout.decode()
    assert github.startswith("::error file=broken.py,line=1,title=fs-lint::syntax error")


def test_stdin_is_configured_as_the_path_it_stands_for(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.fs-lint]\nper-file-ignores = { "scripts/*" = ["FSR002"] }\n')
    status, out, _ = text(fs_lint("check", "-", "--stdin-filename", "src/svc.py", cwd=project,
                                  stdin=HAZARD.encode()))
    assert status == 1
    assert out.splitlines()[0].startswith("src/svc.py:2:1: FSR001") and "FSR002" in out
    status, out, _ = text(fs_lint("check", "--stdin-filename", "scripts/svc.py", cwd=project,
                                  stdin=HAZARD.encode()))
    assert status == 1 and "FSR001" in out and "FSR002" not in out
    status, out, err = text(fs_lint("check", "-", cwd=project, stdin=b"def f(:\n"))
    assert (status, out) == (1, "")
    assert "fs-lint: error: -: syntax error at line 1" in err
    (project / "pyproject.toml").write_text('[tool.fs-lint]\nexclude = ["generated"]\n')
    status, out, _ = text(fs_lint("check", "--force-exclude", "--stdin-filename", "generated/x.py", cwd=project,
                                  stdin=HAZARD.encode()))
    assert (status, out) == (0, "")


def test_fix_on_stdin_writes_the_fixed_source_to_stdout(project: Path) -> None:
    completed = fs_lint("fix", "-", "--stdin-filename", "svc.py", cwd=project, stdin=HAZARD.encode())
    assert completed.stdout.decode() == let_stop_through(HAZARD)
    assert completed.returncode == 1  # FSR001 is left
    assert "FSR001 not fixed" in completed.stderr.decode()
    assert (project / "svc.py").read_text() == HAZARD  # the file on disk is not touched
    broken = b"def f(:\n"
    completed = fs_lint("fix", "-", cwd=project, stdin=broken)
    assert (completed.returncode, completed.stdout) == (1, broken)  # the buffer comes back as it was


def test_fix_check_and_diff_exit_codes(project: Path) -> None:
    # fix --check: 1 while a fix is pending; 0 once only findings without a fix are left
    assert fs_lint("fix", "--isolated", "--check", "svc.py", cwd=project).returncode == 1
    assert fs_lint("fix", "--isolated", "--diff", "svc.py", cwd=project).returncode == 0
    assert fs_lint("fix", "--isolated", "svc.py", cwd=project).returncode == 1  # FSR001 left
    assert fs_lint("fix", "--isolated", "--check", "svc.py", cwd=project).returncode == 0
    assert fs_lint("check", "--isolated", "svc.py", cwd=project).returncode == 1


@pytest.mark.parametrize(("where", "argv"), [
    ("flag", ["--max-blind-sleep", "-3"]),
    ("config", []),
])
def test_negative_seconds_are_errors(project: Path, where: str, argv: list[str]) -> None:
    if where == "config":
        (project / "pyproject.toml").write_text("[tool.fs-lint]\nbackoff-cap = -1\n")
    status, out, err = text(fs_lint("check", *argv, "svc.py", cwd=project))
    assert (status, out) == (2, "")
    assert "expected a number of seconds, 0 or more" in err


def test_negative_seconds_stop_flake8(project: Path) -> None:
    completed = subprocess.run([sys.executable, "-m", "flake8", "--select", "FSR", "--fsr-max-blind-sleep=-5",
                                "svc.py"], cwd=project, capture_output=True, text=True, check=False)
    assert completed.returncode == 1
    assert "fs-lint: error: --fsr-max-blind-sleep: expected a number of seconds, 0 or more" in completed.stdout


def test_fix_says_nothing_more_than_the_error_for_a_missing_path(project: Path) -> None:
    status, out, err = text(fs_lint("fix", "--isolated", "gone/", cwd=project))
    assert (status, out, err) == (2, "", "fs-lint: error: gone/: no such file or directory\n")


def test_exit_zero_wins_over_fix_check_but_not_over_errors(project: Path) -> None:
    assert fs_lint("fix", "--isolated", "--check", "--exit-zero", "svc.py", cwd=project).returncode == 0
    (project / "bad.py").write_text("def f(:\n")
    assert fs_lint("fix", "--isolated", "--check", "--exit-zero", "bad.py", cwd=project).returncode == 1
    assert fs_lint("fix", "--isolated", "--exit-zero", "bad.py", cwd=project).returncode == 1


@pytest.mark.parametrize(("argv", "expected"), [
    (["check", "--select", "FSR008"], "fs-lint check: error: argument --select: 'FSR008' is not a known fs-lint code "
                                      "(did you mean 'FSR007'?)"),
    (["check", "--exit-zro"], "fs-lint check: error: unrecognized arguments: --exit-zro (did you mean '--exit-zero'?)"),
    (["fix", "--format=json"], "fs-lint fix: error: unrecognized arguments: --format=json"),
    ([], "fs-lint: error: the following arguments are required: COMMAND"),
])
def test_usage_errors_are_one_line(project: Path, argv: list[str], expected: str) -> None:
    status, out, err = text(fs_lint(*argv, cwd=project))
    assert (status, out) == (2, "")
    assert err.startswith(expected) and err.count("\n") == 1, err
    assert "--help` lists the options" in err
