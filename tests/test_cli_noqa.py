"""``# noqa`` as flake8 reads it, through ``fs-lint check``."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from fs_lint.cli.main import main
from fs_lint.project.noqa import NoqaMap, drop_silenced, file_is_exempt
from fs_lint.findings import Finding

# FSR001 on the loop for the stop path it ignores (it retries what close() shut), FSR002 on the handler.
LOOP = ("import time\nwhile True:{loop}\n    try:\n        connect()\n    except BaseException:{handler}\n"
        "        time.sleep(1)\n\n\ndef close():\n    connect.close()\n")


def reported(tmp_path: Path, capsys: pytest.CaptureFixture[str], source: str, *argv: str) -> list[str]:
    """``line:code`` of each finding reported for ``source``."""
    (tmp_path / "m.py").write_text(source)
    main(["check", "--isolated", str(tmp_path / "m.py"), *argv])
    out = capsys.readouterr().out
    return [f"{line.split(':')[1]}:{line.split(' ')[1]}" for line in out.splitlines()]


@pytest.mark.parametrize(("loop", "handler", "expected"), [
    ("", "", ["2:FSR001", "5:FSR002"]),
    ("  # noqa", "", ["5:FSR002"]),
    ("", "  # noqa", ["2:FSR001"]),
    ("", "  # noqa: FSR001", ["2:FSR001", "5:FSR002"]),
    ("", "  # noqa: FSR002", ["2:FSR001"]),
    ("", "  #noqa:FSR002", ["2:FSR001"]),
    ("", "  # NOQA:fsr002", ["2:FSR001"]),
    ("", "  # noqa: FSR0", ["2:FSR001"]),
    ("", "  # noqa: FSR001,FSR002", ["2:FSR001"]),
    ("", "  # noqa: E501, FSR002 because we must", ["2:FSR001"]),
    ("", "  # noqa: E501", ["2:FSR001", "5:FSR002"]),
    ("", "  # type: ignore  # noqa: FSR002", ["2:FSR001"]),
    ("", "  # noqa:because reasons", ["2:FSR001"]),  # no code after the colon: a bare noqa, as in flake8
    ("", "  # not a noqa here: x = '# noqa'", ["2:FSR001", "5:FSR002"]),
])
def test_inline_noqa(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                     loop: str, handler: str, expected: list[str]) -> None:
    source = LOOP.format(loop=loop, handler=handler)
    if "not a noqa" in handler:
        source = source.replace("# not a noqa here: x = '# noqa'", "# nothing to see")
        source = source.replace("connect()", "connect('# noqa')")
    assert reported(tmp_path, capsys, source) == expected


def test_noqa_anywhere_on_a_multi_line_logical_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = textwrap.dedent("""\
        import time
        while (
            True  # noqa: FSR001
        ):
            try:
                connect()
            except (
                ValueError,
                BaseException,
            ):  # noqa: FSR002
                time.sleep(1)
    """)
    assert reported(tmp_path, capsys, source) == []
    assert reported(tmp_path, capsys, source.replace("# noqa: FSR002", "")) == ["7:FSR002"]


def test_noqa_on_a_line_of_its_own_does_not_reach_the_next(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = LOOP.format(loop="", handler="").replace("    except", "    # noqa\n    except")
    assert reported(tmp_path, capsys, source) == ["2:FSR001", "6:FSR002"]
    source = LOOP.format(loop="", handler="").replace("while True:", "x = [\n    1,  # noqa\n]\nwhile True:")
    assert reported(tmp_path, capsys, source) == ["5:FSR001", "8:FSR002"]


def test_noqa_after_a_backslash_continuation(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = LOOP.format(loop="", handler="").replace("while True:", "while \\\n        True:  # noqa")
    assert reported(tmp_path, capsys, source) == ["6:FSR002"]


@pytest.mark.parametrize("comment", ["# flake8: noqa", "# fs-lint: noqa", "#FS-LINT:NOQA", "  # flake8=noqa"])
def test_file_level_noqa_skips_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str], comment: str) -> None:
    source = f'"""Module."""\n{comment}\n' + LOOP.format(loop="", handler="")
    assert reported(tmp_path, capsys, source) == []
    assert reported(tmp_path, capsys, source, "--disable-noqa") == ["4:FSR001", "7:FSR002"]


def test_file_level_noqa_after_code_on_its_line_does_not(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = "x = 1  # flake8: noqa\n" + LOOP.format(loop="", handler="")
    assert reported(tmp_path, capsys, source) == ["3:FSR001", "6:FSR002"]


def test_disable_noqa_reports_everything(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = LOOP.format(loop="  # noqa", handler="  # noqa: FSR002")
    assert reported(tmp_path, capsys, source) == []
    assert reported(tmp_path, capsys, source, "--disable-noqa") == ["2:FSR001", "5:FSR002"]


def test_untokenizable_source_falls_back_to_physical_lines() -> None:
    source = b"x = 1  # noqa: FSR001\ny = '''unterminated\n"
    noqa = NoqaMap(source)
    assert noqa.silences(Finding(1, 0, "FSR001", "FSR001 m"))
    assert not noqa.silences(Finding(1, 0, "FSR002", "FSR002 m"))


def test_clean_sources_are_not_tokenized(monkeypatch: pytest.MonkeyPatch) -> None:
    import tokenize

    def refuse(*args: object) -> None:
        raise AssertionError("tokenized a file without noqa")

    monkeypatch.setattr(tokenize, "tokenize", refuse)
    finding = Finding(1, 0, "FSR001", "FSR001 m")
    assert drop_silenced(b"while True:\n    pass\n", [finding]) == [finding]
    assert drop_silenced(b"x = 1  # noqa\n", []) == []
    assert not file_is_exempt(b"while True:\n    pass\n")


def test_a_file_level_noqa_leaves_its_rules_out_before_they_run(monkeypatch: pytest.MonkeyPatch) -> None:
    import fs_lint.file_check as file_check
    from fs_lint.settings import Settings

    asked: list[list[str]] = []
    real = file_check.check_module

    def spy(tree, settings, codes, filename, *rest):
        asked.append(list(codes))
        return real(tree, settings, codes, filename, *rest)

    monkeypatch.setattr(file_check, "check_module", spy)
    loop = LOOP.format(loop="", handler="").encode()
    assert file_check.check_bytes(b"# flake8: noqa\n" + loop, Settings(), None, "m.py") == []
    assert asked == [], "a blanket file-level noqa runs no rule"
    found = file_check.check_bytes(b"# flake8: noqa: FSR001\n" + loop, Settings(), None, "m.py")
    assert [f.code for f in found] == ["FSR002"] and "FSR001" not in asked[-1]
    with pytest.raises(SyntaxError):  # the file is still parsed: a broken one is still named
        file_check.check_bytes(b"# flake8: noqa\ndef (:\n", Settings(), None, "m.py")
