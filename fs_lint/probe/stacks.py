"""Taking the stacks of a stuck service: every thread's, and every asyncio task's await chain.

Three sources, best first, for each process of the service:

1. ``bootstrap``: the process runs the probe's ``sitecustomize`` (``bootstrap/``) and
   answers the reserved signal with ``PID.json``: threads with their names, and tasks
   coroutine by coroutine. It needs the main thread to run Python once more, which a
   blocked ``join()``, ``recv()`` or ``select()`` does for signal handlers.
2. ``faulthandler``: the same signal made faulthandler write ``PID.threads`` from inside
   the signal handler. Used when no ``PID.json`` comes within the wait (the main thread
   is stuck in C code): threads only, without names, and no tasks.
3. ``py-spy``: a Python process without the bootstrap (started with ``-I``, ``-E`` or
   ``-S``, or a Python the probe's environment does not reach): ``py-spy dump`` from
   outside, where py-spy is installed and ptrace is allowed.
"""

from __future__ import annotations

import ast
import json
import linecache
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

from .process_tree import command_line

BOOTSTRAP_DIR = Path(__file__).resolve().parent / "bootstrap"
DUMPS_VARIABLE = "FS_LINT_PROBE_DUMPS"
SIGNAL_VARIABLE = "FS_LINT_PROBE_SIGNAL"
# A real-time signal: services leave them alone, and glibc keeps only the first two or three for itself.
DUMP_SIGNAL = signal.SIGRTMIN + 7 if hasattr(signal, "SIGRTMIN") else signal.SIGUSR2
WAIT_FOR_PYTHON = 1.0  # seconds for the main thread to answer, before faulthandler's dump is used
PY_SPY_TIMEOUT = 10.0


@dataclass(frozen=True)
class Frame:
    path: str
    line: int
    function: str
    source: str = ""
    kind: str = "project"  # "project", "library" (site-packages), "stdlib" or "other" (frozen, <string>)
    shown: str = ""  # the path as the report shows it: relative to site-packages or the stdlib folder
    annotation: Optional[str] = None  # fs-lint's word on this line, for project code

    @property
    def where(self) -> str:
        return f"{self.shown or self.path}:{self.line}"


@dataclass
class Stack:
    kind: str  # "thread" or "task"
    name: str
    frames: list[Frame]  # outermost first, innermost last
    awaiting: Optional[str] = None  # a task: what its innermost coroutine awaits (a future, another task)
    detail: str = ""  # "daemon", "main thread", "cancelling" ...


@dataclass
class ProcessStacks:
    pid: int
    command: str
    source: Optional[str]  # "bootstrap", "faulthandler", "py-spy", or None when no stack could be taken
    python: Optional[str] = None
    stacks: list[Stack] = field(default_factory=list)
    note: Optional[str] = None  # why something is missing


@dataclass(frozen=True)
class _Paths:
    """Where a process's standard library and site-packages are, to sort its frames."""

    stdlib: str = ""
    site: tuple[str, ...] = ()

    def classify(self, path: str) -> tuple[str, str]:
        if path.startswith("<") or not path:
            return "other", path
        for folder in sorted(self.site, key=len, reverse=True):
            if folder and path.startswith(folder.rstrip("/") + "/"):
                return "library", path[len(folder.rstrip("/")) + 1:]
        if self.stdlib and path.startswith(self.stdlib.rstrip("/") + "/"):
            return "stdlib", path[len(self.stdlib.rstrip("/")) + 1:]
        match = re.search(r"/(?:site|dist)-packages/(.+)$", path)
        if match:
            return "library", match.group(1)
        match = re.search(r"/lib/python3\.\d+/(.+)$", path)
        if match:
            return "stdlib", match.group(1)
        return "project", _project_path(path)


def _project_path(path: str) -> str:
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return path
    return path if relative.startswith("..") else relative


def _source_line(path: str, line: int) -> str:
    return linecache.getline(path, line).strip() if path and not path.startswith("<") else ""


def _frame(paths: _Paths, path: str, line: int, function: str, source: str = "") -> Frame:
    kind, shown = paths.classify(path)
    return Frame(path=path, line=line, function=function, source=source or _source_line(path, line),
                 kind=kind, shown=shown)


class StackCollector:
    """Arms the service's Pythons through their environment, then takes their stacks on request."""

    def __init__(self, signum: int = DUMP_SIGNAL) -> None:
        self.signum = signum
        self.directory = Path(tempfile.mkdtemp(prefix="fs-lint-probe-"))

    def environment(self, base: dict[str, str]) -> dict[str, str]:
        """``base`` with the bootstrap first on PYTHONPATH, and where and on what signal to dump."""
        env = dict(base)
        existing = env.get("PYTHONPATH")
        env["PYTHONPATH"] = str(BOOTSTRAP_DIR) + (os.pathsep + existing if existing else "")
        env[DUMPS_VARIABLE] = str(self.directory)
        env[SIGNAL_VARIABLE] = str(int(self.signum))
        return env

    def close(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)

    def armed(self, pid: int) -> bool:
        """Whether the process runs the bootstrap (it said hello)."""
        return (self.directory / f"{pid}.hello").exists()

    # -- taking the stacks ---------------------------------------------------------------

    def capture(self, pids: Sequence[int], wait: float = WAIT_FOR_PYTHON) -> list[ProcessStacks]:
        """Ask every process for its stacks at once, and wait up to ``wait`` seconds for the answers."""
        commands = {pid: command_line(pid) for pid in pids}
        asked = []
        for pid in pids:
            if self.armed(pid):
                (self.directory / f"{pid}.json").unlink(missing_ok=True)  # an answer to an earlier question
                try:
                    os.kill(pid, self.signum)
                    asked.append(pid)
                except ProcessLookupError:
                    pass
        self._wait_for_answers(asked, wait)
        waited = wait
        if any(self._frameless(pid) for pid in asked):
            # faulthandler's dump holds no Python frame (the signal came between two of them, or on a loaded
            # machine): the Python handler answers when the thread runs Python again, so wait once more
            self._wait_for_answers(asked, wait)
            waited += wait
        return [self._read(pid, commands[pid], pid in asked, waited) for pid in pids]

    def _wait_for_answers(self, pids: Sequence[int], wait: float) -> None:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and not all((self.directory / f"{pid}.json").exists() for pid in pids):
            time.sleep(0.01)

    def _frameless(self, pid: int) -> bool:
        """No answer from the Python handler yet, and faulthandler's dump shows no frame of any thread."""
        if (self.directory / f"{pid}.json").exists():
            return False
        try:
            text = (self.directory / f"{pid}.threads").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return False
        return not any(stack.frames for stack in parse_faulthandler(text))

    def _read(self, pid: int, command: str, asked: bool, wait: float) -> ProcessStacks:
        hello = self._hello(pid)
        paths = _Paths(hello.get("stdlib", ""), tuple(hello.get("site", ())))
        result = ProcessStacks(pid=pid, command=command, source=None, python=hello.get("version"))
        dump = self.directory / f"{pid}.json"
        threads = self.directory / f"{pid}.threads"
        if asked and dump.exists():
            result.source = "bootstrap"
            result.stacks = _bootstrap_stacks(json.loads(dump.read_text(encoding="utf-8")), paths)
        elif asked and threads.exists() and threads.stat().st_size:
            result.source = "faulthandler"
            result.stacks = parse_faulthandler(threads.read_text(encoding="utf-8", errors="replace"), paths)
            result.note = (f"the main thread ran no Python code within {wait:g} s of the signal (stuck in "
                           "C code?): thread stacks from faulthandler, without thread names or asyncio tasks")
        else:
            result.source, result.stacks, result.note = _py_spy(pid, paths, asked)
        return result

    def _hello(self, pid: int) -> dict:
        try:
            value = ast.literal_eval((self.directory / f"{pid}.hello").read_text(encoding="utf-8"))
        except (OSError, ValueError, SyntaxError):
            return {}
        return value if isinstance(value, dict) else {}


def _bootstrap_stacks(dump: dict, paths: _Paths) -> list[Stack]:
    stacks = []
    for thread in dump.get("threads", []):
        details = [word for word, on in (("main thread", thread.get("main")), ("daemon", thread.get("daemon"))) if on]
        name = thread.get("name") or f"0x{thread.get('ident', 0):x}"
        stacks.append(Stack("thread", name, [_frame(paths, *entry) for entry in thread.get("frames", [])],
                            detail=", ".join(details)))
    for task in dump.get("tasks", []):
        detail = "cancelling" if task.get("cancelling") else ""
        stacks.append(Stack("task", task.get("name", "?"), [_frame(paths, *entry) for entry in task.get("frames", [])],
                            awaiting=task.get("awaiting"), detail=detail))
    return stacks


_THREAD_HEADER = re.compile(r"^(Current thread|Thread) (0x[0-9a-fA-F]+)")
_FRAME_LINE = re.compile(r'^\s+File "(.*)", line (\d+) in (.*)$')


def parse_faulthandler(text: str, paths: _Paths = _Paths()) -> list[Stack]:
    """faulthandler's dump, most recent call first, as stacks innermost last."""
    stacks: list[Stack] = []
    for line in text.splitlines():
        header = _THREAD_HEADER.match(line)
        if header:
            current = header.group(1) == "Current thread"
            stacks.append(Stack("thread", header.group(2), [],
                                detail="the thread that took the signal" if current else ""))
            continue
        frame = _FRAME_LINE.match(line)
        if frame and stacks:
            stacks[-1].frames.insert(0, _frame(paths, frame.group(1), int(frame.group(2)), frame.group(3)))
    return stacks


def py_spy_command() -> Optional[str]:
    """py-spy on PATH, or beside the Python that runs fs-lint (a venv that is not activated)."""
    beside = Path(sys.executable).parent / "py-spy"
    return shutil.which("py-spy") or (str(beside) if beside.exists() else None)


def _py_spy(pid: int, paths: _Paths, asked: bool) -> tuple[Optional[str], list[Stack], str]:
    why = ("it did not answer the probe's signal" if asked else
           "it does not run the probe's bootstrap (not Python, or started with -I, -E or -S)")
    command = py_spy_command()
    if command is None:
        return None, [], f"no stack: {why}, and py-spy is not installed (pip install py-spy)"
    try:
        done = subprocess.run([command, "dump", "--pid", str(pid), "--json"], capture_output=True, text=True,
                              timeout=PY_SPY_TIMEOUT, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as error:
        return None, [], f"no stack: {why}, and py-spy failed: {error}"
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no output"])[0]
        return None, [], f"no stack: {why}, and py-spy could not read it: {reason}"
    try:
        threads = json.loads(done.stdout)
    except ValueError:
        return None, [], f"no stack: {why}, and py-spy's output was not JSON"
    stacks = []
    for thread in threads:
        frames = [_frame(paths, item.get("filename", "?"), int(item.get("line", 0)), item.get("name", "?"))
                  for item in reversed(thread.get("frames", []))]
        stacks.append(Stack("thread", thread.get("thread_name") or f"0x{thread.get('thread_id', 0):x}", frames))
    return "py-spy", stacks, f"{why}: thread stacks from py-spy, without asyncio tasks"
