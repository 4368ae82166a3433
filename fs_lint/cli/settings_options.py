"""The analysis options of ``fs_lint.settings.OPTIONS`` as ``--NAME`` flags and config keys.

Nothing here names an option: a new row in that table becomes a flag and a
key by itself, as long as its kind is one of ``KINDS``.
"""

from __future__ import annotations

import argparse
import math
from typing import Any, Mapping

from .. import settings as settings_table
from ..settings import Option, Settings, apply_option

KINDS = ("words", "bool", "number")


def options() -> tuple[Option, ...]:
    """The table as it is now (read late, so that tests can extend it)."""
    return tuple(settings_table.OPTIONS)


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
    return value


def add_option_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "analysis options", "override the same keys of [tool.fs-lint]; extend-* flags add to them")
    for option in options():
        flag = f"--{option.name}"
        if option.kind == "words":
            group.add_argument(flag, dest=dest(option), type=_words, metavar="WORD,...",
                               help=f"{option.help} (comma-separated)")
        elif option.kind == "bool":
            group.add_argument(flag, dest=dest(option), action=argparse.BooleanOptionalAction,
                               default=None, help=option.help)
        elif option.kind == "number":
            group.add_argument(flag, dest=dest(option), type=_number, metavar="N", help=option.help)
        else:
            raise ValueError(f"option {option.name!r} has kind {option.kind!r}; the CLI knows {KINDS}")


def config_value(option: Option, value: Any) -> Any:
    """The TOML value converted to the option's kind; ValueError says what was expected."""
    if option.kind == "words":
        if not isinstance(value, list) or not all(isinstance(word, str) for word in value):
            raise ValueError(f"expected a list of strings, got {describe_toml(value)}")
        return tuple(word.strip() for word in value if word.strip())
    if option.kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false, got {describe_toml(value)}")
        return value
    if option.kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"expected a number, got {describe_toml(value)}")
        return float(value)
    raise ValueError(f"has kind {option.kind!r}, which fs-lint cannot read")


def describe_toml(value: Any) -> str:
    """How an unexpected TOML value is named in an error: its type and a short spelling."""
    kinds = {bool: "a boolean", int: "an integer", float: "a float", str: "a string",
             list: "an array", dict: "a table"}
    name = next((text for kind, text in kinds.items() if isinstance(value, kind)), type(value).__name__)
    shown = repr(value)
    return f"{name} ({shown if len(shown) <= 40 else shown[:39] + '…'})"


def build_settings(config_values: Mapping[str, Any], args: argparse.Namespace | None) -> Settings:
    """Defaults, then the config file's values, then the command line's, option by option."""
    settings = Settings()
    table = options()
    for option in table:
        if option.name in config_values:
            settings = apply_option(settings, option, config_values[option.name])
    for option in table:
        value = getattr(args, dest(option), None) if args is not None else None
        if value is not None:
            settings = apply_option(settings, option, value)
    return settings
