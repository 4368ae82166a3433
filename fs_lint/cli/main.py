"""``fs-lint``: the argument parser, and the dispatch to each command."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Callable, NoReturn, Sequence, TypeVar

from .. import __version__
from .colour import CHOICES, Palette, wants_colour
from .errors import EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, UsageError, colour_stderr, print_error
from .stopping import EXIT_INTERRUPTED, EXIT_TERMINATED, Terminated, stop_on_signals

T = TypeVar("T")

EXIT_STATUS = """\
exit status:
  0  no finding, or --exit-zero (fix: none left; fix --check: nothing would change, even if
     findings without a fix are left; fix --diff: always, unless a file could not be read);
     also when no Python file was found at all (with a warning), as in ruff
  1  findings (fix: some left; fix --check: changes pending), or a file that could not be
     read, parsed or written (even under --exit-zero)
  2  usage or configuration error (an unknown code too), or a path that does not exist
  130, 143  stopped by Ctrl-C or SIGTERM (at once, with its workers; no file is left half-written)
"""

# The keys of output_formats.FORMATS (tests/test_probe_units.py checks it), named here so that
# building the parser does not import the rules that the formats' writers need.
FORMAT_NAMES = ("default", "json", "sarif", "github")

DESCRIPTION = "Find the retry loops that keep a service alive after it was told to stop."


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, which every ``add_argument`` makes (to check a metavar), and which imports
    ``shutil`` to learn the terminal's width: asked here as ``shutil`` asks it, without that import
    (a few milliseconds of every run, pre-commit's and the editor's too)."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position, _terminal_columns() - 2 if width is None else width)


class _RawDescriptionHelpFormatter(_HelpFormatter, argparse.RawDescriptionHelpFormatter):
    """``argparse.RawDescriptionHelpFormatter``, as ``_HelpFormatter`` asks the width."""


def _terminal_columns() -> int:
    """``shutil.get_terminal_size().columns``: ``COLUMNS``, else the terminal's, else 80."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class _OneLineErrors(argparse.ArgumentParser):
    """A usage error is one line naming the flag and why, and where the help is: not a page of usage."""

    def __init__(self, *args, formatter_class: type[argparse.HelpFormatter] = _HelpFormatter, **kwargs) -> None:
        super().__init__(*args, formatter_class=formatter_class, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (`{self.prog} --help` lists the options)\n")


def _handler(module: str, name: str) -> Callable[[argparse.Namespace], int]:
    """A command's function, imported when that command runs.

    The rules and the analysis take a fifth of a second to import: ``--version``, ``--help``
    and ``fs-lint probe`` (whose start-up is the service's) do not pay for them.
    """
    def run(args: argparse.Namespace) -> int:
        return getattr(importlib.import_module(f"{__package__}.{module}"), name)(args)
    run.__name__ = name
    return run


def _argument_type(parse: Callable[[str], T]) -> Callable[[str], T]:
    """argparse shows an ArgumentTypeError's own words; a ValueError would become "invalid value"."""
    def convert(text: str) -> T:
        try:
            return parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
    return convert


def _selection_parser(name: str) -> Callable[[str], T]:
    """``fs_lint.project.selection``'s parser ``name``, imported when a flag needs it (it knows the rules)."""
    def parse(text: str) -> T:
        from ..project import selection

        return getattr(selection, name)(text)
    return _argument_type(parse)


def _jobs(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"expected a number of processes, 1 or more, got {text!r}")
    return int(text)


def _patterns(text: str) -> list[str]:
    return [pattern.strip() for pattern in text.split(",") if pattern.strip()]


def _add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """What ``check`` and ``fix`` share: paths, configuration, rule selection, noqa, parallelism."""
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="files and directories to check (default: the current directory; inside a git "
                             "checkout, the files git tracks or would track)")
    config = parser.add_mutually_exclusive_group()
    config.add_argument("--config", metavar="FILE",
                        help="read [tool.fs-lint] from FILE instead of the nearest pyproject.toml that has it")
    config.add_argument("--isolated", action="store_true", help="ignore configuration files")
    selection = parser.add_argument_group("rule selection", "codes and prefixes, comma-separated, e.g. FSR001,FSR0")
    selection.add_argument("--select", type=_selection_parser("split_selection"), metavar="CODES",
                           help="the codes to enable, instead of the configured ones (default: FSR)")
    selection.add_argument("--extend-select", type=_selection_parser("split_codes"), metavar="CODES",
                           help="more codes to enable, on top of the selection")
    selection.add_argument("--ignore", type=_selection_parser("split_codes"), metavar="CODES",
                           help="codes to disable, on top of the configured ones; the longest matching "
                                "prefix decides between --select and --ignore")
    selection.add_argument("--per-file-ignores", type=_selection_parser("parse_per_file_ignores"), action="append",
                           metavar="'PATTERN:CODES ...'",
                           help="codes to disable in files matching a glob, flake8's syntax; "
                                "replaces the configured table")
    files = parser.add_argument_group("file selection")
    files.add_argument("--exclude", type=_patterns, metavar="PATTERNS",
                       help="globs of files and directories to skip while looking for files; "
                            "replaces the configured list")
    files.add_argument("--extend-exclude", type=_patterns, metavar="PATTERNS",
                       help="more globs to skip, added to the configured exclude (and to --exclude)")
    files.add_argument("--force-exclude", action="store_true",
                       help="apply the exclusions to files named on the command line too (the pre-commit hooks do)")
    parser.add_argument("--disable-noqa", action="store_true", help="report findings whatever # noqa says")
    parser.add_argument("--stdin-filename", metavar="PATH",
                        help="read the source from stdin (also with the path '-') and configure it as the file "
                             "PATH would be: per-file-ignores, and exclude under --force-exclude")
    parser.add_argument("--exit-zero", action="store_true",
                        help="exit 0 even when there are findings (still 1 for a file that could not be "
                             "checked, 2 for a usage or configuration error)")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="print the findings (and errors) only: no summary, no warnings")
    parser.add_argument("-j", "--jobs", type=_argument_type(_jobs), metavar="N",
                        help="worker processes (default: one per CPU when there are more than 20 files)")
    parser.add_argument("--color", "--colour", dest="color", choices=CHOICES, default="auto",
                        help="colour the output: auto (on a terminal, unless NO_COLOR is set), always, never")
    from .settings_options import add_option_flags  # the settings' dataclasses: not for ``--version``

    add_option_flags(parser)


def build_parser() -> argparse.ArgumentParser:
    from .probe_command import add_probe_parser

    formatter = _RawDescriptionHelpFormatter
    parser = _OneLineErrors(prog="fs-lint", description=DESCRIPTION, epilog=EXIT_STATUS,
                            formatter_class=formatter)
    parser.add_argument("-V", "--version", action="version", version=f"fs-lint {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=_OneLineErrors)

    check = commands.add_parser("check", help="report findings", formatter_class=formatter, epilog=EXIT_STATUS,
                                description="Report the findings, as `flake8 --select FSR` would.")
    _add_run_arguments(check)
    check.add_argument("--format", "--output-format", dest="format", choices=FORMAT_NAMES, default="default",
                       help="default: path:line:col: CODE message; json; sarif (2.1.0); "
                            "github (Actions annotations)")
    check.add_argument("--explain", action="store_true",
                       help="under each finding, the facts behind it, each with the file and line that proves it")
    check.add_argument("--statistics", action="store_true",
                       help="print how many findings of each code there are, instead of the findings")
    check.add_argument("-o", "--output-file", metavar="FILE",
                       help="write the report to FILE instead of stdout (errors stay on stderr)")
    check.add_argument("--add-noqa", action="store_true",
                       help="add a `# noqa: CODE` comment for every current finding (keeping the codes already "
                            "there), so that only new findings fail; writes the files")
    check.add_argument("--show-settings", action="store_true",
                       help="print the settings fs-lint uses on the one PATH given, and where each comes from")
    check.set_defaults(handler=_handler("check_command", "run_check"))

    fix = commands.add_parser("fix", help="apply the rules' fixes", formatter_class=formatter,
                              epilog=EXIT_STATUS,
                              description="Rewrite files in place with the rules' safe fixes, then summarise:\n"
                                          "files changed, fixes applied, findings left, fixes refused and why.")
    _add_run_arguments(fix)
    fix.add_argument("--diff", action="store_true", help="print a unified diff instead of writing")
    fix.add_argument("--check", action="store_true",
                     help="print a unified diff instead of writing, and exit 1 when anything would change")
    fix.add_argument("--unsafe-fixes", action="store_true",
                     help="also apply the fixes that may change behaviour (see each rule's Fix safety)")
    fix.add_argument("--show-fixes", action="store_true",
                     help="list every fix applied, under the file it changed")
    fix.set_defaults(handler=_handler("fix_command", "run_fix"))

    rule = commands.add_parser("rule", help="print a rule's documentation",
                               description="Print a rule's page: what it flags, why, and what to write instead.")
    rule.add_argument("code", metavar="CODE", help="a rule code or name, e.g. FSR001 or retry-loop-without-shutdown-check")
    rule.set_defaults(handler=_handler("rule_commands", "show_rule"))

    server = commands.add_parser("server", help="run the language server (LSP over stdio) for editors",
                                 description="A language server on stdin and stdout: diagnostics as you type, "
                                             "and each safe fix as a quick fix. Needs pip install 'fs-lint[server]'.")
    server.set_defaults(handler=run_server)

    rules = commands.add_parser("rules", help="list the rules",
                                description="List every rule: code, name, fix safety, on or off by default.")
    rules.set_defaults(handler=_handler("rule_commands", "list_rules"))

    add_probe_parser(commands, _OneLineErrors, formatter)
    return parser


def run_server(args: argparse.Namespace) -> int:
    try:
        from ..server.language_server import serve
    except ImportError as error:
        raise UsageError(f"the language server needs pygls ({error.name} is missing): "
                         "pip install 'fs-lint[server]'") from None
    serve()
    return EXIT_CLEAN


def _silence_stdout() -> None:
    """After a closed pipe (``fs-lint check | head``): no second error when Python flushes at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _unrecognized(parser: argparse.ArgumentParser, command: str, extras: list[str]) -> NoReturn:
    """The command's own error for a flag it does not know, with the flag it may have meant."""
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    subparser = subparsers.choices[command]
    known = [flag for action in subparser._actions for flag in action.option_strings]
    import difflib  # a mistyped flag only

    close = difflib.get_close_matches(extras[0].split("=")[0], known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    subparser.error(f"unrecognized arguments: {' '.join(extras)}{hint}")


def main(argv: Sequence[str] | None = None) -> int:
    if list(sys.argv[1:] if argv is None else argv) in (["--version"], ["-V"]):
        print(f"fs-lint {__version__}")  # what the parser's version action prints, without building it
        return EXIT_CLEAN
    parser = build_parser()
    try:
        args, extras = parser.parse_known_args(argv)
        if extras:
            _unrecognized(parser, args.command, extras)
    except SystemExit as stop:  # --help, --version, or a usage error argparse already printed
        return stop.code if isinstance(stop.code, int) else (0 if stop.code is None else EXIT_USAGE)
    if hasattr(args, "color"):
        colour_stderr(Palette(wants_colour(args.color, sys.stderr)))
    try:
        with stop_on_signals():
            return args.handler(args)
    except UsageError as error:
        print_error(str(error))
        return EXIT_USAGE
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_FINDINGS
    except KeyboardInterrupt:
        print("fs-lint: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Terminated:
        print("fs-lint: stopped (SIGTERM)", file=sys.stderr)
        return EXIT_TERMINATED
