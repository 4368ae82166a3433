"""The two shapes of issue 22, as programs run for real before and after ``fs-lint fix``.

``fixtures/programs/job_cleaner.py``: a cleaner task awaits finished jobs, some of which
``close()`` cancelled; their ``CancelledError`` is their outcome, and ``close()`` waits until the
cleaner has collected them all. ``fixtures/programs/periodic_refresh.py``: a loop awaits each
scheduled refresh, which a manual refresh pre-empts by cancelling it; the loop catches that on
purpose, and so also swallows its own teardown, and ``close()`` never returns.

Each program runs normally as written; after ``fs-lint fix`` it still runs normally, and where the
hazard is real (the refresh loop) the fixed program now stops on its own cancellation.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = ROOT / "fixtures" / "programs"
HUNG = 3  # what the programs exit with when close() does not return


def run(program: Path) -> tuple[int, str]:
    done = subprocess.run([sys.executable, str(program)], capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout.strip()


def fix(program: Path, *argv: str) -> str:
    done = subprocess.run([sys.executable, "-m", "fs_lint", "fix", "--isolated", "--show-fixes", *argv, str(program)],
                          capture_output=True, text=True, timeout=120, cwd=program.parent)
    assert done.returncode in (0, 1), done.stdout + done.stderr  # 1: a finding is left (a refused fix)
    return done.stdout + done.stderr


def copy(name: str, folder: Path) -> Path:
    target = folder / name
    shutil.copyfile(PROGRAMS / name, target)
    return target


CLEANER_OUTCOMES = ["CancelledError", "CancelledError", "ValueError", "a", "b"]


def test_the_cleaner_still_collects_the_cancelled_jobs(tmp_path: Path) -> None:
    program = copy("job_cleaner.py", tmp_path)
    assert run(program) == (0, json.dumps(CLEANER_OUTCOMES))
    report = fix(program, "--target-version", "py311")
    assert "job_cleaner.py:39:13: FSR002" in report
    assert "if asyncio.current_task().cancelling():" in program.read_text()
    assert run(program) == (0, json.dumps(CLEANER_OUTCOMES))


def test_re_raising_every_cancellation_in_the_cleaner_would_hang_close(tmp_path: Path) -> None:
    """Why the fix re-raises only the task's own cancellation: the earlier rewrite, a clause that
    re-raises every ``CancelledError``, kills the cleaner at the first cancelled job."""
    program = copy("job_cleaner.py", tmp_path)
    handler = "            except BaseException as exc:"
    program.write_text(program.read_text().replace(
        handler, "            except asyncio.CancelledError:\n                raise\n" + handler))
    assert run(program) == (HUNG, "close() did not return")


def test_the_cleaner_is_left_alone_where_3_11_is_not_assured(tmp_path: Path) -> None:
    """No flag is set where ``close()`` cancels the cleaner: before 3.11 nothing tells its own
    cancellation from a job's, and the fix is refused."""
    program = copy("job_cleaner.py", tmp_path)
    original = program.read_text()
    report = fix(program, "--target-version", "py310")
    assert "FSR002 not fixed: the code targets Python 3.10 (py310)" in report
    assert program.read_text() == original


def test_the_refresh_loop_goes_on_after_a_pre_emption_and_now_stops(tmp_path: Path) -> None:
    program = copy("periodic_refresh.py", tmp_path)
    assert run(program) == (HUNG, "close() did not return")  # the teardown was swallowed
    report = fix(program, "--target-version", "py311")
    assert "periodic_refresh.py:38:13: FSR003" in report
    code, out = run(program)
    assert code == 0, out
    assert json.loads(out) == ["pre-empted", "manual", "scheduled"]  # it went on after the pre-emption


def test_the_refresh_loop_with_the_flag_its_close_sets_before_3_11(tmp_path: Path) -> None:
    program = copy("periodic_refresh.py", tmp_path)
    text = program.read_text()
    text = text.replace("        self._refresh = None\n",
                        "        self._refresh = None\n        self._closing = False\n")
    text = text.replace("        self._task.cancel()\n", "        self._closing = True\n        self._task.cancel()\n")
    program.write_text(text)
    assert run(program) == (HUNG, "close() did not return")
    fix(program, "--target-version", "py310")
    assert "                if self._closing:\n                    raise\n" in program.read_text()
    code, out = run(program)
    assert code == 0, out
    assert json.loads(out) == ["pre-empted", "manual", "scheduled"]


def test_the_poster_cools_down_as_before_and_now_stops_at_once(tmp_path: Path) -> None:
    """Issue 18's pause one call away: the helper's sleep held ``stop()`` up for the whole cool-down."""
    program = copy("rate_limited_poster.py", tmp_path)
    assert run(program) == (HUNG, "stop() did not return")
    report = fix(program)
    assert "rate_limited_poster.py:54:9: FSR005" in report
    assert "        self._stop.wait(COOL_DOWN)\n" in program.read_text()
    assert run(program) == (0, json.dumps([503]))  # one post in the first second: the wait did not end early
