"""``fs-lint probe`` on the end-to-end suite's FastStream services, for real (see ``probe_apps.py``).

Every app as written is reported stuck, with the statement fs-lint flags among its stuck
frames (annotated with the finding's code); every app after `fs-lint fix` is reported
stopped, with FastStream's clean exit code. The apps run in a venv of their own, on
another Python than fs-lint's where one is installed.
"""

from __future__ import annotations

import pytest

from . import harness
from .scenarios import SCENARIOS, Scenario
from .test_shutdown import require_brokers

pytestmark = pytest.mark.e2e


def _flagged_frames(run, scenario: Scenario) -> list[str]:
    """``path:line in function: annotation`` of each frame of the app's file that names one of its codes."""
    app = scenario.path.name
    found = []
    for _, stack in run.stacks():
        for frame in stack["frames"]:
            note = frame.get("annotation") or ""
            if frame["path"].endswith("/" + app) and any(code in note for code in scenario.codes):
                found.append(f"{stack['kind']} {stack['name']}: {app}:{frame['line']} in {frame['function']}: {note}")
    return found


@pytest.mark.parametrize("scenario", [pytest.param(s, id=s.id) for s in SCENARIOS])
def test_probe_finds_the_app_stuck_on_the_flagged_statement(scenario: Scenario, probe_app_runs) -> None:
    require_brokers(scenario)
    run = probe_app_runs[scenario].written
    assert run.code == 1 and run.report["verdict"] == "stuck", run.describe()
    flagged = _flagged_frames(run, scenario)
    print("\n".join(flagged))
    assert flagged, f"no stuck frame of {scenario.path.name} carries {sorted(scenario.codes)}:\n{run.stdout}"
    assert all(p["source"] in ("bootstrap", "faulthandler") for p in run.report["stacks"]), run.stdout


@pytest.mark.parametrize("scenario", [pytest.param(s, id=s.id) for s in SCENARIOS])
def test_probe_finds_the_fixed_app_stopped(scenario: Scenario, probe_app_runs) -> None:
    require_brokers(scenario)
    run = probe_app_runs[scenario].fixed
    assert run.code == 0 and run.report["verdict"] == "stopped", run.describe()
    assert run.report["exit_code"] in harness.CLEAN_EXIT_CODES, run.describe()
    print(run.report["summary"])
