"""The analysis options of ``fs_lint.settings.OPTIONS`` as ``[tool.fs-lint]`` values, turned into ``Settings``.

Nothing here names an option: a new row in that table becomes a config key by
itself, as long as its kind is one of ``KINDS``.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping

from .. import settings as settings_table
from ..settings import Option, Settings, apply_option
from .python_versions import parse_target

KINDS = ("words", "bool", "number", "library", "version")


def options() -> tuple[Option, ...]:
    """The table as it is now (read late, so that tests can extend it)."""
    return tuple(settings_table.OPTIONS)


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
        check_seconds(float(value))
        return float(value)
    if option.kind == "library":
        return library_entries(value)
    if option.kind == "version":
        return parse_target(value)
    raise ValueError(f"has kind {option.kind!r}, which fs-lint cannot read")


def library_entries(value: Any) -> str:
    """``[tool.fs-lint.library]``: checked entry by entry as the shipped table is, kept as canonical JSON."""
    if not isinstance(value, dict):
        raise ValueError(f"expected a table with `api`, `type` or `scope` arrays, got {describe_toml(value)}")
    from ..model.library import LibraryModel, LibraryTableError  # the table, read only for a project that adds to it

    try:
        LibraryModel.from_entries(value, "library")
    except LibraryTableError as error:
        raise ValueError(str(error).removeprefix("library: ")) from None
    import json  # only a project that adds library entries

    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def check_seconds(value: float) -> float:
    """The number options are durations: a negative one is a typo, not a setting."""
    if value < 0:
        raise ValueError(f"expected a number of seconds, 0 or more, got {value:g}")
    return value


def describe_toml(value: Any) -> str:
    """How an unexpected TOML value is named in an error: its type and a short spelling."""
    kinds = {bool: "a boolean", int: "an integer", float: "a float", str: "a string",
             list: "an array", dict: "a table"}
    name = next((text for kind, text in kinds.items() if isinstance(value, kind)), type(value).__name__)
    shown = repr(value)
    return f"{name} ({shown if len(shown) <= 40 else shown[:39] + '…'})"


def layered_settings(layers: Iterable[Mapping[str, Any]]) -> Settings:
    """Defaults, then each layer's values (option name -> value of its kind), option by option.

    The CLI's layers are the config file then the command line; flake8's the
    config file then its ``--fsr-*`` options.
    """
    settings = Settings()
    table = options()
    for values in layers:
        for option in table:
            if values.get(option.name) is not None:
                settings = apply_option(settings, option, values[option.name])
    return settings
