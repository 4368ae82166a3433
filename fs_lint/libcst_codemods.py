"""Each rule's fix as a command for LibCST's own runner (``python -m libcst.tool codemod``).

The rewrites themselves live in ``fs_lint.codemods``, one planner per rule, beneath the fix
engine (``fs_lint.fixing``). The commands here sit above that engine: each hands the module to
``fix_source``, so a codemod run gets the same guarantees as ``fs-lint fix`` (a fix that would not
remove its finding, or would add one, is refused and printed as a LibCST warning). Keeping them
out of ``fs_lint.codemods`` means the rewrites never import the front end that drives them::

    python -m libcst.tool codemod --no-format -x fs_lint.libcst_codemods.FixFindings src/
    python -m libcst.tool codemod --no-format -x fs_lint.libcst_codemods.LetStopThroughBroadHandler src/
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import ClassVar

import libcst as cst
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand

from .fixing import fix_source
from .project.file_settings import ProjectSettings
from .project.noqa import silenced_by
from .rules import RULES


class FixFindings(VisitorBasedCodemodCommand):
    """A rule's fix as a LibCST codemod: plans and checks the fixes of ``CODES``, then makes them.

    It hands the module to ``fs_lint.fixing.fix_source``, so that a codemod run
    gets the same guarantees as ``fs-lint fix``: a fix that would not remove its
    finding, or would add one, is refused and reported as a warning. It reads the
    same ``[tool.fs-lint]`` (the nearest above each file: options, selection,
    per-file-ignores, exclude) and leaves alone what a ``# noqa`` silences.
    """

    DESCRIPTION: ClassVar[str] = "Fix every fs-lint finding that has a safe fix."
    CODES: ClassVar[tuple[str, ...] | None] = None  # None: every rule that has a fix

    def __init__(self, context: CodemodContext, unsafe_fixes: bool = False) -> None:
        super().__init__(context)
        self._unsafe_fixes = unsafe_fixes

    @staticmethod
    def add_args(arg_parser) -> None:  # type: ignore[no-untyped-def]
        arg_parser.add_argument(
            "--unsafe-fixes", action="store_true", dest="unsafe_fixes",
            help="also apply fixes that may change what the program does while it runs normally",
        )

    def transform_module(self, tree: cst.Module) -> cst.Module:
        return self._fix_on_its_own(tree)

    def _fix_on_its_own(self, tree: cst.Module) -> cst.Module:
        """As ``fs-lint fix --force-exclude FILE`` would: the project's config, its selection, and ``# noqa``."""
        source = tree.bytes
        filename = self.context.filename or "<unknown>"
        project = project_settings(os.getcwd())
        if self.context.filename:
            rules = project.rules_for(os.path.abspath(filename))
            codes = rules.codes_for(os.path.abspath(filename))
        else:
            rules = project.rules_for_directory(os.getcwd())
            codes = tuple(sorted(rules.selection.enabled))
        if self.CODES is not None:
            # Running an off-by-default rule's own codemod is selecting it (an excluded file stays out).
            chosen = {code for code in self.CODES if not RULES[code].default_enabled}
            if self.context.filename and rules.excludes(os.path.abspath(filename)):
                chosen = set()
            codes = tuple(code for code in self.CODES if code in codes or code in chosen)
        if not codes:
            return tree
        result = fix_source(source, rules.settings, codes, self._unsafe_fixes, filename, skip=silenced_by(source))
        for refusal in result.refused:
            self.warn(f"{refusal.line}:{refusal.col + 1} {refusal.code} not fixed: {refusal.reason}")
        if result.source == source:
            return tree
        return cst.parse_module(result.source)


@lru_cache(maxsize=None)
def project_settings(cwd: str) -> ProjectSettings:
    """Each file's ``[tool.fs-lint]`` (the nearest above it), read once per process."""
    return ProjectSettings(Path(cwd))


class StopRetryLoopOnShutdown(FixFindings):
    DESCRIPTION = "FSR001: make a retry loop read the shutdown flag or event its class or module already has."
    CODES = ("FSR001",)


class LetStopThroughBroadHandler(FixFindings):
    DESCRIPTION = ("FSR002: re-raise the shutdown exceptions in a clause before a broad `except:`/"
                   "`except BaseException` in a loop.")
    CODES = ("FSR002",)


class LetShutdownExceptionThrough(FixFindings):
    DESCRIPTION = "FSR003: re-raise, or stop catching, the shutdown exception a handler in a loop swallows."
    CODES = ("FSR003",)


class LimitRetryPolicy(FixFindings):
    DESCRIPTION = ("FSR004: give a never-ending retry decorator a time limit, and stop it retrying "
                   "shutdown exceptions.")
    CODES = ("FSR004",)


class WaitOnStopEvent(FixFindings):
    DESCRIPTION = "FSR005: wait on the loop's stop event instead of sleeping blindly between its checks."
    CODES = ("FSR005",)


class CapGrowingBackoff(FixFindings):
    DESCRIPTION = "FSR006: clamp a retry pause that grows without limit with min(..., backoff-cap)."
    CODES = ("FSR006",)


class AwaitAsyncSleep(FixFindings):
    DESCRIPTION = "FSR007: await the async library's sleep instead of a time.sleep in an async retry loop."
    CODES = ("FSR007",)


class BoundShutdownWait(FixFindings):
    DESCRIPTION = "FSR901: bound a wait in a shutdown path, and let the shutdown go on after it."
    CODES = ("FSR901",)
