"""The README's GitHub Actions workflow: current action versions, a gate that fails with error annotations,
and a SARIF upload that runs when the gate fails; its commands run here as the workflow runs them.

The versions were read from the actions' own repositories (tags, July 2026): a new major of any
of them is a reason to update the README and this table together.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import yaml

from tests.swallowing_loops import SWALLOWING_LOOP
from tests.test_readme import README

CURRENT = {"actions/checkout": "v7", "actions/setup-python": "v7", "github/codeql-action/upload-sarif": "v4"}
HAZARD = SWALLOWING_LOOP


def workflow() -> dict:
    block = re.search(r"```yaml\n(# \.github/workflows/fs-lint\.yml.*?)```", README, re.DOTALL)
    assert block is not None, "the README has the workflow"
    return yaml.safe_load(block.group(1))


def steps() -> list[dict]:
    return workflow()["jobs"]["fs-lint"]["steps"]


def test_the_actions_are_the_current_majors() -> None:
    used = {step["uses"].split("@")[0]: step["uses"].split("@")[1] for step in steps() if "uses" in step}
    assert used == CURRENT


def test_the_gate_fails_and_the_sarif_is_uploaded_whatever_the_gate_said() -> None:
    runs = [step for step in steps() if "run" in step]
    gate = next(step for step in runs if "--format github" in step["run"])
    sarif = next(step for step in runs if "--format sarif" in step["run"])
    upload = next(step for step in steps() if step.get("uses", "").startswith("github/codeql-action/upload-sarif"))
    assert "--exit-zero" not in gate["run"] and "|| true" not in gate["run"] and "continue-on-error" not in gate
    assert steps().index(gate) < steps().index(sarif) < steps().index(upload)
    assert sarif["if"] == "always()" and upload["if"].startswith("always()")
    assert upload["with"]["sarif_file"] in sarif["run"]
    assert workflow()["jobs"]["fs-lint"]["permissions"]["security-events"] == "write"


def test_the_workflows_commands_do_what_it_says(tmp_path: Path) -> None:
    (tmp_path / "svc.py").write_text(HAZARD)
    outcomes = []
    for step in steps():
        command = step.get("run", "")
        if not command.startswith("fs-lint "):
            continue
        argv = shlex.split(command)[1:]
        outcomes.append(subprocess.run([sys.executable, "-m", "fs_lint", *argv], cwd=tmp_path, capture_output=True,
                                       text=True, check=False))
    gate, report = outcomes
    assert gate.returncode == 1
    assert gate.stdout.splitlines()[0].startswith("::error file=svc.py,line=5,col=5,title=FSR001::")
    assert all(line.startswith("::error ") for line in gate.stdout.splitlines())
    assert report.returncode == 0
    assert len(json.loads((tmp_path / "fs-lint.sarif").read_text())["runs"][0]["results"]) == 2
