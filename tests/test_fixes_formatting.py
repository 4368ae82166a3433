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


def _unsorted(paths: list[Path]) -> set[Path]:
    """The files ruff's isort (I001) reports, run once over all of them."""
    import json

    found = _ruff("check", "--select", "I", "--output-format", "json", "--exit-zero", *map(str, paths))
    return {Path(item["filename"]).resolve() for item in json.loads(found.stdout)}


def test_every_fixed_fixture_keeps_its_imports_as_isort_orders_them() -> None:
    """A new `import asyncio` (or `logging`, `threading`) joins the standard-library block, in order."""
    fixes = FIXES.parent
    inputs = sorted(p for p in fixes.rglob("*.py") if not p.name.endswith(".fixed.py"))
    clean = [p.resolve() for p in inputs if p.resolve() not in _unsorted(inputs)]
    outputs = [p.with_name(p.name[:-3] + suffix) for p in clean for suffix in (".fixed.py", ".unsafe.fixed.py")]
    outputs = [p for p in outputs if p.exists()]
    assert len(outputs) > 50, "the fixtures hold the rewrites"
    assert sorted(_unsorted(outputs)) == []


LAYOUTS = {  # what each file is before, and where a new `import threading` goes
    "docstring, then a function": ('"""Doc."""\n\n\ndef run():\n    pass\n',
                                   '"""Doc."""\n\nimport threading\n\n\ndef run():\n    pass\n'),
    "code at once": ("x = 1\n", "import threading\n\nx = 1\n"),
    "third party only": ("import requests\n\nx = 1\n", "import threading\n\nimport requests\n\nx = 1\n"),
    "future only": ("from __future__ import annotations\n\n\nclass A:\n    pass\n",
                    "from __future__ import annotations\n\nimport threading\n\n\nclass A:\n    pass\n"),
    "sorted last": ("import os\nimport sys\n\nimport requests\n\nx = 1\n",
                    "import os\nimport sys\nimport threading\n\nimport requests\n\nx = 1\n"),
    "before the from imports": ("import os\nfrom typing import Any\n\nx: Any = 1\n",
                                "import os\nimport threading\nfrom typing import Any\n\nx: Any = 1\n"),
    "local imports only": ("from . import peers\n\nx = peers\n",
                           "import threading\n\nfrom . import peers\n\nx = peers\n"),
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_a_new_import_goes_where_isort_puts_it(layout: str, tmp_path: Path) -> None:
    """Through the shared import-adding path every rewrite uses (``splicing``), with no other change."""
    import ast

    from fs_lint.codemods.base import Edit, ModuleImport
    from fs_lint.codemods.splicing import SplicedRewrite
    from fs_lint.findings import Finding

    before, expected = LAYOUTS[layout]
    source = before.encode()
    edit = Edit(Finding(1, 0, "FSR001", "FSR001 test"), (), adds_imports=(ModuleImport("threading"),))
    after = SplicedRewrite(source, ast.parse(source), "m.py").apply([edit]).decode()
    assert after == expected
    path = tmp_path / "m.py"
    for text in (before, after):
        path.write_text(text)
        assert _ruff("check", "--select", "I", str(path)).returncode == 0, text
