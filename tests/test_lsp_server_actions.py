"""The language server answers like ``fs-lint fix`` would, for every fixable finding, and stays responsive.

A real ``fs-lint server`` subprocess: every finding ``fs-lint fix`` fixes gets a
quick fix (FSR001's too, where the loop's fix needs its handler's), a client
that resolves code actions gets the same edits, a request with params that do
not fit gets a JSON-RPC error, a burst of changes is analysed once, and a huge
buffer does not hold up the diagnostics of a small one. How fast it answers is
``benchmarks/lsp_server.py``'s to measure, not a test's.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path
from typing import Iterator

import pytest

from fs_lint.findings import Finding
from fs_lint.server.buffer_lint import fixed_text, lint_buffer
from tests.lsp_client import Client, apply

ROOT = Path(__file__).resolve().parent.parent
# In strict mode (the workspace's) the loop is reported because its handler swallows cancellation (by
# default the handler's FSR002 is the one finding); fixing the handler settles the loop, which has no
# stop flag of its own to check: FSR001 cannot be fixed alone.
NEEDS_ITS_HANDLER = textwrap.dedent("""\
    import asyncio


    async def consume(broker):
        while True:
            try:
                return await broker.connect()
            except BaseException:
                await asyncio.sleep(1)
""")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    # 3.11 or newer: the handler fixes re-raise the task's own cancellation (``cancelling()``); before it
    # they need a stop flag, and a loop with none gets no fix at all (docs/fix-safety.md)
    # strict: the loop and its handler are both reported, and the loop's fix needs the handler's
    (tmp_path / "pyproject.toml").write_text('[tool.fs-lint]\ntarget-version = "py311"\nstrict = true\n')
    return tmp_path


@pytest.fixture
def client(workspace: Path) -> Iterator[Client]:
    started = Client(workspace)
    try:
        yield started
    finally:
        started.close()


def _fixed_by_cli(workspace: Path, name: str, text: str) -> tuple[str, set[tuple[int, str]]]:
    """What ``fs-lint fix`` writes for the file, and which findings ``check`` marks fixable."""
    path = workspace / name
    path.write_text(text)
    found = subprocess.run([sys.executable, "-m", "fs_lint", "check", "--format", "json", name], cwd=workspace,
                           capture_output=True, text=True, check=False)
    fixable = {(item["line"], item["code"]) for item in json.loads(found.stdout) if item["fixable"]}
    subprocess.run([sys.executable, "-m", "fs_lint", "fix", name], cwd=workspace, capture_output=True, check=False)
    return path.read_text(), fixable


def test_fsr001_gets_a_quick_fix_with_the_handler_fix_it_needs(workspace: Path, client: Client) -> None:
    client.start(workspace)
    uri = (workspace / "consume.py").as_uri()
    client.open(uri, NEEDS_ITS_HANDLER)
    diagnostics = client.diagnostics(uri)
    assert [d["code"] for d in diagnostics] == ["FSR001", "FSR002"]
    actions = client.code_actions(uri, diagnostics[:1], only=["quickfix"])
    assert [a["title"] for a in actions] == [
        "fs-lint: fix FSR001 (retry-loop-without-shutdown-check) with FSR002 at line 8"]
    fixed, fixable = _fixed_by_cli(workspace, "consume.py", NEEDS_ITS_HANDLER)
    assert fixable == {(5, "FSR001"), (8, "FSR002")}
    assert apply(NEEDS_ITS_HANDLER, actions[0]["edit"]["changes"][uri]) == fixed


@pytest.mark.parametrize("fixture", ["FSR001/async_loops.py", "FSR002/flagged.py", "FSR003/flagged.py",
                                     "FSR005/sync_flagged.py", "FSR007/flagged.py"])
def test_every_finding_fix_would_fix_has_a_quick_fix(workspace: Path, client: Client, fixture: str) -> None:
    text = (ROOT / "fixtures" / "rules" / fixture).read_text()
    _, fixable = _fixed_by_cli(workspace, "module.py", text)
    client.start(workspace)
    uri = (workspace / "buffer.py").as_uri()
    client.open(uri, text)
    diagnostics = client.diagnostics(uri)
    quick = [a for a in client.code_actions(uri, diagnostics) if a["kind"] == "quickfix"]
    offered = {(a["diagnostics"][0]["range"]["start"]["line"] + 1, a["diagnostics"][0]["code"]) for a in quick}
    assert offered == fixable
    before = Counter(f.code for f in lint_buffer(text, str(workspace / "buffer.py"), str(workspace)).findings)
    for action in quick:  # each edit compiles and fixes (at least) a finding of its code
        code = action["diagnostics"][0]["code"]
        after = apply(text, action["edit"]["changes"][uri])
        compile(after, "buffer.py", "exec")
        left = Counter(f.code for f in lint_buffer(after, str(workspace / "buffer.py"), str(workspace)).findings)
        assert left[code] < before[code], action["title"]


def test_a_client_that_resolves_gets_the_edit_when_it_applies_the_action(workspace: Path, client: Client) -> None:
    client.start(workspace, {"textDocument": {"codeAction": {"resolveSupport": {"properties": ["edit"]}}}})
    uri = (workspace / "consume.py").as_uri()
    client.open(uri, NEEDS_ITS_HANDLER)
    diagnostics = client.diagnostics(uri)
    quick = [a for a in client.code_actions(uri, diagnostics) if a["kind"] == "quickfix"]
    assert [a["diagnostics"][0]["code"] for a in quick] == ["FSR001", "FSR002"]
    assert all("edit" not in a for a in quick)  # offered at once: the edit comes when it is chosen
    for action in quick:
        resolved = client.request("codeAction/resolve", action)
        place = action["data"]
        expected = fixed_text(NEEDS_ITS_HANDLER, str(workspace / "consume.py"), str(workspace),
                              only=Finding(place["line"], place["col"], place["code"], ""))
        assert apply(NEEDS_ITS_HANDLER, resolved["edit"]["changes"][uri]) == expected != NEEDS_ITS_HANDLER
    client.change(uri, NEEDS_ITS_HANDLER + "\n", 2)  # the buffer moved on: an old action gets no edit
    client.diagnostics(uri)
    assert "edit" not in client.request("codeAction/resolve", quick[0])


def test_params_that_do_not_fit_get_a_json_rpc_error(workspace: Path, client: Client) -> None:
    client.start(workspace)
    broken = client.answer(client.ask("textDocument/codeAction", {"textDocument": {"uri": "file:///x.py"}}))
    assert broken["error"]["code"] == -32602
    assert "textDocument/codeAction" in broken["error"]["message"] and "context" in broken["error"]["message"]
    unknown = client.code_actions("file:///never/opened.py", [])
    assert unknown == []  # a document the server was never given: nothing to offer, no error
    uri = (workspace / "consume.py").as_uri()
    client.open(uri, NEEDS_ITS_HANDLER)
    assert len(client.diagnostics(uri)) == 2  # and it goes on serving


def test_a_burst_of_changes_is_analysed_once(workspace: Path, client: Client) -> None:
    client.start(workspace)
    uri = (workspace / "consume.py").as_uri()
    client.open(uri, NEEDS_ITS_HANDLER)
    assert client.published(uri)["version"] == 1
    for version in range(2, 7):  # typing: five changes, no pause
        client.change(uri, NEEDS_ITS_HANDLER + "#" * version + "\n", version)
    published = client.published(uri)
    assert published["version"] == 6 and len(published["diagnostics"]) == 2
    with pytest.raises(AssertionError, match="said nothing"):
        client.published(uri, timeout=2)  # versions 2 to 5 were never analysed


def test_a_huge_buffer_does_not_hold_up_a_small_one(workspace: Path, client: Client) -> None:
    client.start(workspace)
    huge = "".join(NEEDS_ITS_HANDLER.replace("consume", f"consume_{i}").split("\n", 2)[2] for i in range(1000))
    huge = "import asyncio\n" + huge
    big, small = (workspace / "big.py").as_uri(), (workspace / "small.py").as_uri()
    client.open(big, huge)
    client.open(small, NEEDS_ITS_HANDLER)
    first = client.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics", timeout=300)
    assert first["params"]["uri"] == small
    actions = client.code_actions(small, first["params"]["diagnostics"])  # answered while the big one is analysed
    assert any(a["kind"] == "quickfix" for a in actions)
    assert len(client.diagnostics(big, timeout=300)) == 2000
