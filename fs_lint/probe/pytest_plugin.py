"""The ``shutdown_probe`` fixture: ``fs-lint probe``'s sequence from a test.

Registered through the ``pytest11`` entry point, so installing fs-lint is enough::

    def test_service_stops_while_rabbitmq_is_down(shutdown_probe):
        shutdown_probe(["python", "-m", "svc"], cut=["127.0.0.1:5672"], grace=10).assert_stops()

A service still running after the grace period fails the test with the same
stuck-at report as the command. The probe's machinery is imported when the fixture
is first called, not when pytest loads the plugin.
"""

from __future__ import annotations

import shlex
import sys
from typing import Mapping, Optional, Sequence, Union

import pytest


class ProbeOutcome:
    """One probe's result, with the assertions a test makes on it."""

    def __init__(self, result) -> None:
        self.result = result  # fs_lint.probe.session.ProbeResult

    @property
    def stopped(self) -> bool:
        return self.result.stopped

    @property
    def report(self) -> str:
        from .report import render_text

        return render_text(self.result)

    def json(self) -> dict:
        from .report import as_json

        return as_json(self.result)

    def assert_stops(self) -> "ProbeOutcome":
        """Fail the test, with the stuck-at report, unless the service stopped within the grace period."""
        if not self.stopped:
            pytest.fail(f"the service did not stop:\n{self.report}", pytrace=False)
        return self

    def assert_stuck(self) -> "ProbeOutcome":
        """Fail the test unless the service was still running after the grace period (to pin a known hang)."""
        if self.stopped:
            pytest.fail(f"the service was expected to hang, but: {self.report}", pytrace=False)
        return self


def _run(command: Union[str, Sequence[str]], *, cut: Sequence[str] = (), ready: Optional[str] = None,
         after_cut: float = 7.0, signal: str = "TERM", grace: float = 10.0, cut_mode: str = "refuse",
         cut_at_start: bool = False, signal_on: Optional[str] = None, restore: bool = False,
         env: Optional[Mapping[str, str]] = None, cwd: Optional[str] = None, ready_timeout: float = 60.0,
         alive: float = 3.0) -> ProbeOutcome:
    from .options import ProbeOptions, parse_address, signal_number
    from .service import StartError
    from .session import run_probe

    argv = shlex.split(command) if isinstance(command, str) else list(command)
    try:
        options = ProbeOptions(
            command=argv, cuts=[parse_address(address) for address in cut], ready=ready, after_cut=after_cut,
            signal=signal_number(signal), grace=grace, cut_mode=cut_mode, cut_at_start=cut_at_start,
            signal_on=signal_on, restore=restore, env=env, cwd=None if cwd is None else str(cwd),
            ready_timeout=ready_timeout, alive=alive, stdout=sys.stdout, stderr=sys.stderr,
        )
        return ProbeOutcome(run_probe(options))
    except (StartError, ValueError) as error:
        pytest.fail(f"shutdown_probe could not probe {shlex.join(argv)}: {error}", pytrace=False)


@pytest.fixture
def shutdown_probe():
    """``shutdown_probe(command, cut=[...], ready=None, after_cut=7, signal="TERM", grace=10, ...)``.

    Runs ``fs-lint probe``'s sequence (the same keywords as its options) and returns a
    ``ProbeOutcome``: ``.assert_stops()``, ``.stopped``, ``.report``, ``.json()``.
    """
    return _run
