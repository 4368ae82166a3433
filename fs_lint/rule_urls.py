"""Where a rule's page lives on the web, for the formats that link to it (SARIF ``helpUri``, JSON ``url``, LSP).

The pages under ``docs/rules/`` are generated from the rule classes, so the
repository's copy is always the one that matches the code. ``REPOSITORY`` is
the project's public home; change it here (and in ``pyproject.toml``'s
``[project.urls]``) if the project moves.
"""

from __future__ import annotations

REPOSITORY = "https://github.com/fs-lint/fs-lint"
DOCS_BASE = f"{REPOSITORY}/blob/main/docs/rules/"


def rule_url(code: str) -> str:
    return f"{DOCS_BASE}{code}.md"
