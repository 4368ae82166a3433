"""Check one file's bytes the way every front end does.

Whatever the bytes hold, they are parsed: a file in which no rule's needle
occurs cannot hold a finding, but if it does not parse (or decode) the user
must still hear of it, since Python will not run it either. Findings that a
``# noqa`` silences are dropped here, so the CLI, stdin, the language server
and the codemods agree; a file-level ``# flake8: noqa`` leaves the rules it
silences out before they run.
"""

from __future__ import annotations

from typing import Iterable

from .checker import CheckedModule, check_module, codes_that_may_fire
from .syntax.parsing import parse_module
from .findings import Finding
from .project.noqa import drop_silenced, file_exemption
from .settings import Settings
from .syntax_versions import newer_syntax


def check_bytes(source: bytes, settings: Settings, codes: Iterable[str] | None, filename: str,
                disable_noqa: bool = False) -> list[Finding]:
    """The findings left after noqa; raises SyntaxError, ValueError or RecursionError on bad input."""
    findings, checked = check_bytes_keeping(source, settings, codes, filename, disable_noqa)
    if checked is not None:
        checked.analysis.release()
    return findings


def check_bytes_keeping(source: bytes, settings: Settings, codes: Iterable[str] | None, filename: str,
                        disable_noqa: bool = False) -> tuple[list[Finding], CheckedModule | None]:
    """``check_bytes``, and the module as the check left it (None if no rule ran), for ``fixability``.
    The caller releases its analysis when done with it (``ModuleAnalysis.release``)."""
    firing = codes_that_may_fire(source, codes, settings)
    tree = parse_module(source, filename)
    if firing and not disable_noqa:
        exempt = tuple(file_exemption(source))  # ``# flake8: noqa`` silences the rules before they run
        firing = [code for code in firing if not code.startswith(exempt)] if exempt else firing
    if not firing:
        return [], None
    checked = check_module(tree, settings, firing, filename, source)
    if checked is None:
        return [], None
    findings = list(checked.findings)
    return (findings if disable_noqa else drop_silenced(source, findings)), checked


def describe_source_error(error: BaseException) -> str:
    """The reason for an error that ``check_source`` or ``fix_source`` raised on bad input."""
    if isinstance(error, SyntaxError):
        message = error.msg or "invalid syntax"
        if "null bytes" in message:
            return "contains a null byte"
        if message.startswith("(unicode error)"):
            where = f" (line {error.lineno})" if error.lineno else ""
            return f"not valid text in its encoding: {message.removeprefix('(unicode error)').strip()}{where}"
        if message.startswith(("unknown encoding", "encoding problem")):
            return f"bad coding cookie: {message}"
        where = f" at line {error.lineno}" if error.lineno else ""
        return f"syntax error{where}: {newer_syntax(error) or message}"
    if isinstance(error, ValueError) and "null byte" in str(error):
        return "contains a null byte"
    if isinstance(error, UnicodeError):
        return f"not valid text in its encoding: {error}"
    if isinstance(error, RecursionError):
        return "too deeply nested to analyse (hit the recursion limit)"
    if isinstance(error, MemoryError):
        return "ran out of memory while analysing it"
    return f"internal error: {type(error).__name__}: {error} (please report this with the file)"


def error_line(error: BaseException) -> int | None:
    """The line a syntax or decoding error is on, when Python says (for the formats that place errors)."""
    line = getattr(error, "lineno", None) if isinstance(error, SyntaxError) else None
    return line if isinstance(line, int) and line > 0 else None
