"""``fs-lint rule CODE`` and ``fs-lint rules``."""

from __future__ import annotations

import inspect

import pytest

from fs_lint.cli.main import main
from fs_lint.rules import RULES, Rule


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("code", sorted(RULES))
def test_rule_prints_the_page(capsys: pytest.CaptureFixture[str], code: str) -> None:
    status, out, err = run(capsys, "rule", code)
    assert (status, err) == (0, "")
    rule = RULES[code]
    assert out == f"# {code}: {rule.name}\n\n{inspect.cleandoc(rule.__doc__ or '')}\n"
    assert "\n## What it does\n" in out


def test_rule_code_is_case_insensitive(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "rule", "fsr001")[1].startswith("# FSR001: ")


@pytest.mark.parametrize("code", ["FSR999", "E501", ""])
def test_unknown_rule_exits_2(capsys: pytest.CaptureFixture[str], code: str) -> None:
    status, out, err = run(capsys, "rule", code)
    assert (status, out) == (2, "")
    assert err == f"fs-lint: error: unknown rule {code!r}; `fs-lint rules` lists them\n"


def test_rules_table(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    class Trial(Rule):
        code, name, summary, fix, default_enabled = "FSR901", "trial-rule", "t", "unsafe", False

    monkeypatch.setitem(RULES, "FSR901", Trial)
    status, out, _ = run(capsys, "rules")
    assert status == 0
    table, note = out.split("\n\n", 1)
    assert "fs_lint/model/library/apis.toml" in note and "[tool.fs-lint.library]" in note, "where the library model is"
    rows = [line.split() for line in table.splitlines()]
    assert rows[0] == ["CODE", "NAME", "FIX", "DEFAULT"]
    assert [row[0] for row in rows[1:]] == sorted(RULES)
    assert rows[1] == ["FSR001", RULES["FSR001"].name, RULES["FSR001"].fix, "on"]
    assert rows[-1] == ["FSR901", "trial-rule", "unsafe", "off"]
    header, first = out.splitlines()[:2]
    assert first[header.index("FIX"):].startswith(RULES["FSR001"].fix + " "), "columns line up"
