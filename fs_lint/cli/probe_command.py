"""``fs-lint probe``: its options, and running it.

The probe's machinery (``fs_lint.probe``) is imported only when the command runs:
``fs-lint --version``, ``check`` and ``fix`` never pay for it.
"""

from __future__ import annotations

import argparse
import signal
import sys
from typing import Callable, TypeVar

from .errors import EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, print_error

T = TypeVar("T")

EXIT_STATUS = """\
exit status:
  0  stopped within the grace period after the signal (whatever its own exit code), or it
     exited by itself while the broker was away
  1  still running after the grace period: the report says where it is stuck
  2  usage error, or the service could not be probed (COMMAND not found, exited before it was
     ready, nothing listening on a --cut address)
"""

DESCRIPTION = """\
Run COMMAND as a service, take its broker away, stop it, and say whether it stopped.

Each --cut HOST:PORT gets a TCP proxy on 127.0.0.1; the service finds the proxy's address in
$FS_LINT_PROBE_CUT (and $FS_LINT_PROBE_CUT1, $FS_LINT_PROBE_CUT2 ... with several), and {cut},
{cut1} ... in its arguments are replaced by it. Once the service is ready, the proxies are cut;
after --after-cut seconds it gets --signal; if it is still running --grace seconds later, the
stacks of its threads and asyncio tasks are taken and printed, then it is killed with all its
children."""

def _lazy(name: str) -> Callable[[str], T]:
    """An argparse type from ``fs_lint.probe.options``, imported only when a probe is parsed."""
    def convert(text: str) -> T:
        from ..probe import options

        try:
            return getattr(options, name)(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
    convert.__name__ = name
    return convert


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not 0 <= value < 86400:
        raise argparse.ArgumentTypeError(f"expected a number of seconds from 0 to 86400, got {text!r}")
    return value


def add_probe_parser(commands, parser_class, formatter) -> None:
    probe = commands.add_parser(
        "probe", help="run a service, cut its broker, stop it, and name where it hangs",
        description=DESCRIPTION, epilog=EXIT_STATUS, formatter_class=formatter,
        usage="fs-lint probe [options] -- COMMAND [ARGS...]")
    probe.add_argument("command", nargs=argparse.REMAINDER, metavar="COMMAND",
                       help="the service to run, after `--`")
    broker = probe.add_argument_group("the broker")
    broker.add_argument("--cut", action="append", default=[], type=_lazy("parse_address"), metavar="HOST:PORT",
                        help="a TCP service to put a cuttable proxy in front of (repeatable); it must be "
                             "listening when the probe starts")
    broker.add_argument("--cut-mode", default="refuse", type=_lazy("cut_mode"), metavar="MODE",
                        help="refuse (default): drop the connections and refuse new ones, as a broker that is "
                             "down; blackhole: accept connections and never answer, as a network partition")
    broker.add_argument("--cut-at-start", action="store_true",
                        help="cut before starting COMMAND, to stop a service that waits for its broker at start")
    broker.add_argument("--restore", action="store_true",
                        help="if it is still running after --grace, bring the broker back and say whether it "
                             "then stops (within --grace more)")
    steps = probe.add_argument_group("the sequence")
    steps.add_argument("--ready", metavar="REGEX",
                       help="ready once a line of its output matches REGEX (default: once it has been alive 3 s)")
    steps.add_argument("--ready-timeout", type=_seconds, default=60.0, metavar="SECONDS",
                       help="how long to wait for --ready (default 60)")
    steps.add_argument("--after-cut", type=_seconds, default=7.0, metavar="SECONDS",
                       help="seconds between the cut and the signal (default 7: a robust client's first "
                            "reconnect delay is often 5 s)")
    steps.add_argument("--signal-on", metavar="REGEX",
                       help="send the signal as soon as a line after the cut matches REGEX (the service says "
                            "it is retrying) instead of after --after-cut seconds; at most 60 s")
    steps.add_argument("--signal", default="TERM", type=_lazy("signal_number"), metavar="TERM|INT",
                       help="the signal to stop it with (default TERM), sent to COMMAND's own process")
    steps.add_argument("--grace", type=_seconds, default=10.0, metavar="SECONDS",
                       help="how long it has to stop after the signal (default 10)")
    output = probe.add_argument_group("output")
    output.add_argument("--format", choices=("text", "json"), default="text",
                        help="text (default), or json on stdout, the service's output then going to stderr")
    output.add_argument("--prefix", default="svc| ", metavar="TEXT",
                        help="put before each line the service writes (default 'svc| ')")
    probe.set_defaults(handler=run_probe_command)


def _command(args: argparse.Namespace) -> list[str]:
    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    return command


def _stop_on_signals() -> None:
    """SIGTERM and SIGHUP stop the probe as Ctrl-C does; a second one does not cut the cleanup short."""
    state = {"interrupted": False}

    def interrupt(signum, frame) -> None:
        if state["interrupted"]:
            return
        state["interrupted"] = True
        raise KeyboardInterrupt

    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, interrupt)


def run_probe_command(args: argparse.Namespace) -> int:
    from ..probe import report
    from ..probe.options import ProbeOptions
    from ..probe.service import StartError
    from ..probe.session import default_progress, run_probe

    as_json = args.format == "json"
    command = _command(args)
    options = ProbeOptions(
        command=command, cuts=args.cut, ready=args.ready, ready_timeout=args.ready_timeout,
        cut_mode=args.cut_mode, cut_at_start=args.cut_at_start, after_cut=args.after_cut,
        signal_on=args.signal_on, signal=args.signal, grace=args.grace, restore=args.restore,
        prefix=args.prefix, stdout=sys.stderr if as_json else sys.stdout, stderr=sys.stderr,
        progress=default_progress(sys.stderr),
    )
    _stop_on_signals()
    try:
        result = run_probe(options)
    except StartError as error:
        print_error(str(error))
        if as_json:
            sys.stdout.write(report.render_error(str(error)))
        return EXIT_USAGE
    sys.stdout.write(report.render_json(result) if as_json else report.render_text(result))
    sys.stdout.flush()
    return EXIT_CLEAN if result.stopped else EXIT_FINDINGS
