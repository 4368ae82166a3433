"""The one error a user has to correct before fs-lint can run."""

from __future__ import annotations


class UsageError(Exception):
    """Bad arguments or configuration: every front end reports it on one line (the CLI exits 2)."""
