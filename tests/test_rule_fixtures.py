"""The fixtures are the specification: each rule reports exactly what they annotate."""

from __future__ import annotations

import pytest

from fs_lint.checker import check_source

from .rule_fixtures import all_fixtures

FIXTURES = all_fixtures()


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.id for f in FIXTURES])
def test_reports_exactly_the_annotations(fixture):
    findings = check_source(fixture.text.encode(), fixture.settings, filename=str(fixture.path))
    reported = {(f.line, f.code) for f in findings}
    missing = sorted(fixture.expected - reported)
    unexpected = sorted((f.line, f.code, f.message) for f in findings if (f.line, f.code) not in fixture.expected)
    assert not missing and not unexpected, f"missing: {missing}\nunexpected: {unexpected}"
    messages = {(f.line, f.code): f.message for f in findings}
    for place, text in sorted(fixture.evidence.items()):
        assert text in messages[place], f"line {place[0]} {place[1]}: {text!r} not in {messages[place]!r}"


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.id for f in FIXTURES])
def test_every_message_starts_with_its_code_and_summary(fixture):
    from fs_lint.rules import RULES

    for finding in check_source(fixture.text.encode(), fixture.settings):
        assert finding.message.startswith(f"{finding.code} {RULES[finding.code].summary}: ")


def test_each_rule_has_fixtures_that_flag_and_fixtures_that_stay_silent():
    from fs_lint.rules import RULES

    for code in RULES:
        mine = [f for f in FIXTURES if f.path.parent.name == code]
        assert any(c == code for f in mine for (_, c) in f.expected), f"{code}: no fixture shows what it flags"
        silent = [f for f in mine if "silent" in f.path.stem or "exempt" in f.path.stem]
        assert silent, f"{code}: no *silent*/*exempt* fixture shows what it must leave alone"
        assert not any(c == code for f in silent for (_, c) in f.expected), f"{code}: a silent fixture expects {code}"
