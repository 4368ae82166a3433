"""Each file is configured by the nearest ``pyproject.toml`` with ``[tool.fs-lint]`` above *it*, as in ruff.

One nested layout, checked from outside it and from inside it, by every front
end: the CLI (folders walked, files named, stdin), the flake8 plugin, the
language server's buffer check and the LibCST codemods. Then what goes with it:
``--show-settings``, the warning for a misspelt table, a bad boolean in
``.flake8`` and an empty ``--select``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fs_lint.cli.main import main
from tests.cli_output import without_summary

# FSR001 at line 2 (the loop) and FSR002 at line 5 (the handler)
_STOP = "\n\ndef stop():\n    global stop_requested\n    stop_requested = True\n"
SOURCE = "import time\nwhile True:\n    try:\n        connect()\n    except BaseException:\n        time.sleep(1)\n" + _STOP


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    """``mono/`` selects FSR002 only; ``mono/svc/`` has its own table: FSR001 only, ``generated`` excluded."""
    write(tmp_path / "mono", {
        "pyproject.toml": '[tool.fs-lint]\nselect = ["FSR002"]\n',
        "top.py": SOURCE,
        "svc/pyproject.toml": '[tool.fs-lint]\nselect = ["FSR001"]\nexclude = ["generated"]\n',
        "svc/app.py": SOURCE,
        "svc/generated/g.py": SOURCE,
        "svc/deep/inner.py": SOURCE,
        "svc/notes/pyproject.toml": "[project]\nname = 'notes'\n",  # no table: look further up
        "svc/notes/n.py": SOURCE,
    })
    write(tmp_path, {"loose.py": SOURCE})  # outside any project
    return tmp_path


def codes(capsys: pytest.CaptureFixture[str], *argv: str) -> list[str]:
    main(["check", *argv])
    out, err = capsys.readouterr()
    assert without_summary(err) == "", err
    return sorted(f"{line.split(':')[0]}:{line.split(' ')[1]}" for line in out.splitlines())


EXPECTED = ["mono/svc/app.py:FSR001", "mono/svc/deep/inner.py:FSR001", "mono/svc/notes/n.py:FSR001",
            "mono/top.py:FSR002"]


def test_checked_from_outside_each_file_uses_the_table_above_it(
        layout: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(layout)
    assert codes(capsys, "mono") == EXPECTED  # svc's exclude prunes svc/generated during the walk
    assert codes(capsys, "mono/svc/app.py", "mono/top.py") == ["mono/svc/app.py:FSR001", "mono/top.py:FSR002"]
    assert main(["check", "--force-exclude", "mono/svc/generated/g.py"]) == 0
    assert capsys.readouterr().out == ""


def test_checked_from_inside_a_sub_project_and_from_its_parent(
        layout: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(layout / "mono")
    assert codes(capsys) == [name.removeprefix("mono/") for name in EXPECTED]
    monkeypatch.chdir(layout / "mono" / "svc" / "deep")
    assert codes(capsys, "inner.py", "../../top.py") == ["../../top.py:FSR002", "inner.py:FSR001"]


def test_a_file_outside_every_project_gets_the_working_directorys_table(
        layout: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(layout / "mono")
    assert codes(capsys, "../loose.py") == ["../loose.py:FSR002"]
    monkeypatch.chdir(layout)
    assert codes(capsys, "loose.py") == ["loose.py:FSR001", "loose.py:FSR002"]  # none anywhere: the defaults


def test_config_and_isolated_apply_to_every_file(
        layout: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(layout)
    (layout / "one.toml").write_text('[tool.fs-lint]\nselect = ["FSR002"]\n')
    assert codes(capsys, "--config", "one.toml", "mono/svc/app.py") == ["mono/svc/app.py:FSR002"]
    assert codes(capsys, "--isolated", "mono/top.py") == ["mono/top.py:FSR001", "mono/top.py:FSR002"]


def test_the_command_line_goes_over_every_files_table(
        layout: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(layout)
    assert codes(capsys, "--extend-select", "FSR002", "mono/svc/app.py") == [
        "mono/svc/app.py:FSR001", "mono/svc/app.py:FSR002"]
    assert codes(capsys, "--exclude", "nothing", "mono/svc") == [
        "mono/svc/app.py:FSR001", "mono/svc/deep/inner.py:FSR001", "mono/svc/generated/g.py:FSR001",
        "mono/svc/notes/n.py:FSR001"]  # --exclude replaces each table's exclude


def test_stdin_is_configured_as_the_file_it_stands_for(layout: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "fs_lint", "check", "--stdin-filename", "mono/svc/app.py", "-"],
                         cwd=layout, input=SOURCE, capture_output=True, text=True, check=False)
    assert [line.split(" ")[1] for line in run.stdout.splitlines()] == ["FSR001"]


def test_fix_uses_each_files_table_too(layout: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(layout)
    main(["fix", "--diff", "mono"])
    out, _ = capsys.readouterr()
    assert "+++ b/mono/top.py" in out  # FSR002's safe fix, selected by mono's table
    assert "mono/svc/app.py" not in out  # FSR001 only there, refused for want of a stop flag


def test_flake8_uses_each_files_table(layout: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "flake8", "--select", "FSR", "mono"], cwd=layout,
                         capture_output=True, text=True, check=False)
    found = sorted(f"{line.split(':')[0]}:{line.split(' ')[1]}" for line in run.stdout.splitlines())
    assert found == sorted(EXPECTED + ["mono/svc/generated/g.py:FSR001"])  # flake8 keeps its own exclude


def test_the_language_servers_buffer_check_uses_the_table_above_the_buffer(layout: Path) -> None:
    from fs_lint.server.buffer_lint import lint_buffer

    root = str(layout)  # the workspace is the folder above both projects
    app = lint_buffer(SOURCE, str(layout / "mono" / "svc" / "app.py"), root)
    top = lint_buffer(SOURCE, str(layout / "mono" / "top.py"), root)
    assert [f.code for f in app.findings] == ["FSR001"] and [f.code for f in top.findings] == ["FSR002"]


def test_the_codemods_use_the_table_above_each_file(layout: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import libcst as cst
    from libcst.codemod import CodemodContext

    from fs_lint.libcst_codemods import FixFindings, project_settings

    monkeypatch.chdir(layout)
    project_settings.cache_clear()
    for name, changed in (("mono/top.py", True), ("mono/svc/app.py", False)):
        codemod = FixFindings(CodemodContext(filename=name))
        assert (codemod.transform_module(cst.parse_module(SOURCE)).code != SOURCE) is changed, name


def test_show_settings_names_where_each_value_comes_from(
        layout: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    write(layout / "mono", {"svc/pyproject.toml": """\
        [tool.fs-lint]
        select = ["FSR001"]
        exclude = ["generated"]
        extend-shutdown-names = ["draining"]
        max-blind-sleep = 5
        per-file-ignores = { "deep/*" = ["FSR001"] }
    """})
    monkeypatch.chdir(layout)
    assert main(["check", "--show-settings", "--max-blind-sleep", "3", "mono/svc/deep/inner.py"]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[:2] == ["# fs-lint settings for mono/svc/deep/inner.py",
                         "# configuration: mono/svc/pyproject.toml [tool.fs-lint]"]
    assert 'select = ["FSR001"]  # mono/svc/pyproject.toml' in lines
    assert "ignore = []  # default" in lines
    assert 'extend-shutdown-names = ["draining"]  # mono/svc/pyproject.toml' in lines
    assert "max-blind-sleep = 5  # mono/svc/pyproject.toml" in lines
    assert "max-blind-sleep = 3  # --max-blind-sleep (wins)" in lines
    assert "# so max-blind-sleep is 3" in lines
    assert "# codes run on it: none" in lines and "# left out by per-file-ignores: FSR001" in lines
    assert err == ""
    assert main(["check", "--show-settings", "mono/svc/generated/g.py"]) == 0
    assert "# excluded: yes" in capsys.readouterr().out
    assert main(["check", "--show-settings", "mono/top.py", "loose.py"]) == 2
    assert "--show-settings takes one PATH" in capsys.readouterr().err


@pytest.mark.parametrize("table", ["fs_lint", "fslint", "FS-Lint"])
def test_a_misspelt_table_is_not_read_and_says_so(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], table: str) -> None:
    write(tmp_path, {"pyproject.toml": f'[tool.{table if table.isidentifier() else repr(table)}]\n'
                                       'select = ["FSR002"]\n', "a.py": SOURCE})
    monkeypatch.chdir(tmp_path)
    assert main(["check", "a.py"]) == 1
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == 2  # FSR001 too: the table was not read
    assert without_summary(err) == (f"fs-lint: warning: pyproject.toml: [tool.{table}] is not read: "
                                    "fs-lint's table is [tool.fs-lint]\n")


@pytest.mark.parametrize("value", ["", ","])
def test_an_empty_select_is_a_usage_error(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--isolated", "--select", value, "."]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "argument --select: expected at least one code" in err


@pytest.mark.parametrize(("line", "expected"), [
    ("fsr-strict = maybe", "fsr-strict (flake8 configuration): expected true or false (or yes/no, on/off, 1/0), "
                           "got 'maybe'"),
    ("fsr-max-blind-sleep = soon", "fsr-max-blind-sleep: expected a number of seconds, got 'soon'"),
])
def test_a_bad_value_in_flake8s_config_is_one_line(tmp_path: Path, line: str, expected: str) -> None:
    write(tmp_path, {".flake8": f"[flake8]\n{line}\n", "a.py": SOURCE})
    run = subprocess.run([sys.executable, "-m", "flake8", "--select", "FSR", "a.py"], cwd=tmp_path,
                         capture_output=True, text=True, check=False)
    assert "Traceback" not in run.stdout + run.stderr
    assert f"\nfs-lint: error: {expected}\n" in run.stdout + run.stderr and run.returncode == 1


def test_booleans_in_flake8s_config_still_read(tmp_path: Path) -> None:
    strict_only = "import time\nwhile True:\n    try:\n        connect()\n    except OSError:\n        time.sleep(1)\n"
    write(tmp_path, {"a.py": strict_only})
    found = {}
    for value in ("yes", "false", "1"):
        (tmp_path / ".flake8").write_text(f"[flake8]\nfsr-strict = {value}\n")
        run = subprocess.run([sys.executable, "-m", "flake8", "--select", "FSR", "a.py"], cwd=tmp_path,
                             capture_output=True, text=True, check=False, env={**os.environ, "PYTHONWARNINGS": ""})
        found[value] = run.stdout.count("FSR001")
    assert found == {"yes": 1, "false": 0, "1": 1}
