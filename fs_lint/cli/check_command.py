"""``fs-lint check``: report findings, exit 0 when there are none (or under ``--exit-zero``)."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass

from .check_summary import statistics, summary
from .errors import (EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, UsageError, print_empty_directories,
                     print_file_error, print_configuration_warnings, print_ignored_directories, print_warning,
                     stderr_palette)
from .colour import Palette, wants_colour
from .output_formats import FORMATS, FileReport, render_default
from .output_file import open_output
from .plan import FileTask, Plan, make_plan, make_stdin_plan
from .result_cache import ResultCache, forget as forget_results, save_all as save_results
from .runner import run_all
from .source_files import NOTEBOOK, describe_read_error, is_notebook, read_source


@dataclass(frozen=True)
class CheckTask:
    file: FileTask
    fixability: bool  # whether the output shows which findings ``fix`` will fix ([*], "N fixable")


def check_source_of(task: CheckTask, source: bytes) -> FileReport:
    """Never raises: a file that cannot be checked becomes an error report."""
    from ..file_check import check_bytes_keeping, describe_source_error, error_line  # not for a cached report
    from ..fixability import fixability

    file = task.file
    try:
        findings, checked = check_bytes_keeping(source, file.settings, file.codes, file.shown, file.disable_noqa)
    except Exception as error:  # SyntaxError, ValueError, RecursionError, MemoryError; our own bugs too
        return FileReport(file.path, file.shown, error=describe_source_error(error), error_line=error_line(error))
    try:
        if not task.fixability:
            return FileReport(file.path, file.shown, tuple(findings))
        fixable = fixability(source, file.settings, file.codes, file.shown, findings, file.disable_noqa, checked)
        return FileReport(file.path, file.shown, tuple(findings), fixable=fixable.safe,
                          unsafe_fixable=fixable.unsafe, fixability_unknown=fixable.unknown)
    finally:
        if checked is not None:
            checked.analysis.release()


def check_file(task: CheckTask) -> tuple[FileReport, str | None]:
    """Runs in a worker process: never raises, a file that cannot be checked becomes an error report.
    A report of the same bytes, task and project is read back from the result cache; one worked out
    now comes with the key the main process keeps it under (None: nothing to keep)."""
    try:
        source = read_source(task.file.path)
    except OSError as error:
        return FileReport(task.file.path, task.file.shown, error=describe_read_error(error)), None
    if not task.file.settings.cache:
        return check_source_of(task, source), None
    cache = ResultCache.for_file(task.file.path)
    key = cache.key(repr(task), source)
    if key is None:
        return check_source_of(task, source), None
    report = cache.read(key, task.file.path, task.file.shown)
    if report is not None:
        return report, None
    return check_source_of(task, source), key


def _keep_results(outcomes: list[tuple[FileReport, str | None]]) -> list[FileReport]:
    """The reports; those worked out in this run go into their project's pack, written once."""
    for report, key in outcomes:
        if key is not None:
            ResultCache.for_file(report.path).keep(key, report)
    save_results()
    return [report for report, _ in outcomes]


def _start_afresh() -> None:
    """A run sees the project as it is now, also after an earlier run in this process (a test, an editor
    that calls ``check`` in-process): the results' fingerprint is taken again and a program model kept
    from then is dropped (worker processes start fresh anyway)."""
    forget_results()
    shared = sys.modules.get("fs_lint.model.shared")  # imported only if a program was ever built
    if shared is not None:
        shared.forget_programs()


def _shows_fixability(args: argparse.Namespace) -> bool:
    """The markers, the JSON field and the summary need the fixer's answer; SARIF and GitHub under -q do not."""
    return not (args.quiet and args.format in ("sarif", "github") and not args.statistics)


def reads_stdin(args: argparse.Namespace) -> bool:
    """``fs-lint check -``, or ``--stdin-filename PATH`` with no path: the buffer comes on stdin."""
    return args.paths == ["-"] or (bool(args.stdin_filename) and not args.paths)


def _reports(args: argparse.Namespace, cwd: str) -> tuple[Plan, list[FileReport]]:
    _start_afresh()
    if reads_stdin(args):
        plan = make_stdin_plan(args, cwd, args.stdin_filename)
        source = sys.stdin.buffer.read()
        return plan, [FileReport(task.path, task.shown, error=NOTEBOOK) if is_notebook(task.shown)
                      else check_source_of(CheckTask(task, _shows_fixability(args)), source) for task in plan.tasks]
    if "-" in args.paths:
        raise UsageError("'-' (stdin) must be the only path")
    plan = make_plan(args, cwd)
    reports = _keep_results(run_all(check_file, [CheckTask(task, _shows_fixability(args)) for task in plan.tasks],
                                    args.jobs))
    reports += [FileReport(os.path.join(cwd, shown), shown, error=reason) for shown, reason in plan.unreadable]
    reports += [FileReport(os.path.join(cwd, shown), shown, error="no such file or directory")
                for shown in plan.missing]
    reports.sort(key=lambda report: report.shown)
    return plan, reports


def run_check(args: argparse.Namespace) -> int:
    if args.show_settings:
        from .show_settings import show_settings

        return show_settings(args)
    if args.add_noqa:
        from .add_noqa_command import run_add_noqa

        return run_add_noqa(args)
    cwd = os.getcwd()
    plan, reports = _reports(args, cwd)
    if not args.quiet:
        print_configuration_warnings(plan.project.warnings)
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
        elif args.format == "default":
            on_terminal = args.output_file is None and wants_colour(args.color, sys.stdout)
            out.write(render_default(reports, cwd, Palette(on_terminal), explain=args.explain))
        else:
            out.write(FORMATS[args.format](reports, cwd))
    if not args.quiet and not nothing_checked and not plan.missing:
        # on stderr, so that stdout stays a list of findings (flake8's lines, or a JSON or SARIF document)
        sys.stderr.write(summary(reports, stderr_palette()))
    if plan.missing:
        return EXIT_USAGE
    if any(report.error is not None for report in reports):
        return EXIT_FINDINGS  # not checked is not clean, --exit-zero or not
    if args.exit_zero:
        return EXIT_CLEAN
    return EXIT_FINDINGS if any(report.findings for report in reports) else EXIT_CLEAN
