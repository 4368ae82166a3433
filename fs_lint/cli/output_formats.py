"""How findings are printed: ``default`` (flake8's lines), ``json``, ``sarif`` and ``github``.

Every format gets the reports already in path order and prints them in that
order, with 1-based columns.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence
from urllib.parse import quote

from .. import __version__
from ..findings import Finding
from ..rule_pages import first_paragraph, page
from ..rules import RULES

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SOURCE_ROOT = "%SRCROOT%"


@dataclass(frozen=True)
class FileReport:
    """What checking one file gave: its findings, or why it could not be checked."""

    path: str  # absolute
    shown: str
    findings: tuple[Finding, ...] = ()
    error: str | None = None


def text_of(finding: Finding) -> str:
    """The message without the code in front of it, for formats that carry the code separately."""
    prefix = finding.code + " "
    return finding.message[len(prefix):] if finding.message.startswith(prefix) else finding.message


def relative_path(path: str, cwd: str) -> str | None:
    """``path`` relative to ``cwd`` with ``/`` separators, None when it is not below ``cwd``."""
    try:
        relative = os.path.relpath(path, cwd)
    except ValueError:  # another drive on Windows
        return None
    if relative == ".." or relative.startswith(".." + os.sep):
        return None
    return relative.replace(os.sep, "/")


def _findings(reports: Sequence[FileReport]) -> Iterator[tuple[FileReport, Finding]]:
    for report in reports:
        for finding in report.findings:
            yield report, finding


def render_default(reports: Sequence[FileReport], cwd: str) -> str:
    return "".join(f"{report.shown}:{f.line}:{f.col + 1}: {f.message}\n" for report, f in _findings(reports))


def render_json(reports: Sequence[FileReport], cwd: str) -> str:
    items = [
        {"code": f.code, "name": RULES[f.code].name if f.code in RULES else None, "message": text_of(f),
         "filename": report.shown, "line": f.line, "column": f.col + 1, "docs": f"fs-lint rule {f.code}"}
        for report, f in _findings(reports)
    ]
    return json.dumps(items, indent=2, ensure_ascii=False) + "\n"


def _github_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github_property(text: str) -> str:
    return _github_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(reports: Sequence[FileReport], cwd: str) -> str:
    """GitHub Actions workflow commands: each finding becomes an annotation on the pull request."""
    lines = []
    for report, f in _findings(reports):
        name = relative_path(report.path, cwd) or report.shown
        lines.append(f"::warning file={_github_property(name)},line={f.line},col={f.col + 1},"
                     f"title={_github_property(f.code)}::{_github_data(text_of(f))}\n")
    return "".join(lines)


def _artifact(path: str, cwd: str) -> dict[str, str]:
    relative = relative_path(path, cwd)
    if relative is None:
        return {"uri": Path(path).as_uri()}
    return {"uri": quote(relative), "uriBaseId": SOURCE_ROOT}


def _sarif_rule(code: str) -> dict[str, object]:
    rule = RULES[code]
    text = page(rule)
    return {
        "id": code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": first_paragraph(rule, "What it does")},
        "help": {"text": text, "markdown": text},
        "defaultConfiguration": {"level": "warning", "enabled": rule.default_enabled},
        "properties": {"fix": rule.fix},
    }


def render_sarif(reports: Sequence[FileReport], cwd: str) -> str:
    """SARIF 2.1.0, for code-scanning dashboards; files that could not be checked are notifications."""
    codes = sorted(RULES)
    index = {code: position for position, code in enumerate(codes)}
    results = [
        {
            "ruleId": f.code,
            **({"ruleIndex": index[f.code]} if f.code in index else {}),
            "level": "warning",
            "message": {"text": text_of(f)},
            "locations": [{"physicalLocation": {
                "artifactLocation": _artifact(report.path, cwd),
                "region": {"startLine": f.line, "startColumn": f.col + 1},
            }}],
        }
        for report, f in _findings(reports)
    ]
    notifications = [
        {"level": "error", "message": {"text": f"{report.shown}: {report.error}"},
         "locations": [{"physicalLocation": {"artifactLocation": _artifact(report.path, cwd)}}]}
        for report in reports if report.error is not None
    ]
    run = {
        "tool": {"driver": {"name": "fs-lint", "version": __version__, "rules": [_sarif_rule(c) for c in codes]}},
        "invocations": [{"executionSuccessful": not notifications, "toolExecutionNotifications": notifications}],
        "originalUriBaseIds": {SOURCE_ROOT: {"uri": Path(cwd).as_uri().rstrip("/") + "/"}},
        "results": results,
    }
    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2,
                      ensure_ascii=False) + "\n"


FORMATS: dict[str, Callable[[Sequence[FileReport], str], str]] = {
    "default": render_default,
    "json": render_json,
    "sarif": render_sarif,
    "github": render_github,
}
