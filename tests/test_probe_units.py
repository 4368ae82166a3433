"""``fs-lint probe``'s parts that need no service: options, placeholders, parsing dumps, annotations, reports.

The probe run for real on services is in ``tests/e2e/test_probe*.py``.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from fs_lint.probe.annotate import annotate_stack, annotation
from fs_lint.probe.options import cut_mode, parse_address, signal_number
from fs_lint.probe.report import as_json, render_text
from fs_lint.probe.session import ProbeError, ProbeResult, RestoreOutcome, cut_variables, expand_command
from fs_lint.probe.stacks import BOOTSTRAP_DIR, Frame, ProcessStacks, Stack, _Paths, parse_faulthandler

ROOT = Path(__file__).resolve().parent.parent
WORKER = ROOT / "fixtures" / "probe" / "annotate" / "worker.py"


def _line(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


# -- options ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("127.0.0.1:5672", ("127.0.0.1", 5672)),
    ("rabbit.internal:5672", ("rabbit.internal", 5672)),
    ("[::1]:4222", ("::1", 4222)),
])
def test_addresses(text, expected):
    assert parse_address(text) == expected


@pytest.mark.parametrize("text", ["5672", "host:", ":5672", "host:port", "host:70000", "host:0"])
def test_bad_addresses(text):
    with pytest.raises(ValueError, match="expected HOST:PORT"):
        parse_address(text)


def test_signals_and_cut_modes():
    import signal

    assert [signal_number(n) for n in ("TERM", "sigterm", "INT", "SIGINT")] == [
        signal.SIGTERM, signal.SIGTERM, signal.SIGINT, signal.SIGINT]
    with pytest.raises(ValueError, match="expected TERM or INT"):
        signal_number("HUP")
    assert cut_mode("blackhole") == "blackhole"
    with pytest.raises(ValueError, match="expected refuse or blackhole"):
        cut_mode("partition")


def test_placeholders_and_variables():
    addresses = ["127.0.0.1:40001", "127.0.0.1:40002"]
    assert expand_command(["svc", "--amqp=amqp://{cut}/", "{cut2}", "{cut1}", "{x}", "{{cut}}"], addresses) == [
        "svc", "--amqp=amqp://127.0.0.1:40001/", "127.0.0.1:40002", "127.0.0.1:40001", "{x}", "{127.0.0.1:40001}"]
    assert cut_variables(addresses) == {"FS_LINT_PROBE_CUT": "127.0.0.1:40001", "FS_LINT_PROBE_CUT1": "127.0.0.1:40001",
                                        "FS_LINT_PROBE_CUT2": "127.0.0.1:40002"}
    assert cut_variables([]) == {}
    with pytest.raises(ProbeError, match=r"\{cut3\} in the command, but there are 2 --cut"):
        expand_command(["{cut3}"], addresses)


# -- reading the dumps -----------------------------------------------------------------------------

FAULTHANDLER_DUMP = """\
Thread 0x00007f8235cfc6c0 (most recent call first):
  File "/srv/app/consumer.py", line 4 in spin
  File "/usr/lib/python3.11/threading.py", line 982 in run
  File "/usr/lib/python3.11/threading.py", line 1045 in _bootstrap_inner

Current thread 0x00007f8236a8ab80 (most recent call first):
  File "/srv/venv/lib/python3.11/site-packages/pika/connection.py", line 77 in connect
  File "/srv/app/main.py", line 10 in <module>
"""


def test_faulthandler_dumps_are_read_innermost_last():
    paths = _Paths(stdlib="/usr/lib/python3.11", site=("/srv/venv/lib/python3.11/site-packages",))
    spin, main = parse_faulthandler(FAULTHANDLER_DUMP, paths)
    assert spin.name == "0x00007f8235cfc6c0" and [f.function for f in spin.frames] == [
        "_bootstrap_inner", "run", "spin"]
    assert [(f.kind, f.shown) for f in main.frames] == [("project", "/srv/app/main.py"),
                                                         ("library", "pika/connection.py")]
    assert main.detail == "the thread that took the signal"


def test_frames_are_sorted_by_where_their_file_is():
    paths = _Paths(stdlib="/opt/py/lib/python3.12", site=("/opt/venv/lib/python3.12/site-packages",))
    library = "/opt/venv/lib/python3.12/site-packages/aio_pika/queue.py"
    assert paths.classify(library) == ("library", "aio_pika/queue.py")
    assert paths.classify("/opt/py/lib/python3.12/asyncio/locks.py") == ("stdlib", "asyncio/locks.py")
    assert paths.classify("<frozen runpy>") == ("other", "<frozen runpy>")
    # without the process's own folders (py-spy, a process that never said hello), by the path's shape
    assert _Paths().classify("/usr/lib/python3/dist-packages/redis/client.py") == ("library", "redis/client.py")
    assert _Paths().classify("/usr/lib/python3.11/selectors.py") == ("stdlib", "selectors.py")
    assert _Paths().classify("/srv/app/main.py") == ("project", "/srv/app/main.py")


def test_the_bootstrap_runs_on_every_supported_python():
    """It is loaded by the service's Python, whatever its version: no syntax newer than 3.8's, no fs-lint import."""
    source = (BOOTSTRAP_DIR / "sitecustomize.py").read_text()
    tree = ast.parse(source, feature_version=(3, 8))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
                for alias in node.names} | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not any(name and name.startswith("fs_lint") for name in imported)


# -- annotations -----------------------------------------------------------------------------------

def _frame(line_text: str, function: str = "f") -> Frame:
    line = _line(WORKER, line_text)
    source = WORKER.read_text().splitlines()[line - 1].strip()
    return Frame(path=str(WORKER), line=line, function=function, source=source, kind="project")


LIBRARY = Frame(path="/venv/site-packages/pika/adapters/blocking_connection.py", line=10, function="connect",
                kind="library", shown="pika/adapters/blocking_connection.py")


def test_a_frame_on_a_flagged_line_gets_the_finding():
    note = annotation(_frame("invoices.thread.join()"), [LIBRARY])
    assert note.startswith("FSR901 unbounded wait in a shutdown path: the `@app.on_shutdown` hook `stop_invoices()`")


def test_a_frame_inside_a_flagged_loop_names_the_loop():
    note = annotation(_frame("await broker.connect()"), [])
    # The loop's one defect is its handler: FSR002 on the handler is the one finding (no FSR001 on the loop).
    handler = _line(WORKER, "except BaseException:")
    assert note.startswith(f"inside the loop that fs-lint flags at line {handler}: FSR002 broad handler swallows")


def test_a_frame_in_a_handler_of_a_flagged_loop_names_the_loop():
    note = annotation(_frame("await asyncio.sleep(1)"), [])
    assert "inside the loop that fs-lint flags" in note and ("FSR001" in note or "FSR002" in note)


def test_a_call_of_a_function_whose_retry_decorator_is_flagged():
    note = annotation(_frame("connection = self._connect()"), [LIBRARY])
    decorator = _line(WORKER, "@retry(wait=wait_fixed(1))")
    assert note.startswith(f"calls `_connect()`, whose decorator fs-lint flags at line {decorator}: FSR004 retry ")


def test_otherwise_the_innermost_project_frame_says_what_the_library_call_waits_for():
    frame = _frame("connection.channel().start_consuming()")
    assert annotation(frame, [LIBRARY]) == (
        "calls `BlockingChannel.start_consuming()`, which waits for messages until no consumer is left (no bound), "
        "as fs-lint's library model has it; no fs-lint finding on this line "
        "(innermost at pika/adapters/blocking_connection.py:10 in connect)")
    assert annotation(frame, [_frame("return pika.BlockingConnection")]) is None, "only the innermost project frame"


def test_a_line_whose_calls_the_library_model_does_not_know_says_the_wait_is_in_the_library():
    frame = _frame("invoices.thread.start()")
    assert annotation(frame, [LIBRARY]) == ("no fs-lint finding on this line; it waits in library code below it, "
                                            "innermost at pika/adapters/blocking_connection.py:10 in connect")
    loop = Frame(path="/py/asyncio/base_events.py", line=1, function="BaseEventLoop.run_forever", kind="stdlib")
    assert annotation(frame, [loop]) == "runs the asyncio event loop: what it waits for is in the tasks"


def test_files_that_cannot_be_checked_get_no_annotation(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("def (:\n")
    for path in (broken, tmp_path / "gone.py"):
        assert annotation(Frame(path=str(path), line=1, function="f"), []) is None


def test_annotate_stack_marks_project_frames_only():
    stack = Stack("thread", "invoices", [_frame("invoices.thread.join()"), LIBRARY])
    marked = annotate_stack(stack)
    assert marked.frames[0].annotation.startswith("FSR901") and marked.frames[1].annotation is None
    assert stack.frames[0].annotation is None, "the stack given is left as it was"


def test_a_file_changed_between_two_probes_is_checked_again(tmp_path):
    app = tmp_path / "app.py"
    app.write_text("import time\n\ndef run():\n    time.sleep(1)\n")
    frame = Frame(path=str(app), line=4, function="run")
    assert annotation(frame, []) is None
    app.write_text(WORKER.read_text())
    join = _line(WORKER, "invoices.thread.join()")
    assert annotation(Frame(path=str(app), line=join, function="stop_invoices"), []).startswith("FSR901")


# -- reports ---------------------------------------------------------------------------------------

def _stuck_result() -> ProbeResult:
    frames = [Frame("/srv/app.py", 81, "announce_offline", "await presence.task", "project", "app.py",
                    "FSR901 unbounded wait in a shutdown path: ..."),
              Frame("/venv/aio_pika/connection.py", 229, "Connection.ready", "await self.connected.wait()",
                    "library", "aio_pika/connection.py")]
    idle = [Frame("/py/asyncio/base_events.py", 607, "BaseEventLoop.run_forever", "self._run_once()", "stdlib",
                  "asyncio/base_events.py")]
    process = ProcessStacks(pid=42, command="python -m faststream run app:app", source="bootstrap", python="3.11.7",
                            stacks=[Stack("thread", "MainThread", idle, detail="main thread"),
                                    Stack("task", "Task-3", frames, awaiting="<Future pending>")])
    return ProbeResult(command=["python"], signal_name="SIGTERM", grace=10.0, cut_mode="refuse",
                       cuts=[("127.0.0.1:5672", "127.0.0.1:40001")], verdict="stuck", pid=42, stacks=[process],
                       capture_seconds=0.05, killed=[42],
                       restored=RestoreOutcome(stopped=False, seconds=None, exit_code=None, waited=10.0))


def test_the_stuck_report():
    assert render_text(_stuck_result()) == """\
did not stop within 10 s after SIGTERM; stuck at:

process 42: python -m faststream run app:app (Python 3.11.7, stacks from the probe's bootstrap)
  task 'Task-3'
    app.py:81 in announce_offline
        await presence.task
        >> FSR901 unbounded wait in a shutdown path: ...
    aio_pika/connection.py:229 in Connection.ready
        await self.connected.wait()
    awaits <Future pending>

  thread MainThread (main thread)
    asyncio/base_events.py:607 in BaseEventLoop.run_forever
        self._run_once()

after --restore: still running 10 s after the broker came back
stacks taken in 0.05 s
killed (SIGKILL): 42
"""


def test_the_json_report_has_the_same_facts():
    data = json.loads(json.dumps(as_json(_stuck_result())))
    assert data["summary"] == "did not stop within 10 s after SIGTERM" and data["signal"] == "SIGTERM"
    assert data["cuts"] == [{"target": "127.0.0.1:5672", "proxy": "127.0.0.1:40001"}]
    [task] = [s for s in data["stacks"][0]["stacks"] if s["kind"] == "task"]
    assert task["frames"][0]["annotation"].startswith("FSR901") and task["frames"][-1]["kind"] == "library"


@pytest.mark.parametrize("code, text", [(0, "(exit code 0)"), (3, "(exit code 3)"),
                                        (-15, "(exit code -15: ended by SIGTERM)")])
def test_the_stopped_report(code, text):
    result = ProbeResult(command=["svc"], signal_name="SIGTERM", grace=10.0, cut_mode="refuse", cuts=[],
                         verdict="stopped", seconds=1.234, exit_code=code, pid=7)
    assert render_text(result) == f"stopped 1.23 s after SIGTERM {text}\n"


# -- the command line ------------------------------------------------------------------------------

def test_other_commands_do_not_import_the_probe_or_the_rules_to_start():
    code = ("import sys\nfrom fs_lint.cli.main import main\ncode = main(['--version'])\n"
            "print(sorted(m for m in sys.modules if m.startswith(('fs_lint.probe', 'fs_lint.rules', "
            "'fs_lint.analysis'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout + done.stderr


def test_the_format_names_the_parser_offers_are_the_writers():
    from fs_lint.cli.main import FORMAT_NAMES
    from fs_lint.cli.output_formats import FORMATS

    assert FORMAT_NAMES == tuple(FORMATS)


def test_every_probe_flag_is_in_the_readme():
    from fs_lint.cli.main import build_parser

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    probe = build_parser()._subparsers._group_actions[0].choices["probe"]  # type: ignore[union-attr]
    flags = [flag for action in probe._actions for flag in action.option_strings if flag.startswith("--")]
    assert len(flags) >= 12
    assert [flag for flag in flags if flag != "--help" and f"`{flag}" not in readme] == []
