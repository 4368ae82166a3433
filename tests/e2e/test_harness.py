"""The suite's own tools, without a broker: the cuttable proxy and the process runner."""

from __future__ import annotations

import socket
import sys
import textwrap

import pytest

from fs_lint.probe.tcp_proxy import TcpProxy

from .process import AppProcess


def _echo(port: int, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(payload)
        return sock.recv(4096)


def test_proxy_forwards_cuts_and_restores_on_the_same_port(echo_server):
    with TcpProxy("127.0.0.1", echo_server) as proxy:
        assert _echo(proxy.port, b"hello") == b"hello"

        live = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
        live.sendall(b"x")
        assert live.recv(16) == b"x"
        port = proxy.port

        proxy.cut()
        assert live.recv(16) == b""  # the live connection is dropped ...
        live.close()
        with pytest.raises(ConnectionRefusedError):  # ... and new ones are refused
            socket.create_connection(("127.0.0.1", port), timeout=5)

        proxy.restore()
        assert proxy.port == port
        assert _echo(proxy.port, b"again") == b"again"


def test_blackhole_accepts_and_never_answers_then_restores(echo_server):
    with TcpProxy("127.0.0.1", echo_server) as proxy:
        live = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
        live.sendall(b"x")
        assert live.recv(16) == b"x"

        proxy.cut("blackhole")
        live.settimeout(0.5)
        live.sendall(b"y")  # the live connection stays open, and silent
        with pytest.raises(socket.timeout):
            live.recv(16)
        late = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)  # accepted ...
        late.settimeout(0.5)
        late.sendall(b"z")
        with pytest.raises(socket.timeout):  # ... and never answered
            late.recv(16)

        proxy.restore()
        live.settimeout(5)
        late.settimeout(5)
        assert live.recv(16) == b"" and late.recv(16) == b""  # reset, as a broker that lost them
        assert _echo(proxy.port, b"again") == b"again"
        live.close()
        late.close()


def test_an_unknown_cut_mode_is_refused(echo_server):
    with TcpProxy("127.0.0.1", echo_server) as proxy, pytest.raises(ValueError, match="blackhole"):
        proxy.cut("drop")


def _python(tmp_path, code: str, name: str) -> AppProcess:
    script = tmp_path / f"{name}.py"
    script.write_text(textwrap.dedent(code))
    return AppProcess([sys.executable, str(script)], cwd=tmp_path, env={}, log_path=tmp_path / f"{name}.log",
                      name=name).start()


def test_stop_measures_a_process_that_exits_on_sigterm(tmp_path):
    with _python(tmp_path, """
        import signal, sys, time
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(3))
        print("ready", flush=True)
        while True:
            time.sleep(0.05)
    """, "polite") as process:
        process.wait_for_log("ready", timeout=30)
        result = process.stop(grace=10)
    assert result.stopped and result.returncode == 3 and result.seconds < 10
    assert result.cpu_seconds is not None and result.cpu_seconds < 1


def test_stop_reports_a_process_that_ignores_sigterm_and_its_cpu(tmp_path):
    with _python(tmp_path, """
        import signal
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("ready", flush=True)
        while True:
            pass
    """, "deaf") as process:
        process.wait_for_log("ready", timeout=30)
        result = process.stop(grace=1.5)
        assert not result.stopped and result.returncode is None and process.alive
        assert result.cpu_seconds is not None and result.cpu_seconds > 0.2  # it spins
        process.kill()
        assert not process.alive
