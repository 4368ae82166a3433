"""``--format``: json, sarif and github, parsed back and checked field by field."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from fs_lint import __version__
from fs_lint.cli.main import main
from fs_lint.cli.output_formats import FileReport, render_github
from fs_lint.findings import Finding
from fs_lint.rules import RULES
from tests.cli_output import unmarked, without_summary

SWALLOWS = textwrap.dedent("""\
    import time


    def serve():
        while True:
            try:
                work()
            except BaseException:
                time.sleep(1)


    def close():  # the stop path the loop defeats (FSR001): it retries what close() shut
        work.close()
""")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "svc.py").write_text(SWALLOWS)
    return tmp_path


def check(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["check", "--isolated", *argv])
    out, err = capsys.readouterr()
    return status, unmarked(out), without_summary(err)


def test_json(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = check(capsys, "--format", "json")
    assert status == 1
    items = json.loads(out)
    assert [(i["code"], i["line"], i["column"]) for i in items] == [("FSR001", 5, 5), ("FSR002", 8, 9)]
    first = items[0]
    assert set(first) == {"code", "name", "message", "filename", "line", "column", "docs", "fix", "fixable", "url",
                          "evidence"}
    assert all(isinstance(i["evidence"], list) for i in items)  # the facts behind a finding, as --explain prints
    assert first["name"] == "retry-loop-without-shutdown-check"
    assert first["filename"] == "pkg/svc.py"
    assert first["message"].startswith("retry loop without shutdown check: ")  # the code is its own field
    assert first["docs"] == "fs-lint rule FSR001"


def test_json_without_findings_is_an_empty_list(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = check(capsys, "--format", "json", "--select", "FSR003")
    assert (status, json.loads(out)) == (0, [])


def test_sarif(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "broken.py").write_text("except (\n")
    status, out, err = check(capsys, "--format", "sarif")
    assert status == 1
    assert "broken.py: syntax error" in err
    log = json.loads(out)
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json")
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("fs-lint", __version__)
    rules = driver["rules"]
    assert [rule["id"] for rule in rules] == sorted(RULES)
    fsr001 = rules[0]
    assert fsr001["name"] == "retry-loop-without-shutdown-check"
    assert fsr001["shortDescription"]["text"] == "retry loop without shutdown check"
    assert fsr001["fullDescription"]["text"].startswith("Flags a retry loop that can go round forever")
    assert "\n" not in fsr001["fullDescription"]["text"]
    assert fsr001["help"]["text"].startswith("# FSR001: retry-loop-without-shutdown-check")
    assert "## Why is this bad?" in fsr001["help"]["markdown"]

    results = run["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [("FSR001", "warning"), ("FSR002", "warning")]
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["message"]["text"] and not result["message"]["text"].startswith("FSR")
    location = results[1]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "pkg/svc.py", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 8, "startColumn": 9}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == project.as_uri() + "/"

    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is False
    (notification,) = invocation["toolExecutionNotifications"]
    assert notification["level"] == "error"
    assert notification["message"]["text"].startswith("broken.py: syntax error at line 1")
    assert notification["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "broken.py"


def test_sarif_uri_is_percent_encoded_and_clean_run_succeeds(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "my dir").mkdir()
    (project / "my dir" / "a b.py").write_text(SWALLOWS)
    _, out, _ = check(capsys, "--format", "sarif", "my dir")
    run = json.loads(out)["runs"][0]
    assert run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "my%20dir/a%20b.py"
    assert run["invocations"][0] == {"executionSuccessful": True, "toolExecutionNotifications": []}


def test_sarif_file_outside_the_working_directory_gets_an_absolute_uri(
        project: Path, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "svc.py"
    elsewhere.write_text(SWALLOWS)
    _, out, _ = check(capsys, "--format", "sarif", str(elsewhere))
    artifact = json.loads(out)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": elsewhere.as_uri()}


def test_github(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = check(capsys, "--format", "github")
    assert status == 1
    lines = out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("::error file=pkg/svc.py,line=5,col=5,title=FSR001::retry loop without shutdown check")
    assert lines[1].startswith("::error file=pkg/svc.py,line=8,col=9,title=FSR002::broad handler")


def test_github_escaping() -> None:
    report = FileReport("/w/a:b,c%.py", "a:b,c%.py", (Finding(3, 0, "FSR001", "FSR001 100% bad\r\nreally: a, b"),))
    line = render_github([report], "/w")
    assert line == "::error file=a%3Ab%2Cc%25.py,line=3,col=1,title=FSR001::100%25 bad%0D%0Areally: a, b\n"


def test_unknown_format_is_a_usage_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = check(capsys, "--format", "xml")
    assert status == 2
    assert "invalid choice: 'xml'" in err
