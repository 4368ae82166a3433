"""``fs-lint rule CODE`` and ``fs-lint rules``: the documentation that ships with the tool."""

from __future__ import annotations

import argparse
import sys

from ..rule_pages import page
from ..rules import RULES
from .errors import EXIT_CLEAN, UsageError


def show_rule(args: argparse.Namespace) -> int:
    code = args.code.strip().upper()
    if code not in RULES:
        raise UsageError(f"unknown rule {args.code!r}; `fs-lint rules` lists them")
    sys.stdout.write(page(RULES[code]))
    return EXIT_CLEAN


def rules_table() -> str:
    rows = [("CODE", "NAME", "FIX", "DEFAULT")]
    rows += [(code, rule.name, rule.fix, "on" if rule.default_enabled else "off")
             for code, rule in sorted(RULES.items())]
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]) - 1)]
    return "".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[-1] + "\n" for row in rows)


def list_rules(args: argparse.Namespace) -> int:
    sys.stdout.write(rules_table())
    return EXIT_CLEAN
