"""The result cache: a second ``check`` reads the reports back, says the same bytes, and never says stale ones."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# A stop path in one module that waits on a task whose work lives in another (the program model's case).
SERVICE = """\
import asyncio

from worker import pump


class Service:
    def __init__(self):
        self._task = asyncio.ensure_future(pump())

    async def stop(self):
        await self._task
"""
WORKER_LOOPS = """\
import asyncio


async def pump():
    while True:
        await asyncio.sleep(1)
"""
WORKER_ENDS = """\
import asyncio


async def pump():
    await asyncio.sleep(1)
"""


def _check(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fs_lint", "check", *argv], cwd=cwd, capture_output=True,
                          text=True, timeout=300, check=False)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "fixtures" / "rules", tmp_path / "rules")
    (tmp_path / "pyproject.toml").write_text("[tool.fs-lint]\n")
    return tmp_path


def _entries(root: Path) -> list[Path]:
    return sorted((root / ".fs-lint-cache" / "results").rglob("*.json"))


@pytest.mark.parametrize("output", [(), ("--format", "json"), ("--statistics",)])
def test_output_is_byte_identical_cold_warm_without_cache_and_for_any_jobs(project: Path, output) -> None:
    cold = _check(project, *output, "rules", "-j", "1")
    assert _entries(project), "the first run filled the cache"
    runs = [_check(project, *output, "rules", "-j", "1"), _check(project, *output, "rules", "-j", "2"),
            _check(project, *output, "--no-cache", "rules", "-j", "2")]
    for run in runs:
        assert (run.returncode, run.stdout, run.stderr) == (cold.returncode, cold.stdout, cold.stderr)


def test_a_change_in_another_module_makes_the_cached_report_stale(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.fs-lint]\nextend-select = [\"FSR901\"]\n")
    (tmp_path / "service.py").write_text(SERVICE)
    (tmp_path / "worker.py").write_text(WORKER_LOOPS)
    first = _check(tmp_path, "service.py")
    assert "FSR901" in first.stdout and "pump()" in first.stdout
    assert _check(tmp_path, "service.py").stdout == first.stdout
    (tmp_path / "worker.py").write_text(WORKER_ENDS)  # service.py itself is unchanged
    assert "FSR901" not in _check(tmp_path, "service.py").stdout


def test_a_corrupt_or_half_written_entry_is_checked_again(project: Path) -> None:
    cold = _check(project, "rules/FSR002")
    for entry in _entries(project):
        entry.write_text(entry.read_text()[:20])
    again = _check(project, "rules/FSR002")
    assert (again.returncode, again.stdout, again.stderr) == (cold.returncode, cold.stdout, cold.stderr)


def test_a_cache_folder_that_cannot_be_made_is_no_error(project: Path) -> None:
    """A file where the folder would go: the cache is skipped without a word (as in a read-only checkout)."""
    (project / ".fs-lint-cache").write_text("not a folder\n")
    cold = _check(project, "--no-cache", "rules/FSR002")
    run = _check(project, "rules/FSR002")
    assert (run.returncode, run.stdout, run.stderr) == (cold.returncode, cold.stdout, cold.stderr)


def test_no_cache_writes_nothing(project: Path) -> None:
    _check(project, "--no-cache", "rules/FSR002")
    assert not (project / ".fs-lint-cache").exists()


def test_a_report_of_another_python_is_not_read_back() -> None:
    """Its parser decides which syntax is an error: a 3.12 ``type`` statement is one on 3.11 only."""
    import subprocess as sp

    probe = ("import sys; from fs_lint.cli import result_cache as r; "
             "r.sys.version = 'another build'; print(r._code_digest())")
    other = sp.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    this = sp.run([sys.executable, "-c", "from fs_lint.cli import result_cache as r; print(r._code_digest())"],
                  capture_output=True, text=True, check=True).stdout.strip()
    assert other and this and other != this


def test_two_runs_in_one_process_see_a_change_in_another_module(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The project's fingerprint is taken per run, not once per process (an editor or a test calls
    ``check`` in-process)."""
    from fs_lint.cli.main import main

    (tmp_path / "pyproject.toml").write_text("[tool.fs-lint]\nextend-select = [\"FSR901\"]\n")
    (tmp_path / "service.py").write_text(SERVICE)
    (tmp_path / "worker.py").write_text(WORKER_LOOPS)
    monkeypatch.chdir(tmp_path)
    main(["check", "service.py"])
    assert "FSR901" in capsys.readouterr().out
    (tmp_path / "worker.py").write_text(WORKER_ENDS)
    main(["check", "service.py"])
    assert "FSR901" not in capsys.readouterr().out


def _packs(root: Path) -> list[Path]:
    return sorted((root / ".fs-lint-cache" / "results").glob("*.json"))


def test_one_pack_per_project_that_does_not_grow_with_runs(project: Path) -> None:
    """Each run writes one file for the whole project and removes the packs it read; an edit makes
    every entry stale, and the stale ones go with the old pack."""
    _check(project, "rules")
    assert len(_packs(project)) == 1
    (project / "rules" / "new_module.py").write_text("x = 1\n")  # a new fingerprint: every entry stale
    _check(project, "rules")
    _check(project, "rules")  # all hits: nothing new, nothing written
    assert len(_packs(project)) == 1


def test_a_run_on_other_files_keeps_the_entries_of_the_first(project: Path) -> None:
    """``check a`` then ``check b``: the second pack holds both, so ``check a`` is still a hit."""
    first = _check(project, "rules/FSR002")
    _check(project, "rules/FSR003")
    entries = json.loads(_packs(project)[0].read_text())["entries"]
    shown = {entry["shown"] for entry in entries.values()}
    assert any(s.startswith(os.path.join("rules", "FSR002")) for s in shown)
    assert any(s.startswith(os.path.join("rules", "FSR003")) for s in shown)
    again = _check(project, "rules/FSR002")
    assert (again.returncode, again.stdout, again.stderr) == (first.returncode, first.stdout, first.stderr)


def test_entries_of_the_older_one_file_per_entry_layout_are_removed(project: Path) -> None:
    old = project / ".fs-lint-cache" / "results" / "ab"
    old.mkdir(parents=True)
    (old / ("ab" + "0" * 62 + ".json")).write_text("{}")
    _check(project, "rules/FSR002")
    assert not old.exists() and len(_packs(project)) == 1
