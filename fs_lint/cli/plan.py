"""What a ``check`` or ``fix`` run works on: each file, with the settings and codes to run on it.

Both commands share this, so that they find the same files and agree on
which rules apply to each. Each file is configured by the nearest
``[tool.fs-lint]`` above it (``project.file_settings``), with the command
line on top.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..project.file_rules import Overrides
from ..project.file_settings import ProjectSettings
from ..settings import Settings
from .discovery import discover
from .settings_options import flag_values


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
    project: ProjectSettings
    tasks: list[FileTask] = field(default_factory=list)  # in output order
    missing: list[str] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # directories whose Python files git all ignores
    empty: list[str] = field(default_factory=list)  # directories given with no Python file to check


def command_line_overrides(args: argparse.Namespace) -> Overrides:
    """What the flags say over every configuration file."""
    per_file_ignores = None
    if args.per_file_ignores is not None:  # the command line replaces the config file's table
        per_file_ignores = tuple(pair for value in args.per_file_ignores for pair in value)
    return Overrides(
        select=args.select, extend_select=args.extend_select or (), ignore=args.ignore or (),
        per_file_ignores=per_file_ignores,
        exclude=None if args.exclude is None else tuple(args.exclude), extend_exclude=tuple(args.extend_exclude or ()),
        options=flag_values(args),
    )


def project_settings(args: argparse.Namespace, cwd: str) -> ProjectSettings:
    """Every file's configuration for this run. UsageError for a bad ``--config``."""
    return ProjectSettings(Path(cwd), args.config, args.isolated, command_line_overrides(args))


class _ProjectExclusion:
    """``exclude`` of the configuration that governs each folder (``discovery.Exclusion``).

    A folder is judged by the configuration of the folder it is in, as ruff does,
    and a file by its own.
    """

    def __init__(self, project: ProjectSettings) -> None:
        self._project = project

    def excludes(self, path: str) -> bool:
        return self._project.rules_for(path).excludes(path)

    def excludes_exactly(self, path: str) -> bool:
        return self._project.rules_for(path).excludes_exactly(path)


def _task(project: ProjectSettings, path: str, shown: str, args: argparse.Namespace) -> FileTask:
    rules = project.rules_for(path)
    return FileTask(path, shown, rules.selection.codes_for(path), rules.settings, args.disable_noqa)


def make_plan(args: argparse.Namespace, cwd: str) -> Plan:
    """Read the configuration, merge the command line into it, find the files. UsageError when wrong."""
    project = project_settings(args, cwd)
    found = discover(args.paths, cwd, _ProjectExclusion(project), args.force_exclude)
    tasks = [_task(project, c.path, c.shown, args) for c in found.files]
    tasks.sort(key=lambda task: task.shown)
    return Plan(project, tasks, found.missing, found.unreadable, found.ignored, found.empty)


def make_stdin_plan(args: argparse.Namespace, cwd: str, filename: str | None) -> Plan:
    """One task for the buffer on stdin, configured as the file ``filename`` would be (``-`` without one).

    An editor passes the buffer's path: its configuration and per-file-ignores
    apply, and under ``--force-exclude`` an excluded path gets no task at all.
    """
    project = project_settings(args, cwd)
    shown = os.path.normpath(filename) if filename else "-"
    path = os.path.normpath(os.path.join(cwd, shown))
    plan = Plan(project)
    if filename and args.force_exclude and project.rules_for(path).excludes(path):
        return plan
    plan.tasks.append(_task(project, path, shown, args))
    return plan
