"""Fixtures of the end-to-end shutdown suite.

The slow part of each scenario is waiting: for the app to start, to notice that its
broker is gone, and for the grace period in which it should *not* stop. Those waits
overlap well, so the apps of all the selected scenarios run at the same time: the
first test that asks for ``hazard_runs`` (or ``fixed_runs``, ``broker_up_runs``) runs every selected
scenario's phase in threads, and each test then asserts on its own scenario's result.

A broker that is not running skips its scenarios with a message saying how to start
it; under CI (``CI=true``) it fails them instead, so that a missing service can never
pass for a green run.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable, Iterable

import pytest

from . import harness, probe_apps
from .brokers import broker_reachable
from .echo_server import EchoServer
from .scenarios import Scenario

# How many apps run at once (each is a process; the machine may have only two cores).
PARALLEL = int(os.environ.get("FS_LINT_E2E_PARALLEL", "8"))


def _selected(session: pytest.Session, test_names: tuple[str, ...]) -> list[Scenario]:
    """The scenarios of the collected (and not deselected) items of the test functions that share a phase."""
    found: dict[str, Scenario] = {}
    if harness.runtime_problem():
        return []
    for item in session.items:
        if getattr(item, "originalname", None) not in test_names:
            continue
        scenario = item.callspec.params.get("scenario") if hasattr(item, "callspec") else None
        if isinstance(scenario, Scenario) and all(broker_reachable(k) for k in scenario.brokers):
            found[scenario.id] = scenario
    return list(found.values())


def _run_batch(scenarios: Iterable[Scenario], phase: Callable[[Scenario, Path], object],
               base: Path) -> dict[str, object]:
    # Longest scenarios first, so that they do not end up alone at the end.
    ordered = sorted(scenarios, key=lambda s: (s.stop_log is None, not s.down_at_start))
    jobs = {s.id: (lambda s=s: phase(s, base / s.id)) for s in ordered}
    return harness.run_concurrently(jobs, PARALLEL)


class Results:
    """One phase's results, computed on first use for every selected scenario."""

    def __init__(self, request: pytest.FixtureRequest, test_names: tuple[str, ...], phase, label: str) -> None:
        self._request = request
        self._test_names = test_names
        self._phase = phase
        self._label = label
        self._results: dict[str, object] | None = None
        self.seconds = 0.0

    def __getitem__(self, scenario: Scenario):
        if self._results is None:
            scenarios = _selected(self._request.session, self._test_names)
            base = self._request.getfixturevalue("tmp_path_factory").mktemp(self._label)
            start = time.monotonic()
            self._results = _run_batch(scenarios, self._phase, base)
            self.seconds = time.monotonic() - start
        if scenario.id not in self._results:  # asked for directly, outside the batch
            base = self._request.getfixturevalue("tmp_path_factory").mktemp(f"{self._label}-{scenario.id}")
            self._results.update(_run_batch([scenario], self._phase, base))
        result = self._results[scenario.id]
        if isinstance(result, BaseException):
            raise result
        return result


@pytest.fixture(scope="session")
def hazard_runs(request: pytest.FixtureRequest) -> Results:
    """scenario -> HazardRun: the app as written, stopped while it retries."""
    return Results(request, ("test_unfixed_app_does_not_stop",), harness.prove_hazard, "hazard")


@pytest.fixture(scope="session")
def fixed_runs(request: pytest.FixtureRequest) -> Results:
    """scenario -> FixedRun: the app after `fs-lint fix`, reconnecting and then stopped while it retries."""
    return Results(request, ("test_fixed_app_stops_and_reconnects",), harness.prove_fixed, "fixed")


@pytest.fixture(scope="session")
def broker_up_runs(request: pytest.FixtureRequest) -> Results:
    """scenario -> BrokerUpRun: the app stopped with its broker up, as written and after `fs-lint fix`."""
    return Results(request, ("test_app_as_written_stops_with_the_broker_up", "test_fixed_app_stops_with_the_broker_up"),
                   harness.prove_clean_stop, "broker-up")


@pytest.fixture(scope="session")
def probe_app_runs(request: pytest.FixtureRequest) -> Results:
    """scenario -> AppProbes: `fs-lint probe` on the app as written and after `fs-lint fix`, in a venv of its own."""
    return Results(request, ("test_probe_finds_the_app_stuck_on_the_flagged_statement",
                             "test_probe_finds_the_fixed_app_stopped"),
                   probe_apps.probe_written_and_fixed, "probe-apps")


@pytest.fixture
def echo_server():
    """The port of a TCP echo server on loopback (a stand-in broker), for the test's duration."""
    with EchoServer() as port:
        yield port
