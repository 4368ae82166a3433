"""What a ``check`` or ``fix`` run works on: each file, with the settings and codes to run on it.

Both commands share this, so that they find the same files and agree on
which rules apply to each.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..settings import Settings
from ..project.config_file import Config, resolve_config
from .discovery import discover
from ..project.path_patterns import PathPattern
from ..project.selection import Layer, PerFileIgnore, Selection
from .settings_options import build_settings


@dataclass(frozen=True)
class FileTask:
    """One file's work, small and picklable: it is sent to a worker process as it is."""

    path: str
    shown: str
    codes: tuple[str, ...]
    settings: Settings
    disable_noqa: bool


@dataclass
class Plan:
    config: Config
    tasks: list[FileTask] = field(default_factory=list)  # in output order
    missing: list[str] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # directories whose Python files git all ignores
    empty: list[str] = field(default_factory=list)  # directories given with no Python file to check


def _per_file_ignores(config: Config, args: argparse.Namespace, cwd: str) -> list[PerFileIgnore]:
    if args.per_file_ignores is not None:  # the command line replaces the config file's table
        pairs = [pair for value in args.per_file_ignores for pair in value]
        base = cwd
    else:
        pairs, base = list(config.per_file_ignores), str(config.root)
    return [PerFileIgnore(PathPattern(pattern, base), codes) for pattern, codes in pairs]


def _exclude(config: Config, args: argparse.Namespace, cwd: str) -> list[PathPattern]:
    """``--exclude`` replaces the configured ``exclude``; both ``extend-exclude`` lists add to it."""
    root = str(config.root)
    if args.exclude is not None:
        patterns = [PathPattern(pattern, cwd) for pattern in args.exclude]
    else:
        patterns = [PathPattern(pattern, root) for pattern in config.exclude]
    patterns += [PathPattern(pattern, root) for pattern in config.extend_exclude]
    return patterns + [PathPattern(pattern, cwd) for pattern in args.extend_exclude or ()]


def _selection(config: Config, args: argparse.Namespace, cwd: str) -> Selection:
    return Selection(
        [Layer(config.select, config.extend_select, config.ignore),
         Layer(args.select, args.extend_select or (), args.ignore or ())],
        _per_file_ignores(config, args, cwd),
    )


def make_plan(args: argparse.Namespace, cwd: str) -> Plan:
    """Read the configuration, merge the command line into it, find the files. UsageError when wrong."""
    config = resolve_config(args.config, args.isolated, Path(cwd))
    selection = _selection(config, args, cwd)
    settings = build_settings(config.options, args)
    found = discover(args.paths, cwd, _exclude(config, args, cwd), args.force_exclude)
    tasks = [FileTask(c.path, c.shown, selection.codes_for(c.path), settings, args.disable_noqa)
             for c in found.files]
    tasks.sort(key=lambda task: task.shown)
    return Plan(config, tasks, found.missing, found.unreadable, found.ignored, found.empty)


def make_stdin_plan(args: argparse.Namespace, cwd: str, filename: str | None) -> Plan:
    """One task for the buffer on stdin, configured as the file ``filename`` would be (``-`` without one).

    An editor passes the buffer's path: its per-file-ignores apply, and under
    ``--force-exclude`` an excluded path gets no task at all.
    """
    config = resolve_config(args.config, args.isolated, Path(cwd))
    selection = _selection(config, args, cwd)
    settings = build_settings(config.options, args)
    shown = os.path.normpath(filename) if filename else "-"
    path = os.path.normpath(os.path.join(cwd, shown))
    plan = Plan(config)
    if filename and args.force_exclude and any(p.matches(path) for p in _exclude(config, args, cwd)):
        return plan
    plan.tasks.append(FileTask(path, shown, selection.codes_for(path), settings, args.disable_noqa))
    return plan
