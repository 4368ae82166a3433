from __future__ import annotations

import ast
from typing import Iterator

from ..findings import Finding
from ..analysis.pause_lengths import pause_length
from ..analysis.module_facts import ModuleFacts
from ..analysis.pauses import Pause
from ..analysis.retry_loops import ModuleAnalysis
from . import Rule, register

_SPELLING = 50


@register
class BackoffWithoutCap(Rule):
    """
    ## What it does
    Flags a retry loop whose pause grows without limit: the loop multiplies or exponentiates
    the delay it waits (`delay *= 2`, `delay = delay * k`, `delay += delay`, `delay <<= 1`,
    `2 ** attempt`, `pow(2, n)`, `base * 2 ** attempt` with a counter `attempt`), and nothing
    clamps it.

    A clamp is any of `min(..., cap)` around the growth, the exponent or the pause
    (`delay = min(delay * 2, 60)`, `time.sleep(min(2 ** attempt, 60))`), `if delay > cap:
    delay = cap`, `delay = cap if delay > cap else delay`, or growing only under a guard
    (`if delay < 60: delay *= 2`). Any clamp satisfies this rule, whatever its value: a
    long cap is a decision, and FSR005 reports a long pause that ignores a stop flag.

    The finding is on the statement that makes the pause grow (`delay *= 2`), which is where
    the clamp goes; when the growth is written in the pause itself (`time.sleep(2 ** n)`), on
    the pause. A retry loop is what FSR001 calls one; its pause may be `time.sleep`,
    `asyncio.sleep` (anyio, trio, gevent), `Event.wait(timeout)`,
    `asyncio.wait_for(event.wait(), timeout)` or a function of the project's named `*sleep*`.

    When the loop also checks a stop flag and the pause is a plain sleep, FSR005 reports the
    pause too (shutdown waits for it): both are reported, as neither fix mends the other.

    ## Why is this bad?
    Doubling from one second, the pause passes an hour after 12 failures and a day after 17.
    After a long outage the service retries once in hours: it comes back long after its
    broker did, and meanwhile looks alive to its health checks. Anything that waits out the
    pause (a blind sleep, a `join()` at shutdown) waits that long too. A float delay that keeps
    doubling ends as `inf`, and `time.sleep(inf)` raises `OverflowError`.

    ## Exemptions
    - Loops bounded by an attempt count, a deadline or a timeout scope (as in FSR001): the
      growth stops with them.
    - A clamp whose value cannot be read (`min(delay * 2, self.max_delay)`).
    - A delay from a backoff library or a generator (`next(delays)`, `policy.delay()`): its
      growth cannot be seen.
    - Linear growth (`delay += 5`), and shrinking (`delay /= 2`).
    - A statement order that clamps only on some paths is not followed: a clamp anywhere in
      the loop counts.

    ## Example
    ```python
    def run(self):
        delay = 1
        while not self._stop.is_set():
            try:
                self._consume()
                delay = 1
            except ConnectionError:
                self._stop.wait(delay)
                delay *= 2
    ```

    ## Use instead
    ```python
    def run(self):
        delay = 1
        while not self._stop.is_set():
            try:
                self._consume()
                delay = 1
            except ConnectionError:
                self._stop.wait(delay)
                delay = min(delay * 2, 60)
    ```

    ## Fix safety
    Unsafe, applied only with `--unsafe-fixes`: the fix changes how often the service retries
    during a long outage. It clamps the growth where the finding is, with `min(..., CAP)` and
    CAP from `backoff-cap`: `delay *= 2` becomes `delay = min(delay * 2, 60)` (any augmented
    operator), `delay = delay * k` becomes `delay = min(delay * k, 60)` (and so does the
    assignment a pause is computed from, `wait = min(base * 2 ** attempt, 60)`), and
    `time.sleep(2 ** n)` becomes `time.sleep(min(2 ** n, 60))`. Refused when the variable also
    changes from its own value in another statement of the loop (the growth is spread over
    several statements, and one clamp would not cap it), when the target is not a plain name or
    attribute, and for a pause function of the project's own (its unit is not known). See
    [fix safety](../fix-safety.md).

    ## Options
    - `backoff-cap` (seconds, default 60): the cap that messages suggest and the fix
      inserts. It is not a limit on existing clamps.
    """

    code = "FSR006"
    name = "backoff-without-cap"
    summary = "backoff without a cap"
    fix = "unsafe"
    needles = (b"sleep", b"wait")

    def check(self, analysis: ModuleAnalysis) -> Iterator[Finding]:
        facts = ModuleFacts.of(analysis)
        cap = float(analysis.settings.backoff_cap)
        reported: set[ast.AST] = set()
        for pause in facts.pauses:
            loop = pause.innermost
            if not loop.is_retry_loop or loop.is_bounded:
                continue
            length = pause_length(facts, pause)
            if not length.grows_without_limit or length.growth in reported:
                continue
            site = length.growth
            reported.add(site)
            what = f"`{pause.spelling()}` grows" if site is pause.call else \
                f"`{_spell(site)}` makes the pause of `{pause.spelling()}` grow"
            yield self.finding(
                (site.lineno, site.col_offset),
                f"{what} without limit, so after a long outage the attempts end up hours apart and the "
                f"service recovers late; clamp it: `{_spell(_clamped(site, pause, cap), 80)}`",
            )


def _clamped(site: ast.AST, pause: Pause, cap: float) -> str:
    """The statement or pause with the growth clamped at ``cap``: what the planned fix writes."""
    limit = ast.Constant(int(cap) if cap == int(cap) else cap)
    if isinstance(site, ast.AugAssign):
        grown = ast.BinOp(site.target, site.op, site.value)
        return ast.unparse(ast.Assign([site.target], _min(grown, limit), lineno=0))
    if isinstance(site, (ast.Assign, ast.AnnAssign)) and site.value is not None:
        targets = site.targets if isinstance(site, ast.Assign) else [site.target]
        return ast.unparse(ast.Assign(targets, _min(site.value, limit), lineno=0))
    duration = ast.unparse(pause.duration) if pause.duration is not None else ""
    return pause.spelling(1000).replace(duration, ast.unparse(_min(pause.duration, limit)), 1) if duration \
        else pause.spelling(1000)


def _min(value: ast.expr, limit: ast.expr) -> ast.Call:
    return ast.Call(ast.Name("min"), [value, limit], [])


def _spell(node: ast.AST | str, limit: int = _SPELLING) -> str:
    text = node if isinstance(node, str) else ast.unparse(node)
    return text if len(text) <= limit else text[: limit - 1] + "…"
