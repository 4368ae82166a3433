"""The flake8 front end: ``flake8 --select FSR``.

flake8 has already parsed the file, so the plugin only runs the analysis on
its tree, and only the rules whose needles are in the file's text, as the CLI
does (``checker.codes_that_may_fire``): most files need no analysis at all.

One configuration: the plugin reads ``[tool.fs-lint]`` from the nearest
``pyproject.toml`` above each file, as ``fs-lint check`` does
(not under ``flake8 --isolated``): its options, ``select``/``ignore`` and
``per-file-ignores`` decide what the plugin reports, and flake8's own
``--select``/``--ignore``/``per-file-ignores`` then filter that as for any
plugin. The ``--fsr-NAME`` options (from the shared table in ``settings``)
win over the same keys of ``[tool.fs-lint]`` where both are given. The one
key left to flake8 is ``exclude``: flake8 has its own. A broken
``[tool.fs-lint]`` stops flake8 with the same one-line error the CLI gives.

One noqa dialect: findings that fs-lint's reading of ``# noqa`` silences
(any case, any line of a multi-line statement, ``# fs-lint: noqa[: CODES]``)
are not reported, so a comment means the same here as in ``fs-lint check``.
"""

from __future__ import annotations

import argparse
import ast
import os
import sys
from pathlib import Path
from typing import Any, Iterator, Sequence

from . import __version__
from .checker import check_tree, codes_that_may_fire
from .project.errors import UsageError
from .project.file_rules import FileRules, Overrides
from .project.file_settings import ProjectSettings
from .project.option_values import check_seconds
from .project.python_versions import parse_target
from .project.selection import default_ignores
from .project.noqa import drop_silenced
from .rules import RULES
from .settings import OPTIONS, Settings


_BOOLEANS = {"1": True, "yes": True, "true": True, "on": True, "0": False, "no": False, "false": False, "off": False}


class _Flag(argparse.Action):
    """``--fsr-strict`` on the command line; in flake8's configuration ``fsr-strict = true`` or ``false``.

    Not ``store_true``: flake8 reads such an option from its configuration with
    ``getboolean``, which raises a traceback at ``fsr-strict = maybe``. Given
    this action, flake8 hands over the configured text, and ``_flake8_values``
    reads it with a one-line error, as the CLI reads ``[tool.fs-lint]``.
    """

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, **kwargs)

    def __call__(self, parser: Any, namespace: Any, values: Any, option_string: str | None = None) -> None:
        setattr(namespace, self.dest, True)


def _config_value(option_name: str, value: Any, kind: str) -> Any:
    """A value as flake8 hands it over: typed from the command line, text from its configuration."""
    if kind == "bool" and isinstance(value, str):
        if value.strip().lower() not in _BOOLEANS:
            raise UsageError(f"fsr-{option_name} (flake8 configuration): expected true or false "
                             f"(or yes/no, on/off, 1/0), got {value.strip()!r}")
        return _BOOLEANS[value.strip().lower()]
    if kind == "number":
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise UsageError(f"fsr-{option_name}: expected a number of seconds, got {value!r}") from None
        try:
            return check_seconds(number)
        except ValueError as error:
            raise UsageError(f"--fsr-{option_name}: {error}") from None
    if kind == "version":
        try:
            return parse_target(value)
        except ValueError as error:
            raise UsageError(f"--fsr-{option_name}: {error}") from None
    return value


def _flake8_values(options: Any) -> dict[str, Any]:
    """The ``--fsr-*`` options that were given (None, or left out, when not), by option name."""
    values: dict[str, Any] = {}
    for option in OPTIONS:
        if not option.flag:
            continue
        value = getattr(options, "fsr_" + option.name.replace("-", "_"), None)
        if value is None:
            continue
        if option.kind == "words":
            value = tuple(v.strip() for v in value if v.strip())
        else:
            value = _config_value(option.name, value, option.kind)
        values[option.name] = value
    return values


def _named_off_by_default(options: Any) -> tuple[str, ...]:
    """The off-by-default codes (the ``FSR9`` range) that flake8's own ``--select`` or
    ``--extend-select`` names: ``flake8 --extend-select FSR901`` turns FSR901 on, as it would
    any plugin's opinionated code. They are handed on as a selection layer, so the same rule as
    in ``[tool.fs-lint]`` applies: a default-off rule is named by its code (``FSR`` or ``FSR9``
    alone does not turn FSR901 on)."""
    named = [*(getattr(options, "select", None) or ()), *(getattr(options, "extend_select", None) or ())]
    off = default_ignores()
    codes = (code.strip().upper() for code in named)
    return tuple(code for code in codes if any(code.startswith(veto) for veto in off))


def _stop(error: UsageError) -> Exception:
    """The one-line error that stops flake8, as the CLI's exit 2 does."""
    from flake8.exceptions import ExecutionError

    return ExecutionError(f"fs-lint: error: {error}")


def _isolated() -> bool:
    """Whether flake8 runs with ``--isolated``: flake8 consumes that flag before plugins see the
    options, so it is read from the command line itself."""
    return "--isolated" in sys.argv[1:]


class Plugin:
    name = "fs-lint"
    version = __version__
    settings = Settings()  # before parse_options, and under --isolated: the defaults and --fsr-* only
    project: ProjectSettings | None = None  # None: no [tool.fs-lint] consulted (flake8 --isolated, or not yet parsed)
    disable_noqa = False

    def __init__(self, tree: ast.Module, lines: Sequence[str] = (), filename: str = "") -> None:
        self._tree = tree
        self._lines = lines  # flake8 passes the file's lines; without them, every rule runs
        self._filename = filename  # as flake8 was given it: per-file-ignores, and test code left out by path

    @classmethod
    def add_options(cls, option_manager: Any) -> None:
        for option in OPTIONS:
            if not option.flag:
                continue
            if option.kind == "bool":
                # default None, so that "not given" differs from "= false" and [tool.fs-lint] can decide
                option_manager.add_option(
                    f"--fsr-{option.name}", action=_Flag, default=None,
                    parse_from_config=True, help=f"fs-lint: {option.help}",
                )
            elif option.kind == "number":  # read by _flake8_values, with its one-line error
                option_manager.add_option(
                    f"--fsr-{option.name}", default=None, metavar="SECONDS",
                    parse_from_config=True, help=f"fs-lint: {option.help} (seconds)",
                )
            elif option.kind == "version":
                option_manager.add_option(
                    f"--fsr-{option.name}", default=None, parse_from_config=True, help=f"fs-lint: {option.help}",
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
        cls.disable_noqa = bool(getattr(options, "disable_noqa", False))
        try:
            overrides = Overrides(extend_select=_named_off_by_default(options), options=_flake8_values(options))
            project = ProjectSettings(Path(os.getcwd()), isolated=_isolated(), overrides=overrides)
        except UsageError as error:
            raise _stop(error) from None
        for warning in project.warnings:
            print(f"fs-lint: warning: {warning}", file=sys.stderr)
        cls.project = project
        cls.settings = project.rules_for_directory(project.cwd).settings

    def _rules(self) -> FileRules | None:
        """The configuration of this file (the nearest ``[tool.fs-lint]`` above it), as ``fs-lint check`` reads it."""
        if self.project is None:
            return None
        if not self._filename or self._filename in ("-", "stdin"):
            return self.project.rules_for_directory(self.project.cwd)
        try:
            return self.project.rules_for(os.path.abspath(self._filename))
        except UsageError as error:  # a broken pyproject.toml in a sub-project
            raise _stop(error) from None

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        rules = self._rules()
        settings = self.settings if rules is None else rules.settings
        codes = None
        if rules is not None:
            named = self._filename and self._filename not in ("-", "stdin")
            codes = rules.selection.codes_for(os.path.abspath(self._filename)) if named else tuple(
                rules.selection.enabled)
        source = "".join(self._lines).encode("utf-8", "replace") if self._lines else None
        if source is not None:
            codes = codes_that_may_fire(source, codes, self.settings)
            if not codes:
                return
        findings = check_tree(self._tree, settings, codes, self._filename or None, source)
        if source is not None and not self.disable_noqa:
            findings = drop_silenced(source, findings)
        for finding in findings:
            yield finding.line, finding.col, finding.message, type(self)
