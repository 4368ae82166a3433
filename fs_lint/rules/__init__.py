"""The rules, one small module each, registered here by code.

A rule's class docstring is its documentation page: ``fs-lint rule CODE``
prints it and ``docs/rules/CODE.md`` is generated from it, so the two cannot
drift apart.
"""

from __future__ import annotations

from typing import ClassVar, Iterator

from ..findings import Finding
from ..settings import Settings
from ..analysis.retry_loops import ModuleAnalysis

PAGE_SECTIONS = (
    "What it does", "Why is this bad?", "Exemptions", "Example", "Use instead", "Fix safety", "Options",
)


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]  # kebab-case, after the pattern it flags
    summary: ClassVar[str]  # the first words of every message
    fix: ClassVar[str] = "none"  # "safe", "unsafe" or "none": see docs/fix-safety.md
    default_enabled: ClassVar[bool] = True
    # A file without any of these bytes cannot hold a finding: the CLI skips parsing it.
    needles: ClassVar[tuple[bytes, ...]] = (b"except", b"suppress")

    @classmethod
    def needles_for(cls, settings: Settings) -> tuple[bytes, ...]:
        """The needles, and those the options add (a rule whose words are configurable)."""
        return cls.needles

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        raise NotImplementedError

    def finding(self, position: tuple[int, int], detail: str) -> Finding:
        line, col = position
        return Finding(line, col, self.code, f"{self.code} {self.summary}: {detail}")


RULES: dict[str, type[Rule]] = {}


def register(rule: type[Rule]) -> type[Rule]:
    if rule.code in RULES:
        raise ValueError(f"two rules claim {rule.code}")
    RULES[rule.code] = rule
    return rule


# Importing a rule module registers it; tests check none is forgotten here.
from . import (  # noqa: E402
    backoff_without_cap,
    blocking_sleep_in_async_retry_loop,
    broad_handler_swallows_shutdown,
    pause_ignores_shutdown,
    retry_decorator_never_gives_up,
    retry_loop_without_shutdown_check,
    shutdown_exception_swallowed,
    unbounded_wait_in_shutdown_path,
)

__all__ = ["PAGE_SECTIONS", "RULES", "Rule", "register", "backoff_without_cap",
           "blocking_sleep_in_async_retry_loop", "broad_handler_swallows_shutdown", "pause_ignores_shutdown",
           "retry_decorator_never_gives_up", "retry_loop_without_shutdown_check", "shutdown_exception_swallowed",
           "unbounded_wait_in_shutdown_path"]
