"""Exit statuses and the error lines every command prints the same way."""

from __future__ import annotations

import sys

from ..project.errors import UsageError

__all__ = ["EXIT_CLEAN", "EXIT_FINDINGS", "EXIT_USAGE", "UsageError", "print_error", "print_file_error",
           "print_warning", "print_ignored_directories", "print_empty_directories"]

EXIT_CLEAN = 0
EXIT_FINDINGS = 1  # a finding, a file that could not be checked, or a fix that could not be written
EXIT_USAGE = 2  # bad arguments, bad configuration, a path that does not exist


def print_error(message: str) -> None:
    print(f"fs-lint: error: {message}", file=sys.stderr)


def print_file_error(path: str, reason: str) -> None:
    print_error(f"{path}: {reason}")


def print_warning(message: str) -> None:
    """Something the user may not expect, which does not change the exit status."""
    print(f"fs-lint: warning: {message}", file=sys.stderr)


def print_ignored_directories(ignored: list[str]) -> None:
    for shown in ignored:
        print_warning(f"{shown}: git ignores every Python file in it, so none was checked; "
                      "name the files to check them anyway")


def print_empty_directories(empty: list[str]) -> None:
    for shown in empty:
        print_warning(f"{shown}: no Python files in it, so none was checked")
