"""README.md works as written: its offline shell blocks run, its samples are accepted, nothing is missing.

A fenced block right after ``<!-- readme-test: runs offline -->`` is run line by
line with bash, in a copy of the checkout's fixtures and pyproject.toml (``fix``
rewrites files), with this environment's ``fs-lint`` and ``flake8`` on PATH. A
trailing ``# exit N`` says the status the line must end with; without one, 0.
``/tmp/`` in a line becomes a fresh folder of the test's own.
Blocks that need the network (install, clone, pre-commit, CI) are not run here;
``test_wheel.py`` and ``test_pre_commit_hooks.py`` do what they describe.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fs_lint.cli.main import build_parser
from fs_lint.project.config_file import known_keys
from fs_lint.project.option_values import options

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
MARKER = "<!-- readme-test: runs offline -->"
_BLOCK = re.compile(re.escape(MARKER) + r"\s*```[a-z]*\n(?P<body>.*?)```", re.DOTALL)
_EXIT = re.compile(r"#\s*exit (?P<status>\d+)")


def offline_lines() -> list[str]:
    lines = []
    for block in _BLOCK.finditer(README):
        lines += [line for line in block["body"].splitlines() if line.strip() and not line.startswith("#")]
    return lines


def fenced(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, re.DOTALL)


@pytest.fixture(scope="module")
def checkout_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("readme")
    shutil.copytree(ROOT / "fixtures" / "rules", folder / "fixtures" / "rules")
    shutil.copy(ROOT / "pyproject.toml", folder / "pyproject.toml")
    return folder


def test_there_are_offline_blocks() -> None:
    assert len(offline_lines()) >= 10


def test_offline_lines_run_as_the_readme_says(checkout_copy: Path) -> None:
    """In the README's order, in one test: ``fix`` changes the files the later lines see."""
    environment = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    scratch = checkout_copy / "scratch"
    scratch.mkdir()
    failures = []
    for line in offline_lines():
        line = line.replace("/tmp/", f"{scratch}/")
        match = _EXIT.search(line)
        expected = int(match["status"]) if match else 0
        completed = subprocess.run(["bash", "-c", line], cwd=checkout_copy, env=environment, capture_output=True,
                                   text=True, timeout=300, check=False)
        if completed.returncode != expected or "Traceback" in completed.stderr:
            failures.append(f"{line}\n  exit {completed.returncode}, expected {expected}\n"
                            f"{completed.stdout[-1500:]}{completed.stderr[-1500:]}")
    assert not failures, "\n".join(failures)


def test_the_toml_sample_is_accepted(tmp_path: Path) -> None:
    sample = next(block for block in fenced("toml") if "[tool.fs-lint]" in block)
    (tmp_path / "pyproject.toml").write_text(sample)
    (tmp_path / "app.py").write_text("print('fine')\n")
    completed = subprocess.run([sys.executable, "-m", "fs_lint", "check", "app.py"], cwd=tmp_path,
                               capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr


def test_the_flake8_sample_is_accepted(tmp_path: Path) -> None:
    sample = next(block for block in fenced("ini") if "[flake8]" in block)
    (tmp_path / ".flake8").write_text(sample)
    (tmp_path / "app.py").write_text("print('fine')\n")
    completed = subprocess.run([sys.executable, "-m", "flake8", "app.py"], cwd=tmp_path,
                               capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_every_config_key_is_in_the_option_table() -> None:
    for key in known_keys():
        assert f"| `{key}` |" in README, key


def test_every_command_line_flag_is_listed() -> None:
    analysis = {f"--{option.name}" for option in options()} | {f"--no-{option.name}" for option in options()}
    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name in ("check", "fix"):
        for action in commands[name]._actions:
            for flag in action.option_strings:
                if flag.startswith("--") and flag not in analysis and flag != "--help":
                    assert f"`{flag}" in README, (name, flag)


def test_no_instruction_that_cannot_work() -> None:
    assert not re.search(r"pip install fs-lint(\s|$|`)", README.replace("`pip install fs-lint` finds nothing", ""))
    assert "rev: v0.1.0" not in README
    assert "python3 -m venv" in README.split("## Run")[0]  # a venv before the first pip
    assert "--exit-zero --format sarif" in README
    assert "E902" in README
    for command in ("server", "rule", "rules"):
        assert f"fs-lint {command}" in README
