"""The hooks of ``.pre-commit-hooks.yaml``, run for real with ``pre-commit try-repo``.

pre-commit installs a hook from a commit, so the working tree of this checkout
(committed or not) is copied into a fresh repository and committed there.
Installing the hook's environment needs the package index that pip uses.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")
pytest.importorskip("pre_commit")

ROOT = Path(__file__).resolve().parents[1]
HOOKS_FILE = ROOT / ".pre-commit-hooks.yaml"
SWALLOWS = textwrap.dedent("""\
    import time


    def serve():
        while True:
            try:
                work()
            except BaseException:
                time.sleep(1)
""")


def _environment(home: Path) -> dict[str, str]:
    environment = {name: value for name, value in os.environ.items() if not name.startswith("GIT_")}
    environment.update(PRE_COMMIT_HOME=str(home), GIT_AUTHOR_NAME="fs-lint tests", GIT_AUTHOR_EMAIL="t@example.com",
                       GIT_COMMITTER_NAME="fs-lint tests", GIT_COMMITTER_EMAIL="t@example.com")
    return environment


def _git(cwd: Path, environment: dict[str, str], *argv: str) -> None:
    subprocess.run(["git", *argv], cwd=cwd, env=environment, check=True, capture_output=True)


def _source_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, check=False)
    if listed.returncode == 0:
        return [name for name in listed.stdout.decode().split("\0") if name and (ROOT / name).is_file()]
    skipped = {".git", ".venv", "build", "dist", "__pycache__", ".pytest_cache"}
    return [str(path.relative_to(ROOT)) for path in ROOT.rglob("*")
            if path.is_file() and not skipped & set(path.relative_to(ROOT).parts)]


@pytest.fixture(scope="module")
def hook_repository(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    base = tmp_path_factory.mktemp("pre-commit")
    environment = _environment(base / "home")
    repository = base / "fs-lint"
    for name in _source_files():
        target = repository / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    _git(repository, environment, "init", "-q")
    _git(repository, environment, "add", "-A")
    _git(repository, environment, "commit", "-q", "-m", "the working tree under test")
    return repository, environment


@pytest.fixture
def project(tmp_path: Path, hook_repository: tuple[Path, dict[str, str]]) -> Path:
    _, environment = hook_repository
    _git(tmp_path, environment, "init", "-q")
    (tmp_path / "svc.py").write_text(SWALLOWS)
    (tmp_path / "clean.py").write_text("def f():\n    return 1\n")
    (tmp_path / "generated").mkdir()
    (tmp_path / "generated" / "out.py").write_text(SWALLOWS)
    (tmp_path / "pyproject.toml").write_text('[tool.fs-lint]\nexclude = ["generated"]\n')
    _git(tmp_path, environment, "add", "-A")
    return tmp_path


def try_repo(hook_repository: tuple[Path, dict[str, str]], project: Path, hook: str,
             *files: str) -> subprocess.CompletedProcess[str]:
    repository, environment = hook_repository
    return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(repository), hook, "--files", *files],
                          cwd=project, env=environment, capture_output=True, text=True, timeout=600)


def test_hooks_file_declares_both_hooks() -> None:
    hooks = {hook["id"]: hook for hook in yaml.safe_load(HOOKS_FILE.read_text())}
    assert set(hooks) == {"fs-lint", "fs-lint-fix"}
    assert hooks["fs-lint"]["entry"].startswith("fs-lint check")
    assert hooks["fs-lint-fix"]["entry"].startswith("fs-lint fix")
    for hook in hooks.values():
        assert (hook["language"], hook["types"], hook["require_serial"]) == ("python", ["python"], False)
        assert "--force-exclude" in hook["entry"]


def test_check_hook_reports_the_finding(hook_repository: tuple[Path, dict[str, str]], project: Path) -> None:
    result = try_repo(hook_repository, project, "fs-lint", "svc.py", "clean.py", "generated/out.py")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "svc.py:8:9: FSR002 [*] broad handler swallows shutdown" in result.stdout  # [*]: a safe fix
    assert "generated/out.py:" not in result.stdout  # [tool.fs-lint] exclude holds for files pre-commit names
    assert (project / "svc.py").read_text() == SWALLOWS


def test_check_hook_passes_clean_files(hook_repository: tuple[Path, dict[str, str]], project: Path) -> None:
    result = try_repo(hook_repository, project, "fs-lint", "clean.py", "generated/out.py")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout


def test_fix_hook_applies_the_safe_fix(hook_repository: tuple[Path, dict[str, str]], project: Path) -> None:
    result = try_repo(hook_repository, project, "fs-lint-fix", "svc.py", "clean.py")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "files were modified by this hook" in result.stdout
    fixed = (project / "svc.py").read_text()
    assert "except KeyboardInterrupt:\n            raise\n        except BaseException:" in fixed
    assert "1 file changed" in result.stdout


def test_check_hook_reads_the_same_config_and_fails_on_a_broken_one(
        hook_repository: tuple[Path, dict[str, str]], project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.fs-lint]\nignore = ["FSR001"]\n')
    result = try_repo(hook_repository, project, "fs-lint", "svc.py")
    assert result.returncode == 1
    assert "FSR002" in result.stdout and "FSR001" not in result.stdout  # [tool.fs-lint] ignore applies
    (project / "pyproject.toml").write_text('[tool.fs-lint]\nignore = ["FSR008"]\n')
    result = try_repo(hook_repository, project, "fs-lint", "svc.py")
    assert result.returncode != 0
    assert "'FSR008' is not a known fs-lint code (did you mean 'FSR007'?)" in result.stdout


def test_check_hook_on_one_staged_file_sees_the_modules_it_calls(
        hook_repository: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    """pre-commit names only the staged file; the finding rests on a module it did not name (issue 17)."""
    from tests.test_front_ends_agree import CROSS_MODULE, EXPECTED, WHY, write_project

    _, environment = hook_repository
    project = write_project(tmp_path / "svc-project", CROSS_MODULE)
    _git(project, environment, "init", "-q")
    _git(project, environment, "add", "-A")
    result = try_repo(hook_repository, project, "fs-lint", "svc/app.py")
    assert result.returncode == 1, result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if "FSR901" in line]
    assert len(lines) == 1, result.stdout
    assert lines[0].startswith(EXPECTED) and WHY in lines[0]
