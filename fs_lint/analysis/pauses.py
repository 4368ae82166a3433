"""The pauses inside loops: which call pauses, how, for how long, and in which loops.

``retry_loops.ModuleAnalysis.is_pause`` answers "does this loop pause at all?";
the rules about pauses need more: whether the pause blocks the thread
(``time.sleep``), is a plain sleep that nothing but cancellation can cut short
(``asyncio.sleep``), or waits on something that can end it early
(``stop.wait(5)``), and which argument says how long it lasts.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from ..syntax.local_nodes import call_argument, walk_local
from ..syntax.names import last_name
from .retry_loops import Loop, ModuleAnalysis

# How each pause is spelled: the qualified name, and the keyword of its duration.
BLOCKING_SLEEPS = {"time.sleep": None}
ASYNC_SLEEPS = {"asyncio.sleep": "delay", "anyio.sleep": "delay", "trio.sleep": "seconds"}
COOPERATIVE_SLEEPS = {"gevent.sleep": "seconds", "eventlet.sleep": "seconds", "eventlet.greenthread.sleep": "seconds"}

BLOCKING = "blocking"  # blocks the thread: time.sleep
ASYNC = "async"  # an awaited sleep of an async library: only cancellation cuts it short
COOPERATIVE = "cooperative"  # a gevent/eventlet sleep: only killing the greenlet cuts it short
WAIT = "wait"  # Event.wait(timeout), asyncio.wait_for(event.wait(), timeout): can end early
OTHER = "other"  # some function named *sleep*: what it does is not known

PLAIN_SLEEPS = frozenset({BLOCKING, ASYNC, COOPERATIVE})


@dataclass(eq=False)
class Pause:
    call: ast.Call
    kind: str
    name: str  # as resolved: ``time.sleep``, ``asyncio.sleep``, or the last name of other calls
    duration: ast.expr | None
    loops: tuple[Loop, ...]  # the loops of the same function around the call, outermost first

    @property
    def innermost(self) -> Loop:
        return self.loops[-1]

    @property
    def position(self) -> tuple[int, int]:
        return self.call.lineno, self.call.col_offset

    @property
    def is_plain_sleep(self) -> bool:
        """Sleeps for its duration whatever happens, unless its task or greenlet is killed."""
        return self.kind in PLAIN_SLEEPS

    def spelling(self, limit: int = 50) -> str:
        text = ast.unparse(self.call)
        if self.kind == ASYNC:
            text = "await " + text
        return text if len(text) <= limit else text[: limit - 1] + "…"


def find_pauses(analysis: ModuleAnalysis) -> list[Pause]:
    """Every pause inside a loop, once, with all the loops of its function around it."""
    around: dict[ast.Call, list[Loop]] = {}
    awaited: set[ast.expr] = set()
    for loop in analysis.loops:
        for node in walk_local(loop.node.body):
            if isinstance(node, ast.Call):
                around.setdefault(node, []).append(loop)
            elif isinstance(node, ast.Await):
                awaited.add(node.value)
    found = []
    for call, loops in around.items():
        pause = classify(analysis, call, call in awaited)
        if pause is not None:
            kind, name, duration = pause
            loops.sort(key=lambda loop: (loop.node.lineno, loop.node.col_offset))
            found.append(Pause(call, kind, name, duration, tuple(loops)))
    found.sort(key=lambda p: p.position)
    return found


def classify(analysis: ModuleAnalysis, call: ast.Call, awaited: bool) -> tuple[str, str, ast.expr | None] | None:
    name = analysis.imports.qualified_name(call.func)
    if name in BLOCKING_SLEEPS:
        return BLOCKING, name, call_argument(call, 0, None)
    if name in ASYNC_SLEEPS:
        return (ASYNC, name, call_argument(call, 0, ASYNC_SLEEPS[name])) if awaited else None
    if name in COOPERATIVE_SLEEPS:
        return COOPERATIVE, name, call_argument(call, 0, COOPERATIVE_SLEEPS[name])
    if name == "asyncio.wait_for" and call.args and isinstance(call.args[0], ast.Call) \
            and last_name(call.args[0].func) == "wait":
        return WAIT, name, call_argument(call, 1, "timeout")
    if analysis.is_pause(call):
        last = last_name(call.func) or ""
        if last == "wait":
            return WAIT, last, call_argument(call, 0, "timeout")
        return OTHER, last, call_argument(call, 0, None) if len(call.args) == 1 else None
    return None
