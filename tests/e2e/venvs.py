"""Virtual environments for the services ``fs-lint probe`` is tried on, and the Pythons to build them with.

A probed service runs in an environment of its own, often on another Python than
fs-lint's: the tests do the same. Each environment is built once and kept under the
temporary folder, keyed by its Python and its requirements, so a later test session
(or CI run on the same machine) reuses it; a lock file keeps two sessions from building
the same one at once, and a marker written last tells a finished build from a broken one.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Optional, Sequence

CACHE = Path(os.environ.get("FS_LINT_PROBE_VENVS", Path(tempfile.gettempdir()) / "fs-lint-probe-venvs"))
BUILD_TIMEOUT = 600
SUPPORTED = ("3.10", "3.11", "3.12", "3.13")


def _version_of(python: str) -> Optional[str]:
    try:
        done = subprocess.run([python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                              capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


@lru_cache(maxsize=None)
def find_python(minor: str) -> Optional[str]:
    """A working ``python3.X`` (pyenv's, the system's, or this one), or None.

    pyenv's shims exist for every installed version but only run the selected ones, so
    each candidate is run before it is trusted.
    """
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates = [sys.executable] if "%d.%d" % sys.version_info[:2] == minor else []
    candidates += sorted(glob.glob(os.path.join(root, "versions", f"{minor}.*", "bin", f"python{minor}")), reverse=True)
    candidates += [path for path in (shutil.which(f"python{minor}"), f"/usr/bin/python{minor}") if path]
    for candidate in candidates:
        version = _version_of(candidate)
        if version is not None and version.rsplit(".", 1)[0] == minor:
            return candidate
    return None


def python_for(preferred: Sequence[str]) -> tuple[str, str]:
    """The first of the ``preferred`` versions found here, else this Python: (interpreter, "3.X")."""
    for minor in preferred:
        found = find_python(minor)
        if found is not None:
            return found, minor
    return sys.executable, "%d.%d" % sys.version_info[:2]


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def service_venv(python: str, requirements: Sequence[str] = ()) -> Path:
    """A venv of ``python`` with ``requirements`` installed; returns its ``bin/python``."""
    version = _version_of(python) or "?"
    key = hashlib.sha256("\n".join([version, *sorted(requirements)]).encode()).hexdigest()[:16]
    folder = CACHE / f"py{version}-{key}"
    interpreter = folder / "bin" / "python"
    done = folder / ".complete"
    with _locked(CACHE / f"py{version}-{key}.lock"):
        if done.exists() and interpreter.exists():
            return interpreter
        shutil.rmtree(folder, ignore_errors=True)
        steps = [[python, "-m", "venv"] + ([] if requirements else ["--without-pip"]) + [str(folder)]]
        if requirements:
            steps.append([str(interpreter), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                          *requirements])
        for step in steps:
            run = subprocess.run(step, capture_output=True, text=True, timeout=BUILD_TIMEOUT, stdin=subprocess.DEVNULL)
            if run.returncode != 0:
                raise RuntimeError(f"building the venv failed: {' '.join(step)}\n{run.stdout}\n{run.stderr}")
        (folder / "requirements.txt").write_text("\n".join(requirements) + "\n")
        done.write_text(version + "\n")
    return interpreter


def requirements_file(path: Path) -> list[str]:
    """The requirement lines of a requirements file (comments and blank lines left out)."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]
