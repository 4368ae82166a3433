"""``fs-lint check``: report findings, exit 0 when there are none (or under ``--exit-zero``)."""

from __future__ import annotations

import argparse
import os
import sys

from ..file_check import check_bytes, describe_source_error, error_line
from .check_summary import statistics, summary
from .errors import (EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, UsageError, print_empty_directories,
                     print_file_error, print_ignored_directories, print_warning)
from .output_formats import FORMATS, FileReport, render_explained
from .output_file import open_output
from .plan import FileTask, Plan, make_plan, make_stdin_plan
from .runner import run_all
from .source_files import describe_read_error, read_source


def check_source_of(task: FileTask, source: bytes) -> FileReport:
    """Never raises: a file that cannot be checked becomes an error report."""
    try:
        findings = check_bytes(source, task.settings, task.codes, task.shown, task.disable_noqa)
    except Exception as error:  # SyntaxError, ValueError, RecursionError, MemoryError; our own bugs too
        return FileReport(task.path, task.shown, error=describe_source_error(error), error_line=error_line(error))
    return FileReport(task.path, task.shown, tuple(findings))


def check_file(task: FileTask) -> FileReport:
    """Runs in a worker process: never raises, a file that cannot be checked becomes an error report."""
    try:
        source = read_source(task.path)
    except OSError as error:
        return FileReport(task.path, task.shown, error=describe_read_error(error))
    return check_source_of(task, source)


def reads_stdin(args: argparse.Namespace) -> bool:
    """``fs-lint check -``, or ``--stdin-filename PATH`` with no path: the buffer comes on stdin."""
    return args.paths == ["-"] or (bool(args.stdin_filename) and not args.paths)


def _reports(args: argparse.Namespace, cwd: str) -> tuple[Plan, list[FileReport]]:
    if reads_stdin(args):
        plan = make_stdin_plan(args, cwd, args.stdin_filename)
        source = sys.stdin.buffer.read()
        return plan, [check_source_of(task, source) for task in plan.tasks]
    if "-" in args.paths:
        raise UsageError("'-' (stdin) must be the only path")
    plan = make_plan(args, cwd)
    reports = run_all(check_file, plan.tasks, args.jobs)
    reports += [FileReport(os.path.join(cwd, shown), shown, error=reason) for shown, reason in plan.unreadable]
    reports += [FileReport(os.path.join(cwd, shown), shown, error="no such file or directory")
                for shown in plan.missing]
    reports.sort(key=lambda report: report.shown)
    return plan, reports


def run_check(args: argparse.Namespace) -> int:
    cwd = os.getcwd()
    plan, reports = _reports(args, cwd)
    if not args.quiet:
        print_ignored_directories(plan.ignored)
        print_empty_directories(plan.empty)
    for report in reports:
        if report.error is not None:
            print_file_error(report.shown, report.error)
    nothing_checked = not reports and not plan.missing
    if nothing_checked and not args.quiet and not reads_stdin(args):
        print_warning("no Python files found under the given paths; nothing was checked")
    with open_output(args.output_file) as out:
        if args.statistics:
            out.write(statistics(reports))
        elif args.explain and args.format == "default":
            out.write(render_explained(reports, cwd))
        else:
            out.write(FORMATS[args.format](reports, cwd))
    if not args.quiet and not nothing_checked and not plan.missing:
        # on stderr, so that stdout stays a list of findings (flake8's lines, or a JSON or SARIF document)
        sys.stderr.write(summary(reports))
    if plan.missing:
        return EXIT_USAGE
    if any(report.error is not None for report in reports):
        return EXIT_FINDINGS  # not checked is not clean, --exit-zero or not
    if args.exit_zero:
        return EXIT_CLEAN
    return EXIT_FINDINGS if any(report.findings for report in reports) else EXIT_CLEAN
