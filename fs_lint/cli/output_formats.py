"""How findings are printed: ``default`` (flake8's lines), ``json``, ``sarif`` and ``github``.

Every format gets the reports already in path order and prints them in that
order, with 1-based columns.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence
from urllib.parse import quote, urljoin

from .. import __version__
from ..findings import Finding
from ..rule_urls import REPOSITORY, rule_url
from ..rules import RULES
from .colour import PLAIN, Palette

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SOURCE_ROOT = "%SRCROOT%"


@dataclass(frozen=True)
class FileReport:
    """What checking one file gave: its findings, or why it could not be checked."""

    path: str  # absolute
    shown: str
    findings: tuple[Finding, ...] = ()
    error: str | None = None
    error_line: int | None = None  # where a syntax or decoding error is, when Python says
    fixable: frozenset[Finding] = frozenset()  # findings whose fix ``fs-lint fix`` makes (``fixability``)
    unsafe_fixable: frozenset[Finding] = frozenset()  # and those only ``--unsafe-fixes`` fixes
    fixability_unknown: bool = False  # too many findings to work out which are fixable


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


def _line(report: FileReport, finding: Finding, paint: Palette) -> str:
    """flake8's line, with ruff's ``[*]`` after the code when ``fs-lint fix`` will fix the finding."""
    marker = f" {paint('fixable', '[*]')}" if finding in report.fixable else ""
    return (f"{paint('path', report.shown)}:{paint('place', f'{finding.line}:{finding.col + 1}')}: "
            f"{paint('code', finding.code)}{marker} {text_of(finding)}\n")


def render_default(reports: Sequence[FileReport], cwd: str, paint: Palette = PLAIN, explain: bool = False) -> str:
    """flake8's lines; with ``explain`` (``check --explain``) each is followed by the facts behind it, with
    the file and line that prove each: what the program and library models read to make the finding."""
    lines = []
    for report, f in _findings(reports):
        lines.append(_line(report, f, paint))
        if explain:
            lines.extend(f"    = {fact}\n" for fact in f.evidence)
    return "".join(lines)


def _fix_kind(code: str) -> str:
    return RULES[code].fix if code in RULES else "none"


def render_json(reports: Sequence[FileReport], cwd: str) -> str:
    """A list of findings; a file that could not be checked is an entry with ``code`` null, as in ruff."""
    items: list[dict[str, object]] = []
    for report in reports:
        if report.error is not None:
            items.append({"code": None, "name": None, "message": report.error, "filename": report.shown,
                          "line": report.error_line, "column": None, "fix": None, "fixable": False,
                          "url": None, "docs": None})
        for f in report.findings:
            items.append({"code": f.code, "name": RULES[f.code].name if f.code in RULES else None,
                          "message": text_of(f), "filename": report.shown, "line": f.line, "column": f.col + 1,
                          "fix": _fix_kind(f.code), "fixable": f in report.fixable, "url": rule_url(f.code),
                          "docs": f"fs-lint rule {f.code}", "evidence": list(f.evidence)})
    import json  # only for this format: a plain check does not pay for it

    return json.dumps(items, indent=2, ensure_ascii=False) + "\n"


def _github_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github_property(text: str) -> str:
    return _github_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(reports: Sequence[FileReport], cwd: str) -> str:
    """GitHub Actions workflow commands: each finding becomes an error annotation on the pull request
    (the step fails on it, so a warning would say less than the step does)."""
    lines = []
    for report in reports:
        if report.error is not None:
            name = relative_path(report.path, cwd) or report.shown
            where = f",line={report.error_line}" if report.error_line else ""
            lines.append(f"::error file={_github_property(name)}{where},title=fs-lint::"
                         f"{_github_data(report.error)}\n")
    for report, f in _findings(reports):
        name = relative_path(report.path, cwd) or report.shown
        lines.append(f"::error file={_github_property(name)},line={f.line},col={f.col + 1},"
                     f"title={_github_property(f.code)}::{_github_data(text_of(f))}\n")
    return "".join(lines)


def _artifact(path: str, cwd: str) -> dict[str, str]:
    relative = relative_path(path, cwd)
    if relative is None:
        return {"uri": Path(path).as_uri()}
    return {"uri": quote(relative), "uriBaseId": SOURCE_ROOT}


_RELATIVE_LINK = re.compile(r"\]\((?![a-z][a-z0-9+.-]*:|#)([^)\s]+)\)")


def _absolute_links(markdown: str, base: str) -> str:
    """A rule page's links are relative to ``docs/rules/``; a dashboard shows the page elsewhere."""
    return _RELATIVE_LINK.sub(lambda m: f"]({urljoin(base, m.group(1))})", markdown)


def _sarif_rule(code: str) -> dict[str, object]:
    from ..rule_pages import first_paragraph, page  # the pages are read for SARIF only

    rule = RULES[code]
    text = _absolute_links(page(rule), rule_url(code))
    return {
        "id": code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": first_paragraph(rule, "What it does")},
        "help": {"text": text, "markdown": text},
        "helpUri": rule_url(code),
        "defaultConfiguration": {"level": "warning", "enabled": rule.default_enabled},
        "properties": {"fix": rule.fix, "tags": ["reliability", "shutdown"]},
    }


FINGERPRINT = "fsLintFinding/v1"
_LINE_NUMBERS = re.compile(r"\b(lines?|at [\w./+-]+\.py:)\s*\d+(?:-\d+)?")


def _fingerprints(reports: Sequence[FileReport], cwd: str) -> list[str]:
    """One per finding, stable while lines move: the file, the code, the message (which names the
    loop's or handler's own words) and how many identical ones came before it in the file."""
    import hashlib  # SARIF's fingerprints only

    seen: dict[tuple[str, str, str], int] = {}
    prints = []
    for report, f in _findings(reports):
        # The evidence names lines ("`Consumer.stop()` (line 88)"): they move with the code, the finding does not.
        words = _LINE_NUMBERS.sub(r"\1 N", text_of(f))
        key = (relative_path(report.path, cwd) or report.shown, f.code, words)
        seen[key] = seen.get(key, 0) + 1
        digest = hashlib.sha256("\0".join((*key, str(seen[key]))).encode("utf-8")).hexdigest()
        prints.append(digest[:32])
    return prints


def render_sarif(reports: Sequence[FileReport], cwd: str) -> str:
    """SARIF 2.1.0, for code-scanning dashboards; files that could not be checked are notifications."""
    codes = sorted(RULES)
    index = {code: position for position, code in enumerate(codes)}
    fingerprints = _fingerprints(reports, cwd)
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
            "partialFingerprints": {FINGERPRINT: fingerprint},
        }
        for (report, f), fingerprint in zip(_findings(reports), fingerprints)
    ]
    notifications = [
        {"level": "error", "message": {"text": f"{report.shown}: {report.error}"},
         "locations": [{"physicalLocation": {
             "artifactLocation": _artifact(report.path, cwd),
             **({"region": {"startLine": report.error_line}} if report.error_line else {}),
         }}]}
        for report in reports if report.error is not None
    ]
    run = {
        "tool": {"driver": {"name": "fs-lint", "version": __version__, "informationUri": REPOSITORY,
                            "rules": [_sarif_rule(c) for c in codes]}},
        "invocations": [{"executionSuccessful": not notifications, "toolExecutionNotifications": notifications}],
        "originalUriBaseIds": {SOURCE_ROOT: {"uri": Path(cwd).as_uri().rstrip("/") + "/"}},
        "results": results,
    }
    import json

    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2,
                      ensure_ascii=False) + "\n"


FORMATS: dict[str, Callable[[Sequence[FileReport], str], str]] = {
    "default": render_default,
    "json": render_json,
    "sarif": render_sarif,
    "github": render_github,
}
