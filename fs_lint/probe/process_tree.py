"""The processes a probed service is made of, and killing every one of them.

The service starts in a session of its own, so its processes are those of that
session, plus any descendant that left it with ``setsid()``. Read from ``/proc``
(Linux), where a process's parent, process group and session are fields of its
``stat`` line.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

_PROC = Path("/proc")


@dataclass(frozen=True)
class ProcessInfo:
    pid: int
    ppid: int
    session: int
    state: str  # "R", "S", "D", "Z" (a zombie: dead, not yet reaped) ...
    started: int  # clock ticks after boot: with the pid, names one process even after the pid is reused

    @property
    def alive(self) -> bool:
        return self.state not in ("Z", "X")


def process_info(pid: int) -> Optional[ProcessInfo]:
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except (OSError, ValueError):
        return None
    fields = stat[stat.rindex(")") + 2:].split()  # the command name may hold spaces and parentheses
    return ProcessInfo(pid=pid, ppid=int(fields[1]), session=int(fields[3]), state=fields[0],
                       started=int(fields[19]))


def _all_processes() -> Iterable[ProcessInfo]:
    try:
        entries = os.listdir(_PROC)
    except OSError:
        return
    for entry in entries:
        if entry.isdigit():
            info = process_info(int(entry))
            if info is not None:
                yield info


def service_processes(leader: int) -> list[ProcessInfo]:
    """The live processes of the service started as ``leader`` (in its own session), leader first."""
    processes = list(_all_processes())
    children: dict[int, list[int]] = {}
    for info in processes:
        children.setdefault(info.ppid, []).append(info.pid)
    found = {info.pid for info in processes if info.session == leader}
    pending = [leader]
    while pending:
        pid = pending.pop()
        for child in children.get(pid, ()):
            if child not in found:
                found.add(child)
                pending.append(child)
    live = [info for info in processes if info.alive and info.pid in found]
    return sorted(live, key=lambda info: (info.pid != leader, info.pid))


def command_line(pid: int) -> str:
    """The process's arguments as one line (``[name]`` for a kernel thread or a process without any)."""
    try:
        raw = (_PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return "?"
    words = [word.decode("utf-8", "replace") for word in raw.split(b"\0") if word]
    if words:
        return " ".join(words)
    try:
        return f"[{(_PROC / str(pid) / 'comm').read_text().strip()}]"
    except OSError:
        return "?"


def kill_service(leader: int, known: Iterable[ProcessInfo] = (), *, within: float = 2.0) -> list[int]:
    """SIGKILL the service's process group and every process of it; returns the pids it signalled.

    ``known``: processes seen earlier, killed too if still alive even when they are no longer
    found as the service's (a child that left the session and lost its parent). Repeated until
    none is left alive (a process may fork while it is being killed), for at most ``within``
    seconds.
    """
    signalled: set[int] = set()
    deadline = time.monotonic() + within
    while True:
        targets = {info.pid for info in service_processes(leader)} | {info.pid for info in known if _still(info)}
        try:
            os.killpg(leader, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        for pid in targets:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                continue
            signalled.add(pid)
        if not targets or time.monotonic() > deadline:
            return sorted(signalled)
        time.sleep(0.02)


def _still(seen: ProcessInfo) -> bool:
    """Whether the process seen earlier is alive (the same one: not a new process with its pid)."""
    now = process_info(seen.pid)
    return now is not None and now.alive and now.started == seen.started
