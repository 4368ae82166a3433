"""``fs-lint check``: findings, exit statuses, file errors, parallel runs, start-up cost."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fs_lint.cli.main import main
from tests.cli_output import unmarked, without_summary

# FSR001 at 5:5 and FSR002 at 8:9 (1-based columns)
SWALLOWS = textwrap.dedent("""\
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
# FSR001 at 5:5 only
RETRIES = SWALLOWS.replace("BaseException", "ConnectionError")
CLEAN = "def f():\n    try:\n        g()\n    except Exception:\n        pass\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["check", "--isolated", *argv])
    out, err = capsys.readouterr()
    return status, unmarked(out), without_summary(err)


def test_findings_print_like_flake8_and_exit_1(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "svc.py").write_text(SWALLOWS)
    status, out, err = run(capsys, "svc.py")
    assert status == 1
    assert err == ""
    lines = out.splitlines()
    assert [line.split(" ")[0] for line in lines] == ["svc.py:5:5:", "svc.py:8:9:"]
    assert lines[0].startswith("svc.py:5:5: FSR001 retry loop without shutdown check: ")
    assert lines[1].startswith("svc.py:8:9: FSR002 ")


def test_same_findings_as_flake8(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "svc.py").write_text(SWALLOWS)
    (project / "other.py").write_text(RETRIES)
    flake8 = subprocess.run([sys.executable, "-m", "flake8", "--isolated", "--select", "FSR", "svc.py", "other.py"],
                            capture_output=True, text=True, cwd=project)
    _, out, _ = run(capsys, "svc.py", "other.py")
    assert sorted(out.splitlines()) == sorted(flake8.stdout.splitlines())
    assert out


def test_clean_file_exits_0_silently(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "ok.py").write_text(CLEAN)
    assert run(capsys, "ok.py") == (0, "", "")


def test_output_is_sorted_by_path_then_position(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "b.py").write_text(SWALLOWS)
    (project / "a").mkdir()
    (project / "a" / "z.py").write_text(RETRIES)
    (project / "a.py").write_text(SWALLOWS)
    _, out, _ = run(capsys)
    assert [line.split(":")[0:2] for line in out.splitlines()] == [
        ["a.py", "5"], ["a.py", "8"], ["a/z.py", "5"], ["b.py", "5"], ["b.py", "8"]]


def test_missing_path_is_named_others_still_checked_exit_2(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "svc.py").write_text(SWALLOWS)
    status, out, err = run(capsys, "nope.py", "svc.py")
    assert status == 2
    assert err == "fs-lint: error: nope.py: no such file or directory\n"
    assert out.count("svc.py:") == 2


def test_explicit_file_without_py_suffix_is_checked(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "worker").write_text("#!/usr/bin/env python\n" + SWALLOWS)
    status, out, _ = run(capsys, "worker")
    assert status == 1
    assert out.startswith("worker:6:5: FSR001")


@pytest.mark.parametrize(("content", "reason"), [
    (b"try:\n    pass\nexcept:\n    x = (\n", "syntax error at line 4: '(' was never closed"),
    (b"try:\n    pass\nexcept:\n    pass\n\x00\n", "contains a null byte"),
    (b"try:\n    pass\nexcept:\n    x = '\xff'\n", "not valid text in its encoding: "),
    (b"# -*- coding: klingon -*-\ntry:\n    pass\nexcept:\n    pass\n", "bad coding cookie: unknown encoding"),
])
def test_file_errors_are_one_line_and_do_not_stop_the_run(
        project: Path, capsys: pytest.CaptureFixture[str], content: bytes, reason: str) -> None:
    (project / "bad.py").write_bytes(content)
    (project / "svc.py").write_text(SWALLOWS)
    status, out, err = run(capsys, "bad.py", "svc.py")
    assert status == 1
    assert err.startswith(f"fs-lint: error: bad.py: {reason}")
    assert err.count("\n") == 1
    assert out.count("svc.py:") == 2


def test_a_file_error_alone_exits_1(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "bad.py").write_bytes(b"except:(\n")
    status, out, err = run(capsys, "bad.py")
    assert (status, out) == (1, "")
    assert "bad.py: syntax error at line 1" in err


def test_latin1_coding_cookie_and_utf8_bom_are_read(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "latin.py").write_bytes(b"# -*- coding: latin-1 -*-\n# caf\xe9\n" + SWALLOWS.encode())
    (project / "bom.py").write_bytes(b"\xef\xbb\xbf" + SWALLOWS.encode())
    status, out, err = run(capsys, "latin.py", "bom.py")
    assert err == ""
    assert status == 1
    assert [line.split(" ")[0] for line in out.splitlines()] == [
        "bom.py:5:5:", "bom.py:8:9:", "latin.py:7:5:", "latin.py:10:9:"]


def test_directory_named_like_a_python_file_is_walked_not_read(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pkg.py").mkdir()
    (project / "pkg.py" / "inner.py").write_text(RETRIES)
    status, out, err = run(capsys, "pkg.py")
    assert (status, err) == (1, "")
    assert out.startswith(os.path.join("pkg.py", "inner.py") + ":5:5: FSR001")


def test_a_directory_that_reaches_the_reader_is_a_file_error(project: Path) -> None:
    from fs_lint.cli.check_command import CheckTask, check_file
    from fs_lint.cli.plan import FileTask
    from fs_lint.settings import Settings

    (project / "pkg.py").mkdir()  # e.g. replaced by a directory between discovery and reading
    report, _ = check_file(CheckTask(FileTask(str(project / "pkg.py"), "pkg.py", ("FSR001",), Settings(), False), True))
    assert (report.error, report.findings) == ("is a directory", ())


def test_unreadable_file_is_reported_by_name(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.mkfifo(project / "pipe.py")  # reading it would block: it is refused unread
    (project / "loop.py").symlink_to("loop.py")
    (project / "svc.py").write_text(SWALLOWS)
    status, out, err = run(capsys, "pipe.py", "loop.py", "svc.py")
    assert status == 1
    assert err.splitlines() == [
        "fs-lint: error: loop.py: cannot read: too many levels of symbolic links (a link loop?)",
        "fs-lint: error: pipe.py: not a regular file",
    ]
    assert out.count("svc.py:") == 2


def test_recursion_error_is_a_file_error(project: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import fs_lint.file_check as file_check  # check_command imports it when a file needs checking

    def explode(*args: object, **kwargs: object) -> list[object]:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(file_check, "check_bytes_keeping", explode)
    (project / "deep.py").write_text(SWALLOWS)
    status, _, err = run(capsys, "deep.py")
    assert status == 1
    assert err == "fs-lint: error: deep.py: too deeply nested to analyse (hit the recursion limit)\n"


def test_parallel_output_is_identical_to_serial(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for index in range(30):
        (project / f"m{index:02}.py").write_text([SWALLOWS, RETRIES, CLEAN][index % 3])
    (project / "broken.py").write_text("except (\n")
    serial = run(capsys, "-j", "1")
    parallel = run(capsys, "-j", "2")
    default = run(capsys)  # more than 20 files: as many workers as CPUs
    assert serial == parallel == default
    assert serial[0] == 1
    assert serial[1].count("\n") == 30
    assert "broken.py: syntax error" in serial[2]


def test_jobs_must_be_a_positive_number(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "-j", "0")
    assert status == 2
    assert "expected a number of processes" in err


def test_unknown_code_in_select_is_a_usage_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "--select", "E501")
    assert status == 2
    assert "'E501' is not an fs-lint code or prefix" in err


def test_help_documents_exit_statuses(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "exit status:" in out
    for line in ("  0  ", "  1  ", "  2  "):
        assert line in out
    assert main(["check", "--help"]) == 0
    assert "exit status:" in capsys.readouterr().out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from fs_lint import __version__
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"fs-lint {__version__}\n"


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().err


# End to end, in a real process: the module entry point, the exit status, the streams.

def _fs_lint(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fs_lint", *argv], capture_output=True, text=True, cwd=cwd)


def test_module_entry_point_end_to_end(tmp_path: Path) -> None:
    (tmp_path / "svc.py").write_text(SWALLOWS)
    (tmp_path / "ok.py").write_text(CLEAN)
    found = _fs_lint("check", "--isolated", "svc.py", cwd=tmp_path)
    assert (found.returncode, without_summary(found.stderr)) == (1, "")
    assert found.stdout.startswith("svc.py:5:5: FSR001")
    clean = _fs_lint("check", "--isolated", "ok.py", cwd=tmp_path)
    assert (clean.returncode, clean.stdout, clean.stderr) == (0, "", "All checks passed!\n")
    missing = _fs_lint("check", "--isolated", "gone.py", cwd=tmp_path)
    assert (missing.returncode, missing.stderr) == (2, "fs-lint: error: gone.py: no such file or directory\n")


def test_parallel_end_to_end_matches_serial(tmp_path: Path) -> None:
    for index in range(25):
        (tmp_path / f"m{index:02}.py").write_text(SWALLOWS if index % 2 else RETRIES)
    serial = _fs_lint("check", "--isolated", "-j", "1", cwd=tmp_path)
    parallel = _fs_lint("check", "--isolated", "-j", "2", cwd=tmp_path)
    assert (serial.returncode, serial.stdout, serial.stderr) == (parallel.returncode, parallel.stdout, parallel.stderr)
    assert serial.stdout.count("\n") == 12 * 2 + 13


def test_check_path_does_not_import_libcst(tmp_path: Path) -> None:
    """LibCST is paid for only by a file with a finding whose fix ``[*]`` must promise or not."""
    (tmp_path / "svc.py").write_text(SWALLOWS)
    (tmp_path / "clean.py").write_text("while True:\n    try:\n        work()\n    except Exception:\n        pass\n")
    probe = textwrap.dedent("""\
        import sys
        import fs_lint.cli.main
        assert "libcst" not in sys.modules, "importing the CLI imported libcst"
        status = fs_lint.cli.main.main(["check", "--isolated", "clean.py"])
        assert status == 0, status
        assert "libcst" not in sys.modules, "checking a file without findings imported libcst"
        status = fs_lint.cli.main.main(["check", "--isolated", "-q", "--format", "github", "svc.py"])
        assert status == 1, status
        assert "libcst" not in sys.modules, "a report that shows no fixability imported libcst"
        print("ok")
    """)
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("ok\n")


def test_examples_are_left_out_unless_asked(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A sample client that loops until Ctrl-C shows an API; nobody deploys it (issue 18)."""
    for folder in ("examples", "docs/samples", "demo", "conf/example_apps", "usage-examples"):
        (project / folder).mkdir(parents=True)
        (project / folder / "client.py").write_text(SWALLOWS)
    (project / "exampleservice").mkdir()
    (project / "exampleservice" / "client.py").write_text(SWALLOWS)  # only a folder named so is examples
    status, out, _ = run(capsys, ".")
    assert status == 1 and {line.split(":")[0] for line in out.splitlines()} == {"exampleservice/client.py"}
    status, out, _ = run(capsys, "--include-examples", ".")
    assert {line.split(":")[0] for line in out.splitlines()} == {
        "demo/client.py", "docs/samples/client.py", "examples/client.py", "conf/example_apps/client.py",
        "usage-examples/client.py", "exampleservice/client.py"}


def test_vendored_libraries_are_left_out_unless_asked(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A daemon that ships its dependencies runs them, but their fix belongs upstream (issue 18): a folder
    the project's own code puts on sys.path, or one named for vendoring, holds other people's code."""
    (project / ".git").mkdir()
    (project / "daemon.py").write_text(
        "import os\nimport sys\n\nsys.path.insert(0, os.path.join(os.path.dirname(__file__), 'lib'))\n")
    for package in ("lib/scheduler", "third_party/retrying", "plexapp"):
        (project / package).mkdir(parents=True)
        (project / package / "__init__.py").write_text("")
        (project / package / "worker.py").write_text(SWALLOWS)
    (project / "libs").mkdir()
    (project / "libs" / "worker.py").write_text(SWALLOWS)  # a folder nothing puts on sys.path is the project's
    status, out, _ = run(capsys, ".")
    assert status == 1 and {line.split(":")[0] for line in out.splitlines()} == {
        "plexapp/worker.py", "libs/worker.py"}
    status, out, _ = run(capsys, "--include-vendored", ".")
    assert {line.split(":")[0] for line in out.splitlines()} == {
        "lib/scheduler/worker.py", "third_party/retrying/worker.py", "plexapp/worker.py", "libs/worker.py"}


def test_a_vendored_library_with_its_own_setup_py_is_still_vendored(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``lib/rarfile/setup.py`` makes the copied library's folder look like a project root; the project around
    it, whose start script puts ``lib`` on sys.path, says it is other people's code (held-out round 18)."""
    (project / ".git").mkdir()
    (project / "daemon.py").write_text(
        "import os\nimport sys\n\nsys.path.insert(1, os.path.join(os.path.dirname(__file__), 'lib'))\n")
    (project / "lib" / "rarlib").mkdir(parents=True)
    (project / "lib" / "__init__.py").write_text("")
    (project / "lib" / "rarlib" / "__init__.py").write_text("")
    (project / "lib" / "rarlib" / "setup.py").write_text("from setuptools import setup\n\nsetup(name='rarlib')\n")
    (project / "lib" / "rarlib" / "worker.py").write_text(SWALLOWS)
    (project / "app").mkdir()
    (project / "app" / "__init__.py").write_text("")
    (project / "app" / "worker.py").write_text(SWALLOWS)
    status, out, _ = run(capsys, ".")
    assert status == 1 and {line.split(":")[0] for line in out.splitlines()} == {"app/worker.py"}
    status, out, _ = run(capsys, "--include-vendored", ".")
    assert {line.split(":")[0] for line in out.splitlines()} == {"app/worker.py", "lib/rarlib/worker.py"}


def test_a_folder_put_on_sys_path_through_a_name_is_vendored(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``lib_path = os.path.join(..., 'lib3')`` then ``sys.path.insert(1, lib_path)``, as a daemon's start-up helper
    writes it: the folder is other people's code all the same."""
    (project / ".git").mkdir()
    (project / "tvd").mkdir()
    (project / "tvd" / "__init__.py").write_text("")
    (project / "tvd" / "paths.py").write_text(
        "import os\nimport sys\n\n\ndef setup_lib_path():\n"
        "    lib_path = os.path.abspath(os.path.join(os.path.dirname(os.path.dirname(__file__)), 'lib3'))\n"
        "    if lib_path not in sys.path:\n        sys.path.insert(1, lib_path)\n")
    (project / "lib3" / "clicky").mkdir(parents=True)
    (project / "lib3" / "clicky" / "worker.py").write_text(SWALLOWS)
    (project / "tvd" / "worker.py").write_text(SWALLOWS)
    status, out, _ = run(capsys, ".")
    assert status == 1 and {line.split(":")[0] for line in out.splitlines()} == {"tvd/worker.py"}


def test_sys_path_calls_over_several_lines_or_in_a_one_line_branch_are_read(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The scan reads only the statements that name ``sys.path``: a call spread over lines, and one in an
    ``elif`` on its own line (which does not parse alone, so the whole module is read)."""
    (project / ".git").mkdir()
    (project / "start.py").write_text(
        "import os\nimport sys\n\nHERE = os.path.dirname(__file__)\nsys.path.insert(\n    0,\n"
        "    os.path.join(HERE, 'deps'),\n)\n")
    (project / "boot.py").write_text(
        "import sys\n\nif sys.platform == 'win32':\n    pass\nelif True: sys.path.append('ext3')\n")
    for folder in ("deps/pkg", "ext3/pkg", "own"):
        (project / folder).mkdir(parents=True)
        (project / folder / "worker.py").write_text(SWALLOWS)
    status, out, _ = run(capsys, ".")
    assert status == 1 and {line.split(":")[0] for line in out.splitlines()} == {"own/worker.py"}


def test_a_source_folder_on_sys_path_that_holds_the_project_is_not_vendored(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pyproject.toml").write_text('[project]\nname = "order-service"\n')
    (project / "run.py").write_text("import sys\n\nsys.path.insert(0, 'src')\n")
    (project / "src" / "order_service").mkdir(parents=True)
    (project / "src" / "order_service" / "__init__.py").write_text("")
    (project / "src" / "order_service" / "worker.py").write_text(SWALLOWS)
    status, out, _ = run(capsys, ".")
    assert status == 1 and {line.split(":")[0] for line in out.splitlines()} == {"src/order_service/worker.py"}


@pytest.mark.parametrize("marker, text", [
    ("setup.py", "from setuptools import setup\n\nsetup(name='acme-mqtt',\n      package_dir={'': 'src'},\n"
                 "      packages=['acme', 'acme.mqtt'])\n"),
    ("pyproject.toml", '[project]\nname = "acme-mqtt"\n\n[tool.setuptools.packages.find]\nwhere = ["src"]\n'),
    ("setup.cfg", "[metadata]\nname = acme-mqtt\n\n[options]\npackage_dir =\n    =src\n"),
    ("pyproject.toml", '[tool.poetry]\nname = "acme-mqtt"\npackages = [{ include = "acme", from = "src" }]\n'),
    ("setup.py", "from setuptools import find_packages, setup\n\nsetup(name='acme-mqtt', package_dir={'': 'src'},\n"
                 "      packages=find_packages('src', exclude=['lib', 'tests']))\n"),
])
def test_the_folder_the_packaging_builds_from_is_not_vendored(
        project: Path, capsys: pytest.CaptureFixture[str], marker: str, text: str) -> None:
    """paho-mqtt's shape: its package is ``src/paho``, not named after the project, and a script puts ``src``
    on ``sys.path``; the metadata says the packages are built from ``src``, so it is the project's own code.
    A ``lib`` folder the same script puts on the path is still other people's."""
    (project / marker).write_text(text)
    (project / "run_tests.py").write_text("import sys\n\nsys.path.insert(0, 'src')\nsys.path.insert(0, 'lib')\n")
    (project / "src" / "acme" / "mqtt").mkdir(parents=True)
    (project / "src" / "acme" / "mqtt" / "worker.py").write_text(SWALLOWS)
    (project / "lib" / "retrying").mkdir(parents=True)
    (project / "lib" / "retrying" / "worker.py").write_text(SWALLOWS)
    status, out, _ = run(capsys, ".")
    assert status == 1 and {line.split(":")[0] for line in out.splitlines()} == {"src/acme/mqtt/worker.py"}


def test_show_settings_says_a_file_is_vendored(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / ".git").mkdir()
    (project / "vendor" / "backoff").mkdir(parents=True)
    (project / "vendor" / "backoff" / "core.py").write_text(SWALLOWS)
    assert main(["check", "--isolated", "--show-settings", "vendor/backoff/core.py"]) == 0
    assert "# vendored: vendor/ holds other people's libraries" in capsys.readouterr().out
    assert main(["check", "--isolated", "--include-vendored", "--show-settings", "vendor/backoff/core.py"]) == 0
    assert "# vendored" not in capsys.readouterr().out


def test_the_vendoring_scan_reads_no_pipe(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The look at the project's scripts for sys.path set-up opens plain files only: a FIFO named like a
    script beside a file with findings would block the read for good."""
    (project / ".git").mkdir()
    os.mkfifo(project / "setup_paths.py")
    (project / "svc.py").write_text(SWALLOWS)
    status, out, _ = run(capsys, "svc.py")
    assert status == 1 and out.startswith("svc.py:5:5: FSR001")


def test_a_run_in_process_leaves_the_garbage_collector_as_it_found_it(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The run lowers the collector's pace and freezes what is alive at its start (runner.fewer_collections);
    a program that calls ``main()`` in-process, an editor or a test, gets it back as it was."""
    import gc

    (project / "svc.py").write_text(SWALLOWS)
    before = (gc.get_threshold(), gc.get_freeze_count(), gc.isenabled())
    run(capsys, "svc.py")
    assert (gc.get_threshold(), gc.get_freeze_count(), gc.isenabled()) == before


def test_copies_kept_aside_are_left_out_unless_asked(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 18: a copy of one of the project's own modules kept beside it, or a backup/ folder of old code,
    is not the service when nothing in the project imports it; a module that something imports is."""
    (project / ".git").mkdir()
    (project / "svc").mkdir()
    (project / "svc" / "__init__.py").write_text("")
    for name in ("worker.py", "worker_old.py", "worker copy.py", "consumer_bak.py", "legacy.py", "legacy_old.py"):
        (project / "svc" / name).write_text(SWALLOWS)
    (project / "svc" / "main.py").write_text("from svc import legacy_old\n")  # imported: it runs
    (project / "backup").mkdir()
    (project / "backup" / "poller.py").write_text(SWALLOWS)
    (project / "old").mkdir()
    (project / "old" / "sender.py").write_text(SWALLOWS)
    (project / "tools.py").write_text("from old import sender\n")  # this old/ folder is imported
    status, out, _ = run(capsys, ".")
    assert status == 1 and {line.split(":")[0] for line in out.splitlines()} == {
        "svc/worker.py", "svc/consumer_bak.py", "svc/legacy.py", "svc/legacy_old.py", "old/sender.py"}
    status, out, _ = run(capsys, "--include-backups", ".")
    assert {line.split(":")[0] for line in out.splitlines()} == {
        "svc/worker.py", "svc/worker_old.py", "svc/worker copy.py", "svc/consumer_bak.py", "svc/legacy.py",
        "svc/legacy_old.py", "backup/poller.py", "old/sender.py"}
    assert main(["check", "--isolated", "--show-settings", "svc/worker_old.py"]) == 0
    assert "# kept aside: a copy of worker.py that nothing in the project imports" in capsys.readouterr().out
