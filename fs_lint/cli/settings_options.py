"""The analysis options of ``fs_lint.settings.OPTIONS`` as ``--NAME`` flags.

Nothing here names an option: a new row in that table becomes a flag by
itself, as long as its kind is one of ``KINDS``. The config-file side is
``fs_lint.project.option_values``.
"""

from __future__ import annotations

import argparse
import math
from typing import Any, Mapping

from ..project.option_values import KINDS, check_seconds, config_value, describe_toml, layered_settings, options
from ..project.python_versions import parse_target
from ..settings import Option, Settings

__all__ = ["KINDS", "add_option_flags", "build_settings", "config_value", "describe_toml", "dest", "flag_values",
           "options"]


def dest(option: Option) -> str:
    return f"option:{option.name}"


def _words(text: str) -> tuple[str, ...]:
    return tuple(word.strip() for word in text.split(",") if word.strip())


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    try:
        return check_seconds(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _version(text: str) -> tuple[int, int]:
    try:
        return parse_target(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_option_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "analysis options", "override the same keys of [tool.fs-lint]; extend-* flags add to them")
    for option in options():
        if not option.flag:
            continue
        flag = f"--{option.name}"
        if option.kind == "words":
            group.add_argument(flag, dest=dest(option), type=_words, metavar="WORD,...",
                               help=f"{option.help} (comma-separated)")
        elif option.kind == "bool":
            group.add_argument(flag, dest=dest(option), action=argparse.BooleanOptionalAction,
                               default=None, help=option.help)
        elif option.kind == "number":
            group.add_argument(flag, dest=dest(option), type=_number, metavar="N", help=option.help)
        elif option.kind == "version":
            group.add_argument(flag, dest=dest(option), type=_version, metavar="pyXY", help=option.help)
        else:
            raise ValueError(f"option {option.name!r} has kind {option.kind!r}; the CLI knows {KINDS}")


def flag_values(args: argparse.Namespace | None) -> dict[str, Any]:
    """The option flags that were given, by option name."""
    if args is None:
        return {}
    given = {option.name: getattr(args, dest(option), None) for option in options()}
    return {name: value for name, value in given.items() if value is not None}


def build_settings(config_values: Mapping[str, Any], args: argparse.Namespace | None) -> Settings:
    """Defaults, then the config file's values, then the command line's, option by option."""
    return layered_settings([config_values, flag_values(args)])
