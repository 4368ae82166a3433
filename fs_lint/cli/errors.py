"""Exit statuses and the error lines every command prints the same way."""

from __future__ import annotations

import os
import sys

from ..project.errors import UsageError
from .colour import PLAIN, Palette

__all__ = ["EXIT_CLEAN", "EXIT_FINDINGS", "EXIT_USAGE", "UsageError", "print_error", "print_file_error",
           "print_warning", "print_ignored_directories", "print_empty_directories", "print_stale_temporaries",
           "print_configuration_warnings"]

EXIT_CLEAN = 0
EXIT_FINDINGS = 1  # a finding, a file that could not be checked, or a fix that could not be written
EXIT_USAGE = 2  # bad arguments, bad configuration, a path that does not exist


_stderr = PLAIN  # the palette of stderr, set once per run by ``main``


def colour_stderr(palette: Palette) -> None:
    global _stderr
    _stderr = palette


def stderr_palette() -> Palette:
    return _stderr


def print_error(message: str) -> None:
    print(f"fs-lint: {_stderr('error', 'error')}: {message}", file=sys.stderr)


def print_file_error(path: str, reason: str) -> None:
    print_error(f"{path}: {reason}")


def print_warning(message: str) -> None:
    """Something the user may not expect, which does not change the exit status."""
    print(f"fs-lint: {_stderr('warning', 'warning')}: {message}", file=sys.stderr)


def print_ignored_directories(ignored: list[str]) -> None:
    for shown in ignored:
        print_warning(f"{shown}: git ignores every Python file in it, so none was checked; "
                      "name the files to check them anyway")


def print_empty_directories(empty: list[str]) -> None:
    for shown in empty:
        print_warning(f"{shown}: no Python files in it, so none was checked")


def print_stale_temporaries(shown: str, removed: list[str]) -> None:
    """The leftovers of killed runs that writing ``shown`` removed (``file_writing``): said, not done silently."""
    for path in removed:
        name = os.path.join(os.path.dirname(shown), os.path.basename(path))
        print_warning(f"removed {name}: a temporary file left beside {shown} by an earlier fs-lint run "
                      "that was killed")


def print_configuration_warnings(warnings: list[str]) -> None:
    for warning in warnings:
        print_warning(warning)
