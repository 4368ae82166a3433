"""FSR901 on the 16 documented shutdown hangs: is the statement that hung reported, before the fix?

``../shared/realworld/reports/shutdown-path-rule.md`` (section 1) lists 16 cases from 11 projects
where a ``stop()``/``close()`` hung on a wait with no bound, each with the fix commit, the file, the
function and the statement that hung. This script reads each pre-fix file (the fix commit's first
parent) in a checkout of the whole repository at that commit (laid out from the fetched bare
mirror, so that the program model sees the case's package: the callee in another module, the base
class, the thread's code), runs FSR901 of this checkout on it, and says whether a finding lands on
that statement ("caught"), elsewhere in the same function ("in the function") or only elsewhere in
the file; then the same for the file after the fix, which says whether the fix cleared it.

The mirrors are the ``<owner>+<name>/repo`` folders that ``fetch github:<owner>/<name>`` brings
(by default ``/work/.mirror``, or ``--mirrors``); a case whose mirror or commit is missing is
reported as such. It is a benchmark, not a test: it exits 0 whatever it finds, 2 when no mirror
could be read at all. Standard library and fs-lint only::

    python benchmarks/shutdown_cases.py
    python benchmarks/shutdown_cases.py --markdown      # a table for the docs
    python benchmarks/shutdown_cases.py --set fresh     # the hangs collected afresh (shutdown_cases_fresh.tsv)
    python benchmarks/shutdown_cases.py --set all

The fresh set (``benchmarks/shutdown_cases_fresh.tsv``: id, repo, fix, path, function, statement,
what, issue, fix_shape) was collected after FSR901 was rebuilt on the program and library models,
from projects other than those of the 16 and those kept for an independent measurement; it says
how the rule does on hangs it was not built from.
"""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from fs_lint.checker import check_source  # noqa: E402
from fs_lint.settings import Settings  # noqa: E402

DEFAULT_MIRRORS = Path("/work/.mirror")
DEFAULT_WORKDIR = Path(tempfile.gettempdir()) / "fs-lint-shutdown-cases"
CODE = "FSR901"


@dataclass(frozen=True)
class Case:
    id: str
    repo: str  # owner+name, as the mirror folder is called
    fix: str  # the fix commit; the pre-fix file is at its first parent
    path: str
    function: str  # ``Class.method`` or ``function``: where the statement is
    statement: str  # text of the statement that hung (whitespace is ignored)
    what: str


CASES = (
    Case("C01", "ag2ai+faststream", "2395e4df", "faststream/rabbit/handler.py", "LogicHandler.close",
         "await self._queue_obj.cancel(self._consumer_tag)", "FastStream #1231: consumer cancel on a robust channel"),
    Case("C02", "aio-libs+aiokafka", "fff2c021", "aiokafka/consumer/group_coordinator.py", "GroupCoordinator.close",
         "await self._coordination_task", "aiokafka #659: awaiting the coordination task"),
    Case("C03", "dpkp+kafka-python", "1a91a546", "kafka/producer/kafka.py", "KafkaProducer.close",
         "self._sender.join()", "kafka-python #1974: joining the sender thread"),
    Case("C04", "dpkp+kafka-python", "70ca6d77", "kafka/consumer/group.py", "KafkaConsumer.close",
         "self._coordinator.close(autocommit=autocommit)", "kafka-python #2564: coordinator close retries commits"),
    Case("C05", "nats-io+nats.py", "55189ce", "nats/src/nats/js/kv.py", "KeyWatcher.stop",
         "await self._updates.put(KeyValue.KeyWatcher.STOP_ITER)", "nats.py #899: put on a full queue"),
    Case("C06", "nats-io+nats.py", "d0094cb", "nats-core/src/nats/client/__init__.py", "Client.close",
         "await self._read_task", "nats.py d0094cb: the read task swallows its cancellation"),
    Case("C07", "pika+pika", "08256879", "pika/adapters/thread_safe_connection.py", "ThreadSafeConnection.close",
         "self._ioloop_thread.join()", "pika #1582: joining the IOLoop thread"),
    Case("C08", "pika+pika", "beefdc73", "pika/adapters/thread_safe_connection.py", "_BoundedWorkPool.shutdown",
         "self._queue.put(self._SHUTDOWN)", "pika #1651: sentinel put on a full queue"),
    Case("C09", "pika+pika", "6118917b", "pika/adapters/thread_safe_connection.py", "_BoundedWorkPool.shutdown",
         "thread.join()", "pika #1651: joining a wedged worker"),
    Case("C10", "eclipse-paho+paho.mqtt.python", "b0f38cb", "src/paho/mqtt/client.py", "Client.loop_stop",
         "self._thread.join()", "paho-mqtt #52: loop_stop joins a thread stuck connecting"),
    Case("C11", "mosquito+aiormq", "8a5ccbe", "aiormq/channel.py", "Channel._reader",
         "await self.close(last_exception)", "aiormq 8a5ccbe: close waits for the broker's CloseOk"),
    Case("C12", "mosquito+aiormq", "2b598f2", "aiormq/connection.py", "Connection.__writer",
         "await asyncio.gather(writer.drain(), self.__close_writer(writer),",
         "aiormq 2b598f2: drain to a stuck peer"),
    Case("C13", "python-websockets+websockets", "43784eac", "websockets/protocol.py",
         "WebSocketCommonProtocol.close", "yield from self.write_frame(OP_CLOSE, frame_data)",
         "websockets #112: close frame to a peer that does not read"),
    Case("C14", "encode+uvicorn", "2c0ea0a9", "uvicorn/server.py", "Server.shutdown",
         "while self.server_state.tasks and not self.force_exit:", "uvicorn #1950: poll loop with no deadline"),
    Case("C15", "redis+redis-py", "0b6c7574", "redis/asyncio/client.py", "PubSub.aclose",
         "await self.connection.disconnect()", "redis-py #3941: wait_closed with a reader still running"),
    Case("C16", "aio-libs+aiohttp", "e8f7b6fd", "aiohttp/web_ws.py", "WebSocketResponse.close",
         "msg = yield from self._reader.read()", "aiohttp #1002: a loop around a per-read timeout"),
)


FRESH = Path(__file__).with_name("shutdown_cases_fresh.tsv")


def fresh_cases(path: Path = FRESH) -> tuple[Case, ...]:
    """The fresh set, read from its TSV (empty when the file is not there)."""
    import csv

    if not path.is_file():
        return ()
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return tuple(Case(row["id"], row["repo"], row["fix"], row["path"], row["function"], row["statement"], row["what"])
                 for row in rows if row.get("id") and not row["id"].startswith("#"))


@dataclass
class Outcome:
    case: Case
    status: str  # "caught", "in the function", "elsewhere in the file", "missed", or why it could not run
    lines: tuple[int, ...] = ()  # the statement's lines in the pre-fix file
    findings: tuple[int, ...] = ()  # FSR901 lines in the pre-fix file
    after: str = ""  # the statement after the fix: "cleared", "still flagged", "gone"


def git_show(mirror: Path, spec: str) -> bytes | None:
    result = subprocess.run(["git", "--git-dir", str(mirror), "show", spec], capture_output=True, check=False)
    return result.stdout if result.returncode == 0 else None


_COMPOUND = (ast.If, ast.Try, ast.With, ast.AsyncWith, ast.For, ast.AsyncFor, ast.While, ast.FunctionDef,
             ast.AsyncFunctionDef, ast.ClassDef)


def _squash(text: str) -> str:
    return "".join(text.split())


def _functions(tree: ast.Module):
    """``(title, node)`` for every function: ``Class.method`` for methods."""
    stack = [(tree, None)]
    while stack:
        node, cls = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                stack.append((child, child.name))
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield (f"{cls}.{child.name}" if cls else child.name), child
                stack.append((child, cls))
            else:
                stack.append((child, cls))


def statement_lines(source: bytes, case: Case) -> tuple[range | None, list[range]]:
    """The function's lines, and the lines of each statement in it that reads like the one that hung."""
    tree = ast.parse(source)
    text = source.decode("utf-8", "replace").splitlines()
    wanted = _squash(case.statement)
    for title, function in _functions(tree):
        if title != case.function:
            continue
        spans = []
        for node in ast.walk(function):
            if not isinstance(node, ast.stmt) or node is function:
                continue
            if isinstance(node, _COMPOUND):  # its first line only: not every statement inside it
                if _squash(text[node.lineno - 1]) == wanted:
                    spans.append(range(node.lineno, node.lineno + 1))
            elif wanted in _squash("\n".join(text[node.lineno - 1:node.end_lineno])):
                spans.append(range(node.lineno, node.end_lineno + 1))
        return range(function.lineno, function.end_lineno + 1), spans
    return None, []


def checkout(mirror: Path, commit: str, workdir: Path) -> Path | None:
    """The repository's Python files (and its project markers) at ``commit``, laid out once under
    ``workdir``. Blob by blob, so that a blob a partial mirror lacks leaves one file out, not the tree."""
    target = workdir / f"{mirror.parent.name}@{commit}"
    if (target / ".complete").is_file():
        return target
    listing = subprocess.run(["git", "--git-dir", str(mirror), "ls-tree", "-r", commit], capture_output=True,
                             check=False)
    if listing.returncode != 0:
        return None
    wanted = []
    for line in listing.stdout.decode("utf-8", "replace").splitlines():
        meta, _, path = line.partition("\t")
        mode, kind, sha = meta.split()
        if kind == "blob" and mode != "120000" and (path.endswith(".py") or path.rsplit("/", 1)[-1] in MARKERS):
            wanted.append((sha, path))
    batch = subprocess.run(["git", "--git-dir", str(mirror), "cat-file", "--batch"], capture_output=True, check=False,
                           input="".join(f"{sha}\n" for sha, _ in wanted).encode())
    data, offset = batch.stdout, 0
    for sha, path in wanted:
        header_end = data.index(b"\n", offset)
        header = data[offset:header_end].split()
        offset = header_end + 1
        if len(header) < 3 or header[1] == b"missing":
            continue
        size = int(header[2])
        destination = target / path
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(data[offset:offset + size])
        offset += size + 1
    (target / ".complete").write_text(commit)
    return target


MARKERS = frozenset({"pyproject.toml", "setup.cfg", "setup.py"})


def fsr901_lines(source: bytes, filename: str) -> tuple[int, ...]:
    findings = check_source(source, Settings(), [CODE], filename=filename)
    return tuple(sorted({f.line for f in findings}))


def run_case(case: Case, mirrors: Path, workdir: Path) -> Outcome:
    mirror = mirrors / case.repo / "repo"
    if not mirror.is_dir():
        return Outcome(case, f"no mirror at {mirror} (fetch github:{case.repo.replace('+', '/', 1)})")
    before = git_show(mirror, f"{case.fix}^:{case.path}")
    if before is None:
        return Outcome(case, f"{case.fix}^:{case.path} is not in the mirror")
    function, spans = statement_lines(before, case)
    if function is None or not spans:
        return Outcome(case, f"`{case.function}` or its statement is not in the pre-fix file")
    tree_before = checkout(mirror, f"{case.fix}^", workdir)
    if tree_before is None:
        return Outcome(case, f"{case.fix}^ could not be laid out")
    found = fsr901_lines(before, str(tree_before / case.path))
    lines = tuple(line for span in spans for line in span)
    if set(found) & set(lines):
        status = "caught"
    elif any(line in function for line in found):
        status = "in the function"
    elif found:
        status = "elsewhere in the file"
    else:
        status = "missed"
    outcome = Outcome(case, status, tuple(span.start for span in spans), found)
    after = git_show(mirror, f"{case.fix}:{case.path}")
    tree_after = checkout(mirror, case.fix, workdir) if after is not None else None
    if after is not None and tree_after is not None and status == "caught":
        _, after_spans = statement_lines(after, case)
        after_lines = {line for span in after_spans for line in span}
        outcome.after = ("gone" if not after_spans else
                         "still flagged" if set(fsr901_lines(after, str(tree_after / case.path))) & after_lines
                         else "cleared")
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mirrors", type=Path, default=DEFAULT_MIRRORS,
                        help="the folder of the <owner+name>/repo bare mirrors (default: %(default)s)")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR,
                        help="where each case's repository is laid out at its commits (default: %(default)s)")
    parser.add_argument("--set", choices=["documented", "fresh", "all"], default="documented",
                        help="the 16 documented hangs, the fresh set, or both (default: %(default)s)")
    args = parser.parse_args(argv)
    sets = {"documented": [("documented", CASES)], "fresh": [("fresh", fresh_cases())],
            "all": [("documented", CASES), ("fresh", fresh_cases())]}[args.set]
    status = 0
    for name, cases in sets:
        if not cases:
            print(f"no {name} cases (is {FRESH.name} there?)", file=sys.stderr)
            status = 2
            continue
        status = max(status, report(cases, args))
    return status


def report(cases: tuple[Case, ...], args: argparse.Namespace) -> int:
    outcomes = [run_case(case, args.mirrors, args.workdir) for case in cases]
    if all(o.status.startswith("no mirror") for o in outcomes):
        print(f"no mirror could be read under {args.mirrors}", file=sys.stderr)
        return 2
    if args.markdown:
        print("| case | what hung | file : function | statement (pre-fix line) | FSR901 | after the fix |")
        print("| --- | --- | --- | --- | --- | --- |")
    for o in outcomes:
        where = f"{o.case.path} : {o.case.function}"
        at = ",".join(map(str, o.lines)) or "-"
        flagged = ",".join(map(str, o.findings)) or "none"
        if args.markdown:
            status = o.status if o.status != "caught" else "**caught**"
            print(f"| {o.case.id} | {o.case.what} | `{where}` | `{o.case.statement}` ({at}) | {status} "
                  f"(FSR901 at {flagged}) | {o.after or '-'} |")
        else:
            print(f"{o.case.id} {o.status:22} {where}:{at}  FSR901 at {flagged}"
                  f"{'  after the fix: ' + o.after if o.after else ''}")
    caught = [o.case.id for o in outcomes if o.status == "caught"]
    print(f"\n{len(caught)} of {len(cases)} caught on the statement that hung: {', '.join(caught)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
