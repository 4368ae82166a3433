"""Run one scenario's app for real: before the fix (does it hang?) and after it (does it stop?).

The pytest suite and ``benchmarks/shutdown_e2e.py`` both drive the apps through
the two phases here, so that what the table reports is what the tests assert.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Optional

from .brokers import BROKERS, Traffic, round_trip
from .process import AppProcess, StopResult
from .scenarios import DESTINATION_VARIABLES, Scenario
from fs_lint.probe.tcp_proxy import TcpProxy

HANG_GRACE = float(os.environ.get("FS_LINT_E2E_GRACE", "8"))  # an unfixed app must outlive this
STOP_LIMIT = 5.0  # a fixed app must exit within this
STOP_WAIT = 15.0  # how long we watch a fixed app, so that a slow stop is measured, not just failed
READY_TIMEOUT = 60.0  # to start and answer a first round trip; generous: two cores, shared
RETRY_TIMEOUT = 40.0  # to log its retry line after the cut
RECONNECT_TIMEOUT = 60.0  # to answer again after restore (aio-pika waits 5 s between attempts)
COMMAND_TIMEOUT = 120.0  # fs-lint check / fix
LOG_KEEP = 2 << 20  # a spinning app logs tens of MB: keep the head and tail of a larger log

# FastStream's `faststream run` returns 0 after a graceful SIGTERM shutdown.
CLEAN_EXIT_CODES = (0,)

_CODE = re.compile(r"\bFSR\d{3}\b")


def runtime_problem() -> Optional[str]:
    """Why the apps cannot be started here at all, or None."""
    if importlib.util.find_spec("typer") is None:
        return "`faststream run` needs FastStream's CLI extra: pip install 'faststream[cli]'"
    return None


# -- fs-lint ------------------------------------------------------------------------------

def check_command(path: Path, extra: tuple[str, ...] = ()) -> list[str]:
    """`python -m fs_lint check PATH`; until that CLI exists, flake8 with only the FSR codes."""
    if importlib.util.find_spec("fs_lint.__main__") is not None:
        return [sys.executable, "-m", "fs_lint", "check", "--isolated", *extra, str(path)]
    return [sys.executable, "-m", "flake8", "--isolated", "--select", "FSR", *extra, str(path)]


def fix_command(path: Path, extra: tuple[str, ...] = ()) -> list[str]:
    """`python -m fs_lint fix PATH`; FS_LINT_E2E_FIX_COMMAND replaces the command (PATH is appended).

    The app runs on this interpreter, so that is the Python its fix may target (``--isolated``
    reads no ``requires-python``): from 3.11 on, a handler re-raises the task's own cancellation
    by ``asyncio.current_task().cancelling()``.
    """
    override = os.environ.get("FS_LINT_E2E_FIX_COMMAND")
    if override:
        return [*shlex.split(override), *extra, str(path)]
    target = f"--target-version=py{sys.version_info[0]}{sys.version_info[1]}"
    return [sys.executable, "-m", "fs_lint", "fix", "--isolated", target, *extra, str(path)]


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=COMMAND_TIMEOUT,
                          stdin=subprocess.DEVNULL)


def _crashed(output: str) -> bool:
    return "Traceback (most recent call last)" in output or "internal error" in output


def codes_found(path: Path, extra: tuple[str, ...] = ()) -> tuple[frozenset[str], str]:
    """The FSR codes `fs-lint check` (with ``extra`` arguments) reports for ``path``, and its output."""
    argv = check_command(path, extra)
    done = _run(argv, cwd=path.parent)
    output = done.stdout + done.stderr
    if done.returncode not in (0, 1) or _crashed(output):
        raise AssertionError(f"{shlex.join(argv)} failed ({done.returncode}):\n{output}")
    return frozenset(_CODE.findall(done.stdout)), output


def known_codes() -> frozenset[str]:
    """The codes this fs-lint has (a scenario may be written before its rule)."""
    from fs_lint.rules import RULES

    return frozenset(RULES)


def apply_fix(path: Path, extra: tuple[str, ...] = ()) -> str:
    """Run `fs-lint fix` on ``path`` in place; returns its output, raises if it crashed."""
    argv = fix_command(path, extra)
    done = _run(argv, cwd=path.parent)
    output = done.stdout + done.stderr
    if done.returncode not in (0, 1) or _crashed(output):
        raise AssertionError(f"{shlex.join(argv)} failed ({done.returncode}):\n{output}")
    return output


def copy_app(scenario: Scenario, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    copy = directory / scenario.path.name
    shutil.copyfile(scenario.path, copy)
    return copy


# -- one running app ----------------------------------------------------------------------

class Deployment:
    """One process of a scenario's app, each of its brokers reached through its own proxy."""

    def __init__(self, scenario: Scenario, app_file: Path, *, label: str) -> None:
        self.scenario = scenario
        self.app_file = app_file
        self.label = label
        self.run_id = run_id = f"fse2e-{scenario.id}-{uuid.uuid4().hex[:8]}"
        self.names = {variable: f"{run_id}-{variable.lower().replace('_', '-')}"
                      for variable in DESTINATION_VARIABLES}
        self.proxies = {variable: TcpProxy(BROKERS[key].host, BROKERS[key].port, name=f"{label}-{variable}")
                        for variable, key in scenario.endpoints.items()}
        self.process: Optional[AppProcess] = None

    @property
    def inbox(self) -> str:
        return self.names[self.scenario.inbox]

    def __enter__(self) -> "Deployment":
        try:
            for proxy in self.proxies.values():
                proxy.start()
            if self.scenario.down_at_start:
                self.cut()
            env = dict(os.environ, PYTHONUNBUFFERED="1", **self.names)
            for variable, proxy in self.proxies.items():
                env[variable] = BROKERS[self.scenario.endpoints[variable]].url(proxy.port)
            module = self.app_file.stem
            self.process = AppProcess(
                [sys.executable, "-m", "faststream", "run", f"{module}:app"],
                cwd=self.app_file.parent, env=env, name=f"{self.scenario.id} ({self.label})",
                log_path=self.app_file.parent / f"{module}.{self.label}.log",
            ).start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.process is not None:
            self.process.kill()
            _trim_log(self.process.log_path)
        for proxy in self.proxies.values():
            proxy.close()
        if "redis" in self.scenario.brokers:
            delete_keys(f"{self.run_id}*")

    def cut(self) -> None:
        for variable in self.scenario.cut_variables:
            self.proxies[variable].cut()

    def restore(self) -> None:
        for variable in self.scenario.cut_variables:
            self.proxies[variable].restore()

    def wait_consuming(self, timeout: float = READY_TIMEOUT) -> None:
        """A request to the app, straight to the broker, is answered."""
        self.process.wait_until(round_trip(self.scenario.probe, self.inbox), timeout=timeout,
                                what="reply to a round trip", interval=0.3)

    def wait_retrying(self, since: int, pattern: str, timeout: float = RETRY_TIMEOUT) -> str:
        return self.process.wait_for_log(pattern, timeout=timeout, since=since)

    @contextlib.contextmanager
    def traffic(self) -> Iterator[None]:
        if not self.scenario.traffic:
            yield
            return
        with Traffic(self.scenario.main_broker, self.inbox):
            yield

    @contextlib.contextmanager
    def taken_away(self, *, to_stop: bool) -> Iterator[str]:
        """Cut what the scenario cuts (unless it starts cut), keep traffic going, wait for the retry log.

        ``to_stop``: wait for the line the scenario wants to see before SIGTERM (a long pause,
        say), not just any retry. Yields the log line.
        """
        since = self.process.log_size()
        if not self.scenario.down_at_start:
            self.cut()
        pattern = self.scenario.stop_when if to_stop else self.scenario.retry_log
        with self.traffic():
            yield self.wait_retrying(since, pattern)


def delete_keys(pattern: str) -> None:
    """Leave nothing behind in the shared Redis: ledgers, counters, job and reply lists."""
    try:
        import redis

        broker = BROKERS["redis"]
        with redis.Redis(host=broker.host, port=broker.port, socket_timeout=5) as client:
            keys = list(client.scan_iter(match=pattern, count=500))
            if keys:
                client.delete(*keys)
    except Exception:  # cleaning up must never hide the test's own result
        pass


def _trim_log(path: Path) -> None:
    """Keep the head and the tail of a huge log (a spinning app writes tens of MB)."""
    try:
        size = path.stat().st_size
    except OSError:
        return
    if size <= 2 * LOG_KEEP:
        return
    with open(path, "rb") as log:
        head = log.read(LOG_KEEP)
        log.seek(size - LOG_KEEP)
        tail = log.read()
    with open(path, "wb") as log:
        log.write(head)
        log.write(f"\n[... {size - 2 * LOG_KEEP} bytes cut by the e2e harness ...]\n".encode())
        log.write(tail)


# -- the two phases ------------------------------------------------------------------------

@dataclass
class HazardRun:
    """The app as written, stopped while it retries."""

    scenario: Scenario
    stop: StopResult
    retry_line: str
    log: Path


@dataclass
class FixedRun:
    """The app after `fs-lint fix`."""

    scenario: Scenario
    fixed_file: Path
    fix_output: str
    changed: bool
    codes_after: frozenset[str]
    stop: Optional[StopResult] = None  # stopped while retrying
    reconnected: bool = False  # answered again after the dependency came back
    restart_stop: Optional[StopResult] = None  # a down_at_start app: the second process's stop
    logs: list[Path] = field(default_factory=list)


def prove_hazard(scenario: Scenario, workdir: Path, grace: float = HANG_GRACE) -> HazardRun:
    """Start the app as written, take its broker away, SIGTERM it while it retries."""
    app_file = copy_app(scenario, workdir)
    with Deployment(scenario, app_file, label="before") as deployment:
        if not scenario.down_at_start:
            deployment.wait_consuming()
        with deployment.taken_away(to_stop=True) as retry_line:
            stop = deployment.process.stop(grace)
        return HazardRun(scenario, stop, retry_line, deployment.process.log_path)


def prove_fixed(scenario: Scenario, workdir: Path, wait: float = STOP_WAIT) -> FixedRun:
    """`fs-lint fix` a copy, then: does it reconnect when the broker comes back, and stop on SIGTERM?"""
    app_file = copy_app(scenario, workdir)
    original = app_file.read_text()
    output = apply_fix(app_file, scenario.fix_args)
    fixed = app_file.read_text()
    codes_after, _ = codes_found(app_file, scenario.check_args)
    run = FixedRun(scenario, app_file, output, fixed != original, codes_after)
    if not run.changed:
        return run  # nothing to run: the test fails on `changed` at once

    with Deployment(scenario, app_file, label="after") as deployment:
        run.logs.append(deployment.process.log_path)
        if scenario.down_at_start:
            # The loop only runs at startup: stop this process while it waits ...
            with deployment.taken_away(to_stop=True):
                run.stop = deployment.process.stop(wait)
        else:
            deployment.wait_consuming()
            # ... otherwise prove first that it comes back by itself, then stop it while it retries.
            with deployment.taken_away(to_stop=False):
                deployment.restore()
                deployment.wait_consuming(RECONNECT_TIMEOUT)
                run.reconnected = True
            with deployment.taken_away(to_stop=True):
                run.stop = deployment.process.stop(wait)

    if scenario.down_at_start:
        # ... and, in a second process, that it starts consuming once the dependency is there.
        with Deployment(scenario, app_file, label="after-restore") as deployment:
            run.logs.append(deployment.process.log_path)
            with deployment.taken_away(to_stop=False):
                deployment.restore()
                deployment.wait_consuming(RECONNECT_TIMEOUT)
                run.reconnected = True
            run.restart_stop = deployment.process.stop(wait)
    return run


@dataclass
class BrokerUpRun:
    """The app stopped while its broker is up: as written, then after `fs-lint fix`."""

    scenario: Scenario
    written: StopResult
    fix_output: str = ""
    fix_error: Optional[str] = None  # `fs-lint fix` failed (say, its rule is not there yet)
    changed: bool = False
    fixed: Optional[StopResult] = None  # None when the fix failed or changed nothing
    logs: list[Path] = field(default_factory=list)


def _stop_while_up(scenario: Scenario, app_file: Path, label: str, wait: float) -> tuple[StopResult, Path]:
    with Deployment(scenario, app_file, label=label) as deployment:
        deployment.wait_consuming()
        return deployment.process.stop(wait), deployment.process.log_path


def prove_clean_stop(scenario: Scenario, workdir: Path, wait: float = STOP_WAIT) -> BrokerUpRun:
    """Nothing is cut: SIGTERM the app as written, then a copy after `fs-lint fix`, once each answers."""
    written, log = _stop_while_up(scenario, copy_app(scenario, workdir / "written"), "up", wait)
    run = BrokerUpRun(scenario, written, logs=[log])
    app_file = copy_app(scenario, workdir / "fixed")
    original = app_file.read_text()
    try:
        run.fix_output = apply_fix(app_file, scenario.fix_args)
    except AssertionError as exc:  # reported by the after-fix test only: the app as written was measured
        run.fix_error = str(exc)
        return run
    run.changed = app_file.read_text() != original
    if run.changed:
        run.fixed, log = _stop_while_up(scenario, app_file, "up-after", wait)
        run.logs.append(log)
    return run


def run_concurrently(jobs: dict[str, Callable[[], object]], max_workers: int) -> dict[str, object]:
    """Run ``jobs`` (name -> no-argument callable) in threads; each result is a value or the exception raised.

    Each job kills the processes it started before it returns, and, should the test process
    die first, the kernel kills them (see ``process.py``).
    """
    from concurrent.futures import ThreadPoolExecutor

    results: dict[str, object] = {}
    with ThreadPoolExecutor(max_workers=max(1, max_workers)) as pool:
        futures = {name: pool.submit(job) for name, job in jobs.items()}
        for name, future in futures.items():
            try:
                results[name] = future.result()
            except Exception as exc:  # reported by the test that asks for it; Ctrl-C still stops the run
                results[name] = exc
    return results
