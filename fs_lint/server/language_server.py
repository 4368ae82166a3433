"""The pygls wiring: diagnostics on open, change and save; each fixable finding as a quick fix; a fix-all action.

Every edit replaces the whole buffer with what ``fs-lint fix`` would write:
the rewrites keep the layout of everything they do not touch, so the editor
shows only the lines that changed.

The analysis of a buffer runs in worker threads, never on the event loop, so a
huge buffer does not hold up requests about the others, and a burst of typing
is analysed once: a change waits ``CHANGE_DELAY`` for the next one. Each
version's analysis is kept (``buffer_lint.BufferAnalysis``) and the whole fix
is made right after its diagnostics are sent, so the code actions an editor
asks for at each cursor move are answered from it. A client that can resolve
code actions gets each quick fix's edit only when it applies one.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, TypeVar

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol

from .. import __version__
from ..findings import Finding
from ..project.errors import UsageError
from ..rule_urls import rule_url
from ..rules import RULES
from .buffer_lint import BufferAnalysis, BufferReport

SOURCE = "fs-lint"
FIX_ALL = "source.fixAll.fs-lint"
CHANGE_DELAY = 0.25  # seconds a change waits for the next keystroke before it is analysed
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # LSP's line breaks, which are Python's too (not \f or \v)
T = TypeVar("T")


class _AnsweredAlready:
    """A request that was answered while it was read (its params did not fit): nothing more to do."""

    jsonrpc = "2.0"


class _Protocol(LanguageServerProtocol):
    """pygls, except that a request whose params do not fit its method gets JSON-RPC's Invalid Params
    error (-32602), saying what did not fit, instead of no answer at all."""

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as error:
            if not (isinstance(data, dict) and "id" in data and "method" in data):
                raise
            if isinstance(error, JsonRpcInvalidParams):
                error = JsonRpcInvalidParams(f"Invalid params for {data['method']}: {_what_did_not_fit(error)}")
            self._send_response(data["id"], error=error.to_response_error())
            return _AnsweredAlready()

    def handle_message(self, message: Any) -> None:
        if not isinstance(message, _AnsweredAlready):
            super().handle_message(message)


def _what_did_not_fit(error: BaseException) -> str:
    import cattrs

    cause = error.__cause__
    if isinstance(cause, cattrs.ClassValidationError):
        return "; ".join(cattrs.transform_error(cause, path="params"))
    return str(cause or error)


server = LanguageServer("fs-lint", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Full,
                        protocol_cls=_Protocol)
_executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="fs-lint-analysis")
_latest: dict[str, BufferAnalysis] = {}  # uri -> the analysis of its newest version
_pending: dict[str, asyncio.Task[None]] = {}


def _root() -> str:
    return server.workspace.root_path or os.getcwd()


async def _off_the_loop(work: Callable[..., T], *args: Any) -> T:
    return await asyncio.get_running_loop().run_in_executor(_executor, work, *args)


# -- diagnostics --

class _Lines:
    """A buffer's lines, split once, and its columns as the client counts them (UTF-16 unless agreed)."""

    def __init__(self, text: str) -> None:
        self.lines = _LINE_BREAK.split(text)
        self._units = server.workspace.position_codec.client_num_units

    def column(self, line: int, byte_column: int) -> int:
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return self._units(text.encode("utf-8")[:byte_column].decode("utf-8", errors="ignore"))

    def end(self, line: int) -> int:
        return self._units(self.lines[line - 1]) if 0 < line <= len(self.lines) else 0


def _diagnostic(lines: _Lines, finding: Finding) -> types.Diagnostic:
    start = types.Position(finding.line - 1, lines.column(finding.line, finding.col))
    end = types.Position(finding.line - 1, max(start.character + 1, lines.end(finding.line)))
    rule = RULES.get(finding.code)
    message = finding.message.removeprefix(finding.code + " ")
    return types.Diagnostic(
        range=types.Range(start, end), message=message, severity=types.DiagnosticSeverity.Warning,
        code=finding.code, code_description=types.CodeDescription(href=rule_url(finding.code)), source=SOURCE,
        data={"line": finding.line, "col": finding.col, "code": finding.code,
              "fix": rule.fix if rule is not None else "none"},
    )


def diagnostics(text: str, report: BufferReport) -> list[types.Diagnostic]:
    """One diagnostic per finding (the buffer split once: linear in the findings), and one for an error."""
    lines = _Lines(text)
    found = [_diagnostic(lines, finding) for finding in report.findings]
    if report.error is not None:
        line = max(0, (report.error_line or 1) - 1)
        found.append(types.Diagnostic(
            range=types.Range(types.Position(line, 0), types.Position(line, lines.end(line + 1))),
            message=report.error, severity=types.DiagnosticSeverity.Error, source=SOURCE))
    return found


def _schedule(uri: str, delay: float) -> None:
    """Analyse the document's newest version after ``delay``; a newer version cancels what is pending."""
    document = server.workspace.get_text_document(uri)
    analysis = BufferAnalysis(document.source, document.path, _root(), document.version)
    _latest[uri] = analysis
    pending = _pending.pop(uri, None)
    if pending is not None:
        pending.cancel()
    _pending[uri] = asyncio.get_running_loop().create_task(_publish(uri, analysis, delay))


async def _publish(uri: str, analysis: BufferAnalysis, delay: float) -> None:
    if delay:
        await asyncio.sleep(delay)
    try:
        report = await _off_the_loop(analysis.report)
    except UsageError as error:
        server.window_show_message(types.ShowMessageParams(types.MessageType.Error, f"fs-lint: {error}"))
        return
    if _latest.get(uri) is not analysis:
        return  # a newer version came meanwhile: its own analysis publishes
    found = await _off_the_loop(diagnostics, analysis.text, report)
    server.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams(uri=uri, version=analysis.version, diagnostics=found))
    if not analysis.too_many():  # the whole fix, ready for the code actions that follow
        await _off_the_loop(analysis.fixable)


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(params: types.DidOpenTextDocumentParams) -> None:
    _schedule(params.text_document.uri, 0)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(params: types.DidChangeTextDocumentParams) -> None:
    _schedule(params.text_document.uri, CHANGE_DELAY)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(params: types.DidSaveTextDocumentParams) -> None:
    _schedule(params.text_document.uri, 0)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    _latest.pop(uri, None)
    pending = _pending.pop(uri, None)
    if pending is not None:
        pending.cancel()
    server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


# -- code actions --

def _whole_buffer_edit(uri: str, old_text: str, new_text: str) -> types.WorkspaceEdit:
    end = types.Position(len(_LINE_BREAK.split(old_text)), 0)
    edit = types.TextEdit(range=types.Range(types.Position(0, 0), end), new_text=new_text)
    return types.WorkspaceEdit(changes={uri: [edit]})


def _diagnostic_place(diagnostic: types.Diagnostic) -> tuple[int, int, str] | None:
    data: Any = diagnostic.data
    if diagnostic.source != SOURCE or not isinstance(data, dict):
        return None
    try:
        return int(data["line"]), int(data["col"]), str(data["code"])
    except (KeyError, TypeError, ValueError):
        return None


def _resolves_edits() -> bool:
    """Whether the client asks for a code action's edit only when it applies the action."""
    text_document = server.client_capabilities.text_document
    code_action = text_document.code_action if text_document is not None else None
    support = code_action.resolve_support if code_action is not None else None
    return support is not None and "edit" in support.properties


def _title(finding: Finding, also: tuple[Finding, ...] = ()) -> str:
    title = f"fs-lint: fix {finding.code} ({RULES[finding.code].name})"
    if also:
        title += " with " + ", ".join(f"{f.code} at line {f.line}" for f in also)
    return title


async def _quick_fix(uri: str, analysis: BufferAnalysis, diagnostic: types.Diagnostic,
                     finding: Finding) -> types.CodeAction | None:
    data = {"uri": uri, "version": analysis.version, "line": finding.line, "col": finding.col, "code": finding.code}
    action = types.CodeAction(title=_title(finding), kind=types.CodeActionKind.QuickFix,
                              diagnostics=[diagnostic], is_preferred=True, data=data)
    if _resolves_edits():
        return action
    fix = await _off_the_loop(analysis.quick_fix, finding)
    if fix is None:
        return None
    action.title = _title(finding, fix.also)
    action.edit = _whole_buffer_edit(uri, analysis.text, fix.text)
    return action


@server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
    code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.SourceFixAll, FIX_ALL],
    resolve_provider=True))
async def code_actions(params: types.CodeActionParams) -> list[types.CodeAction]:
    uri = params.text_document.uri
    analysis = _latest.get(uri)
    if analysis is None:
        return []
    try:
        fixable = await _off_the_loop(analysis.fixable)
    except UsageError:
        return []  # the configuration error was shown when the diagnostics were made
    actions = []
    wanted = params.context.only
    if not wanted or types.CodeActionKind.QuickFix in wanted:
        for diagnostic in params.context.diagnostics:
            place = _diagnostic_place(diagnostic)
            finding = None if place is None else analysis.finding_at(*place)
            if finding is None or finding not in fixable:
                continue
            action = await _quick_fix(uri, analysis, diagnostic, finding)
            if action is not None:
                actions.append(action)
    fix_all_wanted = not wanted or any(
        kind in (types.CodeActionKind.SourceFixAll, types.CodeActionKind.Source, FIX_ALL) for kind in wanted)
    if fix_all_wanted and not analysis.too_many():  # too many: the whole fix would take minutes
        new_text = await _off_the_loop(analysis.fixed_text)
        if new_text is not None:
            actions.append(types.CodeAction(title="fs-lint: fix all safe fixes", kind=FIX_ALL,
                                            edit=_whole_buffer_edit(uri, analysis.text, new_text)))
    return actions


@server.feature(types.CODE_ACTION_RESOLVE)
async def resolve_code_action(action: types.CodeAction) -> types.CodeAction:
    """A quick fix's edit, made now that it is applied; none when the buffer changed since it was offered."""
    data: Any = action.data
    if not isinstance(data, dict) or action.edit is not None:
        return action
    analysis = _latest.get(str(data.get("uri")))
    if analysis is None or analysis.version != data.get("version"):
        return action
    finding = analysis.finding_at(int(data["line"]), int(data["col"]), str(data["code"]))
    fix = None if finding is None else await _off_the_loop(analysis.quick_fix, finding)
    if fix is not None:
        action.edit = _whole_buffer_edit(str(data["uri"]), analysis.text, fix.text)
    return action


def _load_the_fixer() -> None:
    """Import the fixer and LibCST (about a second) while the editor starts up, not on the first fix."""
    import fs_lint.codemods.splicing  # noqa: F401  (libcst, and the fixer it imports)
    import libcst.codemod  # noqa: F401


def serve() -> None:
    """Talk LSP over stdin and stdout until the client says exit, or a signal stops it; then go at once.

    An analysis still running in a worker thread (a huge buffer's fix) is not
    waited for: the interpreter would join its thread at exit. The server writes
    no file, so SIGTERM ends it where it is (143, as 128 + the signal).
    """
    signal.signal(signal.SIGTERM, lambda signum, frame: os._exit(128 + signum))
    _executor.submit(_load_the_fixer)
    code = 1
    try:
        server.start_io()
        code = 0 if getattr(server.protocol, "_shutdown", True) else 1
    except KeyboardInterrupt:
        code = 130
    finally:
        _executor.shutdown(wait=False, cancel_futures=True)
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(ValueError, OSError):  # pygls closes stdout on exit
                stream.flush()
        os._exit(code)
