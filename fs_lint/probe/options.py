"""What a probe is asked to do, and the parsing of its addresses and signal names.

Kept apart from the machinery (and cheap to import), so that the command line can
check ``--cut`` and ``--signal`` values while it parses them.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass
from typing import Callable, Mapping, Optional, Sequence, TextIO

CUT_MODES = ("refuse", "blackhole")
SIGNALS = {"TERM": signal.SIGTERM, "INT": signal.SIGINT}


def parse_address(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:5672`` for IPv6) -> (host, port); ValueError saying why."""
    host, colon, port = text.rpartition(":")
    host = host.strip("[]")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"expected HOST:PORT, such as 127.0.0.1:5672, got {text!r}")
    return host, int(port)


def signal_number(name: str) -> int:
    """``TERM``, ``SIGTERM``, ``INT`` or ``SIGINT`` (any case) -> the signal's number."""
    key = name.upper().removeprefix("SIG")
    if key not in SIGNALS:
        raise ValueError(f"expected TERM or INT, got {name!r}")
    return SIGNALS[key]


def cut_mode(text: str) -> str:
    if text not in CUT_MODES:
        raise ValueError(f"expected {' or '.join(CUT_MODES)}, got {text!r}")
    return text


@dataclass
class ProbeOptions:
    command: Sequence[str]
    cuts: Sequence[tuple[str, int]] = ()
    ready: Optional[str] = None  # a regex a line of the output must match; None: alive for ``alive`` seconds
    ready_timeout: float = 60.0
    alive: float = 3.0
    cut_mode: str = "refuse"
    cut_at_start: bool = False  # the broker is away from the start: a startup wait
    after_cut: float = 7.0
    signal_on: Optional[str] = None  # a regex: signal once a line after the cut matches it
    signal_on_timeout: float = 60.0
    signal: int = signal.SIGTERM
    grace: float = 10.0
    restore: bool = False
    env: Optional[Mapping[str, str]] = None  # the service's environment, before the probe's variables
    cwd: Optional[str] = None
    prefix: str = "svc| "
    stdout: Optional[TextIO] = None  # where the service's output goes (None: nowhere)
    stderr: Optional[TextIO] = None
    progress: Optional[Callable[[str], None]] = None  # the probe's own "what I am doing" lines
