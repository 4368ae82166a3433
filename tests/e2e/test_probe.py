"""``fs-lint probe`` on small services of its own, for real: processes, signals, proxies, no mocks.

The "broker" is a TCP echo server on loopback; the services are stdlib-only scripts, so
that each runs in a bare venv of every Python from 3.10 to 3.13 found here (fs-lint
itself runs on this Python). The FastStream services are in ``test_probe_apps.py`` and
``test_probe_seed.py``.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from fs_lint.probe.process_tree import process_info

from .echo_server import EchoServer
from .probe_runs import probe_argv, run_probe
from .venvs import SUPPORTED, find_python, service_venv

QUICK = ["--after-cut", "0.3", "--grace", "2"]

# Waits, after SIGTERM, for a broker connection that never comes back: a task awaits an event.
STUCK_SERVICE = """\
import asyncio
import os
import signal
import threading
import time


def heartbeat():
    while True:
        time.sleep(0.2)


async def flush_outbox(connected):
    await connected.wait()  # waits for the broker to come back


async def main():
    threading.Thread(target=heartbeat, name="heartbeat", daemon=True).start()
    connected = asyncio.Event()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("service ready on", os.environ["FS_LINT_PROBE_CUT"], flush=True)
    await stop.wait()
    await flush_outbox(connected)


asyncio.run(main())
"""

STOPPING_SERVICE = """\
import signal
import sys
import time

signal.signal(signal.SIGTERM, lambda *_: sys.exit(3))
print("service ready", flush=True)
while True:
    time.sleep(0.1)
"""


# The start of a service that runs until SIGTERM, then does what follows it.
UNTIL_SIGTERM = """\
import os
import signal
import socket
import sys
import time

host, port = os.environ["FS_LINT_PROBE_CUT"].split(":")
stopping = []
signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
print("service ready", flush=True)
while not stopping:
    time.sleep(0.1)
"""


def _script(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


@pytest.fixture(scope="module", params=SUPPORTED)
def service_python(request) -> str:
    """A bare venv (no pip, nothing installed) of each Python 3.10-3.13 found on this machine."""
    found = find_python(request.param)
    if found is None:
        pytest.skip(f"Python {request.param} is not installed here (pyenv install {request.param})")
    return str(service_venv(found))


def test_a_stuck_service_is_reported_with_its_threads_and_tasks(tmp_path, echo_server, service_python):
    app = _script(tmp_path, "outbox.py", STUCK_SERVICE)
    run = run_probe(["--cut", f"127.0.0.1:{echo_server}", "--ready", "service ready", *QUICK],
                    [service_python, str(app)], cwd=tmp_path)
    assert run.code == 1, run.describe()
    report = run.report
    assert report["verdict"] == "stuck" and report["summary"] == "did not stop within 2 s after SIGTERM"
    [process] = report["stacks"]
    assert process["source"] == "bootstrap" and process["python"].startswith(tuple(SUPPORTED))
    version = subprocess.run([service_python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True).stdout.strip()
    assert process["python"].startswith(version + "."), "the service's own Python, not fs-lint's"
    stacks = {(s["kind"], s["name"]): s for s in process["stacks"]}
    heartbeat = stacks["thread", "heartbeat"]
    assert heartbeat["frames"][-1]["function"].endswith("heartbeat"), "innermost frame last"
    assert heartbeat["frames"][-1]["line"] == _line_of(app, "time.sleep(0.2)")
    [task] = [s for (kind, _), s in stacks.items() if kind == "task"]
    chain = [(f["function"], f["kind"]) for f in task["frames"]]
    assert chain[:2] == [("main", "project"), ("flush_outbox", "project")], chain
    assert chain[-1][0].endswith("wait") and chain[-1][1] == "stdlib", "down to the innermost await"
    flush = task["frames"][1]
    assert flush["line"] == _line_of(app, "await connected.wait()")
    assert flush["source"] == "await connected.wait()  # waits for the broker to come back"
    assert "no fs-lint finding on this line" in flush["annotation"]
    assert task["awaiting"].startswith("<Future pending")
    assert report["killed"] == [report["pid"]] and process_info(report["pid"]) is None


def test_the_text_report_names_each_frame_with_its_line_innermost_last(tmp_path, echo_server):
    app = _script(tmp_path, "outbox.py", STUCK_SERVICE)
    run = run_probe(["--cut", f"127.0.0.1:{echo_server}", "--ready", "service ready", *QUICK],
                    [sys.executable, str(app)], cwd=tmp_path, json_format=False)
    assert run.code == 1, run.describe()
    service_lines, report = run.stdout.split("did not stop", 1)
    assert service_lines.startswith("svc| service ready on 127.0.0.1:"), "its output passes through, with a prefix"
    assert report.startswith(" within 2 s after SIGTERM; stuck at:\n\nprocess "), report
    line = _line_of(app, "await connected.wait()")
    block = report[report.index("  task 'Task-1'"):]
    assert re.search(rf"    outbox.py:{line} in flush_outbox\n        await connected.wait\(\)", block), block
    assert block.index("in main") < block.index("in flush_outbox") < block.index("asyncio/locks.py")
    assert re.search(r"\nkilled \(SIGKILL\): \d+\n$", report)


def test_a_service_that_stops_is_reported_with_its_exit_code(tmp_path, echo_server, service_python):
    app = _script(tmp_path, "polite.py", STOPPING_SERVICE)
    run = run_probe(["--cut", f"127.0.0.1:{echo_server}", "--ready", "service ready", *QUICK],
                    [service_python, str(app)], cwd=tmp_path, json_format=False)
    assert run.code == 0, run.describe()
    assert run.stdout.startswith("svc| service ready\n"), "the service's stdout passes through, with a prefix"
    assert re.fullmatch(r"stopped \d+\.\d\d s after SIGTERM \(exit code 3\)", run.stdout.splitlines()[-1])


def test_sigint_instead_of_sigterm(tmp_path, echo_server):
    app = _script(tmp_path, "interactive.py", """\
        import time
        print("service ready", flush=True)
        try:
            while True:
                time.sleep(0.1)
        except KeyboardInterrupt:
            print("bye", flush=True)
    """)
    run = run_probe(["--cut", f"127.0.0.1:{echo_server}", "--ready", "service ready", "--signal", "INT", *QUICK],
                    [sys.executable, str(app)], cwd=tmp_path)
    assert run.code == 0 and run.report["signal"] == "SIGINT" and run.report["exit_code"] == 0, run.describe()


def test_main_thread_blocked_in_join_while_a_thread_sits_in_recv(tmp_path, echo_server):
    app = _script(tmp_path, "joiner.py", """\
        import os
        import signal
        import socket
        import threading

        host, port = os.environ["FS_LINT_PROBE_CUT"].split(":")
        inbox, _ = socket.socketpair()

        def consume():
            while True:
                inbox.recv(1024)  # nothing ever comes

        signal.signal(signal.SIGTERM, lambda *_: print("SIGTERM: waiting for the consumer", flush=True))
        consumer = threading.Thread(target=consume, name="consumer")
        consumer.start()
        print("service ready", flush=True)
        consumer.join()
    """)
    run = run_probe(["--cut", f"127.0.0.1:{echo_server}", "--ready", "service ready", *QUICK],
                    [sys.executable, str(app)], cwd=tmp_path)
    assert run.code == 1, run.describe()
    [process] = run.report["stacks"]
    assert process["source"] == "bootstrap", "a join() in the main thread still runs the signal handler"
    threads = {s["name"]: s for s in process["stacks"] if s["kind"] == "thread"}
    main_lines = [f["line"] for f in threads["MainThread"]["frames"] if f["kind"] == "project"]
    assert main_lines[-1] == _line_of(app, "consumer.join()")
    assert threads["MainThread"]["frames"][-1]["kind"] == "stdlib"  # in threading.py, below the join
    assert threads["consumer"]["frames"][-1]["line"] == _line_of(app, "inbox.recv(1024)")


def test_main_thread_stuck_in_c_code_is_read_through_faulthandler(tmp_path, echo_server):
    app = _script(tmp_path, "deadlock.py", """\
        import ctypes
        import signal
        import threading
        import time

        def tick():
            while True:
                time.sleep(0.2)

        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # on purpose: still reported
        threading.Thread(target=tick, name="ticker", daemon=True).start()
        libc = ctypes.CDLL(None)
        mutex = ctypes.create_string_buffer(64)  # a default pthread mutex, unlocked
        libc.pthread_mutex_lock(mutex)
        print("service ready", flush=True)
        libc.pthread_mutex_lock(mutex)  # locks itself out, in C, for good
    """)
    run = run_probe(["--cut", f"127.0.0.1:{echo_server}", "--ready", "service ready", *QUICK],
                    [sys.executable, str(app)], cwd=tmp_path)
    assert run.code == 1, run.describe()
    [process] = run.report["stacks"]
    assert process["source"] == "faulthandler" and "C code" in process["note"], process
    innermost = {s["frames"][-1]["line"] for s in process["stacks"]}
    assert {_line_of(app, "locks itself out"), _line_of(app, "time.sleep(0.2)")} <= innermost
    assert not process_info(run.report["pid"])


FORKING_SERVICE = """\
import multiprocessing
import os
import signal
import subprocess
import sys
import time


def worker():
    while True:
        time.sleep(0.2)  # a forked worker


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    multiprocessing.set_start_method("fork")
    forked = multiprocessing.Process(target=worker, name="forked-worker")
    forked.start()
    spawned = subprocess.Popen([sys.executable, "-c", "import signal, time\\n"
                                "signal.signal(signal.SIGTERM, signal.SIG_IGN)\\n"
                                "while True: time.sleep(0.2)"])
    with open(sys.argv[1], "w") as pids:
        pids.write(f"{forked.pid} {spawned.pid}")
    print("service ready", flush=True)
    while True:
        time.sleep(0.2)
"""


def test_children_are_in_the_report_and_killed_with_the_service(tmp_path, echo_server):
    app = _script(tmp_path, "forking.py", FORKING_SERVICE)
    pids_file = tmp_path / "pids"
    run = run_probe(["--cut", f"127.0.0.1:{echo_server}", "--ready", "service ready", *QUICK],
                    [sys.executable, str(app), str(pids_file)], cwd=tmp_path)
    assert run.code == 1, run.describe()
    forked, spawned = map(int, pids_file.read_text().split())
    processes = {p["pid"]: p for p in run.report["stacks"]}
    assert set(processes) == {run.report["pid"], forked, spawned}
    worker = processes[forked]["stacks"][0]["frames"]
    assert processes[forked]["source"] == "bootstrap" and worker[-1]["line"] == _line_of(app, "a forked worker")
    assert processes[spawned]["source"] == "bootstrap" and processes[spawned]["command"].startswith(sys.executable)
    assert set(run.report["killed"]) == {run.report["pid"], forked, spawned}
    assert all(process_info(pid) is None or not process_info(pid).alive for pid in processes)


def test_children_left_behind_by_a_service_that_stopped_are_reported_and_killed(tmp_path, echo_server):
    app = _script(tmp_path, "careless.py", """\
        import subprocess
        import sys
        import time

        child = subprocess.Popen([sys.executable, "-c", "import signal, time\\n"
                                  "signal.signal(signal.SIGTERM, signal.SIG_IGN)\\n"
                                  "while True: time.sleep(0.2)"])
        print("service ready", child.pid, flush=True)
        time.sleep(60)  # SIGTERM's default action ends it; nobody stops the child
    """)
    run = run_probe(["--cut", f"127.0.0.1:{echo_server}", "--ready", "service ready", *QUICK],
                    [sys.executable, str(app)], cwd=tmp_path, json_format=False)
    assert run.code == 0, run.describe()
    child = int(re.search(r"svc\| service ready (\d+)", run.stdout).group(1))
    assert re.search(rf"left behind after pid \d+ exited, and killed:\nprocess {child}: ", run.stdout), run.stdout
    assert re.search(rf"killed \(SIGKILL\): {child}\n", run.stdout) and not _alive(child)


def test_restore_says_whether_it_stops_once_the_broker_is_back(tmp_path, echo_server):
    app = _script(tmp_path, "reconnecting.py", UNTIL_SIGTERM + """\
while True:  # says goodbye to the broker before it goes, however long that takes
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.2)
""")
    run = run_probe(["--cut", f"127.0.0.1:{echo_server}", "--ready", "service ready", "--restore", *QUICK],
                    [sys.executable, str(app)], cwd=tmp_path, json_format=False)
    assert run.code == 1, run.describe()
    assert re.search(r"after --restore: stopped \d+\.\d\d s after the broker came back \(exit code 0\)", run.stdout)


GOODBYE_SERVICE = UNTIL_SIGTERM + """\
with socket.create_connection((host, int(port))) as broker:
    broker.sendall(b"bye")
    broker.recv(16)  # waits for the broker's answer
"""


@pytest.mark.parametrize("mode, code", [("refuse", 0), ("blackhole", 1)])
def test_cut_modes(tmp_path, echo_server, mode, code):
    app = _script(tmp_path, "goodbye.py", GOODBYE_SERVICE)
    run = run_probe(["--cut", f"127.0.0.1:{echo_server}", "--cut-mode", mode, "--ready", "service ready", *QUICK],
                    [sys.executable, str(app)], cwd=tmp_path)
    assert run.code == code, run.describe()
    report = run.report
    if mode == "refuse":  # the connect is refused at once: it fails, and exits
        assert report["verdict"] == "stopped" and report["exit_code"] == 1
    else:  # the connect succeeds and the answer never comes
        [process] = report["stacks"]
        main = next(s for s in process["stacks"] if s["name"] == "MainThread")
        assert [f["line"] for f in main["frames"]] == [_line_of(app, "broker.recv(16)")]


def test_addresses_reach_the_service_by_environment_and_arguments(tmp_path, echo_server):
    app = _script(tmp_path, "addresses.py", """\
        import os
        import sys
        print("argv", sys.argv[1:], flush=True)
        for name in ("FS_LINT_PROBE_CUT", "FS_LINT_PROBE_CUT1", "FS_LINT_PROBE_CUT2"):
            print(name, os.environ.get(name), flush=True)
        print("service ready", flush=True)
        import time
        time.sleep(60)
    """)
    with EchoServer() as second:
        run = run_probe(["--cut", f"127.0.0.1:{echo_server}", "--cut", f"localhost:{second}", "--ready",
                         "service ready", *QUICK],
                        [sys.executable, str(app), "--broker={cut}", "{cut2}", "{cut1}", "{not-a-cut}"], cwd=tmp_path)
    assert run.code == 0, run.describe()  # SIGTERM's default action stops it
    first, other = [c["proxy"] for c in run.report["cuts"]]
    assert [c["target"] for c in run.report["cuts"]] == [f"127.0.0.1:{echo_server}", f"localhost:{second}"]
    assert f"svc| argv ['--broker={first}', '{other}', '{first}', '{{not-a-cut}}']" in run.stderr
    for name, value in (("FS_LINT_PROBE_CUT", first), ("FS_LINT_PROBE_CUT1", first), ("FS_LINT_PROBE_CUT2", other)):
        assert f"svc| {name} {value}\n" in run.stderr
    assert run.report["exit_code"] == -signal.SIGTERM


def test_a_service_that_exits_when_its_broker_goes_is_not_stuck(tmp_path, echo_server):
    app = _script(tmp_path, "fragile.py", """\
        import os
        import socket
        import sys

        host, port = os.environ["FS_LINT_PROBE_CUT"].split(":")
        broker = socket.create_connection((host, int(port)))
        print("service ready", flush=True)
        broker.recv(16)  # the connection ends with the cut
        sys.exit(5)
    """)
    run = run_probe(["--cut", f"127.0.0.1:{echo_server}", "--ready", "service ready", "--after-cut", "10"],
                    [sys.executable, str(app)], cwd=tmp_path)
    assert run.code == 0, run.describe()
    assert run.report["verdict"] == "exited" and run.report["exit_code"] == 5 and run.report["seconds"] < 10
    assert run.report["summary"].startswith("exited by itself ")


# -- bad input --------------------------------------------------------------------------------------

def test_a_command_that_does_not_exist(tmp_path, echo_server):
    run = run_probe(["--cut", f"127.0.0.1:{echo_server}"], ["no-such-service-5b2f"], cwd=tmp_path, json_format=False)
    assert run.code == 2 and run.stdout == "", run.describe()
    assert "fs-lint: error: cannot start 'no-such-service-5b2f': no such file or command" in run.stderr


def test_a_command_that_exits_at_once(tmp_path, echo_server):
    run = run_probe(["--cut", f"127.0.0.1:{echo_server}"],
                    [sys.executable, "-c", "print('no config file'); raise SystemExit(4)"], cwd=tmp_path)
    assert run.code == 2, run.describe()
    assert f"fs-lint: error: {sys.executable} exited before it was ready: exited with code 4; its last lines:\n" \
           "  no config file" in run.stderr
    assert run.report == {"verdict": "error", "error": run.stderr.split("fs-lint: error: ", 1)[1].rstrip("\n")}


def test_a_ready_line_that_never_comes(tmp_path, echo_server):
    run = run_probe(["--cut", f"127.0.0.1:{echo_server}", "--ready", "accepting orders", "--ready-timeout", "1"],
                    [sys.executable, "-c", "import time; print('booting', flush=True); time.sleep(30)"],
                    cwd=tmp_path, json_format=False)
    assert run.code == 2, run.describe()
    assert ("fs-lint: error: no line of its output matched --ready 'accepting orders' within 1 s; "
            "its last lines:\n  booting") in run.stderr
    assert re.search(r"started pid (\d+)", run.stderr) and not _alive(int(re.search(r"started pid (\d+)",
                                                                                   run.stderr).group(1)))


def test_a_cut_address_with_nothing_listening_is_an_error_before_the_start(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        free = sock.getsockname()[1]
    marker = tmp_path / "started"
    run = run_probe(["--cut", f"127.0.0.1:{free}"], [sys.executable, "-c", f"open({str(marker)!r}, 'w')"],
                    cwd=tmp_path, json_format=False)
    assert run.code == 2, run.describe()
    assert (f"fs-lint: error: --cut 127.0.0.1:{free}: nothing answers there (Connection refused); "
            "start the broker first") in run.stderr
    assert not marker.exists(), "the command must not have been started"


@pytest.mark.parametrize("args, message", [
    (["--cut", "5672"], "argument --cut: expected HOST:PORT, such as 127.0.0.1:5672, got '5672'"),
    (["--signal", "KILL"], "argument --signal: expected TERM or INT, got 'KILL'"),
    (["--cut-mode", "drop"], "argument --cut-mode: expected refuse or blackhole, got 'drop'"),
    (["--grace", "soon"], "argument --grace: expected a number of seconds, got 'soon'"),
])
def test_bad_options_are_usage_errors(args, message):
    done = subprocess.run(probe_argv(args, ["true"], json_format=False), capture_output=True, text=True)
    assert done.returncode == 2 and message in done.stderr, done.stderr


def test_a_placeholder_without_its_cut_and_a_bad_pattern(tmp_path, echo_server):
    marker = tmp_path / "started"
    for args, message in ((["--cut", f"127.0.0.1:{echo_server}"], "{cut2} in the command, but there is 1 --cut"),
                          (["--ready", "(unclosed"], "--ready '(unclosed': not a regular expression")):
        run = run_probe(args, [sys.executable, "-c", f"open({str(marker)!r}, 'w')", "{cut2}"], cwd=tmp_path,
                        json_format=False)
        assert run.code == 2 and f"fs-lint: error: {message}" in run.stderr, run.describe()
        assert not marker.exists()


def test_no_command(echo_server):
    done = subprocess.run([sys.executable, "-m", "fs_lint", "probe", "--cut", f"127.0.0.1:{echo_server}"],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "no COMMAND to run: put it after `--`" in done.stderr, done.stderr


def _alive(pid: int) -> bool:
    info = process_info(pid)
    return info is not None and info.alive


def test_ctrl_c_on_the_probe_kills_what_it_started_and_closes_its_proxies(tmp_path, echo_server):
    app = _script(tmp_path, "forking.py", FORKING_SERVICE)
    pids_file = tmp_path / "pids"
    argv = probe_argv(["--cut", f"127.0.0.1:{echo_server}", "--ready", "service ready", "--after-cut", "60"],
                      [sys.executable, str(app), str(pids_file)], json_format=False)
    probe = subprocess.Popen(argv, cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(probe.stderr), daemon=True)
    reader.start()
    deadline = time.monotonic() + 60
    while not any(line.startswith("fs-lint probe: cut") for line in lines) and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        log = "".join(lines)
        leader = int(re.search(r"started pid (\d+)", log).group(1))
        proxy_port = int(re.search(r"proxy 127\.0\.0\.1:(\d+)", log).group(1))
        started = [leader, *map(int, pids_file.read_text().split())]
        assert all(_alive(pid) for pid in started)
        probe.send_signal(signal.SIGINT)
        assert probe.wait(timeout=30) == 130
    finally:
        probe.kill()
    reader.join(5)
    assert "fs-lint: interrupted" in "".join(lines)
    assert not [pid for pid in started if _alive(pid)], "a process it started is still running"
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", proxy_port), timeout=5).close()


def test_the_pytest_fixture_needs_no_import_and_fails_with_the_report(tmp_path, echo_server):
    stuck = _script(tmp_path, "outbox.py", STUCK_SERVICE)
    polite = _script(tmp_path, "polite.py", STOPPING_SERVICE)
    tests = tmp_path / "test_service.py"
    tests.write_text(textwrap.dedent(f"""\
        import sys

        CUT = ["127.0.0.1:{echo_server}"]


        def test_polite_service_stops(shutdown_probe):
            outcome = shutdown_probe([sys.executable, {str(polite)!r}], cut=CUT, ready="service ready",
                                     after_cut=0.3, grace=2).assert_stops()
            assert outcome.json()["exit_code"] == 3


        def test_outbox_stops(shutdown_probe):
            shutdown_probe([sys.executable, {str(stuck)!r}], cut=CUT, ready="service ready",
                           after_cut=0.3, grace=2).assert_stops()
    """))
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
                           str(tests)], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PYTEST_ADDOPTS=""))
    output = done.stdout + done.stderr
    assert done.returncode == 1 and "1 failed, 1 passed" in output, output
    assert "the service did not stop:\ndid not stop within 2 s after SIGTERM; stuck at:" in output
    assert re.search(r"outbox\.py:\d+ in flush_outbox\n\s+await connected\.wait\(\)", output), output
