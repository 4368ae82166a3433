"""``fs-lint check``: report findings, exit 0 when there are none."""

from __future__ import annotations

import argparse
import os
import sys

from ..checker import check_source
from .errors import EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, print_file_error, print_ignored_directories
from ..project.noqa import drop_silenced
from .output_formats import FORMATS, FileReport
from .plan import FileTask, make_plan
from .runner import run_all
from .source_files import describe_read_error, describe_source_error, read_source


def check_file(task: FileTask) -> FileReport:
    """Runs in a worker process: never raises, a file that cannot be checked becomes an error report."""
    try:
        source = read_source(task.path)
    except OSError as error:
        return FileReport(task.path, task.shown, error=describe_read_error(error))
    try:
        findings = check_source(source, task.settings, task.codes, filename=task.shown)
    except Exception as error:  # SyntaxError, ValueError, RecursionError, MemoryError; our own bugs too
        return FileReport(task.path, task.shown, error=describe_source_error(error))
    if not task.disable_noqa:
        findings = drop_silenced(source, findings)
    return FileReport(task.path, task.shown, tuple(findings))


def run_check(args: argparse.Namespace) -> int:
    cwd = os.getcwd()
    plan = make_plan(args, cwd)
    reports = run_all(check_file, plan.tasks, args.jobs)
    reports += [FileReport(os.path.join(cwd, shown), shown, error=reason) for shown, reason in plan.unreadable]
    reports += [FileReport(os.path.join(cwd, shown), shown, error="no such file or directory")
                for shown in plan.missing]
    reports.sort(key=lambda report: report.shown)
    print_ignored_directories(plan.ignored)
    for report in reports:
        if report.error is not None:
            print_file_error(report.shown, report.error)
    sys.stdout.write(FORMATS[args.format](reports, cwd))
    sys.stdout.flush()
    if plan.missing:
        return EXIT_USAGE
    failed = any(report.findings or report.error is not None for report in reports)
    return EXIT_FINDINGS if failed else EXIT_CLEAN
