"""fs-lint's own stop: SIGTERM and Ctrl-C end a run at once, with its workers, and leave no half-written file.

A linter for services that must stop should stop itself. SIGTERM becomes
``Terminated`` in the main process, as Ctrl-C becomes ``KeyboardInterrupt``;
``runner`` ends the worker processes when either passes through it, and the
command exits 143 or 130 (128 + the signal), as a shell reports a process the
signal killed. Writing one file defers both signals until the file is whole
(``signals_deferred``). Workers ignore SIGINT (a terminal sends Ctrl-C to the
whole process group: the main process ends them) and end themselves when
their parent is gone, so that even a SIGKILL of the main process leaves
none behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from typing import Any, Iterator

EXIT_INTERRUPTED = 128 + signal.SIGINT  # 130
EXIT_TERMINATED = 128 + signal.SIGTERM  # 143
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_PARENT_CHECK_SECONDS = 0.5


class Terminated(BaseException):
    """SIGTERM, raised where the main thread is, as KeyboardInterrupt is for SIGINT."""


def _raise_terminated(signum: int, frame: Any) -> None:
    raise Terminated()


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGTERM raises ``Terminated`` in the main thread for as long as this lasts."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block is over (a file being written), then act."""
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def start_worker(parent: int) -> None:
    """A worker process's first step (``ProcessPoolExecutor``'s initializer)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a forked worker inherited the main's handler
    threading.Thread(target=_exit_when_orphaned, args=(parent,), name="fs-lint-parent-watch", daemon=True).start()


def _exit_when_orphaned(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(_PARENT_CHECK_SECONDS)
    os._exit(EXIT_TERMINATED)
