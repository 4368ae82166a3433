"""``fs-lint probe`` on the ``fixtures/apps`` services, in a venv of their own, against the real brokers.

Each scenario becomes one probe command: the endpoints it cuts go through the probe's
proxies (``{cut1}``, ``{cut2}`` ... in an ``env VAR=URL`` prefix), the others straight to
their broker; a startup wait is cut before the start (``--cut-at-start``); the signal goes
when the app logs the line its scenario waits for (``--signal-on``); the apps whose retry
runs in a message handler get traffic meanwhile, as in the rest of the suite.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from . import harness
from .brokers import BROKERS, Traffic
from .probe_runs import ProbeRun, run_probe
from .scenarios import DESTINATION_VARIABLES, Scenario
from .venvs import python_for, requirements_file, service_venv

REQUIREMENTS = Path(__file__).with_name("probe_apps_requirements.txt")
# Another Python than fs-lint's where one is installed (the newest first).
PYTHONS = ("3.13", "3.12", "3.10")
FASTSTREAM_READY = "started successfully"
WRITTEN_GRACE = harness.HANG_GRACE  # an app as written must outlive it
FIXED_GRACE = harness.STOP_WAIT


def apps_python() -> Path:
    python, _ = python_for(PYTHONS)
    return service_venv(python, requirements_file(REQUIREMENTS))


def probe_command(scenario: Scenario, app_file: Path, python: Path) -> tuple[list[str], list[str]]:
    """(the probe's options, the command) for the app in ``app_file``."""
    cut = scenario.cut_variables
    cuts, assignments = [], []
    for variable, key in scenario.endpoints.items():
        broker = BROKERS[key]
        if variable in cut:
            cuts += ["--cut", broker.address]
            url = broker.url_at(f"{{cut{len(cuts) // 2}}}")
        else:
            url = broker.url()
        assignments.append(f"{variable}={url}")
    options = [*cuts, "--signal-on", scenario.stop_when]
    if scenario.down_at_start:
        options += ["--cut-at-start", "--ready", scenario.retry_log]
    else:
        options += ["--ready", scenario.ready_log or FASTSTREAM_READY]
    command = ["env", *assignments, str(python), "-m", "faststream", "run", f"{app_file.stem}:app"]
    return options, command


def probe_app(scenario: Scenario, workdir: Path, *, fixed: bool, python: Path) -> ProbeRun:
    """Probe the app as written, or a copy after `fs-lint fix` (with the scenario's fix arguments)."""
    app_file = harness.copy_app(scenario, workdir)
    if fixed:
        harness.apply_fix(app_file, scenario.fix_args)
    options, command = probe_command(scenario, app_file, python)
    options += ["--grace", str(FIXED_GRACE if fixed else WRITTEN_GRACE)]
    run_id = f"fsprobe-{scenario.id}-{uuid.uuid4().hex[:8]}"
    names = {variable: f"{run_id}-{variable.lower().replace('_', '-')}" for variable in DESTINATION_VARIABLES}
    env = dict(os.environ, PYTHONUNBUFFERED="1", **names)
    try:
        if scenario.traffic:
            with Traffic(scenario.main_broker, names[scenario.inbox]):
                return run_probe(options, command, cwd=workdir, env=env)
        return run_probe(options, command, cwd=workdir, env=env)
    finally:
        if "redis" in scenario.brokers:
            harness.delete_keys(f"{run_id}*")


@dataclass
class AppProbes:
    """One scenario's app under the probe: as written, and after `fs-lint fix`."""

    written: ProbeRun
    fixed: ProbeRun


def probe_written_and_fixed(scenario: Scenario, workdir: Path) -> AppProbes:
    """Both at once: each is one process waiting most of the time (and each has its own names and proxies)."""
    python = apps_python()
    runs = harness.run_concurrently({
        "written": lambda: probe_app(scenario, workdir / "written", fixed=False, python=python),
        "fixed": lambda: probe_app(scenario, workdir / "fixed", fixed=True, python=python),
    }, max_workers=2)
    for run in runs.values():
        if isinstance(run, BaseException):
            raise run
    return AppProbes(runs["written"], runs["fixed"])
