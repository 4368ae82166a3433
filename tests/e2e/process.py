"""Run an app as a real process, read its log, stop it with SIGTERM and measure how it went.

``AppProcess`` starts the command in its own session with stdout and stderr in a
log file, so that a chatty app can never block on a full pipe. ``stop()`` sends
SIGTERM and waits up to a grace period: it returns how long the process took to
exit (or that it did not), its exit code and the CPU it burnt meanwhile. CPU comes
from ``/proc/PID/stat`` at SIGTERM and from the kernel's rusage when the process is
reaped, so a process that exits between two polls is still counted exactly.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Optional, Sequence

from fs_lint.probe.service import die_with_parent

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_POLL = 0.05


@dataclass(frozen=True)
class StopResult:
    """What happened after SIGTERM."""

    grace: float  # how long we waited before giving up
    seconds: Optional[float]  # time from SIGTERM to exit; None: still running after ``grace``
    returncode: Optional[int]  # None when it did not exit; -9 once we had to SIGKILL it
    cpu_seconds: Optional[float]  # user + system CPU used between SIGTERM and exit (or end of grace)
    wall_seconds: float  # how long the measurement lasted

    @property
    def stopped(self) -> bool:
        return self.seconds is not None

    @property
    def cpu_percent(self) -> Optional[float]:
        if self.cpu_seconds is None or self.wall_seconds <= 0:
            return None
        return 100.0 * self.cpu_seconds / self.wall_seconds

    def describe(self) -> str:
        cpu = "n/a" if self.cpu_percent is None else f"{self.cpu_percent:.0f}% CPU"
        if self.stopped:
            return f"exited after {self.seconds:.2f}s with code {self.returncode} ({cpu})"
        return f"did not stop in {self.grace:g}s ({cpu})"


def process_cpu_seconds(pid: int) -> Optional[float]:
    """User + system CPU of a live process, from /proc; None where /proc has no such entry."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()  # the command name may hold spaces
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime, stime (fields 14 and 15)


class AppProcess:
    """One app under test, running as its own process."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        cwd: Path,
        env: Mapping[str, str],
        log_path: Path,
        name: str = "app",
    ) -> None:
        self.argv = list(argv)
        self.cwd = Path(cwd)
        self.env = dict(env)
        self.log_path = Path(log_path)
        self.name = name
        self.returncode: Optional[int] = None
        self._popen: Optional[subprocess.Popen] = None
        self._cpu_at_exit: Optional[float] = None
        self._exited_at: Optional[float] = None

    # -- starting and reading ----------------------------------------------------------

    def start(self) -> "AppProcess":
        if self._popen is not None:
            raise RuntimeError(f"{self.name} was already started")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self._popen = subprocess.Popen(
                self.argv, cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=die_with_parent,  # these apps ignore SIGTERM by design
            )
        return self

    def __enter__(self) -> "AppProcess":
        return self if self._popen is not None else self.start()

    def __exit__(self, *exc: object) -> None:
        self.kill()

    @property
    def pid(self) -> int:
        assert self._popen is not None, "start() it first"
        return self._popen.pid

    def log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0

    def log_text(self, since: int = 0) -> str:
        try:
            with open(self.log_path, "rb") as log:
                log.seek(since)
                return log.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the log, read from its end (a spinning app writes megabytes)."""
        try:
            with open(self.log_path, "rb") as log:
                log.seek(0, os.SEEK_END)
                size = log.tell()
                log.seek(max(0, size - 16384))
                text = log.read().decode("utf-8", "replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_for_log(self, pattern: str, *, timeout: float, since: int = 0) -> str:
        """Wait until a line matching ``pattern`` appears after byte ``since``; return that line."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        position = since
        pending = ""
        while True:
            with open(self.log_path, "rb") as log:
                log.seek(position)
                chunk = log.read(1 << 20)
            position += len(chunk)
            pending += chunk.decode("utf-8", "replace")
            *lines, pending = pending.split("\n")
            for line in lines:
                if regex.search(line):
                    return line
            if len(chunk) == 1 << 20:
                continue  # more to read already
            if not self.alive:
                raise AssertionError(
                    f"{self.name} exited with code {self.returncode} before logging {pattern!r}:\n"
                    f"{self.log_tail()}")
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{self.name} did not log {pattern!r} within {timeout:g}s:\n{self.log_tail()}")
            time.sleep(0.1)

    def wait_until(self, condition: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.2) -> None:
        """Retry ``condition`` until it holds, failing with the app's log if the app dies or time runs out."""
        deadline = time.monotonic() + timeout
        while not condition():
            if not self.alive:
                raise AssertionError(
                    f"{self.name} exited with code {self.returncode} before {what}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name}: no {what} within {timeout:g}s:\n{self.log_tail()}")
            time.sleep(interval)

    # -- stopping -----------------------------------------------------------------------

    @property
    def alive(self) -> bool:
        return self._reap(block=False) is None

    def _reap(self, *, block: bool) -> Optional[int]:
        """Collect the exit status (and the final CPU use) without racing Popen's own wait."""
        if self.returncode is not None or self._popen is None:
            return self.returncode
        try:
            pid, status, usage = os.wait4(self._popen.pid, 0 if block else os.WNOHANG)
        except ChildProcessError:
            self.returncode = self._popen.poll()
            self._exited_at = self._exited_at or time.monotonic()
            return self.returncode
        if pid == 0:
            return None
        self._exited_at = time.monotonic()
        self._cpu_at_exit = usage.ru_utime + usage.ru_stime
        self.returncode = os.waitstatus_to_exitcode(status)
        self._popen.returncode = self.returncode  # so that Popen never waits for it again
        return self.returncode

    def stop(self, grace: float, sig: int = signal.SIGTERM) -> StopResult:
        """Send ``sig`` (SIGTERM) and wait up to ``grace`` seconds; the process is left running if it does not exit."""
        assert self._popen is not None, "start() it first"
        if not self.alive:
            raise AssertionError(f"{self.name} had already exited with code {self.returncode}:\n{self.log_tail()}")
        cpu_before = process_cpu_seconds(self.pid)
        sent = time.monotonic()
        os.kill(self.pid, sig)
        deadline = sent + grace
        cpu_last = cpu_before
        while time.monotonic() < deadline:
            if self._reap(block=False) is not None:
                break
            cpu_now = process_cpu_seconds(self.pid)
            cpu_last = cpu_now if cpu_now is not None else cpu_last
            time.sleep(_POLL)
        if self.alive:
            ended = time.monotonic()
            cpu_after = process_cpu_seconds(self.pid)
            seconds = None
        else:
            ended = self._exited_at or time.monotonic()
            cpu_after = self._cpu_at_exit if self._cpu_at_exit is not None else cpu_last
            seconds = ended - sent
        cpu = None if cpu_before is None or cpu_after is None else max(0.0, cpu_after - cpu_before)
        return StopResult(grace=grace, seconds=seconds, returncode=self.returncode if seconds is not None else None,
                          cpu_seconds=cpu, wall_seconds=ended - sent)

    def kill(self) -> None:
        """SIGKILL the app's whole process group (it runs in its own session) and reap it."""
        if self._popen is None:
            return
        try:  # even after the leader exited: no child of it may outlive the test
            os.killpg(self._popen.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self._reap(block=True)
