"""The pygls wiring: diagnostics on open, change and save; each safe fix as a quick fix; a fix-all action.

Every edit replaces the whole buffer with what ``fs-lint fix`` would write:
the rewrites keep the layout of everything they do not touch, so the editor
shows only the lines that changed.
"""

from __future__ import annotations

import os
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.workspace import TextDocument

from .. import __version__
from ..findings import Finding
from ..project.errors import UsageError
from ..rule_urls import rule_url
from ..rules import RULES
from .buffer_lint import fixed_text, has_safe_fix, lint_buffer

SOURCE = "fs-lint"
FIX_ALL = "source.fixAll.fs-lint"

server = LanguageServer("fs-lint", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Full)


def _root() -> str:
    return server.workspace.root_path or os.getcwd()


def _column(document: TextDocument, line: int, byte_column: int) -> int:
    """A rule's UTF-8 byte column as the client counts (UTF-16 code units unless agreed otherwise)."""
    lines = document.lines
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    prefix = text.encode("utf-8")[:byte_column].decode("utf-8", errors="ignore")
    return document.position_codec.client_num_units(prefix)


def _line_end(document: TextDocument, line: int) -> int:
    lines = document.lines
    text = lines[line - 1].rstrip("\r\n") if 0 < line <= len(lines) else ""
    return document.position_codec.client_num_units(text)


def _diagnostic(document: TextDocument, finding: Finding) -> types.Diagnostic:
    start = types.Position(finding.line - 1, _column(document, finding.line, finding.col))
    end = types.Position(finding.line - 1, max(start.character + 1, _line_end(document, finding.line)))
    rule = RULES.get(finding.code)
    message = finding.message.removeprefix(finding.code + " ")
    return types.Diagnostic(
        range=types.Range(start, end), message=message, severity=types.DiagnosticSeverity.Warning,
        code=finding.code, code_description=types.CodeDescription(href=rule_url(finding.code)), source=SOURCE,
        data={"line": finding.line, "col": finding.col, "code": finding.code,
              "fix": rule.fix if rule is not None else "none"},
    )


def publish(uri: str) -> None:
    document = server.workspace.get_text_document(uri)
    try:
        report = lint_buffer(document.source, document.path, _root())
    except UsageError as error:
        server.window_show_message(types.ShowMessageParams(types.MessageType.Error, f"fs-lint: {error}"))
        return
    diagnostics = [_diagnostic(document, finding) for finding in report.findings]
    if report.error is not None:
        line = max(0, (report.error_line or 1) - 1)
        diagnostics.append(types.Diagnostic(
            range=types.Range(types.Position(line, 0), types.Position(line, _line_end(document, line + 1))),
            message=report.error, severity=types.DiagnosticSeverity.Error, source=SOURCE))
    server.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams(uri=uri, version=document.version, diagnostics=diagnostics))


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(params: types.DidOpenTextDocumentParams) -> None:
    publish(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(params: types.DidChangeTextDocumentParams) -> None:
    publish(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(params: types.DidSaveTextDocumentParams) -> None:
    publish(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(params: types.DidCloseTextDocumentParams) -> None:
    server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=params.text_document.uri,
                                                                            diagnostics=[]))


def _whole_buffer_edit(document: TextDocument, new_text: str) -> types.WorkspaceEdit:
    end = types.Position(len(document.lines), 0)
    edit = types.TextEdit(range=types.Range(types.Position(0, 0), end), new_text=new_text)
    return types.WorkspaceEdit(changes={document.uri: [edit]})


def _finding_of(diagnostic: types.Diagnostic) -> Finding | None:
    data: Any = diagnostic.data
    if diagnostic.source != SOURCE or not isinstance(data, dict) or data.get("fix") != "safe":
        return None
    code = str(data["code"])
    return Finding(int(data["line"]), int(data["col"]), code, code)


@server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
    code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.SourceFixAll, FIX_ALL]))
def code_actions(params: types.CodeActionParams) -> list[types.CodeAction]:
    document = server.workspace.get_text_document(params.text_document.uri)
    root = _root()
    actions = []
    wanted = params.context.only
    if not wanted or types.CodeActionKind.QuickFix in wanted:
        for diagnostic in params.context.diagnostics:
            finding = _finding_of(diagnostic)
            if finding is None or not has_safe_fix(finding):
                continue
            new_text = fixed_text(document.source, document.path, root, only=finding)
            if new_text is None:
                continue
            actions.append(types.CodeAction(
                title=f"fs-lint: fix {finding.code} ({RULES[finding.code].name})",
                kind=types.CodeActionKind.QuickFix, diagnostics=[diagnostic], is_preferred=True,
                edit=_whole_buffer_edit(document, new_text)))
    if not wanted or any(kind in (types.CodeActionKind.SourceFixAll, types.CodeActionKind.Source, FIX_ALL)
                         for kind in wanted):
        new_text = fixed_text(document.source, document.path, root)
        if new_text is not None:
            actions.append(types.CodeAction(title="fs-lint: fix all safe fixes", kind=FIX_ALL,
                                            edit=_whole_buffer_edit(document, new_text)))
    return actions


def serve() -> None:
    """Talk LSP over stdin and stdout until the client says exit."""
    server.start_io()
