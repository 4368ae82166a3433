"""select / ignore / extend-select layers, default-off rules, and per-file-ignores."""

from __future__ import annotations

import pytest

from fs_lint.project import selection as selection_module
from fs_lint.project.path_patterns import PathPattern
from fs_lint.project.selection import (
    Layer,
    PerFileIgnore,
    Selection,
    enabled_codes,
    parse_codes,
    parse_per_file_ignores,
)
from fs_lint.rules import Rule

UNIVERSE = ["FSR001", "FSR002", "FSR003", "FSR004", "FSR901"]


@pytest.fixture(autouse=True)
def rules(monkeypatch: pytest.MonkeyPatch) -> None:
    """Three rules on by default, one off by default and one in the FSR9 range; not the real set."""
    def rule(code: str, on: bool = True) -> type[Rule]:
        return type(code, (Rule,), {"code": code, "name": code.lower(), "summary": code, "default_enabled": on})

    fake = {code: rule(code) for code in ("FSR001", "FSR002", "FSR003", "FSR901")}
    fake["FSR004"] = rule("FSR004", on=False)
    monkeypatch.setattr(selection_module, "RULES", fake)


def enabled(*layers: Layer) -> list[str]:
    return sorted(enabled_codes(layers, UNIVERSE))


def test_defaults_leave_default_off_rules_and_the_fsr9_range_off() -> None:
    assert enabled() == ["FSR001", "FSR002", "FSR003"]


def test_a_broad_select_does_not_turn_default_off_rules_on() -> None:
    assert enabled(Layer(select=("FSR",))) == ["FSR001", "FSR002", "FSR003"]
    assert enabled(Layer(extend_select=("FSR",))) == ["FSR001", "FSR002", "FSR003"]


def test_selecting_them_specifically_does() -> None:
    assert enabled(Layer(select=("FSR901",))) == ["FSR901"]
    assert enabled(Layer(select=("FSR004", "FSR9"))) == ["FSR004", "FSR901"]
    assert enabled(Layer(extend_select=("FSR004",))) == ["FSR001", "FSR002", "FSR003", "FSR004"]


def test_longest_prefix_wins_and_ignore_wins_a_tie() -> None:
    assert enabled(Layer(select=("FSR0",), ignore=("FSR00",))) == []
    assert enabled(Layer(select=("FSR001",), ignore=("FSR00",))) == ["FSR001"]
    assert enabled(Layer(select=("FSR001",), ignore=("FSR001",))) == []
    assert enabled(Layer(select=("FSR",), ignore=("FSR0",), extend_select=("FSR003",))) == ["FSR003"]


def test_a_later_select_starts_afresh_a_later_ignore_adds() -> None:
    config, command_line = Layer(ignore=("FSR002",)), Layer(select=("FSR002",))
    assert enabled(config, command_line) == ["FSR002"]
    assert enabled(Layer(select=("FSR001", "FSR002")), Layer(ignore=("FSR001",))) == ["FSR002"]
    assert enabled(Layer(select=("FSR901",)), Layer(extend_select=("FSR",))) == [
        "FSR001", "FSR002", "FSR003", "FSR901"]
    assert enabled(Layer(ignore=("FSR0",)), Layer(extend_select=("FSR002",))) == ["FSR002"]


def test_per_file_ignores_drop_codes_by_prefix_for_matching_files() -> None:
    selection = Selection([Layer(select=("FSR0", "FSR004"))], [
        PerFileIgnore(PathPattern("tests/*", "/p"), ("FSR001", "FSR002")),
        PerFileIgnore(PathPattern("conftest.py", "/p"), ("FSR003",)),
    ])
    assert selection.codes_for("/p/app.py") == ("FSR001", "FSR002", "FSR003", "FSR004")
    assert selection.codes_for("/p/tests/deep/conftest.py") == ("FSR004",)
    assert selection.codes_for("/p/src/conftest.py") == ("FSR001", "FSR002", "FSR004")


def test_per_file_ignores_beat_a_specific_select() -> None:
    selection = Selection([Layer(select=("FSR001",))], [PerFileIgnore(PathPattern("a.py", "/p"), ("FSR",))])
    assert selection.codes_for("/p/a.py") == ()


def test_codes_are_normalised_and_validated() -> None:
    assert parse_codes([" fsr001 ", "FSR0", "", "F"]) == ("FSR001", "FSR0", "F")
    for wrong in ("E501", "FSR0001", "FSRX", "ALL"):
        with pytest.raises(ValueError, match="not an fs-lint code"):
            parse_codes([wrong])


def test_flake8_per_file_ignores_syntax() -> None:
    assert parse_per_file_ignores("tests/*:FSR001,FSR002 a.py b.py:FSR0\n  c.py: FSR003, FSR001") == [
        ("tests/*", ("FSR001", "FSR002")), ("a.py", ("FSR0",)), ("b.py", ("FSR0",)),
        ("c.py", ("FSR003", "FSR001"))]
    assert parse_per_file_ignores("  ") == []


@pytest.mark.parametrize(("text", "message"), [
    ("a.py", "no ':' after 'a.py'"),
    ("a.py:", "no codes after 'a.py'"),
    (":FSR001", "unexpected ':'"),
    ("a.py::FSR001", "unexpected ':'"),
    ("a.py:E501", "'E501' is not an fs-lint code"),
])
def test_per_file_ignores_syntax_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_per_file_ignores(text)
