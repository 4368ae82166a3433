from __future__ import annotations

from typing import Iterator

from ..findings import Finding
from ..analysis.loop_hazards import defeated_stop_of_function
from ..analysis.module_facts import ModuleFacts
from ..analysis.retry_decorators import BACKOFF, RETRY_PACKAGE, RETRYING, STAMINA, RetryPolicy, retry_policies
from ..analysis.retry_loops import ModuleAnalysis
from ..analysis.shutdown_exceptions import describe
from ..wording import consequence
from . import Rule, register


@register
class RetryDecoratorNeverGivesUp(Rule):
    """
    ## What it does
    Flags a retry decorator or retrying object that never gives up, or that retries the
    exceptions that mean "stop":

    - tenacity `@retry`, `@retry(...)`, `Retrying(...)`, `AsyncRetrying(...)` (also as
      `for attempt in Retrying(...)` / `async for attempt in AsyncRetrying(...)`) without
      `stop=`, with `stop=stop_never`, or with a combination that never stops:
      `stop_after_attempt(3) & stop_never` (`&` stops only when every condition does;
      `stop_after_attempt(3) | stop_never` is finite and fine);
    - the same with `retry=retry_if_exception_type(X)` where `X` is or includes
      `BaseException`, `KeyboardInterrupt`, `SystemExit` or `asyncio.CancelledError`, with
      `retry_if_not_exception_type(...)` / `retry_unless_exception_type(...)` (they retry
      everything else, shutdown exceptions included) or with `retry_always`;
    - backoff `@on_exception(...)` / `@on_predicate(...)` with neither `max_tries` nor
      `max_time`, or with `max_tries=0` (backoff counts from one and compares with `==`, so 0
      or less is no limit); and `@on_exception` whose exception types include a shutdown
      exception;
    - the legacy `retrying` package's `@retry` / `Retrying(...)` without
      `stop_max_attempt_number`, `stop_max_delay`, `stop_func` or `stop`;
    - stamina's `retry` / `retry_context` / `RetryingCaller` with both `attempts=None` and
      `timeout=None`, or with `on=` a shutdown exception.

    Imports are resolved, so `import tenacity as t` / `from tenacity import retry as r` and the
    submodules (`tenacity.stop.stop_never`) are recognised. A module-level constant
    (`STOP = stop_never`) is read through.

    Only the exceptions that can arrive count: task cancellation when the retried function is
    a coroutine (or the object is used in an `async def`), Ctrl-C and `sys.exit()` otherwise.

    ## Why is this bad?
    tenacity retries forever unless told to stop, and so do backoff and retrying. In a thread
    or a sync worker nothing else can end the retries: the service keeps retrying a broker
    that is gone while the orchestrator waits for it to stop, then kills it.

    Retrying a shutdown exception is worse: the stop request becomes one more failed attempt.
    With `retry_if_exception_type(BaseException)` a Ctrl-C, or the `SystemExit` raised by a
    SIGTERM handler, is retried; in an async function the task's `CancelledError` is swallowed
    and the next attempt runs as if nobody had asked it to stop. Note that tenacity's default
    `retry=retry_if_exception_type()` is `Exception` only, so a bare `@retry` lets shutdown
    exceptions through: it only *never gives up*. (The `retrying` package before 1.4 caught
    everything, Ctrl-C included, and retried it forever by default.)

    ## Exemptions
    - A stop, `max_tries`, `max_time`, `stop_max_*` or stamina bound that the rule cannot read
      (a variable, `**kwargs`, positional arguments, a call of the project's own) is taken to
      be a bound: the rule says nothing rather than guess.
    - A predicate that reads a stop flag or event gives up on shutdown:
      `giveup=lambda e: self._stopping`, `retry=retry_if_exception(lambda e: not self._closing)`,
      `stop=stop_when_event_set(self._stop)`.
    - Outside `strict`, a stop flag the retried function tests itself on every attempt, first or
      around its work (`if self.closed: return`, `if not self.closed: <the work>`): once the stop
      sets it, the next attempt returns without failing and the decorator stops retrying, so that
      flag is no evidence that the stop waits on the policy.
    - A policy the module re-configures with a stop, for that binding only
      (`fetch.retry_with(stop=...)`, `retryer.copy(stop=...)` on the same `retryer`,
      `fetch.retry.stop = ...`); a copy that only renames it or changes its wait is still endless.
    - A name that only looks like the library's: a parameter, a local or a closure variable called
      `retry` (a predicate, a policy the caller made) is resolved by scope, not by spelling.
    - A retrying object that is never applied: built and thrown away, only given to `str()` or
      `repr()`, or asked for its `.wait`/`.stop`: it retries nothing.
    - Test code (pytest's conventions), unless `include-tests` is set: a fixture that succeeds
      after N fake failures is endless on purpose. Examples (`examples/`, `samples/`, `demo/`...),
      unless `include-examples` is set. Vendored copies of other libraries, unless `include-vendored`
      is set; copies of the project's own modules kept aside, unless `include-backups` is set.
    - A backoff decorator whose wait generator can end: a generator of the project's own, or
      `backoff.constant(interval=[1, 2, 5])`.
    - In an `async def` (a decorated coroutine, `AsyncRetrying`), a policy that never gives up
      but lets cancellation through: cancelling the task stops it, as FSR001 assumes for async
      retry loops. Set `async-requires-check` to flag those too. Retrying cancellation is
      always flagged.
    - `retrying` on a coroutine function: it never retries one.
    - stamina with its defaults (10 attempts, 45 s), and anything with a readable stop.
    - The `retry` package (`from retry import retry`, `retry_call`) with a positive `tries`; its
      default, `tries=-1`, retries forever and is reported.

    ## Example
    ```python
    from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

    @retry(wait=wait_exponential(max=30))
    def connect():
        return pika.BlockingConnection(params)

    @retry(retry=retry_if_exception_type(BaseException), stop=stop_after_attempt(5))
    async def publish(message):
        await channel.publish(message)
    ```

    ## Use instead
    ```python
    from tenacity import retry, retry_if_exception_type, stop_after_attempt, stop_after_delay, wait_exponential

    @retry(wait=wait_exponential(max=30), stop=stop_after_delay(300))
    def connect():
        return pika.BlockingConnection(params)

    @retry(retry=retry_if_exception_type(Exception), stop=stop_after_attempt(5))
    async def publish(message):
        await channel.publish(message)
    ```
    With backoff, add `max_time=300`; with retrying, `stop_max_delay=300000` (milliseconds).

    ## Fix safety
    Unsafe when the policy never gives up, applied only with `--unsafe-fixes`: the fix adds a
    limit of N seconds (`retry-give-up-after`), and a call that used to succeed after a longer
    outage now raises. tenacity gets `stop=stop_after_delay(N)` (a bare `@retry` becomes
    `@retry(stop=stop_after_delay(N))`, `stop=stop_never` becomes `stop=stop_after_delay(N)`,
    and another stop that never stops is kept: `stop=(...) | stop_after_delay(N)`), imported the
    way the module imports tenacity; backoff gets `max_time=N` (`max_tries` is left as it is);
    retrying gets `stop_max_delay=N*1000`; stamina's `timeout=None` becomes `timeout=N`.

    Safe when the policy only retries named shutdown exceptions: they are taken out (`(OSError,
    KeyboardInterrupt)` becomes `OSError`), a `retry_if_exception_type(SystemExit)` in a `|` of
    conditions goes; ordinary errors are retried as before. Unsafe when one of them is
    `CancelledError` (a policy cannot tell the caller's own cancellation from that of a task the
    call awaited, which it retried too) or a `KeyboardInterrupt` retried in a thread; refused for
    a `SystemExit` around code that loads or runs other people's code. Unsafe where it retries everything:
    `BaseException` among the retried types becomes `Exception`, and
    `retry_if_not_exception_type(X)` becomes `retry_if_not_exception_type(X) &
    retry_if_exception_type(Exception)`; the policy then also stops retrying the other
    BaseException subclasses (gevent's `Timeout`, a library's own), and the reason says so. A
    policy that does both gets one fix.

    Not offered in test code (a retry library's tests build such policies on purpose). The
    added name keeps the module's import style and a sorted import list sorted, and a call spread
    over lines keeps its layout with a trailing comma, so `ruff format` and I001 stay clean.

    Refused: a policy that retries nothing but shutdown exceptions (what it should retry is for
    a person to say), retried types from a module constant, and `retry_unless_exception_type` /
    `retry_always`, which also retry calls that succeeded. See [fix safety](../fix-safety.md).

    ## Options
    - `retry-give-up-after` (seconds, default 300): the limit that messages suggest and the fix
      adds.
    - `async-requires-check`: also flag async policies that only cancellation stops.
    - `shutdown-names` / `extend-shutdown-names`: the words that make a name in a predicate a
      stop flag.
    """

    code = "FSR004"
    name = "retry-decorator-never-gives-up"
    summary = "retry decorator never gives up or retries shutdown"
    fix = "unsafe"
    needles = (b"retry", b"Retrying", b"on_exception", b"on_predicate")

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        settings = analysis.settings
        for policy in retry_policies(ModuleFacts.of(analysis)):
            never = policy.never_gives_up
            if never and policy.is_async and not settings.async_requires_check:
                never = None  # cancelling the task stops it
            evidence = None
            if never and not policy.is_async:
                evidence = defeated_stop_of_function(analysis, policy.function)
                if evidence is None and not settings.strict:
                    never = None  # Ctrl-C and SIGTERM stop it like any code; nothing else asks it to stop
            if not (never or policy.retried):
                continue
            yield self.finding(policy.position, self._detail(policy, never, analysis, evidence))

    def _detail(self, policy: RetryPolicy, never: str | None, analysis: ModuleAnalysis,
                evidence: str | None = None) -> str:
        advice = []
        parts = []
        if policy.retried:
            what = describe(policy.retried, analysis.cancellation_name_in(policy.function))
            parts.append(f"`{policy.spelling}` retries {what} (through `{_short(policy.retried_by)}`), "
                         f"so {consequence(policy.retried)}")
            advice.append(_narrow_advice(policy, what))
        if never:
            if policy.is_async:
                after = "only cancelling its task stops it"
            elif evidence:
                after = f"a graceful shutdown waits on it: {evidence}"
            else:
                after = "a graceful shutdown waits on it"
            subject = "it" if parts else f"`{policy.spelling}`"
            parts.append(f"{subject} {never}, so it retries forever and {after}")
            advice.append(_give_up_advice(policy, float(analysis.settings.retry_give_up_after)))
        return ", and ".join(parts) + "; " + " and ".join(advice)


def _narrow_advice(policy: RetryPolicy, what: str) -> str:
    retried_by = policy.retried_by or ""
    if "BaseException" in retried_by:
        return "retry Exception instead"
    if any(word in retried_by for word in ("not_exception_type", "unless_exception_type", "retry_always")):
        return "retry only the errors you expect, with `retry_if_exception_type(...)`"
    return f"stop retrying {what}"


def _give_up_advice(policy: RetryPolicy, seconds: float) -> str:
    if policy.library == BACKOFF:
        return f"add `max_time={seconds:g}`"
    if policy.library == RETRYING:
        return f"add `stop_max_delay={seconds * 1000:g}`"
    if policy.library == STAMINA:
        return f"set `timeout={seconds:g}`"
    if policy.library == RETRY_PACKAGE:
        return "give it a positive `tries=`"
    return f"add `stop=stop_after_delay({seconds:g})`"


def _short(text: str | None, limit: int = 50) -> str:
    text = text or ""
    return text if len(text) <= limit else text[: limit - 1] + "…"
