"""``fs-lint check`` reports exactly what the rule fixtures annotate, and honours their noqa form."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from fs_lint.rules import RULES

from .rule_fixtures import all_fixtures
from tests.cli_output import without_summary

FIXTURES = all_fixtures()


def cli_args(fixture) -> tuple[str, ...]:
    return tuple(arg.replace("--fsr-", "--", 1) for arg in fixture.flake8_args())


OFF_BY_DEFAULT = ",".join(code for code, rule in sorted(RULES.items()) if not rule.default_enabled)


def fs_lint_check(*args: str) -> subprocess.CompletedProcess:
    """The fixtures annotate the off-by-default rules too: they are selected, by code, with the rest."""
    return subprocess.run([sys.executable, "-m", "fs_lint", "check", "--isolated", "--extend-select", OFF_BY_DEFAULT,
                           "--format", "json", *args], capture_output=True, text=True, check=False)


def grouped():
    groups = defaultdict(list)
    for fixture in FIXTURES:
        groups[cli_args(fixture)].append(fixture)
    return groups.items()


def test_check_reports_exactly_the_fixture_annotations():
    for args, group in grouped():
        result = fs_lint_check(*args, *[str(f.path) for f in group])
        assert without_summary(result.stderr) == ""
        found = defaultdict(set)
        for item in json.loads(result.stdout):
            found[str(Path(item["filename"]).resolve())].add((item["line"], item["code"]))
        for fixture in group:
            assert found.get(str(fixture.path.resolve()), set()) == fixture.expected, fixture.id
        assert result.returncode == (1 if any(f.expected for f in group) else 0)


def test_check_honours_noqa_for_every_expectation(tmp_path):
    for index, (args, group) in enumerate(grouped()):
        folder = tmp_path / str(index)
        folder.mkdir()
        for fixture in group:  # laid out as in fixtures/rules/: a package of fixtures stays one
            copy = folder / fixture.id
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_text(fixture.with_noqa(), encoding="utf-8")
        result = fs_lint_check(*args, str(folder))
        assert (result.returncode, result.stdout.strip(), result.stderr) == (0, "[]", "All checks passed!\n")
