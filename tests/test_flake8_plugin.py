"""flake8 itself, run for real: the plugin is found, reports the fixtures, honours noqa and config."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from collections import defaultdict
from pathlib import Path

import pytest

from fs_lint.rules import RULES

from .rule_fixtures import all_fixtures

FIXTURES = all_fixtures()
# The fixtures annotate the off-by-default rules too: flake8's selection names them by code.
SELECT_ALL = ",".join(["FSR", *(code for code, rule in sorted(RULES.items()) if not rule.default_enabled)])
_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>FSR\d+) ")


def flake8(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", *args],
        capture_output=True, text=True, cwd=cwd, check=False,
    )


def parse(stdout: str) -> dict[str, set[tuple[int, str]]]:
    found: dict[str, set[tuple[int, str]]] = defaultdict(set)
    for line in stdout.splitlines():
        match = _LINE.match(line)
        assert match, f"unexpected flake8 output line: {line!r}"
        found[str(Path(match["path"]).resolve())].add((int(match["line"]), match["code"]))
    return found


def _by_options(fixtures):
    groups = defaultdict(list)
    for fixture in fixtures:
        groups[tuple(fixture.flake8_args())].append(fixture)
    return groups


def test_flake8_reports_exactly_the_fixture_annotations():
    for args, group in _by_options(FIXTURES).items():
        result = flake8("--select", SELECT_ALL, *args, *[str(f.path) for f in group])
        assert result.stderr == ""
        found = parse(result.stdout)
        for fixture in group:
            assert found.get(str(fixture.path.resolve()), set()) == fixture.expected, fixture.id


def test_flake8_noqa_silences_every_expectation(tmp_path):
    for args, group in _by_options(FIXTURES).items():
        paths = []
        for fixture in group:  # laid out as in fixtures/rules/: a package of fixtures stays one
            target = tmp_path / fixture.id
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(fixture.with_noqa(), encoding="utf-8")
            paths.append(str(target))
        result = flake8("--select", SELECT_ALL, *args, *paths)
        assert result.stdout == "" and result.stderr == ""


def test_flake8_parallel_jobs_give_the_same_findings():
    paths = [str(f.path) for f in FIXTURES if not f.config]
    serial = flake8("--select", "FSR", "--jobs", "1", *paths)
    parallel = flake8("--select", "FSR", "--jobs", "2", *paths)
    assert serial.stdout and sorted(serial.stdout.splitlines()) == sorted(parallel.stdout.splitlines())


SOURCE = textwrap.dedent('''\
    import asyncio
    import time


    class Pump:
        def run(self):
            while not self._halted:
                try:
                    self.poll()
                except BaseException:
                    time.sleep(1)

        def stop(self):
            self._closing = True


    async def consume(channel):
        while True:
            try:
                await channel.connect()
            except OSError:
                await asyncio.sleep(1)
    ''')


def test_flake8_reads_fsr_options_and_per_file_ignores_from_its_config(tmp_path):
    (tmp_path / "pump.py").write_text(SOURCE)
    (tmp_path / "quiet.py").write_text(SOURCE)
    plain = subprocess.run([sys.executable, "-m", "flake8", "--select", "FSR", "pump.py"],
                           capture_output=True, text=True, cwd=tmp_path, check=False)
    assert {m["code"] for m in map(_LINE.match, plain.stdout.splitlines())} == {"FSR001", "FSR002"}

    (tmp_path / ".flake8").write_text(textwrap.dedent('''\
        [flake8]
        select = FSR
        fsr-extend-shutdown-names = halted
        fsr-async-requires-check = true
        per-file-ignores =
            quiet.py: FSR
        '''))
    configured = subprocess.run([sys.executable, "-m", "flake8", "--jobs", "2", "pump.py", "quiet.py"],
                                capture_output=True, text=True, cwd=tmp_path, check=False)
    lines = configured.stdout.splitlines()
    # "halted" is now a shutdown word: the sync loop is no longer FSR001; the async one now is.
    assert [(_LINE.match(line)["line"], _LINE.match(line)["code"]) for line in lines] == [
        ("10", "FSR002"), ("18", "FSR001")], configured.stdout + configured.stderr


def test_flake8_lists_the_plugin_and_its_options():
    result = subprocess.run([sys.executable, "-m", "flake8", "--help"], capture_output=True, text=True, check=True)
    for option in ("--fsr-shutdown-names", "--fsr-connect-names", "--fsr-async-requires-check"):
        assert option in result.stdout
    version = subprocess.run([sys.executable, "-m", "flake8", "--version"], capture_output=True, text=True, check=True)
    assert "fs-lint" in version.stdout


def test_opinionated_range_is_off_by_default():
    from fs_lint.flake8_plugin import Plugin

    class Manager:
        def __init__(self):
            self.ignored, self.options = [], []

        def add_option(self, *args, **kwargs):
            self.options.append(args[0])

        def extend_default_ignore(self, codes):
            self.ignored.extend(codes)

    manager = Manager()
    Plugin.add_options(manager)
    assert "FSR9" in manager.ignored
    assert all(option.startswith("--fsr-") for option in manager.options)


@pytest.mark.parametrize("bad", ["x = (", "while True:\n\ttry:\n  pass"])
def test_flake8_survives_a_file_that_does_not_parse(tmp_path, bad):
    target = tmp_path / "broken.py"
    target.write_text(bad)
    result = flake8("--select", "FSR,E999", str(target))
    assert "E999" in result.stdout and "Traceback" not in result.stderr
