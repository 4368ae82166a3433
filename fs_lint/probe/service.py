"""The probed command: started in its own session, its output passed through line by line.

Each line the service writes goes on to the probe's own stdout or stderr (as the
service wrote it) with a prefix, so the two can be told apart, and is matched against
the patterns someone waits for (``--ready``, ``--signal-on``). Reading happens in two
threads, so a chatty service never blocks on a full pipe while the probe sleeps.
"""

from __future__ import annotations

import collections
import os
import re
import signal
import subprocess
import threading
import time
from typing import IO, Mapping, Optional, Sequence


class StartError(Exception):
    """The command could not be started, or it exited before it was ready (``fs-lint probe`` exits 2)."""


def _find_prctl():
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None  # not Linux


_PRCTL = _find_prctl()
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """In the child, before exec: be SIGKILLed when the process that started it dies, even by SIGKILL.

    The services under probe may ignore SIGTERM, and some spin: one left behind by a probe
    that was killed would run for ever. (Linux only; it runs between fork and exec, so it
    calls a function looked up beforehand and imports nothing.)
    """
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


class Watch:
    """A pattern someone waits for; ``line`` is the first line that matched it."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.line: Optional[str] = None
        self.matched = threading.Event()


class Service:
    """One command run as a service under probe."""

    def __init__(self, argv: Sequence[str], *, env: Mapping[str, str], cwd: Optional[str] = None,
                 prefix: str = "svc| ", stdout: Optional[IO[str]] = None, stderr: Optional[IO[str]] = None) -> None:
        self.argv = list(argv)
        self.env = dict(env)
        self.cwd = cwd
        self.prefix = prefix
        self._sinks = (stdout, stderr)
        self._popen: Optional[subprocess.Popen] = None
        self._readers: list[threading.Thread] = []
        self._write_lock = threading.Lock()
        self._watches: list[Watch] = []
        self._watch_lock = threading.Lock()
        self._tail: collections.deque[str] = collections.deque(maxlen=20)

    # -- starting -------------------------------------------------------------------------

    def start(self) -> "Service":
        try:
            self._popen = subprocess.Popen(
                self.argv, cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                preexec_fn=die_with_parent,
            )
        except FileNotFoundError:
            where = f" (in {self.cwd})" if self.cwd else ""
            raise StartError(f"cannot start {self.argv[0]!r}: no such file or command{where}") from None
        except PermissionError:
            raise StartError(f"cannot start {self.argv[0]!r}: permission denied (is it executable?)") from None
        except OSError as error:
            raise StartError(f"cannot start {self.argv[0]!r}: {error.strerror or error}") from None
        for stream, sink in zip((self._popen.stdout, self._popen.stderr), self._sinks):
            reader = threading.Thread(target=self._pass_through, args=(stream, sink), daemon=True,
                                      name=f"probe-output-{len(self._readers)}")
            reader.start()
            self._readers.append(reader)
        return self

    @property
    def started(self) -> bool:
        return self._popen is not None

    @property
    def pid(self) -> int:
        assert self._popen is not None, "start() it first"
        return self._popen.pid

    # -- output ---------------------------------------------------------------------------

    def _pass_through(self, stream: IO[bytes], sink: Optional[IO[str]]) -> None:
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            self._tail.append(line)
            if sink is not None:
                with self._write_lock:
                    try:
                        sink.write(f"{self.prefix}{line}\n")
                        sink.flush()
                    except (OSError, ValueError):
                        pass  # the probe's own output is gone: keep draining the pipe
            with self._watch_lock:
                watches = list(self._watches)
            for watch in watches:
                if watch.line is None and watch.pattern.search(line):
                    watch.line = line
                    watch.matched.set()
        stream.close()

    def watch(self, pattern: re.Pattern[str]) -> Watch:
        """Start looking for ``pattern`` in the lines that come from now on."""
        watch = Watch(pattern)
        with self._watch_lock:
            self._watches.append(watch)
        return watch

    def tail(self) -> list[str]:
        return list(self._tail)

    def describe_tail(self) -> str:
        """``; its last lines:`` and the last lines it wrote, indented; empty when it wrote nothing."""
        last = self.tail()[-8:]
        return "; its last lines:" + "".join(f"\n  {line}" for line in last) if last else ""

    def describe_exit(self, code: int) -> str:
        return f"exited with code {code}" + (self.describe_tail() or " and wrote nothing")

    # -- waiting --------------------------------------------------------------------------

    def exit_code(self) -> Optional[int]:
        assert self._popen is not None
        return self._popen.poll()

    def wait_exit(self, timeout: float) -> Optional[int]:
        """The exit code once it exits within ``timeout`` seconds, else None."""
        assert self._popen is not None
        try:
            return self._popen.wait(timeout=max(0.0, timeout))
        except subprocess.TimeoutExpired:
            return None

    def wait_for(self, watch: Optional[Watch], timeout: float) -> Optional[str]:
        """Until ``watch`` matches (its line), the service exits (StartError), or ``timeout`` (None).

        With no watch, it waits the whole ``timeout`` and only fails if the service exits.
        """
        deadline = time.monotonic() + timeout
        while True:
            if watch is not None and watch.matched.is_set():
                return watch.line
            code = self.exit_code()
            if code is not None:
                self.finish_output()
                if watch is not None and watch.matched.is_set():
                    return watch.line
                raise StartError(self.describe_exit(code))
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            if watch is not None:
                watch.matched.wait(min(left, 0.05))
            else:
                time.sleep(min(left, 0.05))

    def send_signal(self, signum: int) -> None:
        assert self._popen is not None
        try:
            os.kill(self._popen.pid, signum)
        except ProcessLookupError:
            pass

    def reap(self) -> Optional[int]:
        """Collect the leader's exit status after it was killed (never blocks for long)."""
        return self.wait_exit(5.0)

    def finish_output(self, timeout: float = 2.0) -> None:
        """Let the readers pass on what is left in the pipes (once the processes are gone)."""
        for reader in self._readers:
            reader.join(timeout)
