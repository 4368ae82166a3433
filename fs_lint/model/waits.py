"""What a call waits for, as far as the program and library models can tell, with the lines that prove it.

Three questions, asked by the analysis of shutdown paths:

- ``library_wait(function, call)``: the call is a library API that waits (the library table says
  what for); is that wait bounded by an argument that covers it, a timeout scope around it, or a
  liveness guard above it?
- ``reached(function)``: the waits with no bound that a call into project code reaches, followed a
  few calls deep: library waits for a peer or a reconnect, and loops that go round with no
  deadline without looking at the stop;
- ``work_of(value)`` and ``work_hazard(...)``: what a thread, task or greenlet runs, and whether
  that work ends once it is told to stop (it tests the flag the stop sets, it lets its
  cancellation through) or may go on with no bound.

Every answer carries ``Step``s: the function, the file and line, and the code there.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from ..syntax.names import words
from .library import Api
from .program import Program, Value, Where, ordered
from .summaries import CallFact, FunctionFacts, LoopFact, ModuleFacts
from . import terms as t

MAX_CALL_DEPTH = 4  # how many calls deep a wait is followed from the statement that reaches it
_CANCELLATION = frozenset({"asyncio.CancelledError", "asyncio.exceptions.CancelledError", "builtins.BaseException",
                           "concurrent.futures.CancelledError", "trio.Cancelled"})
_NONE = ("const", "NoneType", "None")
_SCOPE_WORDS = frozenset({"timeout", "deadline", "countdown"})
_SCOPE_PREFIXES = ("move_on", "fail_after", "fail_at")
_BLOCKING_KINDS = frozenset({"reconnect", "peer", "thread", "process", "task", "event", "queue-space", "queue-item",
                             "queue-drain", "jobs", "lock", "greenlet"})
_PEER_KINDS = frozenset({"reconnect", "peer"})
_STARTERS = ("thread", "task", "greenlet", "process")
# Which of several possible waits a call is taken to be: the one that may last longest comes first.
_WAIT_RANK = {kind: rank for rank, kind in enumerate((
    "reconnect", "peer", "thread", "process", "greenlet", "task", "jobs", "queue-space", "queue-item",
    "queue-drain", "event", "lock", "sleep", "bounded", "nothing"))}


@dataclass(frozen=True)
class Step:
    title: str  # "`ConsumerCoordinator.close()`"
    where: Where
    text: str  # the code at that line


@dataclass(frozen=True)
class Reached:
    """A wait with no bound, and how it is reached."""

    kind: str  # the library's kind of wait, or "loop" (goes round with no deadline), "swallows" (eats cancellation)
    says: str  # what it waits for, in a maintainer's words: "RabbitMQ to come back"
    api: str = ""  # the library API: ``aio_pika.RobustQueue.cancel``
    steps: tuple[Step, ...] = ()  # the calls from the reaching statement to the wait, the wait last
    guard: str = ""  # the liveness test the library offers on the receiver: ``self._queue.channel.is_closed``
    note: str = ""  # "its timeout= bounds only the RPC, not the wait for the reconnect"

    def through(self, step: Step) -> "Reached":
        return Reached(self.kind, self.says, self.api, (step,) + self.steps, self.guard, self.note)


@dataclass
class WaitModel:
    program: Program
    _reached: dict[tuple[str, int, frozenset[str]], tuple[Reached, ...]] = field(default_factory=dict)
    _reaching: set[tuple[str, int, frozenset[str]]] = field(default_factory=set)
    _first: dict[tuple[str, int], Reached | None] = field(default_factory=dict)

    # -- one call ----------------------------------------------------------------------------------

    def callees(self, function: FunctionFacts, call: CallFact) -> frozenset[Value]:
        return self.program.evaluate(call.function, function.qualname)

    def api_of(self, function: FunctionFacts, call: CallFact) -> tuple[Api, Value] | None:
        """The table's entry for what the call runs. A receiver that may be one of several types (``Queue(n)
        if n else SimpleQueue()``) is taken as the one that waits longest: the wait may happen."""
        found = []
        for value in ordered(self.callees(function, call)):
            entry = self.program.api_of(value)
            if entry is not None and self._applies(entry, call):
                found.append((entry, value))
        if not found:
            return None
        return min(found, key=lambda pair: _WAIT_RANK.get(pair[0].waits, len(_WAIT_RANK)))

    def on_line(self, module: ModuleFacts, line: int) -> list[tuple[Api, CallFact, Reached | None]]:
        """What the library calls on ``line`` of ``module`` wait for, as the table says: each call the table
        knows and that may block, with the unbounded wait it is (None when something bounds it). For a
        line a stack stops on: the innermost function that holds it is the one whose calls are read."""
        holders = [f for f in module.functions.values() if f.line <= line <= f.end_line]
        if not holders:
            return []
        function = max(holders, key=lambda f: f.line)
        found = []
        for call in function.calls:
            if call.line != line or call.method == "__await__":
                continue
            known = self.api_of(function, call)
            if known is not None and known[0].blocks:
                found.append((known[0], call, self.library_wait(function, call)))
        return found

    @staticmethod
    def running_only(entry: Api, call: CallFact) -> bool:
        """The call waits only for the work already running (``shutdown(cancel_futures=True)``)."""
        literals = dict(call.literals)
        return bool(entry.running_only) and all(literals.get(name) == repr(value) for name, value in entry.running_only)

    @staticmethod
    def _applies(entry: Api, call: CallFact) -> bool:
        literals = dict(call.literals)
        return all(literals.get(name) == repr(value) for name, value in entry.when)

    def is_bounded_scope(self, function: FunctionFacts, call: CallFact) -> bool:
        """A timeout scope around the call: the table's scopes, or a context manager named like a timeout,
        given a bound that is not None (a literal None, or a value that is None by default, is no bound)."""
        for scope in call.scopes:
            if scope[0] != "call":
                continue
            if self._scope_is_none(scope) or self._may_be_none(function, scope):
                continue
            for value in self.program.evaluate(scope[1], function.qualname):
                if value.kind.startswith("lib") and self.program.library.scope(value.name) is not None:
                    return True
            name = _last_name(scope[1])
            if name and (name.lower().startswith(_SCOPE_PREFIXES) or _SCOPE_WORDS & set(words(name))):
                return True
        return False

    def _may_be_none(self, function: FunctionFacts, scope: t.Term) -> bool:
        """``async_timeout(self.connect_timeout)`` where that attribute is None unless a caller says otherwise."""
        bound = t.argument(scope, 0, "delay") or t.keyword(scope, "timeout") or t.keyword(scope, "seconds")
        if bound is None or bound[0] == "const":
            return False
        return self.forever_by_default(function, bound, attributes=True)

    def forever_by_default(self, function: FunctionFacts, bound: t.Term, attributes: bool = False) -> bool:
        """A bound that is None, or a value the library table says waits for ever (``threading.TIMEOUT_MAX``),
        unless a caller passes another: ``def close(self, timeout=None): ... join(timeout)``.

        A bound read from an attribute (``self.config.shutdown_timeout``) is the project's setting: the
        author thought of one, and it counts as a bound, unless ``attributes`` (a timeout scope's bound,
        where a None disables the scope: ``async_timeout(self.connect_timeout)``)."""
        if bound[0] not in ("local", "attr"):
            return False
        if bound[0] == "local" and self._reassigned_parameter(function, bound[1]):
            # ``if timeout is None: timeout = self.idle_time``: the default is replaced before the wait, by a
            # bound unless what replaces it waits for ever too (``threading.TIMEOUT_MAX``)
            return any(self._means_forever(value) for term in function.locals[bound[1]]
                       for value in self.program.evaluate(term, function.qualname))
        settings = bound[0] == "attr" and not attributes  # a project's setting: only a library constant counts
        for value in self.program.evaluate(bound, function.qualname):
            if value.kind == "const" and value.name == "NoneType" and not settings:
                return True
            if value.kind.startswith("lib") and self.program.library.means_forever(value.name):
                return True
        return False

    def _means_forever(self, value) -> bool:
        return (value.kind == "const" and value.name == "NoneType") or (
            value.kind.startswith("lib") and self.program.library.means_forever(value.name))

    @staticmethod
    def _reassigned_parameter(function: FunctionFacts, name: object) -> bool:
        """A parameter the function assigns something other than None (its default is not what it waits with)."""
        if not isinstance(name, str) or not any(p.name == name for p in function.params):
            return False
        return any(term != _NONE for term in function.locals.get(name, ()))

    @staticmethod
    def _scope_is_none(scope: t.Term) -> bool:
        return bool(scope[2]) and scope[2][0][:2] == ("const", "NoneType")

    def bound_of(self, entry: Api, call: CallFact, function: FunctionFacts | None = None) -> str | None:
        """How the call bounds its own wait: the argument that does, or None when nothing does.

        A value the entry says waits for ever (``timeout=None``, ``block=True``, ``time_limit=None``),
        given explicitly or by a variable that is None unless a caller says otherwise, is no bound;
        with nothing given, the entry's default decides."""
        literals = dict(call.literals)
        for name, value in entry.no_wait:
            if literals.get(name) == repr(value):
                return f"{name}={value!r}"
        given_forever = False
        for name in entry.bounds:
            if name in call.keywords:
                given = literals.get(name)
                if given in entry.forever or given is None and function is not None and \
                        self.forever_by_default(function, t.keyword(call.value, name) or t.UNKNOWN):
                    given_forever = True
                    continue
                return f"{name}="
        # From ``bound_position`` on, each positional argument is a bound or a flag (``put(item, True, 5)``).
        for index in range(max(entry.bound_position, 0), call.args) if entry.bound_position >= 0 else ():
            given = literals.get(str(index))
            term = t.argument(call.value, index)
            if given in entry.forever or given is None and function is not None and term is not None and \
                    self.forever_by_default(function, term):
                given_forever = True
            else:
                return f"argument {index + 1}"
        if "**" in call.keywords:
            return "**options"
        if entry.bounds and not entry.default_is_forever and not given_forever:
            return f"{entry.bounds[0]}={entry.default} by default"
        return None

    def is_guarded(self, entry: Api, call: CallFact) -> str:
        """The liveness guard that protects the call (``if not q.channel.is_closed:``), or ""."""
        if not call.receiver:
            return ""
        for guard in entry.guard:
            wanted = f"{call.receiver}.{guard}"
            if wanted in call.guards:
                return wanted
        return ""

    def library_wait(self, function: FunctionFacts, call: CallFact) -> Reached | None:
        """The call as a library wait with no bound (None when it is not one, or it is bounded)."""
        found = self.api_of(function, call)
        if found is None:
            return None
        entry, value = found
        if entry.name in ("asyncio.gather", "asyncio.wait"):
            return self._gathered(function, call, entry)
        if entry.waits not in _BLOCKING_KINDS:
            return None
        if function.is_async and not call.awaited and _is_async_api(entry.name):
            return None  # a coroutine handed on (``create_task(q.get())``), not awaited here
        if entry.starts == "thread" and self._runs_only_instant_calls(function, call, entry):
            return None  # ``await asyncio.to_thread(proc.terminate)``: the thread's work returns at once
        if entry.prompt_after and _called_earlier(function, call, entry.prompt_afters):
            return None  # ``await writer.drain()`` earlier: nothing left to flush; ``writer.transport.abort()``
        if any("." not in method and self._every_write_followed_by(function, call.receiver, method)
               for method in entry.prompt_afters):
            return None  # ``write(data); await self._writer.drain()`` in every method that writes to it
        if self.is_bounded_scope(function, call):
            return None
        if entry.size_arg and self._made_without_size(function, call, entry):
            return None
        guard = self.is_guarded(entry, call)
        if guard:
            return None
        bound = self.bound_of(entry, call, function)
        note = ""
        if bound is not None:
            if entry.covers == "rpc" and entry.waits == "reconnect":
                effect = "skips only the wait for the reply" if bound.endswith(("True", "False")) else \
                    "bounds only the round trip"
                spelled_bound = f"default `{bound[:-len(' by default')]}`" if bound.endswith(" by default") \
                    else f"`{bound}`"
                note = f"its {spelled_bound} {effect}, not the wait for the reconnect"
            else:
                return None
        offered = f"{call.receiver}.{entry.guard[0]}" if entry.guard and call.receiver else ""
        step = self._step(function, call)
        return Reached(entry.waits, entry.says or entry.waits, entry.name, (step,), offered, note)

    def _every_write_followed_by(self, function: FunctionFacts, receiver: str | None, method: str) -> bool:
        """``self._writer`` is written to only by methods of the class (and its project bases) that await its
        ``method`` (``drain()``) after each ``write()``: the transport never holds more than it lets a drain
        return with, so the wait that ``method`` makes prompt is prompt here too. False when no write is seen."""
        if not receiver or not receiver.startswith("self.") or function.owner is None:
            return False
        seen = False
        for name in self.program.lineage(function.owner):
            cls = self.program.class_(name) if not name.startswith("lib:") else None
            for qualname in (cls.methods.values() if cls is not None else ()):
                method_facts = self.program.function(qualname)
                for write in (method_facts.calls if method_facts is not None else ()):
                    if write.receiver != receiver or write.method not in ("write", "writelines"):
                        continue
                    seen = True
                    if not any(later.receiver == receiver and later.method == method and later.awaited
                               and (later.line, later.col) > (write.line, write.col) for later in method_facts.calls):
                        return False
        return seen

    def _runs_only_instant_calls(self, function: FunctionFacts, call: CallFact, entry: Api) -> bool:
        """What a hand-off to a thread (``to_thread(f)``, ``run_in_executor(pool, f)``) runs there is, for
        every value the program gives it, a library call the table says never blocks (a child's
        ``terminate()``): the wait for the thread is the wait for that call."""
        handed = t.argument(call.value, entry.runs_position, entry.runs or None) if entry.runs_position >= 0 else None
        if handed is None:
            return False
        values = self.program.evaluate(handed, function.qualname)
        if not values:
            return False
        for value in values:
            api = self.program.api_of(value)
            if api is None or api.waits != "nothing" or api.starts:
                return False
        return True

    def _made_without_size(self, function: FunctionFacts, call: CallFact, entry: Api) -> bool:
        """Every queue the receiver may be was made with no positive size (``asyncio.Queue()``,
        ``queue.Queue(maxsize=0)``): a put on it never waits."""
        return self.made_with_size(function, call, entry) is False

    def made_with_size(self, function: FunctionFacts, call: CallFact, entry: Api) -> bool | None:
        """Whether the receiver was made with a size that may be positive (``Queue(maxsize=16)``,
        ``Queue(n)``): True when some making of it the program shows has one, False when every one
        shows none, None when the program shows no making of it (a queue handed in, or only annotated)."""
        made = [h.made for h in self._receiver_values(function, call) if h.made is not None]
        if not made:
            return None
        for term in made:
            size = t.argument(term, 0, entry.size_arg)
            if size is None or size == t.UNKNOWN:
                continue
            if size[0] == "const" and len(size) > 2 and size[2] in ("0", "None") or \
                    size[0] == "const" and len(size) > 2 and size[2].startswith("-"):
                continue
            return True
        return False

    def _receiver_values(self, function: FunctionFacts, call: CallFact) -> frozenset[Value]:
        function_term = call.function
        if function_term[0] == "attr":
            return self.program.evaluate(function_term[1], function.qualname)
        if function_term[0] == "name" and "." in function_term[1]:
            head = function_term[1].rsplit(".", 1)[0]
            return self.program.resolve(head)
        return frozenset()

    def _gathered(self, function: FunctionFacts, call: CallFact, entry: Api) -> Reached | None:
        """``await asyncio.gather(writer.drain(), ...)``: a gathered coroutine that waits for a peer."""
        if not call.awaited or self.is_bounded_scope(function, call) or self.bound_of(entry, call, function):
            return None
        for part in call.value[2] if call.value[0] == "call" else ():
            if part[0] != "call":
                continue
            for value in self.program.evaluate(part[1], function.qualname):
                inner = self.program.api_of(value)
                if inner is not None and inner.waits in _PEER_KINDS:
                    text = f"{call.text}"
                    step = Step(_title(function), self.program.where(function.qualname, call.line, text), text)
                    return Reached(inner.waits, inner.says or inner.waits, inner.name, (step,))
        return None

    # -- following calls into project code ----------------------------------------------------------

    def project_callees(self, function: FunctionFacts, call: CallFact) -> list[FunctionFacts]:
        found = []
        for value in ordered(self.callees(function, call)):
            if value.kind == "function":
                callee = self.program.function(value.name)
                if callee is not None:
                    if callee.is_async and not call.awaited:
                        continue  # ``create_task(self._run())``: the coroutine is handed on, not run here
                    found.append(callee)
            elif value.kind == "class":
                continue
        return found

    def reached(self, function: FunctionFacts, stop_keys: frozenset[str] = frozenset(), depth: int = 0,
                visiting: frozenset[str] = frozenset(),
                given: frozenset[tuple[str, str]] = frozenset()) -> tuple[Reached, ...]:
        """The waits with no bound inside ``function``: library waits for a peer or a reconnect, loops
        with no deadline that do not test ``stop_keys``, reached through calls up to ``MAX_CALL_DEPTH``.
        ``given``: the literal arguments of the call that runs ``function`` (parameter, repr), which rule
        out the calls under an ``if`` that they make false (``if namespace != "admin":`` for "admin")."""
        memo = (function.qualname, depth, stop_keys, given)
        if memo in self._reached:
            return self._reached[memo]
        if memo in self._reaching:
            return ()  # a call cycle: what it reaches is found where the cycle started
        cut_before = self.program.cuts
        self._reaching.add(memo)
        try:
            result = self._reached_in(function, stop_keys, depth, visiting, given)
        finally:
            self._reaching.discard(memo)
        if self.program.cuts == cut_before:
            self._reached[memo] = result
        return result

    def _reached_in(self, function: FunctionFacts, stop_keys: frozenset[str], depth: int,
                    visiting: frozenset[str], given: frozenset[tuple[str, str]]) -> tuple[Reached, ...]:
        found: list[Reached] = []
        arguments = dict(given)
        for loop_index, loop in enumerate(function.loops):
            endless = self.endless_loop(function, loop_index, loop, stop_keys, arguments)
            if endless is not None:
                found.append(endless)
        for call in function.calls:
            if self.is_bounded_scope(function, call) or (arguments and ruled_out(call, arguments)):
                continue
            wait = self.library_wait(function, call)
            if wait is not None and wait.kind == "event":
                wait = self.set_on_reconnect(function, call, wait, stop_keys) or wait
            if wait is not None and wait.kind in _PEER_KINDS:
                found.append(wait)
                continue
            if depth + 1 >= MAX_CALL_DEPTH:
                continue
            for callee in self.project_callees(function, call):
                if callee.qualname in visiting:
                    continue
                step = self._step(function, call)
                for inner in self.reached(callee, stop_keys, depth + 1, visiting | {function.qualname},
                                          arguments_given(call, callee)):
                    found.append(inner.through(step))
        return tuple(found)

    def _step(self, function: FunctionFacts, call: CallFact) -> Step:
        """The call as a step of a chain a message quotes: its function, file and line, and its code."""
        return Step(_title(function), self.program.where(function.qualname, call.line, call.text), call.text)

    def first_wait(self, function: FunctionFacts, lines: tuple[int, int] | None = None, depth: int = 0,
                   visiting: frozenset[str] = frozenset()) -> Reached | None:
        """The first call of ``function`` (on ``lines``, first and last, when given) that waits as the library
        table says, bounded or not, a pause included; followed into project code up to ``MAX_CALL_DEPTH``.
        Calls in ``except`` clauses are left out: they run after a failure, not where the time goes.

        Where a stop request lands in a loop over a batch: in the calls that take a while. A call nobody
        knows (another library, ``getattr`` dispatch) is not taken to wait."""
        memo = (function.qualname, depth)
        if lines is None and memo in self._first:
            return self._first[memo]
        cut_before = self.program.cuts
        result = self._first_wait_in(function, lines, depth, visiting)
        if lines is None and self.program.cuts == cut_before:
            self._first[memo] = result
        return result

    def _first_wait_in(self, function: FunctionFacts, lines: tuple[int, int] | None, depth: int,
                       visiting: frozenset[str]) -> Reached | None:
        for call in function.calls:
            if lines is not None and not lines[0] <= call.line <= lines[1]:
                continue
            if call.handler.startswith("except"):
                continue  # the pause of a retry after a failure: not where the normal path spends its time
            known = self.api_of(function, call)
            if known is not None:
                entry = known[0]
                if entry.blocks and not (function.is_async and not call.awaited and _is_async_api(entry.name)):
                    return Reached(entry.waits, entry.says or entry.peer or entry.waits, entry.name,
                                   (self._step(function, call),))
                continue
            if depth + 1 >= MAX_CALL_DEPTH:
                continue
            for callee in self.project_callees(function, call):
                if callee.qualname in visiting or callee.qualname == function.qualname:
                    continue
                inner = self.first_wait(callee, None, depth + 1, visiting | {function.qualname})
                if inner is not None:
                    return inner.through(self._step(function, call))
        return None

    def setters(self, owner: str, key: str) -> list[FunctionFacts]:
        """The methods of class ``owner`` and its project bases that set ``key`` (``self._stopped``)."""
        found = []
        for name in self.program.lineage(owner):
            cls = self.program.class_(name) if not name.startswith("lib:") else None
            for method in (cls.methods.values() if cls is not None else ()):
                facts = self.program.function(method)
                if facts is not None and any(s.key == key for s in facts.sets):
                    found.append(facts)
        return found

    def set_on_reconnect(self, function: FunctionFacts, call: CallFact, wait: Reached,
                         stop_keys: frozenset[str] = frozenset()) -> Reached | None:
        """``await self.connected.wait()`` where the only method of the object that sets
        ``self.connected`` is the callback a client calls once its lost connection is back
        (``reconnected_cb``): a wait for the reconnect, however the event is named. Not when the stop
        sets it itself (``stop_keys``)."""
        key = call.receiver
        if not key or not key.startswith("self.") or function.owner is None or key in stop_keys:
            return None
        setters = [f for f in self.setters(function.owner, key)
                   if any(s.value == "set" for s in f.sets if s.key == key)]
        if not setters:
            return None
        callbacks = [(setter, self.program.reconnect_callback_of(setter)) for setter in setters]
        on_reconnect = [(setter, entry) for setter, entry in callbacks if entry is not None]
        if not on_reconnect:
            return None
        if any(entry is None and not self._connects(setter) for setter, entry in callbacks):
            return None  # something else sets it too: a wait for that other party
        setter, entry = on_reconnect[0]
        peer = entry.peer or "the peer"
        says = (f"{peer} to come back (`{key}` is set only as the connection is made and by "
                f"{_title(setter)}, the callback `{_short(entry.name)}()` calls once it has reconnected)")
        return Reached("reconnect", says, entry.name, wait.steps)

    def _connects(self, function: FunctionFacts) -> bool:
        """The function makes the connection (it calls an API the table gives a reconnect callback):
        what it sets, it sets once, as the connection is first made."""
        return any((found := self.api_of(function, call)) is not None and found[0].reconnected
                   for call in function.calls)

    def endless_loop(self, function: FunctionFacts, index: int, loop: LoopFact,
                     stop_keys: frozenset[str], arguments: dict[str, str] | None = None) -> Reached | None:
        """A loop that goes round with no deadline, pausing or waiting on a peer each time, and that
        nothing but what it waits for ends: not a clock, not the stop (``stop_keys``). ``arguments``: the
        caller's literal ones, which may make the loop's condition false from the start (``wait=False`` for
        ``while wait and ...``: its pauses are ruled out like any call under an ``if``)."""
        if loop.kind != "while" or loop.deadline:
            return None
        tests = set(loop.test_keys) | set(loop.exit_keys)
        if stop_keys and tests & stop_keys:
            return None
        if not loop.infinite and not loop.test_keys:
            return None
        if stop_keys and self._condition_asks_the_stop(function, loop, stop_keys):
            return None
        pauses = [c for c in function.calls if c.loop == index and self._pauses(function, c)
                  and not (arguments and ruled_out(c, arguments))]
        if not pauses:
            return None
        first = pauses[0]
        if loop.infinite:
            course = "goes round until it returns" if loop.exits else "goes round for ever"
        else:
            course = f"goes round while `{loop.test}`"
        found = self.api_of(function, first)
        waiting = "waiting on the peer at" if found is not None and found[0].waits in _PEER_KINDS else "pausing at"
        says = f"{course}, {waiting} `{first.text}` each time, with no deadline"
        step = Step(_title(function), self.program.where(function.qualname, loop.line, f"loop at line {loop.line}"),
                    first.text)
        return Reached("loop", says, "", (step,))

    def _condition_asks_the_stop(self, function: FunctionFacts, loop: LoopFact, stop_keys: frozenset[str]) -> bool:
        """``while self._run_next():`` where ``_run_next()`` waits on the stop event or returns early on it
        (``if self.stop_event.wait(wait): return False``): the condition looks at the stop, one call down."""
        if loop.kind != "while" or not loop.test:
            return False
        for call in function.calls:
            if call.line != loop.line or call.text not in loop.test:
                continue
            for value in self.program.evaluate(call.function, function.qualname):
                callee = self.program.function(value.name) if value.kind == "function" else None
                if callee is not None and any(c.receiver in stop_keys or stop_keys & set(c.guards)
                                              for c in callee.calls):
                    return True
        return False

    def _pauses(self, function: FunctionFacts, call: CallFact) -> bool:
        found = self.api_of(function, call)
        if found is not None:
            entry, _ = found
            return entry.waits in ("sleep",) or entry.waits in _PEER_KINDS
        return False

    # -- the work of a thread or task ----------------------------------------------------------------

    def work_of(self, values: frozenset[Value]) -> list[FunctionFacts]:
        """The functions a thread, task or greenlet value runs, as far as the model sees where it was made."""
        found: list[FunctionFacts] = []
        for value in ordered(values):
            if value.kind == "instance":
                for entry in self.program.lineage(value.name):
                    cls = self.program.class_(entry) if not entry.startswith("lib:") else None
                    if cls is not None and "run" in cls.methods:
                        run = self.program.function(cls.methods["run"])
                        if run is not None:
                            found.append(run)
                        break
                continue
            if value.kind != "libinstance" or value.made is None:
                continue
            made = value.made
            for starter in ordered(self.program.evaluate(made[1], value.context or None)):
                if starter.kind == "function":
                    # the project's own ``create_task(coro)`` or ``spawn(fn)``: what it is handed is what runs
                    runs = next((a for a in made[2] if a[0] == "call" or a[0] in ("local", "attr")), None)
                else:
                    entry = self.program.api_of(starter) if starter.kind.startswith("lib") else None
                    if entry is None or entry.starts not in _STARTERS:
                        continue
                    runs = t.argument(made, entry.runs_position, entry.runs or None) if entry.runs_position >= 0 \
                        else t.keyword(made, entry.runs)
                if runs is None:
                    continue
                target = runs[1] if runs[0] == "call" else runs  # a coroutine made by a call, or a callable
                for callee in self.program.evaluate(target, value.context or None):
                    if callee.kind == "function":
                        function = self.program.function(callee.name)
                        if function is not None:
                            found.append(function)
        return found

    def swallows_cancellation(self, function: FunctionFacts, depth: int = 0,
                              visiting: frozenset[str] = frozenset()) -> Reached | None:
        """A handler, in a loop of the work (or of what it calls), that catches the cancellation and goes round."""
        return self.swallows(function, _CANCELLATION, "its cancellation", depth, visiting)

    def swallows(self, function: FunctionFacts, exceptions: frozenset[str], what: str, depth: int = 0,
                 visiting: frozenset[str] = frozenset()) -> Reached | None:
        """A handler, in a loop of the work (or of what it calls), that catches one of ``exceptions`` (what a
        cancellation or a kill raises in it; ``BaseException`` and a bare ``except:`` take them all) and goes round."""
        last_names = {name.rsplit(".", 1)[-1] for name in exceptions}
        for handler in function.handlers:
            if handler.loop < 0 or handler.reraises or handler.leaves:
                continue
            if not handler.caught or set(handler.caught) & exceptions or "builtins.BaseException" in handler.caught \
                    or {name.rsplit(".", 1)[-1] for name in handler.caught} & last_names:
                caught = f"`{handler.text}`" if handler.text else "everything (a bare `except:`)"
                step = Step(_title(function), self.program.where(function.qualname, handler.line,
                                                                  f"except {handler.text}"), f"except {handler.text}:")
                return Reached("swallows", f"{what}: it catches {caught} and goes round", "", (step,))
        if depth + 1 >= MAX_CALL_DEPTH:
            return None
        for call in function.calls:
            for callee in self.project_callees(function, call):
                if callee.qualname in visiting:
                    continue
                inner = self.swallows(callee, exceptions, what, depth + 1, visiting | {function.qualname})
                if inner is not None:
                    step = Step(_title(function), self.program.where(function.qualname, call.line, call.text),
                                call.text)
                    return inner.through(step)
        return None

    def sets(self, function: FunctionFacts, depth: int = 0, visiting: frozenset[str] = frozenset(),
             before: int | None = None) -> frozenset[str]:
        """What a function sets (flags, events, futures), and what the functions it calls set, a few deep; with
        ``before``, only what the function's lines above that one set (a flag set after a join does not end the
        work the join waits for)."""
        found = {s.key for s in function.sets if before is None or s.line < before}
        if depth + 1 < MAX_CALL_DEPTH:
            for call in function.calls:
                if before is not None and call.line >= before:
                    continue
                for callee in self.project_callees(function, call):
                    if callee.qualname not in visiting:
                        found |= self.sets(callee, depth + 1, visiting | {function.qualname})
        return frozenset(found)


def _is_async_api(name: str) -> bool:
    root = name.split(".")[0]
    return root in _ASYNC_LIBRARIES or name.startswith("redis.asyncio.")


_ASYNC_LIBRARIES = frozenset({"asyncio", "aio_pika", "aiormq", "nats", "aiokafka", "websockets", "aiohttp",
                              "faststream", "anyio", "trio"})


def _title(function: FunctionFacts) -> str:
    parts = function.qualname.split(".")
    name = function.name
    if function.owner:
        name = f"{function.owner.rsplit('.', 1)[-1]}.{function.name}"
    elif "<locals>" in parts:
        name = function.name
    return f"`{name}()`"


def _last_name(term: t.Term) -> str | None:
    if term[0] in ("name", "local"):
        return term[1].rsplit(".", 1)[-1]
    if term[0] == "attr":
        return term[2]
    return None


def _shortest(keys: tuple[str, ...]) -> str:
    chains = [k for k in keys if "." in k] or list(keys)
    return max(chains, key=len) if chains else ""


def _short(api: str) -> str:
    """``nats.connect`` -> ``nats.connect``; ``nats.aio.client.Client.connect`` -> ``Client.connect``."""
    parts = api.split(".")
    return ".".join(parts[-2:]) if len(parts) > 2 else api


def arguments_given(call: CallFact, callee: FunctionFacts) -> frozenset[tuple[str, str]]:
    """The literal arguments of ``call`` by the parameter of ``callee`` they go to: ``(name, repr)``. A
    method called through an attribute takes its first parameter from the receiver."""
    params = [p.name for p in callee.params]
    if callee.self_name is not None and params and params[0] == callee.self_name:
        params = params[1:]
    found = set()
    for where, value in call.literals:
        if where.isdigit():
            index = int(where)
            if index < len(params):
                found.add((params[index], value))
        elif where in params:
            found.add((where, value))
    return frozenset(found)


def _called_earlier(function: FunctionFacts, call: CallFact, paths: tuple[str, ...]) -> bool:
    """A call of the function, on a line before ``call``, of one of ``paths`` from the same receiver:
    ``drain`` is ``writer.drain()``, ``transport.abort`` is ``writer.transport.abort()``."""
    if not call.receiver:
        return False
    wanted = {(f"{call.receiver}.{p.rpartition('.')[0]}".rstrip("."), p.rpartition(".")[2]) for p in paths}
    return any(other.line < call.line and (other.receiver, other.method) in wanted for other in function.calls)


# ``?name``, ``?!name``, ``?name==<literal>``, ``?name!=<literal>`` (``summaries._conditions``): the name
# comes first, and a name holds no ``=`` or ``!``, so a literal that does (``'a!=b'``) cannot split it.
_CONDITION = re.compile(r"\?(!?)([A-Za-z_]\w*)(?:(==|!=)(.*))?\Z", re.DOTALL)


def ruled_out(call: CallFact, given: dict[str, str]) -> bool:
    """The call sits under an ``if`` that the literal arguments make false (see ``summaries._conditions``)."""
    for guard in call.guards:
        condition = _CONDITION.match(guard)
        if condition is None:
            continue  # a key the test reads, not a condition
        negated, name, op, literal = condition.groups()
        if name not in given:
            continue
        try:
            value, wanted = ast.literal_eval(given[name]), ast.literal_eval(literal) if op else None
        except (ValueError, SyntaxError):
            continue
        if op == "==" and value != wanted or op == "!=" and value == wanted:
            return True
        if not op and bool(value) == bool(negated):
            return True
    return False
