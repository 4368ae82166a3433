"""The library table (``fs_lint/model/library/apis.toml``) against the fixtures that use it.

Every entry names a fixture under ``fixtures/library/``: service code written the way the library's
users write it. The program model must resolve the entry somewhere in it (a misspelt name, a type
the model cannot follow, a ``returns`` that leads nowhere would leave it unused), and FSR901 must
tell the uses apart: for an API that may wait with no bound, one use it flags (in a shutdown path,
with no bound and no liveness guard) and one it leaves alone (bounded, guarded, ``nowait``, a queue
made with no size, or outside any shutdown path); for everything else (a type, a call that never
blocks or that the library bounds itself, a pause, a start, a timeout scope) a use it leaves alone,
in a fixture that flags something. The project's own entries (``[tool.fs-lint.library]``) are
checked as the shipped ones are, and serve FSR901 the same way.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from functools import lru_cache
from pathlib import Path

import pytest

from fs_lint.checker import check_source
from fs_lint.model.library import Api, LibType, Scope
from fs_lint.model.library.table import TABLE, builtin_table
from fs_lint.model.resolution import entries_by_line
from fs_lint.model.shared import forget_programs, program_for

from .rule_fixtures import load

ROOT = Path(__file__).resolve().parent.parent
LIBRARY_FIXTURES = ROOT / "fixtures" / "library"
NEVER_WAITS = ("nothing", "bounded", "sleep")

LIBRARY = builtin_table()
ENTRIES = list(LIBRARY.entries())


def _kind(entry: Api | LibType | Scope) -> str:
    return type(entry).__name__.lower().replace("libtype", "type")


def _id(entry: Api | LibType | Scope) -> str:
    return f"{_kind(entry)}:{entry.name}"


def _may_wait(entry: Api | LibType | Scope) -> bool:
    """An API whose call may wait with no bound: its fixture shows a use flagged and a use left alone."""
    return isinstance(entry, Api) and entry.waits not in NEVER_WAITS


class Resolved:
    """One fixture as the models and FSR901 see it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.text = path.read_text(encoding="utf-8")
        forget_programs()
        program = program_for(str(path))
        facts = program.add_tree(ast.parse(self.text, filename=str(path)), str(path))
        self.entries = entries_by_line(program, facts)
        forget_programs()
        self.settings = load(path).settings  # a ``# fs-lint-config:`` first line (strict) applies
        self.findings = check_source(self.text.encode(), self.settings, codes=["FSR901"], filename=str(path))
        self.flagged = {f.line for f in self.findings}

    def lines_of(self, name: str) -> list[int]:
        return sorted(line for line, names in self.entries.items() if name in names)

    def show(self, lines: list[int]) -> str:
        source = self.text.splitlines()
        return "; ".join(f"{line}: {source[line - 1].strip()[:70]}" for line in lines) or "nowhere"


@lru_cache(maxsize=None)
def resolved(fixture: str) -> Resolved:
    return Resolved(LIBRARY_FIXTURES / fixture)


# -- the table and its fixtures ------------------------------------------------------------------


def test_the_table_loads_with_every_library_the_issue_names() -> None:
    assert TABLE.is_file()
    assert len(LIBRARY.apis) >= 150 and len(LIBRARY.types) >= 60 and len(LIBRARY.scopes) >= 5
    roots = {name.split(".")[0] for name in [*LIBRARY.apis, *LIBRARY.types]}
    for library in ("asyncio", "threading", "queue", "concurrent", "multiprocessing", "subprocess", "gevent",
                    "aio_pika", "aiormq", "pika", "kombu", "redis", "nats", "aiokafka", "kafka", "confluent_kafka",
                    "paho", "websockets", "aiohttp", "faststream", "twisted"):
        assert library in roots, f"no entry for {library}"


@pytest.mark.parametrize("entry", ENTRIES, ids=_id)
def test_every_entry_names_its_source_and_a_fixture_that_exists(entry: Api | LibType | Scope) -> None:
    assert entry.source.strip(), f"{_id(entry)} names no source"
    assert entry.fixture, f"{_id(entry)} names no fixture"
    assert (LIBRARY_FIXTURES / entry.fixture).is_file(), f"{_id(entry)}: fixtures/library/{entry.fixture} is missing"


def test_every_fixture_is_named_by_some_entry() -> None:
    named = {entry.fixture for entry in ENTRIES}
    present = {path.name for path in LIBRARY_FIXTURES.glob("*.py")}
    assert present - named == set(), f"fixtures no entry names: {sorted(present - named)}"


def test_the_fixtures_are_what_library_users_write_not_stubs() -> None:
    for path in sorted(LIBRARY_FIXTURES.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), f"{path.name}: say what the fixture shows in its docstring"
        assert any(isinstance(node, (ast.Import, ast.ImportFrom)) for node in tree.body), \
            f"{path.name}: a fixture imports the library it uses"


# -- each entry, where its fixture reaches it ----------------------------------------------------


@pytest.mark.parametrize("entry", ENTRIES, ids=_id)
def test_each_entry_is_reached_in_its_fixture_on_the_lines_its_kind_needs(entry: Api | LibType | Scope) -> None:
    fixture = resolved(entry.fixture)
    lines = fixture.lines_of(entry.name)
    assert lines, f"{_id(entry)}: no call in {entry.fixture} resolves to it"
    silent = [line for line in lines if line not in fixture.flagged]
    assert silent, (f"{_id(entry)}: every use in {entry.fixture} is flagged ({fixture.show(lines)}); "
                    f"show one FSR901 leaves alone")
    if _may_wait(entry):
        flagged = [line for line in lines if line in fixture.flagged]
        assert flagged, (f"{_id(entry)} (waits = {entry.waits}): FSR901 flags none of its uses in "
                         f"{entry.fixture} ({fixture.show(lines)})")
    else:
        assert fixture.flagged, f"{entry.fixture} flags nothing: a fixture shows what FSR901 flags too"


@pytest.mark.parametrize("path", sorted(LIBRARY_FIXTURES.glob("*.py")), ids=lambda p: p.name)
def test_fsr901_reports_exactly_the_expected_lines_of_each_fixture(path: Path) -> None:
    expectations = load(path)
    fixture = resolved(path.name)
    expected = {line for line, code in expectations.expected if code == "FSR901"}
    missing = sorted(expected - fixture.flagged)
    unexpected = sorted((f.line, f.message) for f in fixture.findings if f.line not in expected)
    assert not missing and not unexpected, f"missing: {missing}\nunexpected: {unexpected}"
    messages = {f.line: f.message for f in fixture.findings}
    for (line, code), text in sorted(expectations.evidence.items()):
        if code == "FSR901":
            assert text in messages[line], f"line {line}: {text!r} not in {messages[line]!r}"


# -- the project's own entries -------------------------------------------------------------------

WRAPPER_SERVICE = textwrap.dedent("""\
    import acme.bus


    class OrderService:
        def __init__(self, url: str) -> None:
            self._bus = acme.bus.Client(url)

        async def start(self) -> None:
            await self._bus.connect()

        async def stop(self) -> None:
            await self._bus.close()

        async def close(self) -> None:
            if not self._bus.is_closed:
                await self._bus.close()
""")

GOOD_WRAPPER_ENTRY = textwrap.dedent("""\
    [tool.fs-lint]
    extend-select = ["FSR901"]

    [[tool.fs-lint.library.api]]
    name = "acme.bus.Client.close"
    waits = "reconnect"
    peer = "the Acme bus"
    guard = ["is_closed"]
    says = "the Acme bus to come back, then the unsubscribe round trip"
    source = "acme-bus 4.2, acme/bus/client.py"
""")


def _project(tmp_path: Path, config: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(config, encoding="utf-8")
    package = tmp_path / "orders"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "service.py").write_text(WRAPPER_SERVICE, encoding="utf-8")
    return tmp_path


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, cwd=cwd, check=False)


def _flake8(cwd: Path) -> subprocess.CompletedProcess:
    return _run(cwd, "flake8", "--select", "FSR", "--extend-select", "FSR901", "orders")


def _entry_config(table: str, **keys: object) -> str:
    """A config with one entry of ``[tool.fs-lint.library]``: ``keys`` as TOML (JSON spells their values alike)."""
    lines = "".join(f"{key} = {json.dumps(value)}\n" for key, value in keys.items())
    return f'[tool.fs-lint]\nextend-select = ["FSR901"]\n\n[[tool.fs-lint.library.{table}]]\n{lines}'


CLOSE = "acme.bus.Client.close"
BAD_ENTRIES = [
    pytest.param(_entry_config("api", name=CLOSE, waits="forever"),
                 f"api '{CLOSE}': waits = 'forever' is not one of reconnect, peer,", id="bad-waits"),
    pytest.param(_entry_config("api", name=CLOSE, waits="reconnect", timeout="5"),
                 f"api #1 ({CLOSE}): unknown key 'timeout'; known keys: bound, bound_position,", id="unknown-key"),
    pytest.param(_entry_config("api", waits="reconnect"),
                 "api #1: needs a name (the dotted name of the API)", id="missing-name"),
    pytest.param(_entry_config("api", name=CLOSE, waits="reconnect", bound_position="1"),
                 f"api #1 ({CLOSE}): bound_position must be an integer, got '1'", id="wrong-type"),
    pytest.param(_entry_config("type", name="acme.bus.Client", bases="acme.bus.BaseClient"),
                 "type #1 (acme.bus.Client): bases must be a list, got 'acme.bus.BaseClient'", id="wrong-type-of-type"),
    pytest.param(_entry_config("apis", name=CLOSE),
                 "unknown table 'apis' (expected api, type, scope or constant)", id="unknown-table"),
]


@pytest.mark.parametrize(("config", "reason"), BAD_ENTRIES)
def test_a_bad_project_entry_is_one_line_naming_the_entry_and_why_in_the_cli(
        tmp_path: Path, config: str, reason: str) -> None:
    result = _run(_project(tmp_path, config), "fs_lint", "check", "orders")
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if line.startswith("fs-lint: error:")]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith("fs-lint: error: pyproject.toml: [tool.fs-lint] library: ") and reason in errors[0]


@pytest.mark.parametrize(("config", "reason"), BAD_ENTRIES)
def test_a_bad_project_entry_is_the_same_line_from_flake8(tmp_path: Path, config: str, reason: str) -> None:
    result = _flake8(_project(tmp_path, config))
    assert result.returncode != 0
    assert "FSR901" not in result.stdout
    errors = [line for line in (result.stdout + result.stderr).splitlines() if line.startswith("fs-lint: error:")]
    assert len(errors) == 1, result.stdout + result.stderr
    assert errors[0].startswith("fs-lint: error: pyproject.toml: [tool.fs-lint] library: ") and reason in errors[0]


def test_a_project_entry_for_its_own_wrapper_makes_fsr901_flag_the_unguarded_wait(tmp_path: Path) -> None:
    project = _project(tmp_path, GOOD_WRAPPER_ENTRY)
    cli = _run(project, "fs_lint", "check", "orders")
    assert cli.returncode == 1, cli.stderr
    reported = [line for line in cli.stdout.splitlines() if "FSR901" in line]
    assert len(reported) == 1 and reported[0].startswith(str(Path("orders") / "service.py") + ":12:"), cli.stdout
    assert "`OrderService.stop()` awaits `Client.close()`, which waits for the Acme bus to come back" in reported[0]
    assert "guard it with `if not self._bus.is_closed:`" in reported[0]
    flake8 = _flake8(project)
    assert [line.split(": ", 1)[0] for line in flake8.stdout.splitlines()] == \
        [line.split(": ", 1)[0] for line in reported]


def test_without_the_project_entry_the_wrapper_is_unknown_and_left_alone(tmp_path: Path) -> None:
    project = _project(tmp_path, '[tool.fs-lint]\nextend-select = ["FSR901"]\n')
    cli = _run(project, "fs_lint", "check", "orders")
    assert cli.returncode == 0, cli.stdout + cli.stderr
    assert "FSR901" not in cli.stdout


# -- the table as parsed, kept in the project's cache folder -------------------------------------------


def _kept_entries(root: Path) -> list[Path]:
    return sorted((root / ".fs-lint-cache" / "library").glob("*.json"))


def _same_table(model) -> bool:
    return model.apis == LIBRARY.apis and model.types == LIBRARY.types and model.scopes == LIBRARY.scopes


def test_the_parsed_table_is_kept_and_read_back_without_parsing_the_toml(tmp_path: Path, monkeypatch) -> None:
    builtin_table.cache_clear()
    try:
        first = builtin_table(str(tmp_path))
        assert _same_table(first)
        assert len(_kept_entries(tmp_path)) == 1
        builtin_table.cache_clear()
        import tomllib

        def refuse(*_args, **_kwargs):
            raise AssertionError("the kept table should have been read")

        monkeypatch.setattr(tomllib, "loads", refuse)
        assert _same_table(builtin_table(str(tmp_path)))
    finally:
        builtin_table.cache_clear()


@pytest.mark.parametrize("kept", ["{not json", "[1, 2]", json.dumps({"api": [{"name": "x.y", "bogus": 1}]})])
def test_a_kept_table_that_is_broken_or_not_ours_is_not_trusted(tmp_path: Path, kept: str) -> None:
    """Half-written, not a table, or not a table this fs-lint accepts: the TOML decides, and the entry
    is written again."""
    builtin_table.cache_clear()
    try:
        builtin_table(str(tmp_path))
        (entry,) = _kept_entries(tmp_path)
        entry.write_text(kept, encoding="utf-8")
        builtin_table.cache_clear()
        assert _same_table(builtin_table(str(tmp_path)))
        assert json.loads(entry.read_text(encoding="utf-8")) == json.loads(json.dumps(
            __import__("tomllib").loads(TABLE.read_text(encoding="utf-8"))))
    finally:
        builtin_table.cache_clear()


def test_an_unwritable_cache_folder_costs_only_the_parse(tmp_path: Path) -> None:
    (tmp_path / ".fs-lint-cache").write_text("a file where the folder would be", encoding="utf-8")
    builtin_table.cache_clear()
    try:
        assert _same_table(builtin_table(str(tmp_path)))
    finally:
        builtin_table.cache_clear()


def test_no_cache_keeps_nothing(tmp_path: Path) -> None:
    project = tmp_path / "svc"
    (project / "pkg").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[project]\nname = 'svc'\n", encoding="utf-8")
    (project / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    forget_programs()
    try:
        program_for(str(project / "pkg" / "__init__.py"), "", cache=False)
        assert not (project / ".fs-lint-cache").exists()
        program_for(str(project / "pkg" / "__init__.py"), "", cache=True)
        assert len(_kept_entries(project)) == 1
    finally:
        forget_programs()
