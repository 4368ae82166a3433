"""``fs-lint fix`` never overwrites an edit that lands while it writes, and cleans up after killed runs.

The race is made real with a hook on ``os.fsync``: while fs-lint syncs its
temporary copy, the "editor" saves the file. fs-lint must see that right
before its rename and refuse the file with the usual "changed on disk"
message, leaving the editor's bytes and no temporary file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

from fs_lint.cli import file_writing
from fs_lint.cli.main import main
from tests.swallowing_loops import SWALLOWING_LOOP

SOURCE = SWALLOWING_LOOP
# A SystemExit raised by the code the loop calls is not a stop of the program: the fix re-raises Ctrl-C only
FIXED = SOURCE.replace("except BaseException:", "except KeyboardInterrupt:\n            raise\n"
                                                 "        except BaseException:")
CHANGED = "fs-lint: error: svc.py: not fixed: the file changed on disk while it was being fixed\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "svc.py").write_text(SOURCE)
    return tmp_path


def fix(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["fix", "--isolated", "--select", "FSR002", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def during_fsync(monkeypatch: pytest.MonkeyPatch, edit: Callable[[], None]) -> list[int]:
    """Run ``edit`` inside the fsync of fs-lint's temporary copy, once; the calls are counted."""
    real_fsync = os.fsync
    calls: list[int] = []

    def fsync(descriptor: int) -> None:
        real_fsync(descriptor)
        if not calls:
            edit()
        calls.append(descriptor)

    monkeypatch.setattr(file_writing.os, "fsync", fsync)
    return calls


def leftovers(directory: Path) -> list[str]:
    return sorted(name for name in os.listdir(directory) if name.endswith(".fs-lint-tmp"))


def test_the_fixer_itself_applies_cleanly(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = fix(capsys)
    assert (project / "svc.py").read_text().startswith(FIXED.split("except BaseException")[0])
    assert "fixed svc.py (1 fix)" in out and status == 0


def test_a_save_during_the_fsync_is_not_overwritten(
        project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    edited = SOURCE + "# saved in the editor while fs-lint was writing\n"
    calls = during_fsync(monkeypatch, lambda: (project / "svc.py").write_text(edited))
    status, _, err = fix(capsys)
    assert calls, "the hook did not run: fs-lint did not sync its copy"
    assert err == CHANGED
    assert (project / "svc.py").read_text() == edited
    assert leftovers(project) == [] and status == 1


def test_a_same_size_save_with_the_old_mtime_is_seen_by_its_bytes(
        project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    path = project / "svc.py"
    before = path.stat()
    edited = SOURCE.replace("time.sleep(1)", "time.sleep(2)")
    assert len(edited) == len(SOURCE)

    def save_and_keep_the_mtime() -> None:
        path.write_text(edited)
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))

    during_fsync(monkeypatch, save_and_keep_the_mtime)
    status, _, err = fix(capsys)
    assert (err, path.read_text(), status) == (CHANGED, edited, 1)


def test_a_save_by_rename_during_the_fsync_is_seen(
        project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Editors that write a new file and rename it over the old one (vim's default, many IDEs)."""
    path = project / "svc.py"

    def save_by_rename() -> None:
        (project / "svc.py~new").write_text(SOURCE)  # the same bytes: only the inode says it was saved
        os.replace(project / "svc.py~new", path)

    during_fsync(monkeypatch, save_by_rename)
    status, _, err = fix(capsys)
    assert (err, path.read_text(), status) == (CHANGED, SOURCE, 1)


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_temporary_files_of_killed_runs_are_removed_and_named(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dead = f".svc.py.{_dead_pid()}_k1ll3d.fs-lint-tmp"
    older = ".svc.py.a8x_2kq.fs-lint-tmp"  # named as fs-lint named them before the PID was in the name
    other_file = f".other.py.{_dead_pid()}_abc.fs-lint-tmp"  # another file's: it is not being fixed
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    live = f".svc.py.{sleeper.pid}_busy.fs-lint-tmp"  # a run still writing: not ours to remove
    try:
        for name in (dead, older, other_file, live):
            (project / name).write_text("half a file")
        status, out, err = fix(capsys)
    finally:
        sleeper.kill()
        sleeper.wait()
    assert status == 0 and "fixed svc.py (1 fix)" in out
    assert leftovers(project) == sorted([other_file, live])
    for name in (dead, older):
        assert (f"fs-lint: warning: removed {name}: a temporary file left beside svc.py by an earlier "
                "fs-lint run that was killed\n") in err
    assert err.count("removed") == 2


def test_temporary_files_are_left_alone_when_nothing_is_written(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = f".svc.py.{_dead_pid()}_k1ll3d.fs-lint-tmp"
    (project / name).write_text("half a file")
    fix(capsys, "--diff")
    assert leftovers(project) == [name]
    fix(capsys, "-q")
    assert leftovers(project) == []
