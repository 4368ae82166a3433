"""Proof by execution: real FastStream services on real brokers stop on SIGTERM only after `fs-lint fix`.

For each app under ``fixtures/apps/`` (see ``scenarios.py``):

1. the app as written, started with ``faststream run`` behind a TCP proxy, answers a
   request; the proxy then cuts its broker (or its downstream dependency) and, once the
   app logs that it is retrying, it gets SIGTERM: it must still be running after the grace
   period (the hazard is real);
2. ``fs-lint check`` reports the expected codes;
3. after ``fs-lint fix`` on a copy, the same app reconnects when the broker comes back,
   and, cut again, exits within 5 s of SIGTERM with FastStream's clean exit code (0);
4. for the scenarios that ask for it (FSR901's: a bound on a shutdown wait), the app is also
   stopped with its broker up, as written and after the fix: both exit quickly with code 0.

Scenarios whose rule or rewrite is not written yet (``pending``) keep the after-fix tests
as strict expected failures, and step 2 too while fs-lint does not know their code: when
the rule or the fix lands, the test turns XPASS and fails until the mark is removed.
"""

from __future__ import annotations

import pytest

from . import harness
from .brokers import BROKERS, broker_reachable, in_ci
from .scenarios import SCENARIOS, Scenario

BROKER_UP_SCENARIOS = [s for s in SCENARIOS if s.stop_with_broker_up]

pytestmark = pytest.mark.e2e


def require_brokers(scenario: Scenario) -> None:
    """Skip when a broker the scenario needs is not running; under CI (CI=true), fail instead."""
    problems = [f"{scenario.id} needs {BROKERS[key].missing_message()}"
                for key in scenario.brokers if not broker_reachable(key)]
    runtime = harness.runtime_problem()
    if runtime:
        problems.append(runtime)
    if problems:
        if in_ci():
            pytest.fail("CI=true, and " + "; ".join(problems), pytrace=False)
        pytest.skip("; ".join(problems))


def _param(scenario: Scenario, *, after_fix: bool = False, check: bool = False):
    marks = []
    rule_missing = check and not scenario.codes <= harness.known_codes()
    if scenario.pending and (after_fix or rule_missing):
        marks.append(pytest.mark.xfail(strict=True, reason=scenario.pending))
    return pytest.param(scenario, id=scenario.id, marks=marks)


def _stop_limit(scenario: Scenario) -> float:
    return scenario.stop_within if scenario.stop_within is not None else harness.STOP_LIMIT


def assert_clean_quick_stop(stop, limit: float, what: str, logs) -> None:
    assert stop.stopped and stop.seconds <= limit, (
        f"{what} {stop.describe()}, expected an exit within {limit:g}s; logs: {logs}")
    assert stop.returncode in harness.CLEAN_EXIT_CODES, (
        f"{what} exited with code {stop.returncode}, expected {harness.CLEAN_EXIT_CODES}; logs: {logs}")


@pytest.mark.parametrize("scenario", [_param(s) for s in SCENARIOS])
def test_unfixed_app_does_not_stop(scenario: Scenario, hazard_runs) -> None:
    require_brokers(scenario)
    run = hazard_runs[scenario]
    print(f"{scenario.id}: before the fix, {run.stop.describe()}; retrying as: {run.retry_line.strip()}")
    assert not run.stop.stopped, (
        f"{scenario.id} as written was expected to keep running after SIGTERM, but it "
        f"{run.stop.describe()}; log: {run.log}")
    if scenario.spins and run.stop.cpu_percent is not None:
        # Alone it takes a whole core; sharing two cores with the other apps, still far above idle.
        assert run.stop.cpu_percent >= 10, f"expected a busy loop after SIGTERM, measured {run.stop.describe()}"


@pytest.mark.parametrize("scenario", [_param(s, check=True) for s in SCENARIOS])
def test_check_reports_the_hazard(scenario: Scenario, tmp_path) -> None:
    codes, output = harness.codes_found(harness.copy_app(scenario, tmp_path), scenario.check_args)
    assert codes == scenario.codes, f"expected {sorted(scenario.codes)}, `fs-lint check` said:\n{output}"


@pytest.mark.parametrize("scenario", [_param(s, after_fix=True) for s in SCENARIOS])
def test_fixed_app_stops_and_reconnects(scenario: Scenario, fixed_runs) -> None:
    require_brokers(scenario)
    run = fixed_runs[scenario]
    assert run.changed, (f"`fs-lint fix` changed nothing in {scenario.app}.py "
                         f"(expected: {scenario.expected_fix}):\n{run.fix_output}")
    left = run.codes_after & scenario.codes_removed_by_fix
    assert not left, (f"after `fs-lint fix`, `fs-lint check` still reports {sorted(left)} "
                      f"(expected: {scenario.expected_fix}):\n{run.fixed_file.read_text()}")
    assert run.reconnected, f"the fixed app did not answer again after the broker came back; logs: {run.logs}"
    stop = run.stop
    print(f"{scenario.id}: after the fix, {stop.describe()}")
    assert_clean_quick_stop(stop, _stop_limit(scenario), "the fixed app", run.logs)
    if run.restart_stop is not None:  # the second process, which waited for the broker and then consumed
        restart = run.restart_stop
        assert restart.stopped and restart.returncode in harness.CLEAN_EXIT_CODES, (
            f"once connected, the fixed app {restart.describe()}; logs: {run.logs}")


@pytest.mark.parametrize("scenario", [_param(s) for s in BROKER_UP_SCENARIOS])
def test_app_as_written_stops_with_the_broker_up(scenario: Scenario, broker_up_runs) -> None:
    require_brokers(scenario)
    run = broker_up_runs[scenario]
    print(f"{scenario.id}: as written, broker up, {run.written.describe()}")
    assert_clean_quick_stop(run.written, harness.STOP_LIMIT, "with its broker up, the app as written", run.logs)


@pytest.mark.parametrize("scenario", [_param(s, after_fix=True) for s in BROKER_UP_SCENARIOS])
def test_fixed_app_stops_with_the_broker_up(scenario: Scenario, broker_up_runs) -> None:
    require_brokers(scenario)
    run = broker_up_runs[scenario]
    assert run.fix_error is None, run.fix_error
    assert run.changed, (f"`fs-lint fix` changed nothing in {scenario.app}.py "
                         f"(expected: {scenario.expected_fix}):\n{run.fix_output}")
    print(f"{scenario.id}: after the fix, broker up, {run.fixed.describe()}")
    assert_clean_quick_stop(run.fixed, harness.STOP_LIMIT, "with its broker up, the fixed app", run.logs)
