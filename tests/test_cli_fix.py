"""``fs-lint fix``: in place, ``--diff``, ``--check``, atomic writes, refusals, noqa.

Most tests put a small stand-in for ``fixing.fix_source`` in place, so that
they test the command (what it writes, prints and returns) and not the
codemods; a few at the end run the real fixer.
"""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Callable, Iterable

import pytest

from fs_lint.checker import check_source
from fs_lint.cli import file_writing, fix_command
from fs_lint.cli.main import main
from fs_lint.findings import Finding
from fs_lint.model.cache_folder import CACHE_FOLDER
from fs_lint.fixing import FixResult, Refusal
from fs_lint.settings import Settings

# FSR001 at 5:5 (refused unless --unsafe-fixes) and FSR002 at 8:9 (a safe fix)
SOURCE = textwrap.dedent("""\
    import time


    def serve():
        while True:
            try:
                work()
            except BaseException:
                time.sleep(1)


    def close():  # the stop path the loop defeats: it retries what close() shut
        work.close()
""")
SAFE_FIXED = SOURCE.replace("BaseException", "Exception")
ALL_FIXED = SAFE_FIXED.replace("while True", "while not stopping")
UNSAFE = "an unsafe fix, applied only with --unsafe-fixes"
BOTH = ("--select", "FSR001,FSR002")


def stand_in_fix_source(source: bytes, settings: Settings, codes: Iterable[str] | None, unsafe: bool,
                        filename: str, skip: Callable[[Finding], bool] | None = None) -> FixResult:
    """Narrows ``except BaseException`` (safe); adds a stop flag to ``while True`` (unsafe)."""
    findings = check_source(source, settings, codes, filename)
    lines = source.split(b"\n")
    applied, refused = [], []
    for finding in findings:
        if skip is not None and skip(finding):
            continue
        if finding.code == "FSR002":
            lines[finding.line - 1] = lines[finding.line - 1].replace(b"BaseException", b"Exception")
            applied.append(finding)
        elif finding.code == "FSR001" and unsafe:
            lines[finding.line - 1] = lines[finding.line - 1].replace(b"while True", b"while not stopping")
            applied.append(finding)
        elif finding.code == "FSR001":
            refused.append(Refusal(finding.line, finding.col, finding.code, UNSAFE))
    new = b"\n".join(lines)
    return FixResult(new, applied, refused, check_source(new, settings, codes, filename))


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool]]:
    """Put the stand-in in place; records (filename, whether a skip was given) for each call."""
    seen: list[tuple[str, bool]] = []

    def recording(*args: object, **kwargs: object) -> FixResult:
        seen.append((str(args[4]), kwargs.get("skip") is not None))
        return stand_in_fix_source(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(fix_command, "load_fix_source", lambda: recording)
    return seen


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, calls: list[tuple[str, bool]]) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "svc.py").write_text(SOURCE)
    return tmp_path


def fix(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["fix", "--isolated", *BOTH, *argv])
    out, err = capsys.readouterr()
    return status, out, err


def no_temporary_files(directory: Path) -> bool:
    return not [name for name in os.listdir(directory) if name.endswith(".fs-lint-tmp")]


def test_fix_in_place_with_summary_and_refusals(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = fix(capsys)
    assert (project / "svc.py").read_text() == SAFE_FIXED
    assert out == ("fixed svc.py (1 fix)\n"  # the file's header, then what was not fixed in it
                   f"svc.py:5:5: FSR001 not fixed: {UNSAFE}\n"
                   "fs-lint: 1 file changed, 1 fix applied, 1 finding left\n")
    assert err == ""
    assert status == 1  # a finding is left


def test_unsafe_fixes_apply_the_rest(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = fix(capsys, "--unsafe-fixes")
    assert (project / "svc.py").read_text() == ALL_FIXED
    assert out == "fixed svc.py (2 fixes)\nfs-lint: 1 file changed, 2 fixes applied, 0 findings left\n"
    assert status == 0


def test_diff_writes_nothing(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = fix(capsys, "--diff")
    assert (project / "svc.py").read_text() == SOURCE
    assert out == textwrap.dedent("""\
        --- a/svc.py
        +++ b/svc.py
        @@ -5,7 +5,7 @@
             while True:
                 try:
                     work()
        -        except BaseException:
        +        except Exception:
                     time.sleep(1)
    """) + " \n \n"
    assert err == ("would fix svc.py (1 fix)\n"
                   f"svc.py:5:5: FSR001 not fixed: {UNSAFE}\n"
                   "fs-lint: 1 file would change, 1 fix would be applied, 1 finding left\n")
    assert status == 0


def test_diff_marks_a_missing_final_newline(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "svc.py").write_text(SOURCE.split("\n\n\ndef close")[0])  # the handler on the last lines
    _, out, _ = fix(capsys, "--diff")
    assert out.endswith("+        except Exception:\n             time.sleep(1)\n\\ No newline at end of file\n")


def test_check_exits_1_when_something_would_change_and_0_when_not(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = fix(capsys, "--check")
    assert status == 1
    assert out.startswith("--- a/svc.py\n+++ b/svc.py\n")
    assert (project / "svc.py").read_text() == SOURCE
    (project / "svc.py").write_text(SAFE_FIXED)  # only a refused fix is left: nothing would change
    status, out, err = fix(capsys, "--check")
    assert (status, out) == (0, "")
    assert err.endswith("fs-lint: 0 files would change, 0 fixes would be applied, 1 finding left\n")


def test_permissions_are_kept_and_the_write_is_a_rename(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = project / "svc.py"
    path.chmod(0o640)
    inode = path.stat().st_ino
    fix(capsys)
    assert path.read_text() == SAFE_FIXED
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert path.stat().st_ino != inode  # replaced, not rewritten in place: a reader never sees half a file
    assert no_temporary_files(project)


def test_executable_script_stays_executable(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = project / "svc.py"
    path.chmod(0o755)
    fix(capsys)
    assert stat.S_IMODE(path.stat().st_mode) == 0o755


def test_a_symbolic_link_is_written_through(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "real").mkdir()
    (project / "svc.py").rename(project / "real" / "svc.py")
    (project / "svc.py").symlink_to("real/svc.py")
    fix(capsys, "svc.py")
    assert (project / "svc.py").is_symlink()
    assert (project / "real" / "svc.py").read_text() == SAFE_FIXED


def test_a_file_reached_twice_is_fixed_once(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "alias.py").symlink_to("svc.py")
    status, out, err = fix(capsys)
    assert err == ""
    assert out.endswith("fs-lint: 1 file changed, 1 fix applied, 1 finding left\n")
    assert (project / "svc.py").read_text() == SAFE_FIXED


def test_read_only_file_is_left_alone_and_others_are_fixed(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "locked.py").write_text(SOURCE)
    (project / "locked.py").chmod(0o444)
    status, out, err = fix(capsys)
    assert err == "fs-lint: error: locked.py: not fixed: the file is read-only\n"
    assert (project / "locked.py").read_text() == SOURCE
    assert (project / "svc.py").read_text() == SAFE_FIXED
    assert out.endswith("fs-lint: 1 file changed, 1 fix applied, 3 findings left\n")
    assert status == 1


def test_failed_write_is_reported_and_leaves_no_temporary_file(
        project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "full.py").write_text(SOURCE)
    real_replace = os.replace

    def replace(source, target) -> None:  # ``os`` is shared: the facts cache renames its entries (paths) too
        if str(target).endswith("full.py"):
            raise OSError(28, "No space left on device")
        real_replace(source, target)

    monkeypatch.setattr(file_writing.os, "replace", replace)
    status, _, err = fix(capsys)
    assert err == "fs-lint: error: full.py: not fixed: cannot write: no space left on device\n"
    assert (project / "full.py").read_text() == SOURCE
    assert (project / "svc.py").read_text() == SAFE_FIXED
    assert no_temporary_files(project)
    assert status == 1


def test_read_only_directory(project: Path, capsys: pytest.CaptureFixture[str],
                             monkeypatch: pytest.MonkeyPatch) -> None:
    read_only = project / "ro"
    read_only.mkdir()
    (read_only / "a.py").write_text(SOURCE)
    read_only.chmod(0o555)
    if os.geteuid() == 0:  # root ignores the mode: fail where the kernel fails for everyone else
        real_mkstemp = tempfile.mkstemp

        def mkstemp(*args: object, dir: str | None = None, **kwargs: object) -> tuple[int, str]:
            if dir == os.path.realpath(read_only):
                raise PermissionError(13, "Permission denied")
            return real_mkstemp(*args, dir=dir, **kwargs)  # type: ignore[call-overload]

        monkeypatch.setattr(file_writing.tempfile, "mkstemp", mkstemp)
    try:
        status, _, err = fix(capsys)
    finally:
        read_only.chmod(0o755)
    assert err == "fs-lint: error: ro/a.py: not fixed: cannot write: permission denied\n"
    assert (read_only / "a.py").read_text() == SOURCE
    assert (project / "svc.py").read_text() == SAFE_FIXED
    assert status == 1


def test_a_file_changed_while_being_fixed_is_not_overwritten(
        project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    def edit_meanwhile(*args: object, **kwargs: object) -> FixResult:
        result = stand_in_fix_source(*args, **kwargs)  # type: ignore[arg-type]
        (project / "svc.py").write_text(SOURCE + "# edited in the editor\n")
        return result

    monkeypatch.setattr(fix_command, "load_fix_source", lambda: edit_meanwhile)
    status, _, err = fix(capsys)
    assert err == "fs-lint: error: svc.py: not fixed: the file changed on disk while it was being fixed\n"
    assert (project / "svc.py").read_text().endswith("# edited in the editor\n")
    assert status == 1


def test_noqa_findings_are_not_fixed(project: Path, capsys: pytest.CaptureFixture[str],
                                     calls: list[tuple[str, bool]]) -> None:
    (project / "svc.py").write_text(SOURCE.replace("except BaseException:", "except BaseException:  # noqa: FSR002"))
    (project / "plain.py").write_text(SOURCE)
    status, out, _ = fix(capsys)
    assert "BaseException:  # noqa: FSR002" in (project / "svc.py").read_text()
    assert (project / "plain.py").read_text() == SAFE_FIXED
    assert sorted(calls) == [("plain.py", False), ("svc.py", True)]  # the skip only where there is a noqa
    assert out.endswith("fs-lint: 1 file changed, 1 fix applied, 2 findings left\n")


def test_file_level_noqa_skips_fixing(project: Path, capsys: pytest.CaptureFixture[str],
                                      calls: list[tuple[str, bool]]) -> None:
    (project / "svc.py").write_text("# fs-lint: noqa\n" + SOURCE)
    status, out, _ = fix(capsys)
    assert calls == []
    assert "BaseException" in (project / "svc.py").read_text()
    assert (status, out) == (0, "fs-lint: 0 files changed, 0 fixes applied, 0 findings left\n")


def test_disable_noqa_fixes_them_too(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "svc.py").write_text(SOURCE.replace("except BaseException:", "except BaseException:  # noqa"))
    fix(capsys, "--disable-noqa")
    assert "except Exception:  # noqa" in (project / "svc.py").read_text()


def test_file_errors_and_missing_paths(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "broken.py").write_text("except (\n")
    status, _, err = fix(capsys, "broken.py", "svc.py")
    assert err.startswith("fs-lint: error: broken.py: syntax error at line 1: ")
    assert err.count("\n") == 1
    assert status == 1
    status, _, err = fix(capsys, "gone.py", "svc.py")
    assert (status, err) == (2, "fs-lint: error: gone.py: no such file or directory\n")


def test_parallel_fix_gives_the_same_output_and_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """With the real fixer: a stand-in would not reach workers that are spawned rather than forked."""
    results = []
    for jobs in ("1", "2"):
        root = tmp_path / f"j{jobs}"
        root.mkdir()
        for index in range(24):
            (root / f"m{index:02}.py").write_text(SOURCE if index % 3 else SAFE_FIXED)
        monkeypatch.chdir(root)
        outcome = fix(capsys, "-j", jobs)
        files = {path.name: path.read_text() for path in sorted(root.iterdir())
                 if path.name != CACHE_FOLDER}  # the project's files: the folder beside them is the model's cache
        results.append((outcome, files))
    assert results[0] == results[1]
    (_, out, _), files = results[0]
    assert "fs-lint: 16 files changed, 16 fixes applied, " in out
    assert all(("except KeyboardInterrupt:\n            raise\n" in text) == (text != SAFE_FIXED)
               for text in files.values())


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_only_on_a_terminal(project: Path, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    _, _, err = fix(capsys, "--diff")
    assert "fixing" not in err
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    fix(capsys, "--diff")
    assert terminal.getvalue().startswith("\rfs-lint: fixing 1/1 files\r\x1b[K")


# The real fixer, end to end: the command and the codemods agree on the interface.

def test_real_fixer_end_to_end(tmp_path: Path) -> None:
    source = SOURCE.replace("except BaseException:", "except BaseException:") + textwrap.dedent("""\


        def other():
            while True:
                try:
                    work()
                except BaseException:  # noqa: FSR002
                    time.sleep(1)
    """)
    (tmp_path / "svc.py").write_text(source)
    argv = [sys.executable, "-m", "fs_lint", "fix", "--isolated", "--select", "FSR002"]
    check = subprocess.run([*argv, "--check"], capture_output=True, text=True, cwd=tmp_path)
    assert check.returncode == 1, check.stderr
    assert "+        except KeyboardInterrupt:\n+            raise\n         except BaseException:\n" in check.stdout
    assert (tmp_path / "svc.py").read_text() == source
    applied = subprocess.run(argv, capture_output=True, text=True, cwd=tmp_path)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "1 file changed, 1 fix applied, 0 findings left" in applied.stdout
    fixed = (tmp_path / "svc.py").read_text()
    assert fixed.count("except KeyboardInterrupt:") == 1
    assert "except BaseException:  # noqa: FSR002" in fixed
    again = subprocess.run([*argv, "--check"], capture_output=True, text=True, cwd=tmp_path)
    assert (again.returncode, again.stdout) == (0, "")


def test_show_fixes_says_which_comment_the_fix_made_false(tmp_path: Path) -> None:
    (tmp_path / "poller.py").write_text(textwrap.dedent("""\
        import threading

        stop = threading.Event()


        def poll(conn):
            while not stop.is_set():
                try:
                    conn.poll()
                except KeyboardInterrupt:  # ignore Ctrl-C and keep polling
                    continue
    """))
    done = subprocess.run([sys.executable, "-m", "fs_lint", "fix", "--isolated", "--show-fixes", "poller.py"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == (
        "fixed poller.py (1 fix)\n"
        "    poller.py:10:9: FSR003 shutdown-exception-swallowed\n"
        "        removed the comment `# ignore Ctrl-C and keep polling` (line 10): the fix makes it false\n"
        "fs-lint: 1 file changed, 1 fix applied, 0 findings left\n")
    assert "        except KeyboardInterrupt:\n            raise\n" in (tmp_path / "poller.py").read_text()
