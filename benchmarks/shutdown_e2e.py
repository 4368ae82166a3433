"""How long real FastStream services take to stop on SIGTERM, before and after `fs-lint fix`.

Runs every app of ``fixtures/apps/`` against the real brokers, with the helpers of the
end-to-end suite (``tests/e2e``): the broker (or the app's downstream dependency) is cut
through a proxy, the app is sent SIGTERM while it retries, and we measure how long it
takes to exit, with which code, and how much CPU it burns meanwhile. Then the same for a
copy of the app after `python -m fs_lint fix`. The scenarios that ask for it (FSR901's) are
also stopped with the broker up, as written and after the fix.

    python benchmarks/shutdown_e2e.py                 # every scenario, one at a time
    python benchmarks/shutdown_e2e.py --grace 30      # wait longer for the unfixed apps
    python benchmarks/shutdown_e2e.py rabbit-startup-wait nats-handler-retry

Scenarios run one at a time by default, so that the CPU figures are not shared with
another app (a spinning app takes a whole core). ``--parallel N`` is faster.
FS_LINT_E2E_FIX_COMMAND replaces `python -m fs_lint fix` (the file's path is appended).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e import harness  # noqa: E402
from tests.e2e.brokers import BROKERS, broker_reachable  # noqa: E402
from tests.e2e.process import StopResult  # noqa: E402
from tests.e2e.scenarios import BY_ID, SCENARIOS, SHUTDOWN_TIMEOUT, Scenario  # noqa: E402

HEADERS = ("scenario", "broker", "codes found", "exit before the fix", "exit after the fix",
           "CPU while stopping (before / after)", "exit with the broker up (before / after)")


def _exit(stop: StopResult | None) -> str:
    if stop is None:
        return "-"
    if not stop.stopped:
        return f"did not stop in {stop.grace:g} s"
    return f"{stop.seconds:.2f} s (code {stop.returncode})"


def _cpu(stop: StopResult | None) -> str:
    if stop is None or stop.cpu_percent is None:
        return "-"
    return f"{stop.cpu_percent:.0f}%"


def _not_there(scenario: Scenario) -> str | None:
    """What to print instead of a measure when the scenario's rule is not in this fs-lint."""
    missing = sorted(scenario.codes - harness.known_codes())
    return f"{', '.join(missing)} not in fs-lint yet" if missing and scenario.pending else None


def _broker_up(scenario: Scenario, workdir: Path) -> str:
    if not scenario.stop_with_broker_up:
        return "-"
    up = harness.prove_clean_stop(scenario, workdir)
    if up.fix_error is not None:
        after = _not_there(scenario) or f"failed: {up.fix_error.splitlines()[0]}"
    elif not up.changed:
        after = "fs-lint fix changed nothing"
    else:
        after = _exit(up.fixed)
    return f"{_exit(up.written)} / {after}"


def measure(scenario: Scenario, workdir: Path, grace: float) -> tuple[str, ...]:
    brokers = " + ".join(dict.fromkeys(BROKERS[k].title for k in scenario.brokers))
    not_there = _not_there(scenario)
    if not_there:
        found = not_there
    else:
        codes, _ = harness.codes_found(harness.copy_app(scenario, workdir / "check"), scenario.check_args)
        found = ", ".join(sorted(codes)) or "none"
    hazard = harness.prove_hazard(scenario, workdir / "before", grace)
    try:
        fixed = harness.prove_fixed(scenario, workdir / "after")
    except AssertionError as exc:
        after, after_cpu = not_there or f"failed: {str(exc).splitlines()[0]}", "-"
    else:
        if not fixed.changed:
            after = "not rewritten yet" if scenario.pending else "fs-lint fix changed nothing"
            after_cpu = "-"
        else:
            after = _exit(fixed.stop) + ("" if fixed.reconnected else ", did not reconnect")
            after_cpu = _cpu(fixed.stop)
    return (scenario.id, brokers, found, _exit(hazard.stop), after,
            f"{_cpu(hazard.stop)} / {after_cpu}", _broker_up(scenario, workdir / "broker-up"))


def markdown_table(rows: list[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", help=f"scenario ids (default: all): {', '.join(BY_ID)}")
    parser.add_argument("--grace", type=float, default=harness.HANG_GRACE,
                        help="seconds an unfixed app gets to stop after SIGTERM (default: %(default)s)")
    parser.add_argument("--parallel", type=int, default=1, help="scenarios run at once (default: 1)")
    args = parser.parse_args(argv)

    unknown = [s for s in args.scenarios if s not in BY_ID]
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(unknown)}")
    problem = harness.runtime_problem()
    if problem:
        parser.error(problem)
    chosen = [BY_ID[s] for s in args.scenarios] or list(SCENARIOS)
    missing = {k for s in chosen for k in s.brokers if not broker_reachable(k)}
    for key in sorted(missing):
        print(f"skipping the scenarios that need {BROKERS[key].missing_message()}", file=sys.stderr)
    chosen = [s for s in chosen if not set(s.brokers) & missing]

    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fs-lint-shutdown-e2e-") as tmp:
        jobs = {s.id: (lambda s=s: measure(s, Path(tmp) / s.id, args.grace)) for s in chosen}
        results = harness.run_concurrently(jobs, args.parallel)
    rows = []
    for scenario in chosen:
        result = results[scenario.id]
        if isinstance(result, BaseException):
            first = (str(result).splitlines() or [type(result).__name__])[0]
            result = (scenario.id, "", "", f"error: {first}", "", "", "")
        rows.append(result)
    print(markdown_table(rows))
    print(f"\n{len(rows)} scenarios in {time.monotonic() - start:.0f} s; grace {args.grace:g} s before the fix, "
          f"{harness.STOP_WAIT:g} s after it (the suite requires <= {harness.STOP_LIMIT:g} s and exit code 0; "
          f"FSR901's scenarios, fixed with --shutdown-timeout {SHUTDOWN_TIMEOUT}, <= {SHUTDOWN_TIMEOUT + 2} s).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
