"""The options the rewrites read: `backoff-cap`, `retry-give-up-after`, `async-requires-check`."""

from __future__ import annotations

import textwrap

import pytest

from fs_lint.fixing import fix_source
from fs_lint.settings import Settings


def fixed(code: str, settings: Settings, code_to_fix: str) -> str:
    result = fix_source(textwrap.dedent(code).encode(), settings, [code_to_fix], True, "service.py")
    assert result.applied and not result.refused and not result.remaining
    return result.source.decode()


GROWING = """\
    import time

    def connect(conn):
        delay = 1
        while True:
            try:
                return conn.connect()
            except OSError:
                time.sleep(delay)
                delay *= 2
"""


@pytest.mark.parametrize("cap, written", [(60.0, "60"), (30, "30"), (12.5, "12.5")])
def test_the_cap_is_backoff_cap(cap: float, written: str) -> None:
    assert f"delay = min(delay * 2, {written})" in fixed(GROWING, Settings(backoff_cap=cap), "FSR006")


NEVER = """\
    import backoff
    from retrying import retry

    @backoff.on_exception(backoff.expo, OSError)
    def connect(conn):
        return conn.connect()

    @retry
    def reconnect(conn):
        return conn.connect()
"""


@pytest.mark.parametrize("seconds, max_time, stop_max_delay", [(300.0, "300", "300000"), (2.5, "2.5", "2500"),
                                                               (0.0125, "0.0125", "12.5")])
def test_the_limit_is_retry_give_up_after(seconds: float, max_time: str, stop_max_delay: str) -> None:
    code = fixed(NEVER, Settings(retry_give_up_after=seconds, strict=True), "FSR004")  # no stop path: strict
    assert f"OSError, max_time={max_time})" in code
    assert f"@retry(stop_max_delay={stop_max_delay})" in code


def test_an_async_policy_is_limited_when_async_requires_check() -> None:
    # Without the option, cancelling the task stops it: nothing is flagged. With it, the limit is
    # imported as a name of its own, since no `from tenacity import ...` is there to extend, where isort
    # puts it: before `tenacity.asyncio`.
    code = """\
        from tenacity.asyncio import AsyncRetrying

        async def publish(channel, message):
            async for attempt in AsyncRetrying():
                with attempt:
                    await channel.publish(message)
    """
    assert fix_source(textwrap.dedent(code).encode(), Settings(), None, True, "service.py").applied == []
    assert fixed(code, Settings(async_requires_check=True), "FSR004") == textwrap.dedent("""\
        from tenacity import stop_after_delay
        from tenacity.asyncio import AsyncRetrying

        async def publish(channel, message):
            async for attempt in AsyncRetrying(stop=stop_after_delay(300)):
                with attempt:
                    await channel.publish(message)
    """)
