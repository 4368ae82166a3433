"""Read the expectations that rule fixtures carry in their comments.

A fixture states what it expects as trailing comments on the reported line,
``# expect: FSR001`` (or ``# expect: FSR001, FSR002``); every other line must
stay silent. A quoted text after a code, ``# expect: FSR001 "Consumer.stop() (line 12)"``,
must appear in that finding's message: the evidence a reader checks the finding by. A first-lines comment ``# fs-lint-config: {key = value}`` sets
options, with the same keys as ``[tool.fs-lint]``.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from fs_lint.settings import OPTIONS, Settings, apply_option

ROOT = Path(__file__).resolve().parent.parent
RULE_FIXTURES = ROOT / "fixtures" / "rules"

_ONE = r'FSR\d+(?:\s+"[^"]*")?'
_EXPECT = re.compile(rf"#\s*expect:\s*(?P<codes>{_ONE}(?:\s*,\s*{_ONE})*)")
_CODE = re.compile(r'(?P<code>FSR\d+)(?:\s+"(?P<text>[^"]*)")?')
_CONFIG = re.compile(r"^#\s*fs-lint-config:\s*(?P<table>\{.*\})\s*$")


@dataclass
class RuleFixture:
    path: Path
    text: str
    expected: set[tuple[int, str]]
    config: dict
    evidence: dict[tuple[int, str], str]  # the text a finding's message must contain

    @property
    def id(self) -> str:
        return str(self.path.relative_to(RULE_FIXTURES))

    @property
    def settings(self) -> Settings:
        settings = Settings()
        by_name = {option.name: option for option in OPTIONS}
        for name, value in self.config.items():
            settings = apply_option(settings, by_name[name], value)
        return settings

    def flake8_args(self) -> list[str]:
        args = []
        for name, value in self.config.items():
            if value is True:
                args.append(f"--fsr-{name}")
            elif isinstance(value, list):
                args.append(f"--fsr-{name}={','.join(value)}")
            else:
                args.append(f"--fsr-{name}={value}")
        return args

    def with_noqa(self) -> str:
        """Every expectation turned into a ``# noqa`` for the same codes."""
        return _EXPECT.sub(lambda m: "# noqa: " + ", ".join(c.group("code") for c in _CODE.finditer(m.group("codes"))),
                           self.text)


def load(path: Path) -> RuleFixture:
    text = path.read_text(encoding="utf-8")
    expected = set()
    evidence: dict[tuple[int, str], str] = {}
    config: dict = {}
    for number, line in enumerate(text.splitlines(), start=1):
        match = _EXPECT.search(line)
        if match:
            for one in _CODE.finditer(match.group("codes")):
                expected.add((number, one.group("code")))
                if one.group("text") is not None:
                    evidence[(number, one.group("code"))] = one.group("text")
        config_match = _CONFIG.match(line)
        if config_match and number <= 3:
            config = tomllib.loads("t = " + config_match.group("table"))["t"]
    return RuleFixture(path, text, expected, config, evidence)


def all_fixtures() -> list[RuleFixture]:
    fixtures = [load(p) for p in sorted(RULE_FIXTURES.rglob("*.py"))]
    if sys.version_info < (3, 11):  # pragma: no cover - except* is 3.11 syntax
        fixtures = [f for f in fixtures if not f.path.stem.endswith("_py311")]
    return fixtures
