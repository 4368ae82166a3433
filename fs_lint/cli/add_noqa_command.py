"""``fs-lint check --add-noqa``: silence every current finding with a ``# noqa: CODE`` on its line, as ruff does.

For adopting fs-lint on a large code base: the findings of today are marked
in the code, for the team to work through, and CI fails only on new ones.
Each file is written as ``fix`` writes it (atomically, refused if it changed
meanwhile); what a comment cannot silence (no line of its statement can end
in a comment) is said, and left.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass

from ..file_check import check_bytes, describe_source_error
from ..project.noqa_writing import add_noqa_comments
from .errors import (EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, UsageError, print_configuration_warnings,
                     print_file_error, print_stale_temporaries)
from .file_writing import describe_write_error, write_atomically
from .fix_report import plural
from .plan import FileTask, make_plan
from .runner import run_all
from .source_files import describe_read_error, read_source
from .stopping import signals_deferred


@dataclass(frozen=True)
class NoqaReport:
    path: str
    shown: str
    original: bytes = b""  # both empty when nothing changes
    new: bytes = b""
    lines: int = 0  # lines that got a comment or more codes in one
    unsilenced: int = 0  # findings no comment could silence
    error: str | None = None


def add_noqa_to_file(task: FileTask) -> NoqaReport:
    """Runs in a worker process: never raises."""
    try:
        source = read_source(task.path)
    except OSError as error:
        return NoqaReport(task.path, task.shown, error=describe_read_error(error))
    try:
        findings = check_bytes(source, task.settings, task.codes, task.shown)
        if not findings:
            return NoqaReport(task.path, task.shown)
        new, lines = add_noqa_comments(source, findings)
        left = check_bytes(new, task.settings, task.codes, task.shown)
    except Exception as error:
        return NoqaReport(task.path, task.shown, error=describe_source_error(error))
    if new == source:
        return NoqaReport(task.path, task.shown, unsilenced=len(left))
    return NoqaReport(task.path, task.shown, source, new, lines, len(left))


def _refuse_other_modes(args: argparse.Namespace) -> None:
    clashes = [flag for flag, given in (("-", "-" in args.paths or bool(args.stdin_filename)),
                                        ("--disable-noqa", args.disable_noqa), ("--statistics", args.statistics),
                                        ("--output-file", args.output_file is not None),
                                        ("--format", args.format != "default"), ("--exit-zero", args.exit_zero))
               if given]
    if clashes:
        raise UsageError(f"--add-noqa writes the comments into the files and reports nothing: "
                         f"it does not go with {clashes[0]}")


def run_add_noqa(args: argparse.Namespace) -> int:
    _refuse_other_modes(args)
    plan = make_plan(args, os.getcwd())
    if not args.quiet:
        print_configuration_warnings(plan.project.warnings)
    for shown in plan.missing:
        print_file_error(shown, "no such file or directory")
    failed = bool(plan.unreadable)
    for shown, reason in plan.unreadable:
        print_file_error(shown, reason)
    files = comments = unsilenced = 0
    for report in run_all(add_noqa_to_file, plan.tasks, args.jobs):
        if report.error is not None:
            print_file_error(report.shown, report.error)
            failed = True
            continue
        unsilenced += report.unsilenced
        if not report.new:
            continue
        try:
            with signals_deferred():
                stale = write_atomically(report.path, report.new, expected=report.original)
        except OSError as error:
            print_file_error(report.shown, describe_write_error(error).replace("not fixed", "no noqa added"))
            failed = True
            continue
        if not args.quiet:
            print_stale_temporaries(report.shown, stale)
        files += 1
        comments += report.lines
    if not args.quiet:
        left = f"; {plural(unsilenced, 'finding')} no comment could silence" if unsilenced else ""
        sys.stderr.write(f"fs-lint: added noqa to {plural(comments, 'line')} in {plural(files, 'file')}{left}\n")
    if plan.missing:
        return EXIT_USAGE
    return EXIT_FINDINGS if failed or unsilenced else EXIT_CLEAN
