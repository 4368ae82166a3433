"""A ``fs-lint fix`` killed mid-run (SIGKILL, an OOM kill, a pulled plug) never leaves half a file.

Each file is written to a temporary file beside it and renamed over it
(``cli/file_writing.py``), so at any instant a file is either its original
bytes or its complete fixed bytes. What a kill can leave is the temporary
file itself: by design it is hidden and named ``.NAME.RANDOM.fs-lint-tmp``,
never ``*.py``, so no tool (fs-lint included) mistakes it for code, and the
next run fixes what the killed one did not, and removes (and names) the
temporary files of the files it writes again.

The test kills a real process group (the command and its workers) at several
moments: before any write, and while the writes are under way.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fs_lint.model.cache_folder import CACHE_FOLDER
from tests.swallowing_loops import numbered_project


FILES = 80
TEMPORARY = re.compile(r"^\.(?P<name>m\d{3}\.py)\.[A-Za-z0-9_]+\.fs-lint-tmp$")


def _new_names(root: Path, originals: dict[str, bytes]) -> list[str]:
    """What the runs added beside the project's files, but the cache folder the program model keeps there (its
    own writes are atomic too; what is in it is not the project's code)."""
    cache = root / CACHE_FOLDER
    assert not cache.exists() or cache.is_dir()
    return sorted(set(os.listdir(root)) - set(originals) - {CACHE_FOLDER})


def _project(root: Path) -> dict[str, bytes]:
    return numbered_project(root, FILES)  # FSR002's fix (the handler lets Ctrl-C through) is safe: fix applies it


def _fix(root: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "fs_lint", "fix", "--isolated", "--select", "FSR002", "-j", "2",
                             "."], cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, start_new_session=True)


def _replaced(root: Path, inodes: dict[str, int]) -> int:
    """How many files the run has replaced so far: a rename gives the name a new inode."""
    return sum(1 for entry in os.scandir(root) if entry.name in inodes and entry.inode() != inodes[entry.name])


def _kill_when(process: subprocess.Popen[bytes], root: Path, replaced: int, timeout: float = 120) -> int:
    """SIGKILL the whole process group once ``replaced`` files are written (0: at once); the count then."""
    inodes = {entry.name: entry.inode() for entry in os.scandir(root)}
    deadline = time.monotonic() + timeout
    done = 0
    while replaced and process.poll() is None and time.monotonic() < deadline:
        done = _replaced(root, inodes)
        if done >= replaced:
            break
        time.sleep(0.001)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    return _replaced(root, inodes)


@pytest.fixture(scope="module")
def fixed_bytes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """What every file holds after a run that is left to finish."""
    root = tmp_path_factory.mktemp("reference") / "project"
    originals = _project(root)
    assert _fix(root).wait(timeout=300) == 0
    fixed = {name: (root / name).read_bytes() for name in originals}
    assert all(fixed[name] != originals[name] and b"except KeyboardInterrupt:" in fixed[name] for name in originals)
    return fixed


@pytest.mark.parametrize("written_before_the_kill", [0, 1, FILES // 2])
def test_a_killed_fix_leaves_whole_files_only(
        tmp_path: Path, fixed_bytes: dict[str, bytes], written_before_the_kill: int) -> None:
    root = tmp_path / "project"
    originals = _project(root)
    replaced = _kill_when(_fix(root), root, written_before_the_kill)

    leftovers = _new_names(root, originals)
    for name in leftovers:  # a temporary file the kill interrupted: hidden, clearly named, never *.py
        assert TEMPORARY.match(name), f"unexpected file left behind: {name}"
    half_written = [name for name in originals
                    if (root / name).read_bytes() not in (originals[name], fixed_bytes[name])]
    assert half_written == []
    if written_before_the_kill:
        assert replaced >= written_before_the_kill  # the kill did land while writing

    finish = subprocess.run([sys.executable, "-m", "fs_lint", "fix", "--isolated", "--select", "FSR002", "."],
                            cwd=root, capture_output=True, text=True)
    assert finish.returncode == 0, finish.stdout + finish.stderr  # temporary leftovers are not taken for code
    assert {name: (root / name).read_bytes() for name in originals} == fixed_bytes
    # the file a leftover belonged to was fixed again: the leftover is gone, and the run said so
    assert _new_names(root, originals) == []
    for name in leftovers:
        assert f"fs-lint: warning: removed {name}: a temporary file left beside " in finish.stderr
