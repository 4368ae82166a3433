"""What the user's project says, read the same way by every front end.

The CLI, the pre-commit hooks, the flake8 plugin, the LibCST codemods and the
language server all ask this package which codes and settings apply to a file
and which findings a ``# noqa`` silences, so that they cannot disagree.
Nothing here prints or exits: a mistake is a ``UsageError`` that each front
end reports in its own way.
"""
