"""fs-lint stops at once on SIGTERM and Ctrl-C: its workers end with it, and no file is left half-written.

Real signals on a real two-worker run: ``fs-lint fix -j 2`` over enough files
to be mid-way when the signal lands. SIGTERM goes to the main process only
(``kill PID``, a container runtime); Ctrl-C goes to the whole process group,
as a terminal sends it. The exit status is 128 + the signal (143, 130).
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

from tests.swallowing_loops import numbered_project

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads worker processes from /proc")

FILES = 1500  # enough that the signal lands mid-way: a run of 600 could end before the test saw its workers
TEMPORARY = re.compile(r"\.fs-lint-tmp$")


def _project(root: Path) -> dict[str, bytes]:
    return numbered_project(root, FILES)


def _start(root: Path, *argv: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "fs_lint", "fix", "--isolated", "--select", "FSR002", "-j", "2",
                             *argv, "."], cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, start_new_session=True)


def _children(pid: int) -> list[int]:
    children = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            children.append(int(entry))
    return children


def _running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def _outliving(workers: list[int], seconds: float) -> list[int]:
    """The workers still running after ``seconds``; they are killed, so that none is left behind."""
    deadline = time.monotonic() + seconds
    while any(map(_running, workers)) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [pid for pid in workers if _running(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    return left


def _workers(process: subprocess.Popen[bytes], timeout: float = 120) -> list[int]:
    """The two worker processes, once both are up and the run is under way."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the run ended before the test could stop it"
        workers = _children(process.pid)
        if len(workers) >= 2:
            time.sleep(1.0)  # well into the run: the workers are fixing files
            assert process.poll() is None, "the run ended before the test could stop it"
            return workers
        time.sleep(0.02)
    raise AssertionError("the workers did not start")


def _stopped(process: subprocess.Popen[bytes], workers: list[int]) -> tuple[int, str]:
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise AssertionError("fs-lint did not stop within 15 s of the signal") from None
    assert _outliving(workers, 5) == [], "worker processes outlived the run"
    assert process.stderr is not None
    return process.returncode, process.stderr.read().decode()


def test_sigterm_during_a_two_worker_diff_stops_it_and_its_workers(tmp_path: Path) -> None:
    root = tmp_path / "project"
    originals = _project(root)
    process = _start(root, "--diff")
    workers = _workers(process)
    process.send_signal(signal.SIGTERM)  # the main process only
    status, err = _stopped(process, workers)
    assert status == 143, err
    assert err.endswith("fs-lint: stopped (SIGTERM)\n")
    assert {name: (root / name).read_bytes() for name in originals} == originals


def test_ctrl_c_during_a_two_worker_fix_stops_it_and_its_workers(tmp_path: Path) -> None:
    root = tmp_path / "project"
    originals = _project(root)
    process = _start(root)
    workers = _workers(process)
    os.killpg(process.pid, signal.SIGINT)  # what a terminal does: the whole foreground process group
    status, err = _stopped(process, workers)
    assert status == 130, err
    assert err.endswith("fs-lint: interrupted\n")
    assert "Traceback" not in err
    assert [name for name in os.listdir(root) if TEMPORARY.search(name)] == []
    for name, original in originals.items():  # each file as it was, or whole with its fix
        text = (root / name).read_bytes()
        assert text == original or (b"            raise\n" in text and text.endswith(b"connect.close()\n"))


def test_sigterm_while_files_are_written_leaves_every_file_whole(tmp_path: Path) -> None:
    root = tmp_path / "project"
    originals = _project(root)
    inodes = {name: (root / name).stat().st_ino for name in originals}
    process = _start(root)
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:  # the first file replaced: writing is under way
        if any((root / name).stat().st_ino != inode for name, inode in inodes.items()):
            break
        time.sleep(0.001)
    workers = _children(process.pid)
    process.send_signal(signal.SIGTERM)
    status, err = _stopped(process, workers)
    assert status == 143, err
    written = [name for name in originals if (root / name).read_bytes() != originals[name]]
    assert 0 < len(written) < FILES
    for name in written:
        text = (root / name).read_text()
        assert "except KeyboardInterrupt:\n            raise\n" in text and text.endswith("connect.close()\n")
    assert [name for name in os.listdir(root) if TEMPORARY.search(name)] == []


def test_workers_of_a_killed_run_end_themselves(tmp_path: Path) -> None:
    """SIGKILL cannot be handled: the workers notice they were orphaned and end within a second or so."""
    root = tmp_path / "project"
    _project(root)
    process = _start(root, "--diff")
    workers = _workers(process)
    process.kill()
    process.wait()
    assert _outliving(workers, 10) == [], "workers outlived their parent"
