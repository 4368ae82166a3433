"""What the program and library models say about the waits of a module's shutdown paths.

``shutdown_waits`` finds the waits a shutdown path writes (``join()``, ``await task``, a ``put``),
from their shape. This module asks the models what each one, and every other call of the path,
really waits for:

- a library call the table knows: ``await self._queue.cancel(tag)`` on an aio-pika ``RobustQueue``
  waits for RabbitMQ to come back, whatever its ``timeout=`` says, unless a liveness guard the
  library offers (``if not self._queue.channel.is_closed:``) or a timeout scope is around it; a
  ``put`` on a ``SimpleQueue`` or a Twisted ``DeferredQueue`` never waits;
- a call into project code, followed a few calls deep (in any module of the project): it reaches
  such a wait, or a loop that goes round with no deadline without looking at the stop;
- a thread or task the path waits for: what it runs, and whether that ends once told to stop (it
  tests the flag the path sets; it lets its cancellation through) or may go on with no bound;
- a loop in the path that polls with no deadline, or goes round a bounded read until the peer
  sends what it waits for;
- the code a task runs when it is cancelled (``except CancelledError:``): a wait there for a peer
  holds up whoever cancelled it.

Each answer names the line that proves it, in this module or another.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from ..model.program import Program
from ..model.summaries import CallFact, FunctionFacts, ModuleFacts
from ..model.waits import Reached, WaitModel, arguments_given
from ..syntax.names import words
from .shutdown_paths import ShutdownPath

PEER_KINDS = frozenset({"reconnect", "peer"})
# Waits for other work: what it runs is looked at when the model sees it (a thread's target, a task's
# coroutine); an executor's jobs and a pool's are not seen, and nothing shows them to be prompt.
WORK_KINDS = frozenset({"thread", "task", "process", "greenlet"})
UNSEEN_WORK_KINDS = frozenset({"jobs"})
# A pool's work (``gevent.pool.Pool.join()``, ``killall``): the requests in flight, which a stop drains.
POOLED_WORK_KINDS = frozenset({"greenlet"})
# Waits for another party's signal: a lock's holder, an event's setter, a queue's other end.
SIGNAL_KINDS = frozenset({"lock", "event", "queue-space", "queue-item", "queue-drain"})
# Of those, the signals a stop normally gets without asking (the worker that sets the event as it ends,
# the holder that releases the lock, the consumers that empty the queue): reported outside strict only
# when the models show the other party stalls. A full queue with no reader, or an empty one with no
# writer, is reported from its shape.
UNSEEN_SIGNAL_KINDS = frozenset({"lock", "event", "queue-drain"})
# What a wait found by its shape waits for (``shutdown_waits``' kinds), as the table would say it: a typed
# wait that means something else (``queue.get()`` that is a broker round trip) gets the table's words.
_SHAPE_MEANS = {"get": "queue-item", "put": "queue-space", "queue-join": "queue-drain", "wait": "event",
                "result": "jobs"}
# Calls that tell a pool or a worker to finish what it holds and end (the drain the author meant).
_STOPPING_METHODS = frozenset({"close", "stop", "shutdown", "cancel", "kill", "stop_consuming"})  # not terminate(): a SIGTERM may be handled slowly, or not at all
_UNTIL = {"lock": "the holder does not release it", "event": "it is not set", "queue-space": "the queue stays full",
          "queue-item": "nothing is put", "queue-drain": "its items are not all processed"}
_READ_METHODS = frozenset({"read", "recv", "receive", "receive_str", "receive_bytes", "readline", "get"})
_READER_WORDS = frozenset({"reader", "ws", "websocket", "socket", "sock", "stream", "conn", "connection",
                           "transport", "channel"})


@dataclass(frozen=True)
class ModelWait:
    """A wait the models found or confirmed, with the words of its finding and the facts behind them."""

    line: int
    col: int
    kind: str
    detail: str  # the finding's message after the rule's summary
    evidence: tuple[str, ...]
    guard: str = ""  # the liveness test the library offers on the receiver (the fix may add it)


@dataclass(frozen=True)
class Verdict:
    """What the models say of a wait found by its shape: keep it (perhaps with better words) or drop it."""

    keep: bool
    detail: str = ""
    evidence: tuple[str, ...] = ()
    message: str = ""  # the whole of the finding's words, when the models can say all of it


class ReachedWaits:
    """The models' view of one module's shutdown paths."""

    def __init__(self, program: Program, facts: ModuleFacts, strict: bool = False) -> None:
        self.program = program
        self.facts = facts
        self.waits = WaitModel(program)
        self.strict = strict  # report waits for work the models cannot see, as the shape would

    def function_of(self, node: ast.AST) -> FunctionFacts | None:
        line = getattr(node, "lineno", None)
        return self.facts.function_at(line) if line is not None else None

    # -- the calls of a path -------------------------------------------------------------------------

    def calls_in(self, path: ShutdownPath, function: FunctionFacts) -> list[CallFact]:
        lines = _span(path.statements)
        return [c for c in function.calls if c.statement in lines]

    def stop_keys(self, function: FunctionFacts, before: int | None = None) -> frozenset[str]:
        """What the path sets before it waits (flags, events, futures), itself or through its calls; with
        ``before``, on the lines above the wait only."""
        return self.waits.sets(function, before=before)

    def path_waits(self, path: ShutdownPath, function: FunctionFacts,
                   seen: frozenset[tuple[int, int]] = frozenset()) -> list[ModelWait]:
        """The waits of a path the models find; ``seen``: the calls the shape walk already judged."""
        found: list[ModelWait] = []
        stop_keys = self.stop_keys(function)
        for call in self.calls_in(path, function):
            if (call.line, call.col) in seen:
                continue
            if self.waits.is_bounded_scope(function, call):
                continue
            if call.method == "__await__":
                fresh = self._fresh_future(path, function, call)
                if fresh is not None:
                    found.append(fresh)
                continue  # awaiting a task: see ``review_work_wait``
            direct = self.waits.library_wait(function, call)
            if direct is not None and path.at_exit and self._ended_before_atexit(function, call):
                continue  # an atexit hook: the interpreter has already joined that work
            if direct is not None:
                if direct.kind in WORK_KINDS:
                    verdict = self._review_interrupted_work(function, call) or self._review_work_of_call(function, call)
                    if verdict is not None and not verdict.keep:
                        continue  # the work it waits for ends once told to stop
                    if verdict is None and direct.kind in POOLED_WORK_KINDS and not self.strict:
                        continue  # a pool's greenlets: the in-flight work the stop drains, unseen
                    found.append(self._library_finding(path, function, call, direct, verdict))
                elif direct.kind in UNSEEN_WORK_KINDS and not self.strict and (
                        self.signalled_before(function, call.line, call.receiver) or self._running_only(function, call)):
                    continue  # ``pool.close(); pool.join()``: a drain of work the stop told to end
                elif direct.kind in UNSEEN_SIGNAL_KINDS and not self.strict:
                    continue  # an event's setter, a lock's holder, a queue's consumers: nothing shows they stall
                elif direct.kind in PEER_KINDS or direct.kind in UNSEEN_WORK_KINDS or direct.kind in SIGNAL_KINDS:
                    found.append(self._library_finding(path, function, call, direct))
                continue
            for callee in self._followed(path, function, call):
                reached = self.waits.reached(callee, stop_keys, given=arguments_given(call, callee))
                if reached:
                    found.append(self._reached_finding(path, function, call, callee, reached[0]))
                    break
        found.extend(self._loops(path, function, stop_keys))
        return found

    def _ended_before_atexit(self, function: FunctionFacts, call: CallFact) -> bool:
        """The table says the work the call waits for is over before atexit hooks run (an executor's)."""
        found = self.waits.api_of(function, call)
        return found is not None and found[0].ended_before_atexit

    def _running_only(self, function: FunctionFacts, call: CallFact) -> bool:
        """``executor.shutdown(cancel_futures=True)``: it waits only for the calls already running."""
        found = self.waits.api_of(function, call)
        return found is not None and self.waits.running_only(found[0], call)

    def _followed(self, path: ShutdownPath, function: FunctionFacts, call: CallFact) -> list[FunctionFacts]:
        """The project functions the call runs, but not another shutdown path of the same object:
        ``self.close()`` from ``__aexit__`` is reported where ``close`` waits."""
        found = []
        for callee in self.waits.project_callees(function, call):
            same_object = callee.owner is not None and callee.owner == function.owner or \
                call.receiver in ("self", None) and callee.owner in self.program.lineage(function.owner or "")
            if same_object and _is_stop_name(callee.name):
                continue
            found.append(callee)
        return found

    def _library_finding(self, path: ShutdownPath, function: FunctionFacts, call: CallFact,
                         reached: Reached, work: Verdict | None = None) -> ModelWait:
        api = _short_api(reached.api)
        verb = "awaits" if call.awaited else "calls"
        if reached.kind in PEER_KINDS:
            peer = _peer_words(reached, self._peer(reached))
        else:
            peer = _UNTIL.get(reached.kind, "that work does not end")
        detail = f"{path.title} {verb} `{api}()`, which waits for {reached.says}"
        if reached.note:
            detail += f" ({reached.note})"
        if work is not None and work.detail:
            detail += f"; {work.detail}, so {_never(path, function, call)}"
            evidence = (f"{self._where(function, call.line)}: `{call.text}` is `{reached.api}`",) + work.evidence
            return ModelWait(call.line, call.col, reached.kind, detail, evidence, reached.guard)
        detail += f"; while {peer}, {_never(path, function, call)}"
        if reached.guard:
            detail += f" (guard it with `if not {reached.guard}:`, or bound it with `asyncio.timeout`)"
        evidence = (f"{self._where(function, call.line)}: `{call.text}` is `{reached.api}` "
                    f"(library model: waits = {reached.kind})",)
        return ModelWait(call.line, call.col, reached.kind, detail, evidence, reached.guard)

    def _fresh_future(self, path: ShutdownPath, function: FunctionFacts, call: CallFact) -> ModelWait | None:
        """``await asyncio.Future()``: a future made where it is awaited, which nothing else can resolve."""
        if call.receiver is None or "(" not in call.receiver:
            return None  # ``await self._task``: a value made elsewhere (see ``review_work_wait``)
        found = self.waits.api_of(function, call)
        if found is None or found[0].waits != "task":
            return None
        detail = (f"{path.title} awaits `{call.text}`, a future made right there that nothing else can resolve: "
                  f"only a cancellation of the task ends the wait, and until one comes {path.never_returns}")
        evidence = (f"{self._where(function, call.line)}: `{call.text}` is a new `{found[0].name.rsplit('.', 1)[0]}`",)
        return ModelWait(call.line, call.col, "task", detail, evidence)

    def _reached_finding(self, path: ShutdownPath, function: FunctionFacts, call: CallFact, callee: FunctionFacts,
                         reached: Reached) -> ModelWait:
        verb = "awaits" if call.awaited else "calls"
        last = reached.steps[-1] if reached.steps else None
        where = f" ({self._at(last.where)})" if last is not None else ""
        callee_title = _qualified_title(callee)
        if reached.kind == "loop":
            inside = last.title if last else callee_title
            what = (f"{reached.says}{where}" if inside == callee_title else
                    f"reaches a loop in {inside}{where} that {reached.says}")
            peer = "that loop goes round"
        elif reached.api:
            what = f"waits for {reached.says} in `{_short_api(reached.api)}()`{where}"
            peer = _peer_words(reached, self._peer(reached))
        else:
            what = f"waits for {reached.says}{where}"
            peer = "that does not come"
        detail = f"{path.title} {verb} {callee_title}, which {what}; while {peer}, {_never(path, function, call)}"
        evidence = (f"{self._where(function, call.line)}: `{call.text}` runs {callee_title} "
                    f"({self.program.where(callee.qualname)})",) + tuple(
            f"{step.where}: {step.title}: `{step.text}`" for step in reached.steps)
        return ModelWait(call.line, call.col, reached.kind, detail, evidence)

    def _peer(self, reached: Reached) -> str:
        entry = self.program.library.api(reached.api) if reached.api else None
        return entry.peer if entry is not None else ""

    def _where(self, function: FunctionFacts, line: int) -> str:
        return str(self.program.where(function.qualname, line))

    def _at(self, where) -> str:
        """``line 19`` in the module of the finding, ``pkg/other.py:19`` elsewhere: a message reads the same
        whatever name the file was checked under."""
        own = self.program.where(next(iter(self.facts.functions), ""), 1).path if self.facts.functions else None
        return f"line {where.line}" if where.path == own else str(where)

    # -- loops in the path ---------------------------------------------------------------------------

    def _loops(self, path: ShutdownPath, function: FunctionFacts, stop_keys: frozenset[str]) -> list[ModelWait]:
        found = []
        lines = _span(path.statements)
        for index, loop in enumerate(function.loops):
            if loop.line not in lines:
                continue
            endless = self._polling(function, index, loop)
            if endless is not None:
                found.append(endless(path))
                continue
            around = self._around_bounded_read(function, index, loop)
            if around is not None:
                found.append(around(path))
        return found

    def _polling(self, function: FunctionFacts, index: int, loop):
        """``while self.tasks and not self.force_exit: await asyncio.sleep(0.1)``: a poll with no deadline."""
        if loop.kind != "while" or loop.infinite or loop.deadline or not loop.test_keys:
            return None
        own = [c for c in function.calls if c.loop == index]
        sleeps = [c for c in own if self._is_sleep(function, c)]
        if not sleeps or len(own) > len(sleeps) + 1:
            return None  # a loop that does work each time round is not a poll
        if self._answered_by_a_loop(function, loop):
            return None
        roots = {k.split(".", 1)[0] for k in loop.test_keys if "." in k}  # ``self`` of ``self._closed``: not polled
        polled = _shortest([k for k in loop.test_keys if not _is_stop_key(k) and k not in roots]) or \
            _shortest(loop.test_keys)
        escapes = [k for k in loop.test_keys if _is_stop_key(k) and k.count(".") >= 1]
        escape = _shortest(escapes)

        def finding(path: ShutdownPath) -> ModelWait:
            still = f"`{loop.test}` stays true" if loop.test and len(loop.test) <= 60 else "it stays true"
            detail = (f"{path.title} polls `{polled}` (`{sleeps[0].text}`) with no deadline; while {still}, "
                      f"{path.never_returns}")
            if escape:
                detail += (f": only `{escape}` ends it early, and a process manager sends its SIGTERM once "
                           f"before it kills")
            evidence = (f"{self._where(function, loop.line)}: `while` loop, no clock or deadline in its test",)
            return ModelWait(loop.line, loop.col, "loop", detail, evidence)

        return finding

    def _answered_by_a_loop(self, function: FunctionFacts, loop) -> bool:
        """A handshake: ``self.waiting_to_stop = True; while self.waiting_to_stop: sleep(0.2)``, where a loop of
        another method of the class tests the flag each round and clears it as it leaves. The wait lasts one
        round of that loop, whose own rounds are its rules' to judge (FSR001, FSR005), not a wait of the stop."""
        flag = loop.test
        if function.owner is None or flag not in loop.test_keys or "." not in flag:
            return False  # the condition is the flag alone: ``while self.waiting_to_stop:``
        if not any(s.key == flag and s.value == "True" and s.line < loop.line for s in function.sets):
            return False
        for other in self.facts.functions.values():
            if other is function or other.owner != function.owner:
                continue
            if any(s.key == flag and s.value == "False" for s in other.sets) and \
                    any(flag in (*worker.test_keys, *worker.exit_keys) for worker in other.loops):
                return True
        return False

    def _is_sleep(self, function: FunctionFacts, call: CallFact) -> bool:
        found = self.waits.api_of(function, call)
        return found is not None and found[0].waits == "sleep"

    def _around_bounded_read(self, function: FunctionFacts, index: int, loop):
        """``while True: with Timeout(t): msg = await reader.read()`` and it returns only on the message it
        waits for: each read is bounded, the loop is not."""
        if not loop.infinite or loop.deadline:
            return None
        own = [c for c in function.calls if c.loop == index]
        for call in own:
            if not call.awaited or not self.waits.is_bounded_scope(function, call):
                continue
            if not self._reads_from_peer(function, call):
                continue

            def finding(path: ShutdownPath, call=call) -> ModelWait:
                detail = (f"{path.title} reads `{call.text}` in a loop that ends only on the message it waits for; "
                          f"each read is bounded, the loop is not: while the peer keeps sending anything else, "
                          f"{path.never_returns}")
                evidence = (f"{self._where(function, loop.line)}: `while True:` with no deadline",
                            f"{self._where(function, call.line)}: a bounded read, repeated")
                return ModelWait(call.line, call.col, "loop", detail, evidence)

            return finding
        return None

    def _reads_from_peer(self, function: FunctionFacts, call: CallFact) -> bool:
        """A read of the next message: a peer wait of the library table, or an unknown ``reader.read()``."""
        if call.method not in _READ_METHODS or not call.receiver:
            return False
        found = self.waits.api_of(function, call)
        if found is not None:
            return found[0].waits in PEER_KINDS
        return bool(set(words(call.receiver.rsplit(".", 1)[-1])) & _READER_WORDS)

    # -- the work a path waits for -------------------------------------------------------------------

    def review_work_wait(self, function: FunctionFacts, node: ast.AST, receiver: str | None,
                         cancelled_first: bool) -> Verdict | None:
        """A join or an ``await`` of a thread, task or greenlet: what it runs, and whether that ends.

        None when the models cannot see the work (the shape's finding stands as it is)."""
        call = self._call_at(function, node)
        if call is None:
            return None
        values = self.waits.callees(function, call)
        holders = self._receiver_values(function, call, values)
        work = self.waits.work_of(holders)
        if not work:
            return None
        stop_keys = self.stop_keys(function, call.line)
        late = self._set_after(function, call, stop_keys, work)
        if late is not None:
            return late
        if cancelled_first:
            for runs in work:
                swallowed = self.waits.swallows_cancellation(runs)
                if swallowed is not None:
                    step = swallowed.steps[-1]
                    return Verdict(True, f"it was cancelled first, but the work it runs ({_qualified_title(runs)}) "
                                         f"catches {swallowed.says.split('catches ', 1)[-1]} ({self._at(step.where)})",
                                   tuple(f"{s.where}: {s.title}: `{s.text}`" for s in swallowed.steps))
            return Verdict(False)
        return self._work_verdict(work, stop_keys)

    def _set_after(self, function: FunctionFacts, call: CallFact, before: frozenset[str],
                   work: list[FunctionFacts]) -> Verdict | None:
        """The path sets an event only after it waits for the work, and the work waits on that event with no
        bound: ``stop.set(); status.join(); ping.set()`` where the thread's loop does ``ping.wait()``. The join
        waits for a thread that waits for what comes after the join. Events are matched by their last name
        (``self.ping`` of the path, ``self.ping`` or ``dashboard.ping`` of the work)."""
        setter = {fact.key: fact.line for fact in function.sets
                  if fact.line > call.line and fact.value == "set" and fact.key not in before}
        later = {key.rsplit(".", 1)[-1]: key for key in setter}
        if not later:
            return None
        for runs in work:
            for wait in runs.calls:
                name = (wait.receiver or "").rsplit(".", 1)[-1]
                if wait.method != "wait" or name not in later:
                    continue
                if self.waits.api_of(runs, wait) is not None:
                    found = self.waits.library_wait(runs, wait)
                    if found is None or found.kind != "event":
                        continue  # bounded, or not an event's wait
                elif wait.args or wait.keywords:
                    continue  # an object the model cannot type: only ``x.wait()`` with no timeout, which the path ``set()``s
                where = self.program.where(runs.qualname, wait.line, wait.text)
                after = f" (line {setter[later[name]]})"
                return Verdict(True, f"the work it runs, {_qualified_title(runs)}, waits on `{wait.receiver}` with no "
                                     f"timeout ({self._at(where)}), and this path sets `{later[name]}` only after "
                                     f"the wait{after}",
                               (f"{where}: {_qualified_title(runs)}: `{wait.text}`",))
        return None

    def _work_verdict(self, work: list[FunctionFacts], stop_keys: frozenset[str]) -> Verdict:
        """Kept when the work reaches a wait with no bound that does not look at the stop."""
        for runs in work:
            reached = self.waits.reached(runs, stop_keys)
            if reached:
                first = reached[0]
                last = first.steps[-1] if first.steps else None
                runs_title = _qualified_title(runs)
                if first.kind == "loop" and last is not None:
                    what = f"reaches a loop in {last.title} ({self._at(last.where)}) that {first.says}"
                else:
                    what = f"waits for {first.says}" + (f" ({self._at(last.where)})" if last else "")
                return Verdict(True, f"the work it runs, {runs_title}, {what}, without looking at the stop",
                               tuple(f"{s.where}: {s.title}: `{s.text}`" for s in first.steps))
        return Verdict(False)

    def review_gathered_work(self, function: FunctionFacts, node: ast.AST) -> Verdict | None:
        """``await asyncio.gather(self._sender)``: the tasks it gathers, reviewed as joins of their work;
        None when the models see none of them."""
        call = self._call_at(function, node)
        return self._review_work_of_call(function, call) if call is not None else None

    def _review_interrupted_work(self, function: FunctionFacts, call: CallFact) -> Verdict | None:
        """``greenlet.kill()``: it raises an exception in the work (``GreenletExit``) before it waits, and that
        ends the work wherever it waits, unless the work catches it and goes round. None for other waits, when
        the model cannot see the work, and in strict for work that ends (the pattern's finding stands)."""
        found = self.waits.api_of(function, call)
        if found is None or not found[0].interrupts:
            return None
        work = self._work_of_call(function, call)
        if not work:
            return None
        exception = found[0].interrupts
        for runs in work:
            swallowed = self.waits.swallows(runs, frozenset({exception}), f"the `{exception.rsplit('.', 1)[-1]}` "
                                            "it raises")
            if swallowed is not None:
                step = swallowed.steps[-1]
                return Verdict(True, f"the work it kills ({_qualified_title(runs)}) catches "
                                     f"{swallowed.says.split('catches ', 1)[-1]} ({self._at(step.where)})",
                               tuple(f"{s.where}: {s.title}: `{s.text}`" for s in swallowed.steps))
        return None if self.strict else Verdict(False)  # strict reads the pattern: a kill with no bound

    def _work_of_call(self, function: FunctionFacts, call: CallFact) -> list[FunctionFacts]:
        holders = self._receiver_values(function, call, frozenset())
        for argument in (call.value[2] if call.value[0] == "call" else ()):
            holders |= self.program.evaluate(argument, function.qualname)
        return self.waits.work_of(frozenset(v for h in holders for v in ((h,) if h.kind != "collection" else h.items)))

    def _review_work_of_call(self, function: FunctionFacts, call: CallFact) -> Verdict | None:
        """The work a library wait waits for (``gevent.joinall(greenlets)``, ``proc.wait()``), reviewed as a
        join of it; None when the model cannot see it."""
        work = self._work_of_call(function, call)
        if not work:
            return None
        return self._work_verdict(work, self.stop_keys(function, call.line))

    def signalled_before(self, function: FunctionFacts, line: int, receiver: str | None) -> str:
        """What the path did, before the wait, to tell unseen work to end: set a flag or an event, put on
        a queue, or closed what it waits for (``pool.close(); pool.join()``). "" when nothing."""
        for fact in function.sets:
            if fact.line < line:
                return f"line {fact.line} sets `{fact.key}`"
        for call in function.calls:
            if call.line >= line or not call.receiver:
                continue
            if call.method in ("put", "put_nowait", "set", "set_result"):
                return f"line {call.line}: `{call.text}`"
            if receiver and call.receiver == receiver and call.method in _STOPPING_METHODS:
                return f"line {call.line}: `{call.text}`"
        return ""

    def review_event_wait(self, function: FunctionFacts, target: str) -> Verdict | None:
        """``self._stopped.wait()`` where a method of the same object sets ``self._stopped`` as it ends (a
        thread's ``run`` that says it is done): a wait for that method's work, reviewed as a join of it.
        None when no method of the class is seen to set it."""
        if not target.startswith("self.") or function.owner is None:
            return None
        setters = [f for f in self.waits.setters(function.owner, target) if f.qualname != function.qualname]
        if not setters:
            return None
        stop_keys = self.stop_keys(function)
        for setter in setters:
            reached = self.waits.reached(setter, stop_keys)
            if reached:
                first = reached[0]
                last = first.steps[-1] if first.steps else None
                where = f" ({self._at(last.where)})" if last is not None else ""
                return Verdict(True, f"it is set by {_qualified_title(setter)}, which {first.says}{where} without "
                                     f"looking at the stop",
                               tuple(f"{s.where}: {s.title}: `{s.text}`" for s in first.steps))
        if any(loop.test_keys and set(loop.test_keys) & stop_keys for setter in setters for loop in setter.loops):
            return Verdict(False)  # the work that sets it tests the flag this stop set: a deliberate drain
        return None

    def _call_at(self, function: FunctionFacts, node: ast.AST) -> CallFact | None:
        target = node.value if isinstance(node, ast.Await) else node
        if isinstance(target, ast.Call):
            line, col = target.lineno, target.col_offset
            return next((c for c in function.calls if c.line == line and c.col == col and c.method != "__await__"),
                        None)
        line, col = target.lineno, target.col_offset
        return next((c for c in function.calls if c.line == line and c.col == col and c.method == "__await__"), None)

    def _receiver_values(self, function: FunctionFacts, call: CallFact, values) -> frozenset:
        term = call.function
        if term[0] == "attr":
            return self.program.evaluate(term[1], function.qualname)
        return frozenset()

    def review_library(self, function: FunctionFacts, node: ast.AST, path: ShutdownPath | None = None,
                       shape: str = "") -> Verdict | None:
        """A wait found by its shape that the library table knows: dropped when it never waits, is bounded
        (by the library, an argument, a scope, a liveness guard) or is a put on a queue made with no size;
        kept in the table's words when it does wait. None when the table does not know the call."""
        call = self._call_at(function, node)
        if call is None:
            return None
        found = self.waits.api_of(function, call)
        if found is not None:
            entry, _ = found
            if entry.waits in ("nothing", "bounded", "sleep"):
                return Verdict(False)
            if path is not None and path.at_exit and entry.ended_before_atexit:
                return Verdict(False)  # an atexit hook: the interpreter has already joined that work
            if entry.size_arg and self.waits._made_without_size(function, call, entry):
                return Verdict(False)
            reached = self.waits.library_wait(function, call)
            if reached is None:
                return Verdict(False)  # bounded by an argument, a scope or a liveness guard the table knows
            if path is None or reached.kind in WORK_KINDS or \
                    reached.kind not in PEER_KINDS and reached.kind == _SHAPE_MEANS.get(shape, reached.kind):
                return None  # it waits, for what its shape says: the shape's words stand
            finding = self._library_finding(path, function, call, reached)
            return Verdict(True, evidence=finding.evidence, message=finding.detail)
        if self.waits.project_callees(function, call):
            return Verdict(False)  # a method of the project: what it waits for is followed, not guessed
        return None

    # -- cancellation paths -------------------------------------------------------------------------

    def cancellation_waits(self) -> list[ModelWait]:
        """A wait for a peer in the code a task runs when it is cancelled (its ``except CancelledError:``,
        or the ``finally:`` of a coroutine that goes on until it is stopped): whoever cancelled it waits too."""
        found = []
        for function in self.facts.functions.values():
            if not function.is_async:
                continue
            long_running = bool(function.loops)
            for call in function.calls:
                if call.handler.startswith("except:") and _catches_cancellation(call.handler):
                    where = f"the cancellation handler of {_qualified_title(function)}"
                    block = f"except {call.handler[7:] or ''}:".replace("except :", "except:")
                elif call.handler == "finally" and long_running:
                    where = f"the `finally:` of {_qualified_title(function)}, which runs when its task is cancelled,"
                    block = "finally:"
                else:
                    continue
                if self.waits.is_bounded_scope(function, call) or call.method == "__await__":
                    continue
                reached = self.waits.library_wait(function, call)
                if reached is None or reached.kind not in PEER_KINDS:
                    continue
                detail = (f"{where} awaits `{call.text}`, which waits for {reached.says} "
                          f"(`{_short_api(reached.api)}()`); while the peer does not answer, the task does not end "
                          f"and whoever cancelled it waits with it")
                evidence = (f"{self._where(function, call.line)}: in `{block}`",)
                found.append(ModelWait(call.line, call.col, reached.kind, detail, evidence))
        return found


def _span(statements) -> set[int]:
    lines: set[int] = set()
    for statement in statements:
        lines.update(range(statement.lineno, (statement.end_lineno or statement.lineno) + 1))
    return lines


def _catches_cancellation(handler: str) -> bool:
    caught = handler[len("except:"):].split(",")
    return any(name in ("asyncio.CancelledError", "asyncio.exceptions.CancelledError", "builtins.BaseException")
               for name in caught) or caught == [""]


def _is_stop_name(name: str) -> bool:
    return bool(set(words(name)) & {"close", "stop", "shutdown", "disconnect", "terminate", "teardown", "aclose",
                                    "quit", "halt", "exit"})


def _is_stop_key(chain: str) -> bool:
    return bool(set(words(chain.rsplit(".", 1)[-1])) & {"exit", "stop", "stopping", "stopped", "closing", "closed",
                                                        "shutdown", "cancelled", "terminate", "quit", "force"})


def _shortest(keys) -> str:
    chains = [k for k in keys if "." in k] or list(keys)
    return max(chains, key=len) if chains else ""


def _short_api(api: str) -> str:
    parts = api.split(".")
    return ".".join(parts[-2:]) if len(parts) >= 2 and parts[-2][:1].isupper() else parts[-1] if parts else api


def _peer_words(reached: Reached, peer: str = "") -> str:
    """``while RabbitMQ is down``: the peer the library table names, or the broker / the peer."""
    if reached.kind == "reconnect":
        return f"{peer or 'the broker'} is down"
    return f"{peer} does not answer" if peer else "the peer does not answer"


def _qualified_title(function: FunctionFacts) -> str:
    name = function.name
    if function.owner:
        name = f"{function.owner.rsplit('.', 1)[-1]}.{function.name}"
    return f"`{name}()`"


def _never(path: ShutdownPath, function: FunctionFacts, call: CallFact) -> str:
    """``close()`` never returns, or never reaches the next call it makes (``connection.close()``)."""
    later = [c for c in function.calls if c.statement > call.statement and c.method not in ("__await__", None)
             and not c.text.startswith(("log", "logger", "self.log", "self._log", "_log"))]
    never = path.never_returns
    if not later or " never " not in never:
        return never
    text = later[0].text
    name = text[:text.rfind("(")] if text.endswith(")") else text
    return f"{never.split(' never ')[0]} never reaches `{name}()` (line {later[0].line})"
