"""Every front end sees the same project: a finding that rests on another module is made by each.

``fs-lint check`` on the whole tree reads every module; ``fs-lint check FILE``, flake8 and the
editor's buffer see one file, and reach the others through the program model and its facts cache.
They must agree, with the cache cold, warm, or off. (The language server and the pre-commit hooks
are run for the same project in their own test modules.)
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

CROSS_MODULE = {
    "pyproject.toml": '[tool.fs-lint]\nextend-select = ["FSR901"]\n',
    "svc/__init__.py": "",
    "svc/bus.py": """\
        import aio_pika


        class Bus:
            queue: aio_pika.RobustQueue
            tag: str

            async def detach(self):
                await self.queue.cancel(self.tag)
        """,
    "svc/app.py": """\
        from .bus import Bus


        class App:
            def __init__(self):
                self.bus = Bus()

            async def stop(self):
                await self.bus.detach()
                print("stopped")
        """,
}
EXPECTED = "svc/app.py:9:9: FSR901"
WHY = "which waits for RabbitMQ to come back in `RobustQueue.cancel()` (svc/bus.py:9)"


def write_project(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def run(cwd: Path, *argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, input=stdin, timeout=120)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(tmp_path, CROSS_MODULE)


def finding_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("svc/app.py") and "FSR901" in line]


def test_check_on_the_tree_and_on_one_file_agree(project: Path) -> None:
    tree = run(project, sys.executable, "-m", "fs_lint", "check", ".")
    one = run(project, sys.executable, "-m", "fs_lint", "check", "svc/app.py")
    assert tree.returncode == one.returncode == 1, tree.stderr + one.stderr
    assert finding_lines(tree.stdout) == finding_lines(one.stdout)
    (line,) = finding_lines(one.stdout)
    assert line.startswith(EXPECTED) and WHY in line


def test_the_cache_cold_warm_and_off_give_the_same_bytes(project: Path) -> None:
    cold = run(project, sys.executable, "-m", "fs_lint", "check", "svc/app.py")
    assert (project / ".fs-lint-cache" / ".gitignore").is_file(), "the facts cache is written beside the project"
    warm = run(project, sys.executable, "-m", "fs_lint", "check", "svc/app.py")
    off = run(project, sys.executable, "-m", "fs_lint", "check", "--no-cache", "svc/app.py")
    assert cold.stdout == warm.stdout == off.stdout
    assert finding_lines(warm.stdout)


def test_a_buffer_on_stdin_is_checked_against_the_modules_on_disk(project: Path) -> None:
    buffer = (project / "svc/app.py").read_text()
    result = run(project, sys.executable, "-m", "fs_lint", "check", "--stdin-filename", "svc/app.py", "-",
                 stdin=buffer)
    (line,) = finding_lines(result.stdout)
    assert line.startswith(EXPECTED)


def test_flake8_on_one_file_makes_the_same_finding(project: Path) -> None:
    result = run(project, sys.executable, "-m", "flake8", "--extend-select", "FSR901", "svc/app.py")
    lines = [line for line in result.stdout.splitlines() if "FSR901" in line]
    assert len(lines) == 1 and lines[0].startswith("svc/app.py:9:9: FSR901") and WHY in lines[0], result.stdout


def test_a_change_in_the_other_module_is_seen_at_once(project: Path) -> None:
    run(project, sys.executable, "-m", "fs_lint", "check", "svc/app.py")  # the cache now holds bus.py
    bus = project / "svc/bus.py"
    bus.write_text(bus.read_text().replace("await self.queue.cancel(self.tag)",
                                           "if not self.queue.channel.is_closed:\n"
                                           "            await self.queue.cancel(self.tag)"))
    again = run(project, sys.executable, "-m", "fs_lint", "check", "svc/app.py")
    assert again.returncode == 0 and not finding_lines(again.stdout), again.stdout
