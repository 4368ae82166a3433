"""``[tool.fs-lint]``: where it is found, every key, and one-line errors that name the key."""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path

import pytest

from fs_lint import settings as settings_table
from fs_lint.cli import settings_options
from fs_lint.project.config_file import find_config, known_keys, load_config
from fs_lint.cli.errors import UsageError
from fs_lint.cli.main import main
from fs_lint.settings import DEFAULT_SHUTDOWN_NAMES, OPTIONS, Option
from tests.cli_output import without_summary

# FSR001 at line 2 (the loop) and FSR002 at line 5 (the handler)
# (``stop()`` after the loop is the stop path the loop ignores: the evidence FSR001 names, with the
# default shutdown words (`stop_requested`) and with the words these tests configure (`halted`, `parked`))
_STOP = ("\n\ndef stop():\n    global stop_requested, halted, parked\n    stop_requested = True\n    halted = True\n"
         "    parked = True\n")
SOURCE = "import time\nwhile True:\n    try:\n        connect()\n    except BaseException:\n        time.sleep(1)\n" + _STOP
# A loop that checks `halted` each round: FSR001 only when `halted` is not a shutdown word
GUARDED = ("import time\nwhile not halted:\n    try:\n        connect()\n    except OSError:\n"
           "        time.sleep(1)\n\n\ndef stop():\n    global stop_requested\n    stop_requested = True\n")


def project(root: Path, config: str, *files: str) -> None:
    (root / "pyproject.toml").write_text(textwrap.dedent(config))
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(SOURCE)


def codes(capsys: pytest.CaptureFixture[str], *argv: str) -> list[str]:
    main(["check", *argv])
    out, err = capsys.readouterr()
    assert without_summary(err) == ""
    return [f"{line.split(':')[0]}:{line.split(' ')[1]}" for line in out.splitlines()]


def error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(["check", *argv]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1, "one line"
    return err


def test_nearest_pyproject_with_the_table_wins(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    project(tmp_path, '[tool.fs-lint]\nselect = ["FSR002"]\n', "pkg/sub/a.py")
    (tmp_path / "pkg" / "pyproject.toml").write_text("[project]\nname = 'pkg'\n")  # no table: look further up
    monkeypatch.chdir(tmp_path / "pkg" / "sub")
    assert find_config(Path.cwd()) == tmp_path / "pyproject.toml"
    assert codes(capsys) == ["a.py:FSR002"]


def test_isolated_ignores_the_config_and_config_flag_names_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    project(tmp_path, '[tool.fs-lint]\nselect = ["FSR002"]\n', "a.py")
    (tmp_path / "other.toml").write_text('[tool.fs-lint]\nignore = ["FSR002"]\n')
    monkeypatch.chdir(tmp_path)
    assert codes(capsys, "--isolated") == ["a.py:FSR001", "a.py:FSR002"]
    assert codes(capsys, "--config", "other.toml") == ["a.py:FSR001"]
    assert error(capsys, "--config", "missing.toml") == "fs-lint: error: missing.toml: config file not found\n"
    assert main(["check", "--config", "other.toml", "--isolated"]) == 2  # one or the other


def test_every_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    project(tmp_path, """\
        [tool.fs-lint]
        select = ["FSR00"]
        ignore = ["FSR002"]
        extend-select = ["FSR003"]
        exclude = ["vendored"]
        shutdown-names = ["halted"]
        extend-shutdown-names = ["parked"]
        connect-names = ["connect"]
        extend-connect-names = ["attach"]
        async-requires-check = true

        [tool.fs-lint.per-file-ignores]
        "tests/*" = ["FSR001"]
        "legacy.py" = ["FSR0"]
    """, "app.py", "tests/t.py", "deep/legacy.py", "vendored/v.py")
    (tmp_path / "guarded.py").write_text(GUARDED)
    monkeypatch.chdir(tmp_path)
    assert codes(capsys) == ["app.py:FSR001"]  # guarded.py: `halted` is a shutdown word now
    config = load_config(tmp_path / "pyproject.toml")
    assert config.select == ("FSR00",) and config.ignore == ("FSR002",) and config.extend_select == ("FSR003",)
    assert config.per_file_ignores == (("tests/*", ("FSR001",)), ("legacy.py", ("FSR0",)))
    assert config.exclude == ("vendored",)
    settings = settings_options.build_settings(config.options, None)
    assert settings.shutdown_names == ("halted", "parked")
    assert settings.connect_names == ("connect", "attach")
    assert settings.async_requires_check is True
    assert set(known_keys()) == {"select", "ignore", "extend-select", "per-file-ignores", "exclude",
                                 "extend-exclude", *(option.name for option in OPTIONS)}


def test_per_file_ignores_globs_are_relative_to_the_config_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    project(tmp_path, '[tool.fs-lint.per-file-ignores]\n"src/gen/*" = ["FSR"]\n', "src/gen/a.py", "src/b.py")
    monkeypatch.chdir(tmp_path / "src")
    assert codes(capsys) == ["b.py:FSR001", "b.py:FSR002"]


def test_command_line_overrides_config_like_ruff(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    project(tmp_path, """\
        [tool.fs-lint]
        ignore = ["FSR002"]
        shutdown-names = ["halted"]
        [tool.fs-lint.per-file-ignores]
        "a.py" = ["FSR001"]
    """, "a.py")
    (tmp_path / "guarded.py").write_text(GUARDED)
    monkeypatch.chdir(tmp_path)
    assert codes(capsys) == []
    assert codes(capsys, "--select", "FSR002") == ["a.py:FSR002"]  # a command-line select starts afresh
    assert codes(capsys, "--per-file-ignores", "guarded.py:FSR002") == ["a.py:FSR001"]  # replaces the table
    assert codes(capsys, "--per-file-ignores", "a.py:FSR002", "--shutdown-names", "stop") == [
        "a.py:FSR001", "guarded.py:FSR001"]
    assert codes(capsys, "a.py", "--ignore", "FSR001", "--per-file-ignores", "x.py:FSR001") == []


@pytest.mark.parametrize(("config", "expected"), [
    ('[tool.fs-lint]\nselct = ["FSR001"]\n', "[tool.fs-lint] selct: unknown key (did you mean 'select'?)"),
    ("[tool.fs-lint]\nbogus = 1\n", "[tool.fs-lint] bogus: unknown key; known keys: select,"),
    ('[tool.fs-lint]\nselect = "FSR001"\n', "[tool.fs-lint] select: expected a list of codes, got a string"),
    ('[tool.fs-lint]\nignore = ["E501"]\n', "[tool.fs-lint] ignore: 'E501' is not an fs-lint code or prefix"),
    ("[tool.fs-lint]\nexclude = [1]\n", "[tool.fs-lint] exclude: expected a list of strings, got an array"),
    ('[tool.fs-lint]\nper-file-ignores = ["a"]\n',
     "[tool.fs-lint] per-file-ignores: expected a table of pattern = [codes], got an array"),
    ('[tool.fs-lint.per-file-ignores]\n"a.py" = "FSR001"\n',
     "[tool.fs-lint] per-file-ignores: 'a.py': expected a list of codes, got a string"),
    ('[tool.fs-lint]\nshutdown-names = "stop"\n',
     "[tool.fs-lint] shutdown-names: expected a list of strings, got a string"),
    ('[tool.fs-lint]\nasync-requires-check = "yes"\n',
     "[tool.fs-lint] async-requires-check: expected true or false, got a string ('yes')"),
    ("[tool]\nfs-lint = 3\n", "[tool.fs-lint] must be a table, got an integer"),
    ("[tool.fs-lint\nselect = 1\n", "invalid TOML: "),
])
def test_config_errors_name_the_file_and_key(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        config: str, expected: str) -> None:
    project(tmp_path, config, "a.py")
    monkeypatch.chdir(tmp_path)
    assert error(capsys).startswith(f"fs-lint: error: pyproject.toml: {expected}")


def test_config_that_is_not_utf8(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pyproject.toml").write_bytes(b"[tool.fs-lint]\n# \xff\n")
    monkeypatch.chdir(tmp_path)
    assert error(capsys) == "fs-lint: error: pyproject.toml: invalid TOML: not UTF-8\n"


def test_option_flags_come_from_the_options_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--help"]) == 0
    help_text = capsys.readouterr().out
    for option in OPTIONS:
        if option.flag:
            assert f"--{option.name}" in help_text
        else:  # a table of entries (the library model's): the config file only
            assert f"--{option.name} " not in help_text and f"--{option.name}\n" not in help_text
    assert "--no-async-requires-check" in help_text
    assert "--no-cache" in help_text


def test_bool_flag_can_turn_a_configured_option_off(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project(tmp_path, "[tool.fs-lint]\nasync-requires-check = true\n")
    config = load_config(tmp_path / "pyproject.toml")
    parser = argparse.ArgumentParser()
    settings_options.add_option_flags(parser)
    assert settings_options.build_settings(config.options, parser.parse_args([])).async_requires_check is True
    args = parser.parse_args(["--no-async-requires-check", "--extend-shutdown-names", "parked, idle"])
    settings = settings_options.build_settings(config.options, args)
    assert settings.async_requires_check is False
    assert settings.shutdown_names == (*DEFAULT_SHUTDOWN_NAMES, "parked", "idle")


def test_a_number_option_becomes_a_float_flag_and_key(monkeypatch: pytest.MonkeyPatch) -> None:
    number = Option("max-pause", "max_pause", "number", "longest pause in seconds")
    monkeypatch.setattr(settings_table, "OPTIONS", (*OPTIONS, number))
    parser = argparse.ArgumentParser()
    settings_options.add_option_flags(parser)
    assert getattr(parser.parse_args(["--max-pause", "2.5"]), settings_options.dest(number)) == 2.5
    with pytest.raises(SystemExit):
        parser.parse_args(["--max-pause", "soon"])
    assert settings_options.config_value(number, 3) == 3.0
    for wrong in (True, "3", float("nan")):
        with pytest.raises(ValueError, match="expected a number"):
            settings_options.config_value(number, wrong)
    assert "max-pause" in known_keys()


def test_an_option_of_an_unknown_kind_is_refused_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings_table, "OPTIONS", (Option("colour", "colour", "rgb", "a colour"),))
    with pytest.raises(ValueError, match="kind 'rgb'"):
        settings_options.add_option_flags(argparse.ArgumentParser())


def test_load_config_without_the_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    with pytest.raises(UsageError, match=r"has no \[tool.fs-lint\] table"):
        load_config(tmp_path / "pyproject.toml")


@pytest.mark.parametrize("option", [o for o in OPTIONS if o.kind == "number"], ids=lambda o: o.name)
def test_number_options_reach_the_settings_as_numbers(option: Option) -> None:
    parser = argparse.ArgumentParser()
    settings_options.add_option_flags(parser)
    from_flag = settings_options.build_settings({}, parser.parse_args([f"--{option.name}", "2.5"]))
    assert getattr(from_flag, option.field) == 2.5
    from_config = settings_options.build_settings({option.name: settings_options.config_value(option, 7)}, None)
    assert getattr(from_config, option.field) == 7.0
