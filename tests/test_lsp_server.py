"""``fs-lint server`` for real: a subprocess, spoken to in LSP over its stdin and stdout.

The client (``tests/lsp_client.py``) is the least an editor does: JSON-RPC with
Content-Length framing, initialize, didOpen/didChange/didSave, codeAction,
shutdown, exit.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from tests.expected_rewrites import let_stop_through
from tests.lsp_client import Client, apply

HAZARD = textwrap.dedent("""\
    import threading
    import time


    class Consumer:
        def __init__(self):
            self._stop = threading.Event()

        def stop(self):
            self._stop.set()

        def run(self, conn):
            while True:
                try:
                    conn.connect()
                except BaseException:
                    time.sleep(1)
""")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[tool.fs-lint]\nper-file-ignores = { "spared.py" = ["FSR002"] }\n')
    return tmp_path


def test_diagnostics_and_quick_fixes_over_stdio(project: Path) -> None:
    path = project / "consumer.py"
    path.write_text(HAZARD)
    uri = path.as_uri()
    client = Client(project)
    try:
        result = client.request("initialize", {"processId": os.getpid(), "rootUri": project.as_uri(),
                                               "capabilities": {}})
        assert result["capabilities"]["codeActionProvider"]
        client.notify("initialized", {})
        client.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "python", "version": 1, "text": HAZARD}})
        diagnostics = client.diagnostics(uri)
        assert [(d["code"], d["range"]["start"]) for d in diagnostics] == [
            ("FSR001", {"line": 12, "character": 8}), ("FSR002", {"line": 15, "character": 12})]
        assert all(d["source"] == "fs-lint" and d["severity"] == 2 for d in diagnostics)
        assert diagnostics[0]["codeDescription"]["href"].endswith("FSR001.md")

        # one quick fix per diagnostic with a safe fix; applying both equals fs-lint fix
        actions = client.request("textDocument/codeAction", {
            "textDocument": {"uri": uri}, "range": diagnostics[1]["range"],
            "context": {"diagnostics": diagnostics}})
        quick = [a for a in actions if a["kind"] == "quickfix"]
        assert [a["diagnostics"][0]["code"] for a in quick] == ["FSR001", "FSR002"]
        narrowed = apply(HAZARD, quick[1]["edit"]["changes"][uri])
        assert narrowed == let_stop_through(HAZARD)
        fix_all = next(a for a in actions if a["kind"] == "source.fixAll.fs-lint")
        fixed_in_editor = apply(HAZARD, fix_all["edit"]["changes"][uri])
        subprocess.run([sys.executable, "-m", "fs_lint", "fix", "consumer.py"], cwd=project,
                       capture_output=True, check=False)
        assert fixed_in_editor == path.read_text() != HAZARD

        # didChange: a buffer being typed, with a syntax error, gets an error diagnostic
        client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                                 "contentChanges": [{"text": "def f(:\n"}]})
        broken = client.diagnostics(uri)
        assert [d["severity"] for d in broken] == [1] and "syntax error" in broken[0]["message"]
        # didSave of the fixed text: the FSR001 fix has been made too, nothing is left
        client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 3},
                                                 "contentChanges": [{"text": fixed_in_editor}]})
        assert client.diagnostics(uri) == []
        client.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
        assert client.diagnostics(uri) == []

        # the project's per-file-ignores apply to the buffer's path
        spared = (project / "spared.py").as_uri()
        client.notify("textDocument/didOpen", {"textDocument": {
            "uri": spared, "languageId": "python", "version": 1, "text": HAZARD}})
        assert [d["code"] for d in client.diagnostics(spared)] == ["FSR001"]
    finally:
        client.close()
    assert client.process.returncode == 0


def test_a_broken_config_is_shown_to_the_user(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.fs-lint]\nselect = ["FSR008"]\n')
    path = tmp_path / "m.py"
    client = Client(tmp_path)
    try:
        client.request("initialize", {"processId": os.getpid(), "rootUri": tmp_path.as_uri(), "capabilities": {}})
        client.notify("initialized", {})
        client.notify("textDocument/didOpen", {"textDocument": {
            "uri": path.as_uri(), "languageId": "python", "version": 1, "text": HAZARD}})
        shown = client.wait(lambda m: m.get("method") == "window/showMessage")
        assert shown["params"]["type"] == 1  # an error
        assert "'FSR008' is not a known fs-lint code (did you mean 'FSR007'?)" in shown["params"]["message"]
    finally:
        client.close()


def test_a_buffer_is_checked_against_the_rest_of_the_project(tmp_path: Path) -> None:
    """The editor sees one buffer; the program model brings the modules it calls (issue 17)."""
    from tests.test_front_ends_agree import CROSS_MODULE, WHY, write_project

    project = write_project(tmp_path, CROSS_MODULE)
    path = project / "svc" / "app.py"
    uri = path.as_uri()
    client = Client(project)
    try:
        client.request("initialize", {"processId": os.getpid(), "rootUri": project.as_uri(), "capabilities": {}})
        client.notify("initialized", {})
        client.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "python", "version": 1, "text": path.read_text()}})
        diagnostics = client.diagnostics(uri)
        assert [(d["code"], d["range"]["start"]) for d in diagnostics] == [("FSR901", {"line": 8, "character": 8})]
        assert WHY in diagnostics[0]["message"]
    finally:
        client.close()
