"""The case that started fs-lint (FastStream #1231), under ``fs-lint probe``, as README.md shows it.

``fixtures/probe/seed/app.py`` is a FastStream service with one RabbitMQ subscriber. Under
FastStream 0.4.2 (in a venv of its own, on Python 3.10 where it is installed) the probe's
command from the issue exits 1 and names ``faststream/rabbit/handler.py:170``, where closing
the subscriber waits for the broker to come back; under FastStream 0.7.8 the same command
exits 0, "stopped". Both venvs are built once and kept (``venvs.py``); the two probes run
at once. Marked slow: about 30 s, plus a minute the first time for the venvs.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from pathlib import Path

import pytest

from . import harness
from .brokers import BROKERS, broker_reachable, in_ci
from .probe_runs import run_probe
from .venvs import python_for, requirements_file, service_venv

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "fixtures" / "probe" / "seed"
README = ROOT / "README.md"
# The issue's command, word for word.
ISSUE_OPTIONS = ["--cut", "127.0.0.1:5672", "--ready", "started", "--after-cut", "7", "--signal", "TERM",
                 "--grace", "10"]
VERSIONS = {"0.4.2": ("3.10", "3.11", "3.12"), "0.7.8": ("3.12", "3.13", "3.11")}


def _probe_seed(version: str, workdir: Path):
    python, _ = python_for(VERSIONS[version])
    venv = service_venv(python, requirements_file(SEED / f"requirements-faststream-{version}.txt"))
    workdir.mkdir(parents=True)
    shutil.copyfile(SEED / "app.py", workdir / "app.py")
    env = dict(os.environ, ORDERS_QUEUE=f"probe-seed-{uuid.uuid4().hex[:8]}")
    return run_probe(ISSUE_OPTIONS, [str(venv), "-m", "faststream", "run", "app:app"], cwd=workdir,
                     json_format=False, env=env)


@pytest.fixture(scope="module")
def seed_runs(tmp_path_factory):
    if not broker_reachable("rabbit"):
        message = f"the seed needs {BROKERS['rabbit'].missing_message()}"
        if in_ci():
            pytest.fail(f"CI=true, and {message}", pytrace=False)
        pytest.skip(message)
    base = tmp_path_factory.mktemp("probe-seed")
    runs = harness.run_concurrently({v: (lambda v=v: _probe_seed(v, base / v)) for v in VERSIONS}, max_workers=2)
    for run in runs.values():
        if isinstance(run, BaseException):
            raise run
    return runs


def _report(run) -> str:
    """The probe's report: stdout without the service's own (prefixed) lines."""
    return "".join(line for line in run.stdout.splitlines(keepends=True) if not line.startswith("svc| "))


def test_faststream_042_is_stuck_closing_its_subscriber(seed_runs):
    run = seed_runs["0.4.2"]
    report = _report(run)
    assert run.code == 1, run.describe()
    assert report.startswith("did not stop within 10 s after SIGTERM; stuck at:\n"), report
    assert "    faststream/rabbit/handler.py:170 in LogicHandler.close\n" \
           "        await self._queue_obj.cancel(self._consumer_tag)\n" in report, report
    task = report.split("  task 'faststream.app.FastStream.run'")[1].split("\n\n")[0]
    chain = re.findall(r"^    (\S+:\d+) in ", task, re.M)
    assert [where.split(":")[0] for where in chain[-6:]] == [
        "faststream/rabbit/handler.py", "aio_pika/robust_queue.py", "aio_pika/queue.py",
        "aio_pika/robust_channel.py", "aio_pika/connection.py", "asyncio/locks.py"], chain


def test_faststream_078_stops(seed_runs):
    run = seed_runs["0.7.8"]
    assert run.code == 0, run.describe()
    assert re.fullmatch(r"stopped \d+\.\d\d s after SIGTERM \(exit code 0\)\n", _report(run)), run.describe()


def test_the_readme_shows_what_the_probe_prints(seed_runs):
    """Every FastStream and aio-pika frame README.md shows for the seed is in the real report, in order.

    (The standard library's lines differ from one Python to another.)
    """
    text = README.read_text(encoding="utf-8")
    block = text.split("<!-- probe-seed:start -->", 1)[1].split("<!-- probe-seed:end -->", 1)[0]
    shown = re.findall(r"^    ((?:faststream|aio_pika)/\S+:\d+ in \S+)$", block, re.M)
    assert len(shown) >= 8, "README.md shows the stuck task's frames"
    report = _report(seed_runs["0.4.2"])
    positions = [report.find(f"    {frame}\n") for frame in shown]
    assert -1 not in positions and positions == sorted(positions), (shown, report)
    assert "did not stop within 10 s after SIGTERM; stuck at:" in block
    stopped = re.search(r"stopped \d+\.\d\d s after SIGTERM \(exit code 0\)", block)
    assert stopped, "README.md shows FastStream 0.7.8's verdict too"
