"""FSR004's rewrites keep a file that ``ruff format`` and ruff's isort (I001) accept accepted.

A maintainer's CI runs them: a fix that turns it red is not merged. The fixture pairs below were
formatted by ruff before the fix; the fixed files must still be.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FIXES = Path(__file__).resolve().parent.parent / "fixtures" / "fixes" / "FSR004"
CASES = ("strict_import_styles", "strict_sorted_names", "strict_trailing_comma")


def _ruff(*args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "ruff"] if shutil.which("ruff") is None else ["ruff"]
    return subprocess.run([*command, *args, "--isolated"], capture_output=True, text=True)


@pytest.mark.parametrize("name", CASES)
def test_the_rewrite_keeps_ruff_format_and_isort_clean(name: str) -> None:
    before, after = FIXES / f"{name}.py", FIXES / f"{name}.unsafe.fixed.py"
    assert after.read_text() != before.read_text(), "the fixture must have an unsafe rewrite"
    for path in (before, after):
        formatted = _ruff("format", "--check", "--diff", str(path))
        assert formatted.returncode == 0, f"{path.name}: {formatted.stdout}{formatted.stderr}"
        imports = _ruff("check", "--select", "I", str(path))
        assert imports.returncode == 0, f"{path.name}: {imports.stdout}{imports.stderr}"
