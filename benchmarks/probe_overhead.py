"""What ``fs-lint probe`` costs: the start-up it adds to a service, and the time to take a stuck one's stacks.

Targets (issue 19): under 0.5 s added to a service's start-up; under 2 s to take the stacks.

    python benchmarks/probe_overhead.py               # every measurement, 10 rounds each
    python benchmarks/probe_overhead.py --rounds 20
    python benchmarks/probe_overhead.py --faststream   # also a FastStream service on RabbitMQ (127.0.0.1:5672)

Start-up, each against a baseline measured in the same run:

- the bootstrap alone, on every Python 3.10-3.13 found here: what importing the probe's
  ``sitecustomize`` takes (``python -X importtime``), and ``python -c pass`` with and without it
  (the fastest of the rounds: wall-clock times on a shared machine are noisy);
- the whole probe: from launching the command to the service's "ready" line, run directly and
  under ``fs-lint probe`` (its own start, a proxy, the bootstrap, the output passed through); for
  a stdlib service, and with ``--faststream`` for a FastStream one (``fixtures/probe/seed``).

Stacks: ``StackCollector.capture`` on a stuck process, from the signal to the parsed stacks:
an asyncio service with 200 tasks and 20 threads (the bootstrap's answer), a main thread stuck
in C code (faulthandler's, after the bootstrap's wait runs out), and a process without the
bootstrap (py-spy's, where it is installed and can read that Python).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Callable, Optional

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fs_lint.probe.stacks import StackCollector, py_spy_command  # noqa: E402
from tests.e2e.echo_server import EchoServer  # noqa: E402
from tests.e2e.venvs import SUPPORTED, find_python, requirements_file, service_venv  # noqa: E402

READY_SERVICE = """\
import time
print("ready", flush=True)
time.sleep(60)
"""

BUSY_SERVICE = """\
import asyncio
import signal
import threading


def worker(event):
    event.wait()


async def waiter(event, depth):
    if depth:
        return await waiter(event, depth - 1)
    await event.wait()


async def main():
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    for n in range(20):
        threading.Thread(target=worker, args=(threading.Event(),), name=f"worker-{n}", daemon=True).start()
    event = asyncio.Event()
    tasks = [asyncio.create_task(waiter(event, n % 10)) for n in range(200)]
    print("ready", flush=True)
    await asyncio.gather(*tasks)


asyncio.run(main())
"""

C_BLOCKED_SERVICE = """\
import ctypes
libc = ctypes.CDLL(None)
mutex = ctypes.create_string_buffer(64)
libc.pthread_mutex_lock(mutex)
print("ready", flush=True)
libc.pthread_mutex_lock(mutex)
"""


def _median_ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:.0f} ms"


def _time_until_ready(argv: list[str], env: Optional[dict] = None, marker: str = "ready",
                      cwd: Optional[str] = None) -> float:
    """Seconds from launching ``argv`` to a line of its stdout containing ``marker``; then it is killed."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               env=env, cwd=cwd, text=True, start_new_session=True)
    try:
        for line in process.stdout:
            if marker in line:
                return time.perf_counter() - start
        raise RuntimeError(f"{argv} ended before printing {marker!r}")
    finally:
        os.killpg(process.pid, 9)
        process.wait()


def _rounds(measure: Callable[[], float], rounds: int) -> list[float]:
    measure()  # warm the caches (files, imports) once
    return [measure() for _ in range(rounds)]


def _bootstrap_import_seconds(python: str, env: dict) -> float:
    """What importing the probe's ``sitecustomize`` took, as ``python -X importtime`` reports it."""
    done = subprocess.run([python, "-X", "importtime", "-c", "pass"], env=env, capture_output=True, text=True,
                          check=True, stdin=subprocess.DEVNULL)
    # (indentation, cumulative microseconds) of each "sitecustomize": the probe's, and nested in it the
    # one it hides and imports in turn (which would run without the probe too)
    found = sorted((len(name) - len(name.lstrip()), int(cumulative)) for _, cumulative, name in
                   (line.split("|") for line in done.stderr.splitlines() if line.startswith("import time:"))
                   if name.strip() == "sitecustomize")
    if not found:
        raise RuntimeError(f"{python} did not import the bootstrap:\n{done.stderr[-2000:]}")
    hidden = found[1][1] if len(found) > 1 else 0
    return (found[0][1] - hidden) / 1e6


def bootstrap_rows(rounds: int) -> list[tuple[str, ...]]:
    rows = []
    collector = StackCollector()
    try:
        for minor in SUPPORTED:
            python = find_python(minor)
            if python is None:
                rows.append((f"bootstrap, Python {minor}", "not installed here", "", ""))
                continue
            armed_env = collector.environment(dict(os.environ))
            imports = _rounds(lambda: _bootstrap_import_seconds(python, armed_env), rounds)
            rows.append((f"bootstrap, Python {minor}: importing it (`-X importtime`)", "0 ms",
                         _median_ms(imports), f"+{statistics.median(imports) * 1000:.1f} ms"))
            argv = [python, "-c", "pass"]
            plain = _rounds(lambda: _timed_run(argv, dict(os.environ)), rounds)
            armed = _rounds(lambda: _timed_run(argv, armed_env), rounds)
            rows.append((f"bootstrap, Python {minor}: `python -c pass`, wall clock (fastest run)",
                         f"{min(plain) * 1000:.0f} ms", f"{min(armed) * 1000:.0f} ms",
                         f"{(min(armed) - min(plain)) * 1000:+.0f} ms"))
    finally:
        collector.close()
    return rows


def _timed_run(argv: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdin=subprocess.DEVNULL)
    return time.perf_counter() - start


def _probe_argv(port: int, ready: str, command: list[str]) -> list[str]:
    return [sys.executable, "-m", "fs_lint", "probe", "--cut", f"127.0.0.1:{port}", "--ready", ready,
            "--after-cut", "30", "--", *command]


def probe_startup_rows(rounds: int, folder: Path, faststream: bool) -> list[tuple[str, ...]]:
    rows = []
    service = folder / "ready.py"
    service.write_text(READY_SERVICE)
    with EchoServer() as port:
        direct = _rounds(lambda: _time_until_ready([sys.executable, str(service)]), rounds)
        probed = _rounds(lambda: _time_until_ready(_probe_argv(port, "ready", [sys.executable, str(service)]),
                                                   marker="svc| ready"), rounds)
    rows.append(("whole probe, a stdlib service (to its `ready` line)", _median_ms(direct), _median_ms(probed),
                 f"+{(statistics.median(probed) - statistics.median(direct)) * 1000:.0f} ms"))
    if faststream:
        python = find_python("3.12") or sys.executable
        venv = service_venv(python, requirements_file(ROOT / "fixtures/probe/seed/requirements-faststream-0.7.8.txt"))
        (folder / "app.py").write_text((ROOT / "fixtures/probe/seed/app.py").read_text())
        command = [str(venv), "-m", "faststream", "run", "app:app"]
        env = dict(os.environ, FS_LINT_PROBE_CUT="127.0.0.1:5672")
        direct = _rounds(lambda: _time_until_ready(command, env=env, marker="started", cwd=str(folder)), rounds)
        probed = _rounds(lambda: _time_until_ready(_probe_argv(5672, "started", command), cwd=str(folder),
                                                   marker="started successfully"), rounds)
        rows.append(("whole probe, FastStream 0.7.8 on RabbitMQ (to `started`)", _median_ms(direct),
                     _median_ms(probed), f"+{(statistics.median(probed) - statistics.median(direct)) * 1000:.0f} ms"))
    return rows


def _stuck(folder: Path, name: str, text: str, collector: StackCollector, python: str,
           extra: tuple[str, ...] = ()) -> subprocess.Popen:
    path = folder / f"{name}.py"
    path.write_text(textwrap.dedent(text))
    process = subprocess.Popen([python, *extra, str(path)], stdout=subprocess.PIPE, text=True,
                               env=collector.environment(dict(os.environ)), stdin=subprocess.DEVNULL)
    for line in process.stdout:
        if "ready" in line:
            time.sleep(0.3)  # past the line after "ready", where it blocks
            return process
    raise RuntimeError(f"{name} did not start")


def capture_rows(rounds: int, folder: Path) -> list[tuple[str, ...]]:
    rows = []
    cases = [("an asyncio service: 200 tasks, 20 threads", BUSY_SERVICE, (), "bootstrap"),
             ("a main thread stuck in C code", C_BLOCKED_SERVICE, (), "faulthandler"),
             ("no bootstrap (`python -I`)", BUSY_SERVICE, ("-I",), "py-spy")]
    python = find_python("3.11") or sys.executable  # py-spy 0.4 reads 3.11 here; see docs/probe.md
    for title, text, extra, source in cases:
        if source == "py-spy" and py_spy_command() is None:
            rows.append((f"stacks: {title}", "py-spy is not installed", "", ""))
            continue
        collector = StackCollector()
        process = _stuck(folder, source, text, collector, python, extra)
        try:
            samples, stacks = [], 0
            for _ in range(rounds):
                start = time.perf_counter()
                [taken] = collector.capture([process.pid])
                samples.append(time.perf_counter() - start)
                if taken.source != source:
                    raise RuntimeError(f"{title}: stacks from {taken.source}, expected {source}: {taken.note}")
                stacks = len(taken.stacks)
        finally:
            process.kill()
            process.wait()
            collector.close()
        rows.append((f"stacks: {title} ({source}, {stacks} stacks)", "", _median_ms(samples),
                     f"max {max(samples) * 1000:.0f} ms"))
    return rows


def markdown(rows: list[tuple[str, ...]]) -> str:
    header = ("measurement", "baseline (median)", "with the probe (median)", "difference")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--faststream", action="store_true",
                        help="also time a FastStream service's start (needs RabbitMQ on 127.0.0.1:5672)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        rows = bootstrap_rows(args.rounds)
        rows += probe_startup_rows(args.rounds, Path(folder), args.faststream)
        rows += capture_rows(args.rounds, Path(folder))
    print(markdown(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
