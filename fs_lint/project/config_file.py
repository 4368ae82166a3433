"""``[tool.fs-lint]``: finding it, reading it, and saying in one line what is wrong with it."""

from __future__ import annotations

import difflib
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from . import option_values
from .errors import UsageError
from .python_versions import requires_python_target
from .selection import parse_codes

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

TABLE = ("tool", "fs-lint")
_TARGET = "target-version"  # read from ``requires-python`` when the table does not set it, as ruff does


@dataclass(frozen=True)
class Config:
    """What the config file says; an empty Config (``path`` None) when there is none."""

    root: Path  # relative patterns start here: the config file's directory, else the working directory
    path: Path | None = None
    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()  # added to ``exclude`` (and to the command line's --exclude)
    options: dict[str, Any] = field(default_factory=dict)


def _shown(path: Path) -> str:
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path) if relative.startswith("..") else relative


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as file:
            return tomllib.load(file)
    except OSError as error:
        raise UsageError(f"{_shown(path)}: cannot read: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{_shown(path)}: invalid TOML: not UTF-8") from None
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"{_shown(path)}: invalid TOML: {error}") from None


def _table(data: dict[str, Any]) -> Any:
    return data.get(TABLE[0], {}).get(TABLE[1]) if isinstance(data.get(TABLE[0]), dict) else None


def find_config(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above ``start`` that has a ``[tool.fs-lint]`` table."""
    for directory in (start, *start.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file() and _table(_read_toml(candidate)) is not None:
            return candidate
    return None


def _code_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"expected a list of codes, got {option_values.describe_toml(value)}")
    return parse_codes(value)


def _string_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"expected a list of strings, got {option_values.describe_toml(value)}")
    return tuple(value)


def _per_file_ignores(value: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, dict):
        raise ValueError(f"expected a table of pattern = [codes], got {option_values.describe_toml(value)}")
    pairs = []
    for pattern, codes in value.items():
        try:
            pairs.append((pattern, _code_list(codes)))
        except ValueError as error:
            raise ValueError(f"{pattern!r}: {error}") from None
    return tuple(pairs)


_FIELDS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "select": ("select", _code_list),
    "extend-select": ("extend_select", _code_list),
    "ignore": ("ignore", _code_list),
    "per-file-ignores": ("per_file_ignores", _per_file_ignores),
    "exclude": ("exclude", _string_list),
    "extend-exclude": ("extend_exclude", _string_list),
}


def known_keys() -> list[str]:
    return [*_FIELDS, *(option.name for option in option_values.options())]


def load_config(path: Path) -> Config:
    """Read and validate ``[tool.fs-lint]`` of ``path``; UsageError names the file, the key and why."""
    path = path.absolute()
    data = _read_toml(path)
    table = _table(data)
    if table is None:
        raise UsageError(f"{_shown(path)}: has no [tool.fs-lint] table")
    if not isinstance(table, dict):
        raise UsageError(f"{_shown(path)}: [tool.fs-lint] must be a table, "
                         f"got {option_values.describe_toml(table)}")
    options = {option.name: option for option in option_values.options()}
    values: dict[str, Any] = {}
    given_options: dict[str, Any] = {}
    for key, value in table.items():
        try:
            if key in _FIELDS:
                name, convert = _FIELDS[key]
                values[name] = convert(value)
            elif key in options:
                given_options[key] = option_values.config_value(options[key], value)
            else:
                close = difflib.get_close_matches(key, known_keys(), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else f"; known keys: {', '.join(known_keys())}"
                raise ValueError(f"unknown key{hint}")
        except ValueError as error:
            raise UsageError(f"{_shown(path)}: [tool.fs-lint] {key}: {error}") from None
    if _TARGET not in given_options:
        inferred = requires_python_target(data)
        if inferred is not None:
            given_options[_TARGET] = inferred
    return Config(root=path.parent, path=path, options=given_options, **values)


def resolve_config(explicit: str | None, isolated: bool, cwd: Path) -> Config:
    """``--config``, else the nearest one above ``cwd``; none at all with ``--isolated``."""
    if isolated:
        return Config(root=cwd)
    if explicit is not None:
        path = cwd / explicit
        if not path.is_file():
            raise UsageError(f"{explicit}: config file not found")
        return load_config(path)
    found = find_config(cwd)
    return load_config(found) if found is not None else Config(root=cwd, options=_nearest_requires_python(cwd))


def _nearest_requires_python(start: Path) -> dict[str, Any]:
    """No file configures fs-lint: the target the nearest ``pyproject.toml`` implies, if it says."""
    for directory in (start, *start.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            inferred = requires_python_target(_read_toml(candidate))
            return {_TARGET: inferred} if inferred is not None else {}
    return {}
