"""The probe's verdict as a person reads it, or as JSON for CI (the same facts in both)."""

from __future__ import annotations

import json
import re
import signal
from dataclasses import asdict
from typing import Iterable, Optional

from .session import ProbeResult
from .stacks import ProcessStacks, Stack

_SOURCES = {"bootstrap": "the probe's bootstrap", "faulthandler": "faulthandler", "py-spy": "py-spy"}


def verdict_line(result: ProbeResult) -> str:
    if result.verdict == "stopped":
        return f"stopped {result.seconds:.2f} s after {result.signal_name} ({_exit(result.exit_code)})"
    if result.verdict == "exited":
        return (f"exited by itself {result.seconds:.2f} s after the cut, before {result.signal_name} "
                f"({_exit(result.exit_code)}): it does not hang, but it did not wait for the signal either")
    return f"did not stop within {result.grace:g} s after {result.signal_name}; stuck at:"


def _exit(code: Optional[int]) -> str:
    """A negative code is Popen's way of saying that a signal ended the process."""
    if code is not None and code < 0:
        try:
            return f"exit code {code}: ended by {signal.Signals(-code).name}"
        except ValueError:
            pass
    return f"exit code {code}"


_SHUTDOWN_WORDS = re.compile(r"(?i)(stop|shutdown|close|teardown|terminate|disconnect|join|cleanup)")


def _relevance(stack: Stack) -> int:
    """The blocks a reader needs first: a line fs-lint flags, a shutdown path, project code, the rest.

    An event loop's thread waiting in ``select()`` comes last: its tasks say what it waits for.
    """
    notes = [frame.annotation for frame in stack.frames if frame.annotation]
    if any(not note.startswith(("no fs-lint finding", "runs the asyncio")) for note in notes):
        return 0
    if any(_SHUTDOWN_WORDS.search(frame.function.rpartition(".")[2]) for frame in stack.frames):
        return 1
    if any(frame.kind == "project" for frame in stack.frames):
        return 2
    if any(frame.function.endswith("run_forever") for frame in stack.frames):
        return 4
    return 3


def _stack_lines(stack: Stack) -> Iterable[str]:
    title = f"task {stack.name!r}" if stack.kind == "task" else f"thread {stack.name}"
    yield f"  {title}" + (f" ({stack.detail})" if stack.detail else "")
    if not stack.frames:
        yield "    (no Python frame)"
    for frame in stack.frames:
        yield f"    {frame.where} in {frame.function}"
        if frame.source:
            yield f"        {frame.source}"
        if frame.annotation:
            yield f"        >> {frame.annotation}"
    if stack.awaiting:
        yield f"    awaits {stack.awaiting}"


def _process_lines(process: ProcessStacks) -> Iterable[str]:
    about = [f"Python {process.python}"] if process.python else []
    if process.source:
        about.append(f"stacks from {_SOURCES.get(process.source, process.source)}")
    yield f"process {process.pid}: {process.command}" + (f" ({', '.join(about)})" if about else "")
    if process.note:
        yield f"  note: {process.note}"
    for stack in sorted(process.stacks, key=_relevance):
        yield from _stack_lines(stack)
        yield ""


def render_text(result: ProbeResult) -> str:
    lines = [verdict_line(result)]
    if result.verdict == "stuck":
        lines.append("")
        for process in result.stacks:
            lines.extend(_process_lines(process))
        if result.restored is not None:
            restored = result.restored
            lines.append(f"after --restore: stopped {restored.seconds:.2f} s after the broker came back "
                         f"({_exit(restored.exit_code)})" if restored.stopped else
                         f"after --restore: still running {restored.waited:g} s after the broker came back")
        if result.capture_seconds is not None:
            lines.append(f"stacks taken in {result.capture_seconds:.2f} s")
    if result.left_behind:
        lines.append("")
        lines.append(f"left behind after pid {result.pid} exited, and killed:")
        for process in result.left_behind:
            lines.extend(_process_lines(process))
    if result.killed:
        lines.append(f"killed (SIGKILL): {', '.join(str(pid) for pid in result.killed)}")
    lines.extend(f"note: {note}" for note in result.notes)
    return "\n".join(lines).rstrip("\n") + "\n"


def as_json(result: ProbeResult) -> dict:
    data = asdict(result)
    data["cuts"] = [{"target": target, "proxy": proxy} for target, proxy in result.cuts]
    data["signal"] = data.pop("signal_name")
    data["summary"] = verdict_line(result).removesuffix("; stuck at:")
    return data


def render_json(result: ProbeResult) -> str:
    return json.dumps(as_json(result), indent=2) + "\n"


def render_error(message: str) -> str:
    """A probe that could not run, as JSON: CI reads one shape whatever happened."""
    return json.dumps({"verdict": "error", "error": message}, indent=2) + "\n"
