"""How fast ``fs-lint server`` answers an editor: code actions on a 2,000-line file, diagnostics for 6,000 findings.

Drives a real ``fs-lint server`` subprocess over stdio with the test suite's
client (``tests/lsp_client.py``), and measures each answer against a
baseline taken in the same run on the same buffer: ``fs-lint fix -`` (what
every code action used to cost: the whole fix, rerun per request) for the
code actions, ``fs-lint check`` (what the diagnostics cost on the command
line) for the diagnostics of 6,000 findings. A quick fix is asked for as
VS Code and Neovim ask (resolving its edit once it is chosen) and as a client
that cannot resolve, at once after the diagnostics and once the server has
settled.

    python benchmarks/lsp_server.py                         # the fs-lint this interpreter imports
    python benchmarks/lsp_server.py --python VENV/bin/python  # another install (say, an older commit's)

The last table is in docs/lsp-performance.md.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.lsp_client import Client  # noqa: E402  (the checkout's own test client)
from tests.test_lsp_server import HAZARD as LSP_HAZARD  # noqa: E402

# The test suite's consumer: a thread with a stop event whose loop never reads it (FSR001, FSR002).
HAZARD = LSP_HAZARD.split("\n\n\n", 1)[1].replace("class Consumer:", "class Consumer{i}:").join(["\n", "\n"])
PLAIN = textwrap.dedent('''
    def helper_{i}(items, scale=2):
        """Scale and sum the items."""
        total = 0
        for item in items:
            if item is None:
                continue
            total += item * scale
        return total
''')
# Two findings each (FSR001 on the loop, FSR002 on the handler); 3,000 of them make 6,000 findings.
PAIR = textwrap.dedent("""
    async def consume_{i}(broker):
        while True:
            try:
                return await broker.connect()
            except BaseException:
                await asyncio.sleep(1)
""")


def two_thousand_lines() -> str:
    """Ordinary helpers, with a consumer that has two findings every twentieth block."""
    parts, index = ["import threading\nimport time\n"], 0
    while sum(part.count("\n") for part in parts) < 2000:
        parts.append((HAZARD if index % 20 == 0 else PLAIN).format(i=index))
        index += 1
    return "".join(parts)


def six_thousand_findings() -> str:
    return "import asyncio\n" + "".join(PAIR.format(i=index) for index in range(3000))


def timed(work: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def cli(python: str, workspace: Path, *argv: str, stdin: str | None = None) -> float:
    start = time.perf_counter()
    subprocess.run([python, "-m", "fs_lint", *argv], cwd=workspace, input=stdin,
                   capture_output=True, text=True, check=False)
    return time.perf_counter() - start


def opened(client: Client, uri: str, text: str, timeout: float) -> tuple[float, list]:
    """Seconds from didOpen to the diagnostics, and the diagnostics."""
    start = time.perf_counter()
    client.open(uri, text)
    found = client.diagnostics(uri, timeout=timeout)
    return time.perf_counter() - start, found


def median(runs: int, work: Callable[[], object]) -> float:
    return statistics.median(timed(work)[0] for _ in range(runs))


RESOLVES = {"textDocument": {"codeAction": {"resolveSupport": {"properties": ["edit"]}}}}


def code_actions(workspace: Path, python: str, runs: int, resolves: bool,
                 settle: float) -> list[tuple[str, float, float]]:
    """A quick fix on the 2,000-line file, as a client that resolves edits (VS Code, Neovim) or not asks it.

    ``settle``: seconds between the diagnostics and the first request (0: at once, the worst case).
    """
    text = two_thousand_lines()
    path = workspace / "consumers.py"
    path.write_text(text)
    uri = path.as_uri()
    client = Client(workspace, python)
    try:
        client.start(workspace, RESOLVES if resolves else None)
        took, diagnostics = opened(client, uri, text, 600)
        assert diagnostics, "the 2,000-line file must have findings"
        handler = next(d for d in diagnostics if d["code"] == "FSR002")
        time.sleep(settle)

        def quick() -> object:
            return client.code_actions(uri, [handler], only=["quickfix"])

        first, actions = timed(quick)
        again = median(runs, quick)
        rows = [("first quick fix request", first), (f"the same request again (median of {runs})", again)]
        assert isinstance(actions, list) and actions, "the handler must have a quick fix"
        if resolves and "edit" not in actions[0]:  # a server that does not resolve sends the edit at once
            chosen = actions[0]
            rows.append(("resolving its edit, once chosen",
                         timed(lambda: client.request("codeAction/resolve", chosen))[0]))
        rows.append((f"fix-all source action (median of {runs})",
                     median(runs, lambda: client.code_actions(uri, [], only=["source.fixAll.fs-lint"]))))
    finally:
        client.close()
    kind = "a client that resolves edits" if resolves else "a client that does not resolve"
    when = "at once" if not settle else f"{settle:g} s after"
    return [(f"diagnostics after didOpen ({text.count(chr(10))} lines, {len(diagnostics)} findings)", took, 0.0)] + [
        (f"{what} ({kind}, asked {when} the diagnostics)", seconds, 0.0) for what, seconds in rows]


def diagnostics_of_many(workspace: Path, python: str) -> list[tuple[str, float, float]]:
    text = six_thousand_findings()
    path = workspace / "many.py"
    path.write_text(text)
    uri = path.as_uri()
    client = Client(workspace, python)
    try:
        client.start(workspace)
        took, found = opened(client, uri, text, 3600)
    finally:
        client.close()
    baseline = cli(python, workspace, "check", "many.py")
    return [(f"diagnostics after didOpen ({len(found)} findings)", took, baseline),
            ("baseline: `fs-lint check many.py` (a process)", baseline, baseline)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", default=sys.executable, help="the interpreter whose fs-lint to run")
    parser.add_argument("--runs", type=int, default=5, help="repetitions of each repeated request")
    args = parser.parse_args()
    python = args.python
    used = subprocess.run([python, "-c", "import fs_lint; print(fs_lint.__file__)"], cwd=tempfile.gettempdir(),
                          capture_output=True, text=True, check=True).stdout.strip()
    print(f"fs_lint from {used}\n")
    with tempfile.TemporaryDirectory() as scratch:
        workspace = Path(scratch)
        (workspace / "pyproject.toml").write_text("[tool.fs-lint]\n")
        (workspace / "consumers.py").write_text(two_thousand_lines())
        baseline = statistics.median(
            cli(python, workspace, "fix", "--stdin-filename", "consumers.py", "-", stdin=two_thousand_lines())
            for _ in range(args.runs))
        rows = [("baseline: `fs-lint fix -` on the 2,000-line buffer (a process)", baseline, baseline)]
        for resolves, settle in ((True, 0.0), (True, 5.0), (False, 0.0), (False, 5.0)):
            rows += [(what, seconds, baseline) for what, seconds, _ in
                     code_actions(workspace, python, args.runs, resolves, settle)]
        rows += diagnostics_of_many(workspace, python)
    print("| what | seconds | × baseline |")
    print("| --- | ---: | ---: |")
    for what, seconds, base in rows:
        print(f"| {what} | {seconds:.3f} | {seconds / base:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
