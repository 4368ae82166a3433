"""``target-version``: which Python the checked code runs on, given or read from ``requires-python``.

The rewrites use it to decide what they may write (``Task.cancelling()`` and ``asyncio.timeout``
are 3.11's). Given as ruff spells it, as a key of ``[tool.fs-lint]``, ``--target-version`` and
flake8's ``--fsr-target-version``; when not given, read from ``requires-python`` of the same
``pyproject.toml`` (of the nearest one when none configures fs-lint), as ruff does.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fs_lint.cli.main import main
from fs_lint.project.file_settings import ProjectSettings
from fs_lint.project.python_versions import lowest_allowed, parse_target
from fs_lint.settings import Settings

# An FSR901 wait: its bound is written with ``asyncio.timeout`` only for 3.11 and newer.
WAIT = textwrap.dedent("""\
    import asyncio


    class Forwarder:
        def start(self):
            self._task = asyncio.create_task(asyncio.sleep(60))

        async def close(self):
            await self._task
""")


@pytest.mark.parametrize(("text", "version"), [("py310", (3, 10)), ("py311", (3, 11)), ("PY37", (3, 7)),
                                                ("py314", (3, 14))])
def test_versions_are_spelled_as_ruff_spells_them(text: str, version: tuple[int, int]) -> None:
    assert parse_target(text) == version


@pytest.mark.parametrize("wrong", ["3.11", "py36", "py399", "python311", 311, ["py311"]])
def test_anything_else_is_refused_with_what_is_expected(wrong: object) -> None:
    with pytest.raises(ValueError, match=r'py37 to py314 \(such as "py311"\)'):
        parse_target(wrong)


@pytest.mark.parametrize(("requires", "version"), [
    (">=3.10", (3, 10)), (">=3.8,<4", (3, 8)), ("~=3.11.2", (3, 11)), ("==3.12.*", (3, 12)),
    (">3.9", (3, 9)), (">=2.7,!=3.0.*", (3, 7)), (">=3.6", (3, 7)), (">= 3.11, != 3.11.1", (3, 11)),
    ("<4", None), ("", None), ("^3.10", None), (">=4", None),
])
def test_the_lowest_version_requires_python_allows(requires: str, version: tuple[int, int] | None) -> None:
    assert lowest_allowed(requires) == version


def _target(directory: Path, **load) -> tuple[int, int] | None:
    return ProjectSettings(directory, **load).rules_for_directory(directory).settings.target_version


def test_read_from_requires_python_of_the_file_that_configures_fs_lint(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nrequires-python = ">=3.11"\n[tool.fs-lint]\n')
    (tmp_path / "pkg").mkdir()
    assert _target(tmp_path / "pkg") == (3, 11)
    assert _target(tmp_path, isolated=True) is None


def test_the_table_s_own_key_wins_over_requires_python(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nrequires-python = ">=3.9"\n[tool.fs-lint]\ntarget-version = "py312"\n')
    assert _target(tmp_path) == (3, 12)


def test_without_a_table_the_nearest_pyproject_says(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nrequires-python = ">=3.12"\n')
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "pyproject.toml").write_text('[project]\nname = "sub"\n')  # nearest, and silent
    assert _target(tmp_path) == (3, 12)
    assert _target(tmp_path / "sub") is None


def test_unknown_is_none_and_assumes_nothing() -> None:
    assert Settings().target_version is None
    assert not Settings().python_at_least(3, 10)
    assert Settings(target_version=(3, 12)).python_at_least(3, 11)


def test_a_wrong_key_is_one_line_naming_the_file_and_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.fs-lint]\ntarget-version = "3.11"\n')
    (tmp_path / "a.py").write_text("x = 1\n")
    monkeypatch.chdir(tmp_path)
    assert main(["check", "a.py"]) == 2
    err = capsys.readouterr().err
    assert err == ("fs-lint: error: pyproject.toml: [tool.fs-lint] target-version: expected a Python version "
                   "written as ruff writes it, py37 to py314 (such as \"py311\"), got '3.11'\n")


def _fix_diff(directory: Path, *argv: str) -> str:
    done = subprocess.run([sys.executable, "-m", "fs_lint", "fix", "--diff", "--unsafe-fixes", "--select", "FSR901",
                           *argv, "app.py"], cwd=directory, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_flag_the_file_and_requires_python_reach_the_rewrite(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(WAIT)
    assert "asyncio.wait_for(asyncio.shield(self._task), 10)" in _fix_diff(tmp_path)
    assert "async with asyncio.timeout(10):" in _fix_diff(tmp_path, "--target-version", "py311")
    (tmp_path / "pyproject.toml").write_text('[project]\nrequires-python = ">=3.11"\n')
    assert "async with asyncio.timeout(10):" in _fix_diff(tmp_path)
    assert "asyncio.wait_for(" in _fix_diff(tmp_path, "--target-version", "py310")  # the flag wins
    assert "asyncio.wait_for(" in _fix_diff(tmp_path, "--isolated")


def test_flake8_takes_it_as_fsr_target_version(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("x = 1\n")
    (tmp_path / "setup.cfg").write_text("[flake8]\nfsr-target-version = py399\n")
    done = subprocess.run([sys.executable, "-m", "flake8", "--select", "FSR", "app.py"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "fs-lint: error: --fsr-target-version: expected a Python version" in done.stdout + done.stderr
    (tmp_path / "setup.cfg").write_text("[flake8]\nfsr-target-version = py312\n")
    done = subprocess.run([sys.executable, "-m", "flake8", "--select", "FSR", "app.py"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
