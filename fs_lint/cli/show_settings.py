"""``fs-lint check --show-settings FILE``: what fs-lint will use on one file, and where each value came from.

Printed as the ``[tool.fs-lint]`` table it amounts to, one key a line, each
with a comment naming its source: the default, the configuration file, or
the command-line flag. Then what that means for the file: the codes run on
it, the per-file-ignores that apply, whether it is excluded or test code.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any, Iterator

from ..project.config_file import Config, known_keys
from ..project.file_rules import FileRules
from ..project.option_values import options
from ..project.selection import DEFAULT_SELECT
from ..settings import Settings
from ..test_files import is_example_path, is_test_path
from .errors import EXIT_CLEAN, UsageError
from .plan import project_settings

_CONFIG_FIELDS = {"select": "select", "extend-select": "extend_select", "ignore": "ignore",
                  "per-file-ignores": "per_file_ignores", "exclude": "exclude", "extend-exclude": "extend_exclude"}


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + " }" if value else "{}"
    return json.dumps(value, ensure_ascii=False)


def _default(key: str) -> Any:
    if key == "select":
        return list(DEFAULT_SELECT)
    if key == "per-file-ignores":
        return {}
    if key in _CONFIG_FIELDS:
        return []
    option = next(o for o in options() if o.name == key)
    return [] if option.extends else getattr(Settings(), option.field)


def _config_value(config: Config, key: str) -> Any:
    """What the configuration file gives ``key``, None when it does not."""
    if config.path is None:
        return None
    if key in _CONFIG_FIELDS:
        value = getattr(config, _CONFIG_FIELDS[key])
        if key == "select":
            return value
        if key == "per-file-ignores":
            return dict(value) if value else None
        return value or None
    return config.options.get(key)


def _flag_value(rules: FileRules, key: str) -> tuple[Any, str] | None:
    """What the command line gives ``key``, and how it combines with the file's: None when it does not."""
    given = rules.overrides
    if key == "select":
        return (given.select, "replaces the file's") if given.select is not None else None
    if key in ("extend-select", "ignore", "extend-exclude"):
        value = getattr(given, key.replace("-", "_"))
        return (value, "added") if value else None
    if key == "per-file-ignores":
        return (dict(given.per_file_ignores), "replaces the file's") if given.per_file_ignores is not None else None
    if key == "exclude":
        return (given.exclude, "replaces the file's") if given.exclude is not None else None
    if key in given.options:
        option = next(o for o in options() if o.name == key)
        return given.options[key], "added" if option.extends else "wins"
    return None


def _lines(rules: FileRules, cwd: str) -> Iterator[str]:
    config = rules.config
    source = os.path.relpath(config.path, cwd) if config.path is not None else None
    for key in known_keys():
        from_file = _config_value(config, key)
        from_flag = _flag_value(rules, key)
        if from_file is None and from_flag is None:
            yield f"{key} = {_toml(_default(key))}  # default"
        if from_file is not None:
            yield f"{key} = {_toml(from_file)}  # {source}"
        if from_flag is not None:
            value, how = from_flag
            yield f"{key} = {_toml(value)}  # --{key} ({how})"


def _about_the_file(rules: FileRules, path: str, shown: str) -> Iterator[str]:
    codes = rules.selection.codes_for(path)
    dropped = sorted(code for code in rules.selection.enabled if code not in codes)
    yield f"# codes run on it: {', '.join(codes) if codes else 'none'}"
    if dropped:
        yield f"# left out by per-file-ignores: {', '.join(dropped)}"
    if rules.excludes(path):
        yield "# excluded: yes: not checked when found in a folder, nor when named under --force-exclude"
    if is_test_path(shown) and not rules.settings.include_tests:
        yield "# test code: no findings are reported in it unless include-tests = true"
    if is_example_path(shown) and not rules.settings.include_examples:
        yield "# an example: no findings are reported in it unless include-examples = true"
    if not rules.settings.include_vendored:
        from ..model.vendored_code import vendored_folder

        folder = vendored_folder(path)
        if folder is not None:
            yield (f"# vendored: {folder.name}/ holds other people's libraries; no findings are reported in it "
                   "unless include-vendored = true")
    if not rules.settings.include_backups:
        from ..model.set_aside_copies import set_aside_copy

        why = set_aside_copy(path)
        if why is not None:
            yield f"# kept aside: {why}; no findings are reported in it unless include-backups = true"


def _sources(rules: FileRules, key: str) -> int:
    return (_config_value(rules.config, key) is not None) + (_flag_value(rules, key) is not None)


def _resolved(rules: FileRules) -> Iterator[str]:
    """The options that more than one line above makes up (an ``extend-*`` key, or a file's value and a flag)."""
    for option in options():
        related = [o for o in options() if o.field == option.field]
        combined = sum(_sources(rules, o.name) for o in related) > 1
        extended = any(o.extends and _sources(rules, o.name) for o in related)
        if not option.extends and (combined or extended):
            yield f"# so {option.name} is {_toml(getattr(rules.settings, option.field))}"


def show_settings(args: argparse.Namespace) -> int:
    """Print the settings of the one PATH given; a folder shows what its own files get."""
    if len(args.paths) != 1 or args.paths == ["-"]:
        raise UsageError("--show-settings takes one PATH: the file (or folder) whose settings to show")
    cwd = os.getcwd()
    given = args.paths[0]
    path = os.path.normpath(os.path.join(cwd, given))
    if not os.path.lexists(path):
        raise UsageError(f"{given}: no such file or directory")
    project = project_settings(args, cwd)
    folder = os.path.isdir(path)
    rules = project.rules_for_directory(path) if folder else project.rules_for(path)
    config = rules.config
    if args.isolated:
        origin = "none (--isolated): the defaults and the flags"
    elif config.path is None:
        origin = "none: no pyproject.toml with [tool.fs-lint] above it or the working directory"
    else:
        origin = f"{os.path.relpath(config.path, cwd)} [tool.fs-lint]" + (" (--config)" if args.config else "")
    lines = [f"# fs-lint settings for {os.path.normpath(given)}{' (its files)' if folder else ''}",
             f"# configuration: {origin}", *project.warnings_as_comments(), *_lines(rules, cwd)]
    if not folder:
        lines += _about_the_file(rules, path, os.path.normpath(given))
    lines += _resolved(rules)
    print("\n".join(lines))
    return EXIT_CLEAN
