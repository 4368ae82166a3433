"""Render the rule pages and the README rules table from the rule classes.

The class docstring is the single source: ``fs-lint rule CODE`` prints it, and
``docs/rules/CODE.md`` and the README table are generated from it (a test fails
when they drift; ``pytest --regen-docs`` rewrites them).
"""

from __future__ import annotations

import inspect

from .rules import RULES, Rule

FIX_LABELS = {"safe": "safe fix", "unsafe": "unsafe fix", "none": "—"}


def page(rule: type[Rule]) -> str:
    return f"# {rule.code}: {rule.name}\n\n{inspect.cleandoc(rule.__doc__ or '')}\n"


def sections(rule: type[Rule]) -> list[str]:
    return [line[3:].strip() for line in inspect.cleandoc(rule.__doc__ or "").splitlines() if line.startswith("## ")]


def first_paragraph(rule: type[Rule], section: str = "What it does") -> str:
    lines = inspect.cleandoc(rule.__doc__ or "").splitlines()
    start = lines.index(f"## {section}") + 1
    paragraph = []
    for line in lines[start:]:
        if not line.strip():
            if paragraph:
                break
            continue
        paragraph.append(line.strip())
    return " ".join(paragraph)


def rules_table() -> str:
    rows = [
        "| Code | Name | Message | Fix | Default |",
        "| --- | --- | --- | --- | --- |",
    ]
    for code, rule in sorted(RULES.items()):
        rows.append(
            f"| [{code}](docs/rules/{code}.md) | `{rule.name}` | {rule.summary} "
            f"| {FIX_LABELS[rule.fix]} | {'on' if rule.default_enabled else 'off'} |"
        )
    return "\n".join(rows) + "\n"
