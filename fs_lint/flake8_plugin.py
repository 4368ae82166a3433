"""The flake8 front end: ``flake8 --select FSR``.

flake8 has already parsed the file, so the plugin only runs the analysis on
its tree, and only the rules whose needles are in the file's text, as the CLI
does (``checker.codes_that_may_fire``): most files need no analysis at all.
Options come from the shared table in ``settings`` as ``--fsr-NAME``.
"""

from __future__ import annotations

import ast
from typing import Any, Iterator, Sequence

from . import __version__
from .checker import check_tree, codes_that_may_fire
from .rules import RULES
from .settings import OPTIONS, Settings, apply_option


class Plugin:
    name = "fs-lint"
    version = __version__
    settings = Settings()

    def __init__(self, tree: ast.Module, lines: Sequence[str] = (), filename: str | None = None) -> None:
        self._tree = tree
        self._lines = lines  # flake8 passes the file's lines; without them, every rule runs
        self._filename = filename  # as flake8 was given it: test code is left out by path

    @classmethod
    def add_options(cls, option_manager: Any) -> None:
        for option in OPTIONS:
            if option.kind == "bool":
                option_manager.add_option(
                    f"--fsr-{option.name}", action="store_true", default=False,
                    parse_from_config=True, help=f"fs-lint: {option.help}",
                )
            elif option.kind == "number":
                option_manager.add_option(
                    f"--fsr-{option.name}", default=None, type=float,
                    parse_from_config=True, help=f"fs-lint: {option.help} (seconds)",
                )
            else:
                option_manager.add_option(
                    f"--fsr-{option.name}", default=None, comma_separated_list=True,
                    parse_from_config=True, help=f"fs-lint: {option.help} (comma-separated)",
                )
        off_by_default = [code for code, rule in RULES.items() if not rule.default_enabled]
        option_manager.extend_default_ignore(["FSR9", *off_by_default])

    @classmethod
    def parse_options(cls, options: Any) -> None:
        settings = Settings()
        for option in OPTIONS:
            value = getattr(options, "fsr_" + option.name.replace("-", "_"), None)
            if value is None or (option.kind == "bool" and not value):
                continue
            if option.kind == "words":
                value = [v.strip() for v in value if v.strip()]
            settings = apply_option(settings, option, value)
        cls.settings = settings

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        codes = None
        if self._lines:
            codes = codes_that_may_fire("".join(self._lines).encode("utf-8", "replace"))
            if not codes:
                return
        for finding in check_tree(self._tree, self.settings, codes, self._filename):
            yield finding.line, finding.col, finding.message, type(self)
