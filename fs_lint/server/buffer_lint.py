"""What the language server says about one editor buffer: its findings, its error, and its fixes.

Plain data, no LSP: positions are the rules' own (1-based lines, 0-based
UTF-8 byte columns), so this can be tested without an editor.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..file_check import check_bytes, describe_source_error, error_line
from ..findings import Finding
from ..project.file_rules import FileRules
from ..project.noqa import silenced_by
from ..rules import RULES


@dataclass(frozen=True)
class BufferReport:
    findings: tuple[Finding, ...] = ()
    error: str | None = None  # why the buffer could not be checked (a syntax error while typing)
    error_line: int | None = None


def project_rules(root: str) -> FileRules:
    """Read afresh for every buffer: a TOML file is cheap to read, and an edited config applies at once."""
    return FileRules.load(Path(root))


def lint_buffer(text: str, path: str, root: str) -> BufferReport:
    """Check the buffer as ``fs-lint check --force-exclude --stdin-filename PATH`` would."""
    rules = project_rules(root)
    codes = rules.codes_for(os.path.abspath(path))
    source = text.encode("utf-8")
    try:
        findings = check_bytes(source, rules.settings, codes, path)
    except Exception as error:  # a buffer being typed is often not valid Python
        return BufferReport(error=describe_source_error(error), error_line=error_line(error))
    return BufferReport(tuple(findings))


def has_safe_fix(finding: Finding) -> bool:
    rule = RULES.get(finding.code)
    return rule is not None and rule.fix == "safe"


def fixed_text(text: str, path: str, root: str, only: Finding | None = None) -> str | None:
    """The buffer with its safe fixes made (only ``only``'s when given); None when nothing changes.

    Exactly what ``fs-lint fix`` writes for the same file, since it is the same ``fix_source``.
    """
    from ..fixing import fix_source  # libcst: paid for only when a fix is asked for

    rules = project_rules(root)
    codes = rules.codes_for(os.path.abspath(path))
    source = text.encode("utf-8")
    noqa = silenced_by(source)

    def skip(finding: Finding) -> bool:
        return noqa(finding) or (only is not None and (finding.line, finding.col, finding.code) !=
                                 (only.line, only.col, only.code))

    try:
        result = fix_source(source, rules.settings, codes, False, path, skip=skip)
    except Exception:
        return None
    return None if result.source == source else result.source.decode("utf-8")
