"""The probe's sequence: proxies, start, ready, cut, signal, grace, and the verdict.

``run_probe`` runs it once and returns a ``ProbeResult``; whatever happens (a
verdict, an error, Ctrl-C), every process it started is killed and every proxy
closed before it returns or raises. ``fs-lint probe`` and the pytest fixture
``shutdown_probe`` both call it; ``report`` turns the result into text or JSON.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence, TextIO

from .annotate import annotate_stack
from .options import CUT_MODES, ProbeOptions
from .process_tree import ProcessInfo, kill_service, service_processes
from .service import Service, StartError, Watch
from .stacks import ProcessStacks, StackCollector
from .tcp_proxy import TcpProxy

CUT_VARIABLE = "FS_LINT_PROBE_CUT"
_PLACEHOLDER = re.compile(r"\{cut(\d*)\}")


class ProbeError(StartError):
    """Bad input found before anything started (an address nothing listens on); exit 2, as a start error."""


@dataclass
class RestoreOutcome:
    """What happened once the proxies forwarded again (``--restore``)."""

    stopped: bool
    seconds: Optional[float]  # from the restore to the exit
    exit_code: Optional[int]
    waited: float


@dataclass
class ProbeResult:
    command: list[str]
    signal_name: str
    grace: float
    cut_mode: str
    cuts: list[tuple[str, str]]  # (target, the proxy's address)
    verdict: str  # "stopped", "stuck", or "exited" (on its own, before the signal)
    seconds: Optional[float] = None  # from the signal (or, for "exited", the cut) to the exit
    exit_code: Optional[int] = None
    pid: Optional[int] = None
    ready_line: Optional[str] = None
    signal_on_line: Optional[str] = None
    stacks: list[ProcessStacks] = field(default_factory=list)
    capture_seconds: Optional[float] = None  # how long taking the stacks took
    restored: Optional[RestoreOutcome] = None
    left_behind: list[ProcessStacks] = field(default_factory=list)  # still running after the leader stopped
    killed: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def stopped(self) -> bool:
        return self.verdict != "stuck"


def check_reachable(cuts: Sequence[tuple[str, int]], timeout: float = 3.0) -> None:
    """Every ``--cut`` address answers a TCP connect, or ProbeError before anything starts."""
    for host, port in cuts:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                pass
        except OSError as error:
            reason = error.strerror or type(error).__name__
            raise ProbeError(f"--cut {host}:{port}: nothing answers there ({reason}); start the broker first, "
                             "or name the address the service uses") from None


def expand_command(command: Sequence[str], addresses: Sequence[str]) -> list[str]:
    """``{cut}`` and ``{cut1}``, ``{cut2}``... in the arguments become the proxies' addresses."""
    def address(match: re.Match[str]) -> str:
        number = int(match.group(1) or 1)
        if not 1 <= number <= len(addresses):
            raise ProbeError(f"{match.group(0)} in the command, but there {'is' if len(addresses) == 1 else 'are'} "
                             f"{len(addresses)} --cut")
        return addresses[number - 1]
    return [_PLACEHOLDER.sub(address, argument) for argument in command]


def cut_variables(addresses: Sequence[str]) -> dict[str, str]:
    variables = {f"{CUT_VARIABLE}{n}": address for n, address in enumerate(addresses, 1)}
    if addresses:
        variables[CUT_VARIABLE] = addresses[0]
    return variables


def _pattern(text: Optional[str], flag: str) -> Optional[re.Pattern[str]]:
    if text is None:
        return None
    try:
        return re.compile(text)
    except re.error as error:
        raise ProbeError(f"{flag} {text!r}: not a regular expression: {error}") from None


class _Run:
    """The state of one probe, so that ``close`` can undo whatever was started."""

    def __init__(self, options: ProbeOptions) -> None:
        self.options = options
        self.proxies = [TcpProxy(host, port, name=f"probe-{host}:{port}") for host, port in options.cuts]
        self.collector: Optional[StackCollector] = None
        self.service: Optional[Service] = None
        self.seen: dict[int, ProcessInfo] = {}
        self.closed = False

    def say(self, text: str) -> None:
        if self.options.progress is not None:
            self.options.progress(text)

    def cut(self) -> None:
        for proxy in self.proxies:
            proxy.cut(self.options.cut_mode)

    def processes(self) -> list[ProcessInfo]:
        found = service_processes(self.service.pid)
        self.seen.update((info.pid, info) for info in found)
        return found

    def close(self) -> list[int]:
        """Kill every process of the service and close the proxies (once); the pids it killed."""
        if self.closed:
            return []
        self.closed = True
        killed: list[int] = []
        try:
            if self.service is not None and self.service.started:
                killed = kill_service(self.service.pid, list(self.seen.values()))
                self.service.reap()
                self.service.finish_output()
        finally:
            for proxy in self.proxies:
                proxy.close()
            if self.collector is not None:
                self.collector.close()
        return killed


def run_probe(options: ProbeOptions) -> ProbeResult:
    """Run the sequence once; StartError (or ProbeError) when the service cannot be probed."""
    if not options.command:
        raise ProbeError("no COMMAND to run: put it after `--`")
    if options.cut_mode not in CUT_MODES:
        raise ProbeError(f"--cut-mode {options.cut_mode!r}: expected one of {', '.join(CUT_MODES)}")
    ready = _pattern(options.ready, "--ready")
    signal_on = _pattern(options.signal_on, "--signal-on")
    expand_command(options.command, ["?"] * len(options.cuts))  # a {cutN} with no Nth --cut, said before the start
    check_reachable(options.cuts)
    run = _Run(options)
    try:
        return _probe(run, ready, signal_on)
    finally:
        run.close()


def _probe(run: _Run, ready: Optional[re.Pattern[str]], signal_on: Optional[re.Pattern[str]]) -> ProbeResult:
    ready_watch = _start(run, ready)
    result = ProbeResult(command=run.service.argv, signal_name=signal.Signals(run.options.signal).name,
                         grace=run.options.grace, cut_mode=run.options.cut_mode, verdict="stuck", pid=run.service.pid,
                         cuts=[(f"{p.target[0]}:{p.target[1]}", p.address) for p in run.proxies])
    _wait_until_ready(run, result, ready_watch)
    if _cut_and_wait(run, result, signal_on):
        _signal_and_judge(run, result)
    return result


def _start(run: _Run, ready: Optional[re.Pattern[str]]) -> Optional[Watch]:
    """Proxies up (and cut, with --cut-at-start), then the command, armed to dump its stacks.

    Returns the watch for --ready's line, set before the start so that no line can slip by.
    """
    options = run.options
    for proxy in run.proxies:
        proxy.start()
        run.say(f"proxy {proxy.address} -> {proxy.target[0]}:{proxy.target[1]}")
    addresses = [proxy.address for proxy in run.proxies]
    command = expand_command(options.command, addresses)
    run.collector = StackCollector()
    base = dict(os.environ if options.env is None else options.env, **cut_variables(addresses))
    if options.cut_at_start:
        run.cut()
        run.say(f"cut ({options.cut_mode}) before the start")
    run.service = Service(command, env=run.collector.environment(base), cwd=options.cwd, prefix=options.prefix,
                          stdout=options.stdout, stderr=options.stderr)
    watch = run.service.watch(ready) if ready is not None else None
    run.service.start()
    run.say(f"started pid {run.service.pid}: {' '.join(command)}")
    return watch


def _wait_until_ready(run: _Run, result: ProbeResult, watch: Optional[Watch]) -> None:
    """A line matching --ready, or alive for a while; StartError if it exits first or never says so."""
    options, service = run.options, run.service
    try:
        result.ready_line = service.wait_for(watch, options.ready_timeout if watch is not None else options.alive)
    except StartError as error:
        raise StartError(f"{result.command[0]} exited before it was ready: {error}") from None
    if watch is None:
        run.say(f"ready: alive after {options.alive:g} s")
    elif result.ready_line is None:
        raise StartError(f"no line of its output matched --ready {options.ready!r} within "
                         f"{options.ready_timeout:g} s{service.describe_tail()}")
    else:
        run.say(f"ready: {result.ready_line.strip()}")


def _cut_and_wait(run: _Run, result: ProbeResult, signal_on: Optional[re.Pattern[str]]) -> bool:
    """Cut, then wait --after-cut seconds or for --signal-on's line; False if it exited meanwhile."""
    options, service = run.options, run.service
    watch = service.watch(signal_on) if signal_on is not None else None
    if not options.cut_at_start:
        run.cut()
        addresses = [proxy.address for proxy in run.proxies]
        run.say(f"cut ({options.cut_mode}) {', '.join(addresses)}" if addresses else "nothing to cut (no --cut)")
    cut_at = time.monotonic()
    try:
        if watch is None:
            service.wait_for(None, options.after_cut)
            return True
        result.signal_on_line = service.wait_for(watch, options.signal_on_timeout)
        if result.signal_on_line is None:
            result.notes.append(f"no line matched --signal-on {options.signal_on!r} within "
                                f"{options.signal_on_timeout:g} s of the cut; signalled anyway")
        return True
    except StartError:  # it exited by itself while the broker was away
        result.verdict = "exited"
        result.exit_code = service.exit_code()
        result.seconds = time.monotonic() - cut_at
        run.say(f"exited by itself {result.seconds:.2f} s after the cut")
        return False


def _signal_and_judge(run: _Run, result: ProbeResult) -> None:
    """The signal, the grace period, and the verdict: stopped, or stuck with its stacks (and --restore)."""
    options, service = run.options, run.service
    run.processes()  # remembered, in case a child leaves the session before the end
    sent = time.monotonic()
    service.send_signal(options.signal)
    run.say(f"sent {result.signal_name} to pid {service.pid}; waiting {options.grace:g} s")
    code = service.wait_exit(options.grace)
    if code is not None:
        result.verdict, result.seconds, result.exit_code = "stopped", time.monotonic() - sent, code
        leftovers = [info.pid for info in run.processes()]
        if leftovers:
            result.left_behind = _stacks(run, leftovers)
    else:
        started = time.monotonic()
        result.stacks = _stacks(run, [info.pid for info in run.processes()])
        result.capture_seconds = time.monotonic() - started
        if options.restore:
            result.restored = _restore(run)
    result.killed = run.close()


def _restore(run: _Run) -> RestoreOutcome:
    grace = run.options.grace
    for proxy in run.proxies:
        proxy.restore()
    run.say(f"restored {', '.join(proxy.address for proxy in run.proxies)}; waiting {grace:g} s more")
    restored_at = time.monotonic()
    code = run.service.wait_exit(grace)
    return RestoreOutcome(stopped=code is not None, exit_code=code, waited=grace,
                          seconds=time.monotonic() - restored_at if code is not None else None)


def _stacks(run: _Run, pids: list[int]) -> list[ProcessStacks]:
    taken = run.collector.capture(pids)
    for process in taken:
        process.stacks = [annotate_stack(stack) for stack in process.stacks]
    return taken


def default_progress(stream: TextIO = sys.stderr) -> Callable[[str], None]:
    def say(text: str) -> None:
        print(f"fs-lint probe: {text}", file=stream, flush=True)
    return say
