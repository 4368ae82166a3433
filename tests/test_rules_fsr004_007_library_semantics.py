"""What FSR004 assumes about the retry libraries, checked against the installed libraries.

The rule reads decorators without running them, so it encodes each library's
defaults: tenacity never stops without ``stop=`` but retries ``Exception`` only,
``&`` of stops needs all of them, backoff's ``max_tries=0`` is no limit, and so
on. If a release changes one of these, the fixtures would silently describe the
wrong library: these tests fail instead.
"""

from __future__ import annotations

import asyncio

import pytest

tenacity = pytest.importorskip("tenacity")
backoff = pytest.importorskip("backoff")

ENOUGH = 25  # more attempts than any bounded policy below allows: reaching it means "never gave up"


def attempts(decorator, raises, succeed_after=ENOUGH):
    """Decorate a function that raises ``raises`` until its ``succeed_after``-th call; run it."""
    calls = []

    @decorator
    def target():
        calls.append(1)
        if len(calls) >= succeed_after:
            return "succeeded"
        raise raises

    try:
        outcome = target()
    except BaseException as exc:  # the point is to see which exceptions get out
        outcome = type(exc).__name__
    return len(calls), outcome


NO_WAIT = {"wait": tenacity.wait_none()}


# -- tenacity ------------------------------------------------------------------------------------

def test_tenacity_without_stop_never_gives_up():
    assert attempts(tenacity.retry(**NO_WAIT), OSError) == (ENOUGH, "succeeded")


@pytest.mark.parametrize("shutdown", [KeyboardInterrupt, SystemExit])
def test_tenacity_default_lets_shutdown_through(shutdown):
    assert attempts(tenacity.retry(**NO_WAIT), shutdown) == (1, shutdown.__name__)


@pytest.mark.parametrize("retry", [
    tenacity.retry_if_exception_type(BaseException),
    tenacity.retry_if_not_exception_type(ValueError),
    tenacity.retry_unless_exception_type(ValueError),
    tenacity.retry_always,
    tenacity.retry_if_exception_type(OSError) | tenacity.retry_if_exception_type(SystemExit),
])
def test_tenacity_predicates_that_retry_sys_exit(retry):
    # retry_unless_exception_type also retries a success: a stop ends every case.
    policy = tenacity.retry(retry=retry, stop=tenacity.stop_after_attempt(ENOUGH), reraise=True, **NO_WAIT)
    assert attempts(policy, SystemExit, succeed_after=ENOUGH + 1) == (ENOUGH, "SystemExit")


def test_tenacity_or_of_stops_is_finite_and_of_stops_is_not():
    finite = tenacity.stop_after_attempt(3) | tenacity.stop_never
    endless = tenacity.stop_after_attempt(3) & tenacity.stop_never
    assert attempts(tenacity.retry(stop=finite, **NO_WAIT), OSError) == (3, "RetryError")
    assert attempts(tenacity.retry(stop=endless, **NO_WAIT), OSError) == (ENOUGH, "succeeded")
    assert attempts(tenacity.retry(stop=tenacity.stop_all(tenacity.stop_after_attempt(3), tenacity.stop_never),
                                   **NO_WAIT), OSError) == (ENOUGH, "succeeded")


async def _cancel_during_first_attempt(decorator):
    started = asyncio.Event()
    calls = []

    @decorator
    async def publish():
        calls.append(1)
        started.set()
        await asyncio.sleep(0.01)
        if len(calls) < 3:
            raise OSError
        return "published"

    task = asyncio.ensure_future(publish())
    await started.wait()
    task.cancel()
    try:
        return await task
    except asyncio.CancelledError:
        return "cancelled"


def test_tenacity_coroutine_default_lets_cancellation_through():
    assert asyncio.run(_cancel_during_first_attempt(tenacity.retry(**NO_WAIT))) == "cancelled"


@pytest.mark.parametrize("retry", [
    tenacity.retry_if_exception_type(BaseException),
    tenacity.retry_if_exception_type((OSError, asyncio.CancelledError)),
])
def test_tenacity_coroutine_retrying_cancellation_loses_it(retry):
    decorator = tenacity.retry(retry=retry, stop=tenacity.stop_after_attempt(5), **NO_WAIT)
    assert asyncio.run(_cancel_during_first_attempt(decorator)) == "published"


# -- backoff -------------------------------------------------------------------------------------

def _backoff(*args, **kwargs):
    return backoff.on_exception(backoff.constant, *args, interval=kwargs.pop("interval", 0), jitter=None, **kwargs)


@pytest.mark.parametrize("limits", [{}, {"max_tries": None, "max_time": None}, {"max_tries": 0}, {"max_tries": -1}])
def test_backoff_without_a_positive_limit_never_gives_up(limits):
    assert attempts(_backoff(OSError, **limits), OSError) == (ENOUGH, "succeeded")


def test_backoff_limits_that_give_up():
    assert attempts(_backoff(OSError, max_tries=1), OSError) == (1, "OSError")
    assert attempts(_backoff(OSError, max_time=0), OSError) == (1, "OSError")
    assert attempts(_backoff(OSError, interval=[0, 0]), OSError) == (3, "OSError")  # the waits run out


def test_backoff_retries_what_its_exception_types_catch():
    assert attempts(_backoff(Exception), KeyboardInterrupt) == (1, "KeyboardInterrupt")
    assert attempts(_backoff(BaseException, max_tries=ENOUGH), KeyboardInterrupt) == (ENOUGH, "succeeded")
    gives_up = _backoff(BaseException, max_tries=ENOUGH, giveup=lambda exc: isinstance(exc, KeyboardInterrupt))
    assert attempts(gives_up, KeyboardInterrupt) == (1, "KeyboardInterrupt")


# -- retrying and stamina (not test dependencies: checked when installed) -----------------------

def test_retrying_never_gives_up_and_never_retries_a_coroutine():
    retrying = pytest.importorskip("retrying")
    assert attempts(retrying.retry(wait_fixed=0), OSError) == (ENOUGH, "succeeded")
    assert attempts(retrying.retry(wait_fixed=0, stop_max_attempt_number=2), OSError) == (2, "OSError")

    calls = []

    @retrying.retry(wait_fixed=0)
    async def coroutine():
        calls.append(1)
        raise OSError

    with pytest.raises(OSError):
        asyncio.run(coroutine())
    assert len(calls) == 1


def test_stamina_is_bounded_unless_both_bounds_are_none():
    stamina = pytest.importorskip("stamina")
    no_wait = {"wait_initial": 0, "wait_max": 0, "wait_jitter": 0}
    assert attempts(stamina.retry(on=OSError, **no_wait), OSError) == (10, "OSError")
    assert attempts(stamina.retry(on=OSError, attempts=None, **no_wait), OSError) == (ENOUGH, "succeeded")
    unbounded = stamina.retry(on=OSError, attempts=None, timeout=None, **no_wait)
    assert attempts(unbounded, OSError, succeed_after=40) == (40, "succeeded")
    assert attempts(stamina.retry(on=BaseException, **no_wait), KeyboardInterrupt, 3) == (3, "succeeded")
