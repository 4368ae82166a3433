"""``fs-lint fix``: apply the rules' fixes in place, or show them as a diff.

The codemods (and libcst) are imported in the worker only, so that ``check``
never pays for them. Findings silenced by ``# noqa`` are not rewritten: the
fixer is asked to skip them.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from dataclasses import dataclass
from typing import Any, Callable, TextIO

from ..checker import codes_that_may_fire
from ..syntax.parsing import parse_module
from ..file_check import describe_source_error
from ..findings import Finding
from ..project.noqa import drop_silenced, file_is_exempt, silenced_by
from ..rules import RULES
from .check_command import reads_stdin
from .errors import (EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, UsageError, print_empty_directories, print_file_error,
                     print_configuration_warnings, print_ignored_directories, print_stale_temporaries, print_warning)
from .colour import Palette, wants_colour
from .file_writing import describe_write_error, write_atomically
from .fix_report import plural, refusal_line, summary, unified_diff
from .plan import FileTask, make_plan, make_stdin_plan
from .progress import TerminalProgress
from .runner import run_all
from .source_files import NOTEBOOK, describe_read_error, is_notebook, read_source
from .stopping import signals_deferred


@dataclass(frozen=True)
class FixTask:
    file: FileTask
    unsafe: bool


@dataclass(frozen=True)
class FixReport:
    path: str
    shown: str
    original: bytes = b""  # both empty when nothing changed: a run keeps every report until it prints
    fixed: bytes = b""
    applied: tuple[Finding, ...] = ()
    refused: tuple[Any, ...] = ()  # fixing.Refusal: line, col, code, reason
    remaining: tuple[Finding, ...] = ()
    error: str | None = None
    notes: tuple[tuple[Finding, str], ...] = ()  # what an applied fix did besides the fix, for --show-fixes

    @property
    def changed(self) -> bool:
        return self.error is None and self.fixed != self.original


def load_fix_source() -> Callable[..., Any]:
    from ..fixing import fix_source

    return fix_source


def fix_file(task: FixTask) -> FixReport:
    """Runs in a worker process: never raises, a file that cannot be fixed becomes an error report."""
    file = task.file
    try:
        source = read_source(file.path)
    except OSError as error:
        return FixReport(file.path, file.shown, error=describe_read_error(error))
    return fix_source_of(task, source)


def fix_source_of(task: FixTask, source: bytes) -> FixReport:
    """Fix one file's bytes (read from disk or stdin); never raises."""
    file = task.file
    extra: dict[str, Any] = {}
    if not file.disable_noqa and b"noqa" in source.lower():
        extra["skip"] = silenced_by(source)
    try:
        with warnings.catch_warnings():  # the compiler's warnings about the code (``"\\d"``) are not ours to raise
            warnings.simplefilter("ignore")
            if (not file.disable_noqa and file_is_exempt(source)) or not codes_that_may_fire(source, file.codes, file.settings):
                parse_module(source, file.shown)  # nothing to fix, but a file that does not parse is reported
                return FixReport(file.path, file.shown)
            result = load_fix_source()(source, file.settings, file.codes, task.unsafe, file.shown, **extra)
    except Exception as error:  # bad input as for check; our own bugs too, per file
        return FixReport(file.path, file.shown, error=describe_source_error(error))
    remaining = result.remaining if file.disable_noqa else drop_silenced(result.source, list(result.remaining))
    if result.source == source:  # the usual case: carry no copy of the file back (nor through a worker's pipe)
        return FixReport(file.path, file.shown, refused=tuple(result.refused), remaining=tuple(remaining))
    notes = tuple((finding, note) for finding, said in result.notes.items() for note in said)
    return FixReport(file.path, file.shown, source, result.source, tuple(result.applied),
                     tuple(result.refused), tuple(remaining), notes=notes)


def _one_per_real_file(tasks: list[FileTask]) -> list[FileTask]:
    """A file reached through a symbolic link and by its own name is fixed once, under the first name."""
    seen: set[str] = set()
    unique = []
    for task in tasks:
        real = os.path.realpath(task.path)
        if real not in seen:
            seen.add(real)
            unique.append(task)
    return unique


def _applied_lines(report: FixReport) -> str:
    """Each fix applied, and under it what else it did (a comment it made false, removed)."""
    lines = []
    for f in sorted(report.applied):
        lines.append(f"    {report.shown}:{f.line}:{f.col + 1}: {f.code} {rule_name(f.code)}\n")
        lines += [f"        {note}\n" for finding, note in report.notes if finding == f]
    return "".join(lines)


def rule_name(code: str) -> str:
    return RULES[code].name if code in RULES else ""


def _exit_status(args: argparse.Namespace, failed: bool, changed: bool, left: bool) -> int:
    """1 for a file that could not be fixed, whatever the flags; then --exit-zero; then what each mode asks."""
    if failed:
        return EXIT_FINDINGS
    if args.exit_zero:
        return EXIT_CLEAN
    if args.check:
        return EXIT_FINDINGS if changed else EXIT_CLEAN
    if args.diff:
        return EXIT_CLEAN
    return EXIT_FINDINGS if left else EXIT_CLEAN


def _run_fix_stdin(args: argparse.Namespace) -> int:
    """``fs-lint fix - --stdin-filename PATH``: the fixed buffer on stdout, everything else on stderr.

    A buffer that cannot be fixed (a syntax error) comes back unchanged, so an
    editor that replaces its buffer with the output loses nothing.
    """
    plan = make_stdin_plan(args, os.getcwd(), args.stdin_filename)
    source = sys.stdin.buffer.read()
    if not plan.tasks:  # excluded under --force-exclude
        sys.stdout.buffer.write(b"" if args.diff or args.check else source)
        return EXIT_CLEAN
    task = plan.tasks[0]
    if is_notebook(task.shown):
        report = FixReport(task.path, task.shown, error=NOTEBOOK)
    else:
        report = fix_source_of(FixTask(task, args.unsafe_fixes), source)
    if report.error is not None:
        print_file_error(report.shown, report.error)
        if not (args.diff or args.check):
            sys.stdout.buffer.write(source)
        return EXIT_FINDINGS
    for refusal in sorted(report.refused, key=lambda r: (r.line, r.col, r.code)):
        sys.stderr.write(refusal_line(report.shown, refusal.line, refusal.col, refusal.code, refusal.reason))
    if args.diff or args.check:
        sys.stdout.write(unified_diff(report.shown, report.original, report.fixed) if report.changed else "")
    else:
        sys.stdout.buffer.write(report.fixed if report.changed else source)
    sys.stdout.flush()
    if not args.quiet:
        if args.show_fixes and report.changed:
            sys.stderr.write(_applied_lines(report))
        sys.stderr.write(summary(int(report.changed), len(report.applied), len(report.remaining),
                                 args.diff or args.check))
    return _exit_status(args, False, report.changed, bool(report.remaining))


def _write_or_show(report: FixReport, args: argparse.Namespace, preview: bool, notes: TextIO) -> bool:
    """Write the fixed file (or print its diff), then its header line; False when it could not be written."""
    if preview:
        sys.stdout.write(unified_diff(report.shown, report.original, report.fixed))
    else:
        try:
            with signals_deferred():  # a stop waits for this one file to be whole
                stale = write_atomically(report.path, report.fixed, expected=report.original)
        except OSError as error:
            print_file_error(report.shown, describe_write_error(error))
            return False
        if not args.quiet:
            print_stale_temporaries(report.shown, stale)
    if not args.quiet:
        verb = "would fix" if preview else "fixed"
        paint = Palette(wants_colour(args.color, notes))
        notes.write(f"{paint('good', verb)} {paint('path', report.shown)} "
                    f"({plural(len(report.applied), 'fix', 'fixes')})\n")
        if args.show_fixes:
            notes.write(_applied_lines(report))
    return True


def run_fix(args: argparse.Namespace) -> int:
    if reads_stdin(args):
        return _run_fix_stdin(args)
    if "-" in args.paths:
        raise UsageError("'-' (stdin) must be the only path")
    plan = make_plan(args, os.getcwd())
    preview = args.diff or args.check
    tasks = [FixTask(task, args.unsafe_fixes) for task in _one_per_real_file(plan.tasks)]
    progress = TerminalProgress.for_stream(sys.stderr, "fixing")
    try:
        reports = run_all(fix_file, tasks, args.jobs, progress)
    finally:
        if progress is not None:
            progress.close()
    if not args.quiet:
        print_configuration_warnings(plan.project.warnings)
        print_ignored_directories(plan.ignored)
        print_empty_directories(plan.empty)
        if not plan.tasks and not plan.missing:
            print_warning("no Python files found under the given paths; nothing was checked")
    for shown in plan.missing:
        print_file_error(shown, "no such file or directory")
    for shown, reason in plan.unreadable:
        print_file_error(shown, reason)
    notes = sys.stderr if preview else sys.stdout  # with a diff, stdout stays a patch
    changed = fixes = left = 0
    failed = bool(plan.unreadable)
    for report in reports:
        if report.error is not None:
            print_file_error(report.shown, report.error)
            failed = True
            continue
        left += len(report.remaining)
        if report.changed:
            if _write_or_show(report, args, preview, notes):
                changed += 1
                fixes += len(report.applied)
            else:
                failed = True
                left += len(report.applied)
        for refusal in sorted(report.refused, key=lambda r: (r.line, r.col, r.code)):  # under the file's header
            notes.write(refusal_line(report.shown, refusal.line, refusal.col, refusal.code, refusal.reason,
                                     Palette(wants_colour(args.color, notes))))
    sys.stdout.flush()
    if not args.quiet and plan.tasks:  # nothing was fixed when nothing was found: the warning or error said so
        notes.write(summary(changed, fixes, left, preview))
    notes.flush()
    if plan.missing:
        return EXIT_USAGE
    return _exit_status(args, failed, changed > 0, left > 0)
