"""A wheel that installs: ``python -m build``, then a plain (not editable) install in a fresh venv.

Built once for the session, in an isolated build environment as a release job
would build it; run from a folder outside the checkout, so nothing can come
from the repository's files (the rule pages come from the installed classes).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import textwrap
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HAZARD = textwrap.dedent("""\
    import time
    while True:
        try:
            connect()
        except BaseException:
            time.sleep(1)
""")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # no --sdist/--wheel: build makes the sdist, then the wheel from the sdist, which proves the sdist whole
    built = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
                           capture_output=True, text=True, timeout=600, check=False)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    return out


@pytest.fixture(scope="session")
def installed(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin folder of a fresh venv with the wheel installed, as a user would install it."""
    home = tmp_path_factory.mktemp("fresh")
    venv.create(home / "venv", with_pip=True)
    bin_dir = home / "venv" / ("Scripts" if os.name == "nt" else "bin")
    wheel = next(dist.glob("fs_lint-*.whl"))
    result = subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return bin_dir


def test_wheel_and_sdist_hold_the_package(dist: Path) -> None:
    wheel = next(dist.glob("fs_lint-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for module in ("fs_lint/cli/main.py", "fs_lint/project/noqa.py", "fs_lint/server/language_server.py",
                   "fs_lint/rules/__init__.py", "fs_lint/codemods/base.py", "fs_lint/model/program.py",
                   "fs_lint/model/library/apis.toml", "fs_lint/probe/bootstrap/sitecustomize.py"):
        assert module in names
    assert not any(name.startswith(("tests/", "fixtures/", "docs/")) for name in names)
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "fs-lint = fs_lint.cli.main:main" in text and "FSR = fs_lint.flake8_plugin:Plugin" in text
    assert "fs-lint-probe = fs_lint.probe.pytest_plugin" in text
    sdist = next(dist.glob("fs_lint-*.tar.gz"))
    with tarfile.open(sdist) as archive:
        assert any(name.endswith("/pyproject.toml") for name in archive.getnames())


def test_installed_wheel_runs_check_flake8_and_the_rule_pages(installed: Path, tmp_path: Path) -> None:
    (tmp_path / "svc.py").write_text(HAZARD)
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}

    def run(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(installed / argv[0]), *argv[1:]], cwd=tmp_path, env=environment,
                              capture_output=True, text=True, timeout=120, check=False)

    check = run("fs-lint", "check", "svc.py")
    assert check.returncode == 1 and "svc.py:5:5: FSR002 [*]" in check.stdout, check.stderr
    flake8 = run("flake8", "--select", "FSR", "svc.py")
    assert flake8.returncode == 1 and "svc.py:5:5: FSR002" in flake8.stdout, flake8.stderr
    rules = run("fs-lint", "rules")  # reads the library table: it must ship in the wheel
    assert rules.returncode == 0 and "apis.toml" in rules.stdout, rules.stderr
    page = run("fs-lint", "rule", "retry-loop-without-shutdown-check")
    assert page.returncode == 0 and page.stdout.startswith("# FSR001: retry-loop-without-shutdown-check")
    assert "## Why is this bad?" in page.stdout
    server = run("fs-lint", "server")  # pygls is the [server] extra's, not installed here
    assert server.returncode == 2 and "pip install 'fs-lint[server]'" in server.stderr
    stuck = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); time.sleep(60)"
    probe = run("fs-lint", "probe", "--ready", "ready", "--after-cut", "0", "--grace", "1", "--",
                str(installed / "python"), "-c", stuck)
    assert probe.returncode == 1 and "stacks from the probe's bootstrap" in probe.stdout, probe.stdout + probe.stderr
    where = run("python", "-c", "import fs_lint, sys; print(fs_lint.__file__)")
    assert str(ROOT) not in where.stdout  # the installed copy, not the checkout
