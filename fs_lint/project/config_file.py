"""``[tool.fs-lint]``: finding it, reading it, and saying in one line what is wrong with it."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from . import option_values
from .errors import UsageError
from .python_versions import requires_python_target
from .selection import parse_codes


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
    if sys.version_info >= (3, 11):  # imported only where a configuration file is read
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
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


def _looks_like_ours(name: str) -> bool:
    """``fs_lint``, ``fslint``, ``FS-Lint``, ``fs-lnit``: a table meant for fs-lint, misspelt."""
    import difflib  # only a file that has a tool table other than ours pays for it

    squeezed = name.lower().replace("-", "").replace("_", "").replace(".", "").replace(" ", "")
    return squeezed == "fslint" or bool(difflib.get_close_matches(name.lower(), [TABLE[1]], n=1, cutoff=0.8))


@dataclass(frozen=True)
class PyProject:
    """One pyproject.toml as read: its ``[tool.fs-lint]`` (None when it has none) and what is amiss."""

    path: Path
    table: Any
    warnings: tuple[str, ...] = ()
    target: tuple[int, int] | None = None  # the oldest Python its requires-python allows


def inferred_config(root: Path, pyproject: "PyProject | None") -> "Config":
    """No ``[tool.fs-lint]`` governs a file: the defaults, with the target its nearest pyproject.toml implies."""
    target = pyproject.target if pyproject is not None else None
    return Config(root=root, options={_TARGET: target} if target is not None else {})


def read_pyproject(path: Path) -> PyProject:
    """Read ``path``; a misspelt fs-lint table is a warning (it is not read), invalid TOML a UsageError."""
    path = path.absolute()
    data = _read_toml(path)
    tools = data.get(TABLE[0]) if isinstance(data.get(TABLE[0]), dict) else {}
    misspelt = [name for name in tools if name != TABLE[1] and _looks_like_ours(name)]
    warnings = tuple(f"{_shown(path)}: [tool.{name}] is not read: fs-lint's table is [tool.fs-lint]"
                     for name in misspelt)
    return PyProject(path, _table(data), warnings, requires_python_target(data))


def find_config(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above ``start`` that has a ``[tool.fs-lint]`` table."""
    for directory in (start, *start.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file() and read_pyproject(candidate).table is not None:
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


def load_config(path: Path, pyproject: PyProject | None = None) -> Config:
    """Read and validate ``[tool.fs-lint]`` of ``path`` (already read: ``pyproject``); UsageError names
    the file, the key and why."""
    path = path.absolute()
    pyproject = pyproject or read_pyproject(path)
    table = pyproject.table
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
                import difflib

                close = difflib.get_close_matches(key, known_keys(), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else f"; known keys: {', '.join(known_keys())}"
                raise ValueError(f"unknown key{hint}")
        except ValueError as error:
            raise UsageError(f"{_shown(path)}: [tool.fs-lint] {key}: {error}") from None
    if _TARGET not in given_options and pyproject.target is not None:
        given_options[_TARGET] = pyproject.target
    return Config(root=path.parent, path=path, options=given_options, **values)
