"""Which files ``fs-lint check`` looks at: git's list, the walk, exclusions, links."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from fs_lint.cli.discovery import discover
from fs_lint.cli.main import main
from fs_lint.project.path_patterns import PathPattern
from tests.cli_output import without_summary

# A module-level retry loop that ignores the stop flag that ``stop()`` sets: FSR001 at 2:1.
FLAGGED = ("import time\nwhile True:\n    try:\n        connect()\n    except OSError:\n        time.sleep(1)\n"
           "\n\ndef stop():\n    global stopping\n    stopping = True\n")

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def write(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(FLAGGED)


def checked(capsys: pytest.CaptureFixture[str], *argv: str) -> list[str]:
    """The files that had findings, in output order."""
    main(["check", "--isolated", *argv])
    out = capsys.readouterr().out
    return list(dict.fromkeys(line.split(":")[0] for line in out.splitlines()))


def git(root: Path, *argv: str) -> None:
    subprocess.run(["git", *argv], cwd=root, check=True, capture_output=True)


def test_walk_skips_environments_caches_and_build_output(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "app.py", "pkg/mod.py", "pkg/notes.txt",
          ".venv/lib/x.py", "venv/x.py", "env/lib/x.py", ".git/hooks/x.py", ".tox/x.py", ".nox/x.py",
          "build/x.py", "dist/x.py", "pkg/__pycache__/x.py", "node_modules/x.py", "pkg.egg-info/x.py",
          ".mypy_cache/x.py")
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr\n")
    assert checked(capsys) == ["app.py", "pkg/mod.py"]


def test_explicit_directory_is_walked_the_same_way_and_explicit_files_always_checked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "src/a.py", "src/build/gen.py", "src/.venv/x.py")
    assert checked(capsys, "src") == ["src/a.py"]
    assert checked(capsys, "src/build/gen.py", "./src/") == ["src/a.py", "src/build/gen.py"]


def test_a_file_given_twice_is_checked_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "a.py")
    main(["check", "--isolated", "a.py", ".", "./a.py"])
    assert capsys.readouterr().out.count("a.py:2:1:") == 1


@needs_git
def test_git_checkout_lists_tracked_and_untracked_but_not_ignored(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    git(tmp_path, "init", "-q")
    write(tmp_path, "tracked.py", "new.py", "ignored.py", "generated/out.py", "sub/deleted.py")
    (tmp_path / ".gitignore").write_text("ignored.py\ngenerated/\n")
    git(tmp_path, "add", "tracked.py", "sub/deleted.py", ".gitignore")
    (tmp_path / "sub" / "deleted.py").unlink()  # tracked but gone: not an error
    monkeypatch.chdir(tmp_path)
    assert checked(capsys) == ["new.py", "tracked.py"]
    assert capsys.readouterr().err == ""


@needs_git
def test_git_listing_of_a_subdirectory_and_a_tracked_venv_is_still_skipped(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    git(tmp_path, "init", "-q")
    write(tmp_path, "top.py", "src/a.py", "src/ignored_here.py", "src/venv/x.py", "src/env/x.py")
    (tmp_path / "src" / "env" / "pyvenv.cfg").write_text("")
    (tmp_path / "src" / ".gitignore").write_text("ignored_here.py\n")
    monkeypatch.chdir(tmp_path / "src")
    assert checked(capsys) == ["a.py"]
    monkeypatch.chdir(tmp_path)
    assert checked(capsys, "src") == ["src/a.py"]


@needs_git
def test_a_directory_whose_python_files_git_all_ignores_gets_a_warning_not_silence(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    git(tmp_path, "init", "-q")
    write(tmp_path, "app.py", "generated/client.py", "generated/models.py", "empty/notes/readme.py")
    (tmp_path / ".gitignore").write_text("generated/\nempty/notes/\n")
    (tmp_path / "empty" / "notes" / "readme.py").unlink()
    monkeypatch.chdir(tmp_path)
    status = main(["check", "--isolated", "generated", "empty"])
    captured = capsys.readouterr()
    assert (status, captured.out) == (0, "")
    assert captured.err == ("fs-lint: warning: generated: git ignores every Python file in it, so none was "
                            "checked; name the files to check them anyway\n"
                            "fs-lint: warning: empty: no Python files in it, so none was checked\n"
                            "fs-lint: warning: no Python files found under the given paths; nothing was checked\n")
    assert checked(capsys, "generated/client.py") == ["generated/client.py"]
    main(["check", "--isolated", "."])  # the checkout as a whole holds Python files git shows: no warning
    captured = capsys.readouterr()
    assert captured.out.startswith("app.py:") and without_summary(captured.err) == ""


@needs_git
def test_git_environment_of_a_hook_does_not_leak_into_discovery(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    git(tmp_path, "init", "-q")
    write(tmp_path, "a.py")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "elsewhere"))
    assert checked(capsys) == ["a.py"]


def test_symlink_loops_neither_hang_nor_crash(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "pkg/a.py")
    (tmp_path / "pkg" / "back").symlink_to("..", target_is_directory=True)  # a directory cycle
    (tmp_path / "pkg" / "self").symlink_to("self")  # a link to itself, not named .py: ignored
    (tmp_path / "pkg" / "loop.py").symlink_to("loop.py")  # one that claims to be Python: an error
    status = main(["check", "--isolated"])
    out, err = capsys.readouterr()
    assert status == 1
    assert out.splitlines()[0].startswith("pkg/a.py:2:1: FSR001")
    assert out.count("\n") == 1
    assert without_summary(err) == "fs-lint: error: pkg/loop.py: cannot read: too many levels of symbolic links (a link loop?)\n"


def test_symlinked_file_is_checked_under_its_own_name(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "real/a.py")
    (tmp_path / "link.py").symlink_to("real/a.py")
    assert checked(capsys) == ["link.py", "real/a.py"]


def test_exclude_applies_to_discovered_files_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "app.py", "app/migrations/0001.py", "gen/x_pb2.py", "tools/fixtures/a.py", "tools/b.py")
    excluded = "migrations,*_pb2.py,tools/fixtures"
    assert checked(capsys, "--exclude", excluded) == ["app.py", "tools/b.py"]
    assert checked(capsys, "--exclude", excluded, "gen/x_pb2.py") == ["gen/x_pb2.py"]
    assert checked(capsys, "--exclude", excluded, "--force-exclude", "gen/x_pb2.py", "app.py") == ["app.py"]


def test_exclude_does_not_match_above_the_directory_given(tmp_path: Path) -> None:
    write(tmp_path, "migrations/a.py")
    found = discover(["migrations"], str(tmp_path), [PathPattern("migrations", str(tmp_path))])
    assert [candidate.shown for candidate in found.files] == [os.path.join("migrations", "a.py")]


def test_absolute_paths_stay_absolute(tmp_path: Path) -> None:
    write(tmp_path, "a/b.py")
    found = discover([str(tmp_path / "a")], "/")
    assert [candidate.shown for candidate in found.files] == [str(tmp_path / "a" / "b.py")]
    assert found.missing == []


@pytest.mark.parametrize(("pattern", "path", "expected"), [
    ("x.py", "a/x.py", True),
    ("migrations", "app/migrations/0001.py", True),
    ("tests/*", "tests/a/b.py", True),
    ("tests/fixtures", "tests/fixtures/a.py", True),
    ("tests/fixtures", "x/tests/fixtures/a.py", False),
    ("**/gen/*.py", "gen/a.py", True),
    ("**/gen/*.py", "a/b/gen/a.py", True),
    ("src/legacy/", "src/legacy/a.py", True),
    ("./a.py", "a.py", True),
    ("[!ab].py", "b.py", False),
    ("x?.py", "xy.py", True),
])
def test_path_patterns(pattern: str, path: str, expected: bool) -> None:
    assert PathPattern(pattern, "/root").matches("/root/" + path) is expected


def test_force_exclude_skips_named_files_in_folders_a_walk_skips(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "app.py", "build/lib/app.py", ".venv/lib/site.py")
    # as pre-commit names them: skipped under --force-exclude, as ruff skips its default excludes
    assert checked(capsys, "--force-exclude", "app.py", "build/lib/app.py", ".venv/lib/site.py") == ["app.py"]
    # named without --force-exclude they are checked, as any named file
    assert checked(capsys, "build/lib/app.py") == ["build/lib/app.py"]


def test_extend_exclude_adds_to_exclude(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "app.py", "gen/a.py", "vendor/b.py", "jobs/c.py")  # (an old/ folder would be code kept aside)
    (tmp_path / "pyproject.toml").write_text('[tool.fs-lint]\nexclude = ["gen"]\nextend-exclude = ["vendor"]\n')
    main(["check", "."])
    assert [line.split(":")[0] for line in capsys.readouterr().out.splitlines()] == ["app.py", "jobs/c.py"]
    main(["check", "--extend-exclude", "jobs", "."])
    assert [line.split(":")[0] for line in capsys.readouterr().out.splitlines()] == ["app.py"]
    main(["check", "--exclude", "jobs", "."])  # replaces exclude; extend-exclude stays
    assert [line.split(":")[0] for line in capsys.readouterr().out.splitlines()] == ["app.py", "gen/a.py"]
