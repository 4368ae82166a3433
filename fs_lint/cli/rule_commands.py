"""``fs-lint rule CODE`` and ``fs-lint rules``: the documentation that ships with the tool."""

from __future__ import annotations

import argparse
import difflib
import sys

from ..rule_pages import page
from ..rules import RULES
from .errors import EXIT_CLEAN, UsageError


def find_rule(text: str) -> str:
    """The code of the rule named ``text``, by code (any case) or by name; UsageError with a suggestion."""
    wanted = text.strip()
    if wanted.upper() in RULES:
        return wanted.upper()
    by_name = {rule.name: code for code, rule in RULES.items()}
    name = wanted.lower().replace("_", "-")
    if name in by_name:
        return by_name[name]
    close = difflib.get_close_matches(name, [*by_name, *RULES], n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise UsageError(f"unknown rule {text!r}{hint}; `fs-lint rules` lists them")


def show_rule(args: argparse.Namespace) -> int:
    sys.stdout.write(page(RULES[find_rule(args.code)]))
    return EXIT_CLEAN


def rules_table() -> str:
    rows = [("CODE", "NAME", "FIX", "DEFAULT")]
    rows += [(code, rule.name, rule.fix, "on" if rule.default_enabled else "off")
             for code, rule in sorted(RULES.items())]
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]) - 1)]
    return "".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[-1] + "\n" for row in rows)


def library_note() -> str:
    """Where the library model is: the rules read what each API waits for from it."""
    from ..model.library.table import TABLE, builtin_table

    table = builtin_table()
    return (f"\nWhat library calls wait for (a broker, a reconnect, a thread, nothing) comes from the library model: "
            f"{len(table.apis)} APIs and {len(table.types)} types in {TABLE}; add your own under "
            f"[tool.fs-lint.library] (docs/library-model.md).\n")


def list_rules(args: argparse.Namespace) -> int:
    sys.stdout.write(rules_table())
    sys.stdout.write(library_note())
    return EXIT_CLEAN
