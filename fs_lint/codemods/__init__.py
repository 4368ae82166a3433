"""The rewrites behind ``fs-lint fix``: one LibCST codemod per rule.

Each module holds the planner of one rule's fix, which reads the same analysis
objects the rule reported from. The fix engine (``fs_lint.fixing``) asks them for
edits; LibCST's own runner reaches them through ``fs_lint.libcst_codemods``, whose
commands sit above the engine, so nothing here imports the front end that drives it::

    python -m libcst.tool codemod --no-format -x fs_lint.libcst_codemods.LetStopThroughBroadHandler src/

Run so, a codemod reads the project's ``[tool.fs-lint]`` and honours ``# noqa``
as ``fs-lint fix`` does. ``--no-format`` because LibCST's runner would otherwise
pipe each changed file through black (README, "LibCST codemods").

The other modules are what the rewrites share: ``base`` (the edit, the context,
the transformer that makes planned changes), ``splicing`` (which gives LibCST only
the functions a fix changes and puts them back in the file), ``exception_lists`` and ``comma_lists`` (editing
lists in their layout), ``module_names`` and ``tenacity_names`` (spelling and
importing a name the way the file does), ``source_text`` (a number or a node as
source text), ``stop_events`` (which Event a loop stops on),
``retried_exceptions`` (the safe half of FSR004's fix), and for the handler
rewrites ``own_stop`` (which stop requests mean "stop" where they arrive, and
how each is let through), ``handler_bodies`` (the statements put into an
``except`` clause) and ``stale_words`` (the comments and log lines a rewrite
makes false).

Importing this package is free: a rewrite's module, and with it libcst (whose
import alone costs several times the check of a file), is only loaded when a
file has a finding to fix.
"""

from __future__ import annotations

import importlib
from types import ModuleType

# Code of the rule -> module that fixes it. The modules are imported on first use.
REWRITES = {
    "FSR001": "stop_retry_loop_on_shutdown",
    "FSR002": "let_stop_through_broad_handler",
    "FSR003": "let_shutdown_exception_through",
    "FSR004": "limit_retry_policy",
    "FSR005": "wait_on_stop_event",
    "FSR006": "cap_growing_backoff",
    "FSR007": "await_async_sleep",
    "FSR901": "bound_shutdown_wait",
}

# What the engine and the splicer say when LibCST cannot take a region of the file.
TOO_DEEP_FOR_LIBCST = "the code is too deeply nested for LibCST to rewrite it; fix it by hand"


def rewrite_for(code: str) -> ModuleType:
    """The module that plans ``code``'s fix: ``plan(finding, context) -> Edit`` or raise ``CannotFix``."""
    return importlib.import_module(f"{__name__}.{REWRITES[code]}")
