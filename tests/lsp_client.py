"""The least an editor does as an LSP client, over a real ``fs-lint server`` subprocess's stdin and stdout.

JSON-RPC with Content-Length framing: requests, notifications, and the messages
the server sends back, read on a thread. Used by ``tests/test_lsp_server*.py``
and ``benchmarks/lsp_server.py``.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Callable

Message = dict[str, Any]


class Client:
    def __init__(self, cwd: Path, python: str = sys.executable, env: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen([python, "-m", "fs_lint", "server"], cwd=cwd, env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.messages: queue.Queue[Message] = queue.Queue()
        self.backlog: list[Message] = []  # messages read while waiting for another
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = None
            while True:
                header = stream.readline()
                if not header:
                    return
                if header in (b"\r\n", b"\n"):
                    break
                name, _, value = header.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            assert length is not None
            self.messages.put(json.loads(stream.read(length)))

    def _drain_stderr(self) -> None:
        """pygls logs there: read it, so that a full pipe never blocks the server."""
        assert self.process.stderr is not None
        for _ in iter(self.process.stderr.readline, b""):
            pass

    def send(self, message: Message) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def notify(self, method: str, params: dict[str, Any]) -> None:
        self.send({"method": method, "params": params})

    def ask(self, method: str, params: dict[str, Any] | None) -> int:
        """Send a request without waiting; its id."""
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        return self.next_id

    def answer(self, request_id: int, timeout: float = 60) -> Message:
        """The response to request ``request_id``: its ``result`` or ``error``."""
        return self.wait(lambda m: m.get("id") == request_id and "method" not in m, timeout)

    def request(self, method: str, params: dict[str, Any] | None) -> Any:
        message = self.answer(self.ask(method, params))
        assert "error" not in message, message
        return message["result"]

    def wait(self, wanted: Callable[[Message], bool], timeout: float = 60) -> Message:
        """The first message, in the order they came, that is ``wanted``; the others are kept for later waits."""
        for index, message in enumerate(self.backlog):
            if wanted(message):
                return self.backlog.pop(index)
        while True:
            try:
                message = self.messages.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError("the server said nothing in time") from None
            if wanted(message):
                return message
            self.backlog.append(message)

    def diagnostics(self, uri: str, timeout: float = 60) -> list[dict[str, Any]]:
        return self.published(uri, timeout)["diagnostics"]

    def published(self, uri: str, timeout: float = 60) -> dict[str, Any]:
        """The next publishDiagnostics for ``uri``: its params (uri, version, diagnostics)."""
        message = self.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                            and m["params"]["uri"] == uri, timeout)
        return message["params"]

    def start(self, root: Path, capabilities: dict[str, Any] | None = None) -> dict[str, Any]:
        """initialize and initialized; the server's capabilities."""
        result = self.request("initialize", {"processId": os.getpid(), "rootUri": root.as_uri(),
                                             "capabilities": capabilities or {}})
        self.notify("initialized", {})
        return result["capabilities"]

    def open(self, uri: str, text: str, version: int = 1) -> None:
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "python", "version": version, "text": text}})

    def change(self, uri: str, text: str, version: int) -> None:
        self.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                               "contentChanges": [{"text": text}]})

    def code_actions(self, uri: str, diagnostics: list[dict[str, Any]], only: list[str] | None = None) -> Any:
        context: dict[str, Any] = {"diagnostics": diagnostics}
        if only is not None:
            context["only"] = only
        start = diagnostics[0]["range"] if diagnostics else {"start": {"line": 0, "character": 0},
                                                             "end": {"line": 0, "character": 0}}
        return self.request("textDocument/codeAction", {"textDocument": {"uri": uri}, "range": start,
                                                        "context": context})

    def close(self) -> None:
        try:
            self.request("shutdown", None)
            self.notify("exit", {})
            self.process.wait(timeout=30)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()


def apply(text: str, edits: list[dict[str, Any]]) -> str:
    """Apply whole-buffer-or-range edits (ASCII text: UTF-16 units are characters)."""
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    def offset(position: dict[str, int]) -> int:
        line = position["line"]
        return offsets[line] + position["character"] if line < len(lines) else len(text)

    for edit in sorted(edits, key=lambda e: offset(e["range"]["start"]), reverse=True):
        start, end = offset(edit["range"]["start"]), offset(edit["range"]["end"])
        text = text[:start] + edit["newText"] + text[end:]
    return text
