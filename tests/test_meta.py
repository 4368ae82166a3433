"""Nothing is forgotten: every rule is registered, documented, in the README and has fixtures."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import fs_lint.rules
from fs_lint.rule_pages import page, rules_table, sections
from fs_lint.rules import PAGE_SECTIONS, RULES, Rule

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
TABLE = re.compile(r"(<!-- rules-table:start -->\n)(.*?)(<!-- rules-table:end -->)", re.S)


def test_every_rule_module_is_registered():
    for info in pkgutil.iter_modules(fs_lint.rules.__path__):
        module = importlib.import_module(f"fs_lint.rules.{info.name}")
        rules = [obj for obj in vars(module).values()
                 if inspect.isclass(obj) and issubclass(obj, Rule) and obj is not Rule and obj.__module__ == module.__name__]
        assert len(rules) == 1, f"{info.name} should define exactly one rule"
        assert RULES.get(rules[0].code) is rules[0], f"{info.name} is not imported in fs_lint/rules/__init__.py"


@pytest.mark.parametrize("code", sorted(RULES))
def test_rule_is_well_formed(code):
    rule = RULES[code]
    assert re.fullmatch(r"FSR\d{3}", code)
    assert re.fullmatch(r"[a-z]+(-[a-z]+)*", rule.name)
    assert rule.fix in ("safe", "unsafe", "none")
    assert rule.default_enabled == (not code.startswith("FSR9")), "FSR9xx is the off-by-default range"
    assert sections(rule) == list(PAGE_SECTIONS), "the page sections, in this order"
    assert (ROOT / "fixtures" / "rules" / code).is_dir()


@pytest.mark.parametrize("code", sorted(RULES))
def test_rule_page_is_generated_from_the_rule(code, request):
    target = ROOT / "docs" / "rules" / f"{code}.md"
    expected = page(RULES[code])
    if request.config.getoption("--regen-docs"):
        target.write_text(expected, encoding="utf-8")
    assert target.read_text(encoding="utf-8") == expected, "run: python -m pytest --regen-docs"


def test_no_stale_rule_pages():
    pages = {p.stem for p in (ROOT / "docs" / "rules").glob("*.md")}
    assert pages == set(RULES)


def test_readme_rules_table_is_generated_from_the_rules(request):
    text = README.read_text(encoding="utf-8")
    match = TABLE.search(text)
    assert match, "README.md needs the rules-table markers"
    if request.config.getoption("--regen-docs"):
        text = TABLE.sub(lambda m: m.group(1) + rules_table() + m.group(3), text)
        README.write_text(text, encoding="utf-8")
        match = TABLE.search(text)
    assert match.group(2) == rules_table(), "run: python -m pytest --regen-docs"


def test_a_rule_has_a_fix_exactly_when_a_codemod_rewrites_it():
    from fs_lint.codemods import REWRITES

    assert {code for code, rule in RULES.items() if rule.fix != "none"} == set(REWRITES)


@pytest.mark.parametrize("code", sorted(RULES))
def test_fix_safety_section_matches_the_fix_attribute(code):
    text = inspect.cleandoc(RULES[code].__doc__)
    section = text.split("## Fix safety", 1)[1].split("\n## ", 1)[0].lower()
    if RULES[code].fix == "none":
        assert "not yet applied" in section or "no automatic fix" in section
    else:
        assert RULES[code].fix in section
