"""The library model: what each library API waits for, read from a table of data.

A name says little: ``queue.cancel(tag)`` is a broker round trip that waits for RabbitMQ to come
back when ``queue`` is an aio-pika ``RobustQueue``, and ``q.put(x)`` never blocks when ``q`` is a
``SimpleQueue``. That knowledge lives in ``apis.toml`` beside this module, one entry per API (with
its source and a fixture that uses it), and in the entries a project adds under
``[tool.fs-lint] library`` for its own wrappers. The analysis asks this table; no rule keeps a list
of library names of its own.

Three kinds of entry:

- ``[[type]]``: a library class, the other names it goes by (``aio_pika.robust_queue.RobustQueue``,
  ``aio_pika.abc.AbstractRobustQueue``), its bases, and the types of its attributes;
- ``[[api]]``: a function or method: what it waits for (``waits``: ``reconnect``, ``peer``,
  ``thread``, ``process``, ``task``, ``event``, ``queue-space``, ``queue-item``, ``queue-drain``,
  ``jobs``, ``lock``, ``greenlet``, ``sleep``; ``bounded`` when the library bounds the wait
  itself; ``nothing`` when it never blocks), who must answer (``peer``), the
  parameters that bound it (comma-separated), their unit, its default and the values that mean "forever", whether the
  bound also covers the wait for a reconnect (``covers``), the liveness tests that skip it while
  the peer is gone (``guard``), the keywords that make it return at once (``no_wait``), the keywords under which it waits only
  for the work already running, not for the work queued behind it (``running_only``), what it
  returns, what it starts (``starts``: a thread, a task or a greenlet, running ``runs``), and what
  it calls a callback with (``callback``, ``callback_args``: the parameters of
  ``async def handle(reader, writer)`` handed to ``asyncio.start_server`` are a ``StreamReader``
  and a ``StreamWriter``), and the callback it calls each time a lost connection is back
  (``reconnected``: an event only that callback sets is a wait for the reconnect), and the
  exception it raises in the work before it waits for it (``interrupts``: gevent's ``kill()``
  raises ``GreenletExit`` in the greenlet, which ends it unless the work catches that and goes on),
  and the methods of the same receiver after which it is prompt (``prompt_after``: a writer's
  ``wait_closed()`` after its ``drain()`` has nothing left to flush, and after ``transport.abort()``
  the connection is lost on the loop's next round), whether it always raises
  (``never_returns``: Twisted's ``returnValue()``), and whether, as a decorator, it runs a generator
  as a coroutine (``drives = "coroutine"``: ``inlineCallbacks`` resumes it when a Deferred fires and
  never closes it, so no ``GeneratorExit`` reaches its loops but at garbage collection) or has the
  library call the function in a worker thread of its own (``drives = "thread"``: CherryPy's
  ``@cherrypy.expose`` handlers run in cheroot's request threads, where no Ctrl-C arrives), and whether
  the work it waits for is over before ``atexit`` hooks run (``ended_before_atexit``: concurrent.futures
  joins its workers from threading's own exit, so ``executor.shutdown()`` in an atexit hook waits for none);
- ``[[scope]]``: a context manager that bounds what runs inside it (``asyncio.timeout``);
- ``[[constant]]``: a value that means "no bound" when given as one (``threading.TIMEOUT_MAX``).
"""

from __future__ import annotations

import difflib
import json
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

TABLE = Path(__file__).with_name("apis.toml")

WAIT_KINDS = ("reconnect", "peer", "thread", "process", "task", "event", "queue-space", "queue-item",
              "queue-drain", "jobs", "lock", "greenlet", "sleep", "bounded", "nothing")
START_KINDS = ("thread", "task", "greenlet", "process")
UNITS = ("s", "ms", "count")

_API_FIELDS = {
    "name": str, "waits": str, "peer": str, "bound": str, "bound_position": int, "unit": str, "covers": str,
    "forever": list, "default": str, "guard": list, "no_wait": dict, "returns": str, "says": str,
    "source": str, "fixture": str, "starts": str, "runs": str, "runs_position": int, "daemon": str,
    "when": dict, "running_only": dict, "size_arg": str, "callback": str, "callback_position": int, "callback_args": str,
    "reconnected": str, "interrupts": str, "prompt_after": str, "never_returns": bool, "drives": str,
    "ended_before_atexit": bool,
}
_TYPE_FIELDS = {"name": str, "same": list, "bases": list, "attributes": dict, "source": str, "fixture": str}
_SCOPE_FIELDS = {"name": str, "bound": str, "bound_position": int, "unit": str, "source": str, "fixture": str}
_CONSTANT_FIELDS = {"name": str, "means": str, "source": str, "fixture": str}


class LibraryTableError(ValueError):
    """An entry of the table (or of ``[tool.fs-lint] library``) that cannot be read; says which and why."""


@dataclass(frozen=True)
class Api:
    name: str
    waits: str = "nothing"
    peer: str = ""
    bound: str = ""  # the keyword that bounds the wait ("" when none)
    bound_position: int = -1  # its position among the arguments after ``self`` (-1: keyword only)
    unit: str = "s"
    covers: str = "all"  # "all", or "rpc": the bound does not cover the wait for the reconnect
    forever: tuple[str, ...] = ("None",)  # literal values of the bound that mean no bound at all
    default: str = "None"  # the bound's value when it is not passed
    guard: tuple[str, ...] = ()  # attribute chains on the receiver that tell the peer is gone
    no_wait: tuple[tuple[str, Any], ...] = ()  # keyword values that make the call return at once
    returns: str = ""
    says: str = ""  # what it waits for, in a maintainer's words
    source: str = ""
    fixture: str = ""
    starts: str = ""  # "thread", "task", "greenlet", "process": it starts what ``runs`` names
    runs: str = ""  # the keyword of the callable or coroutine it starts
    runs_position: int = -1
    daemon: str = ""  # the keyword that makes a started thread daemon, or "always": it starts only daemon threads
    when: tuple[tuple[str, Any], ...] = ()  # keyword values under which the entry applies
    running_only: tuple[tuple[str, Any], ...] = ()  # keyword values under which it waits only for the work already running
    size_arg: str = ""  # it blocks only when the receiver was made with a positive value of this argument
    callback: str = ""  # the keyword of a callback the library calls later (``client_connected_cb``)
    callback_position: int = -1
    callback_args: str = ""  # the types it calls that callback with, comma-separated
    reconnected: str = ""  # the keyword of a callback the library calls each time the connection is back
    interrupts: str = ""  # the exception it raises in the work before it waits for it (gevent's ``kill``)
    prompt_after: str = ""  # methods of the same receiver (or of an attribute of it: ``transport.abort``),
    # comma-separated, that, called earlier, leave it nothing to wait for
    never_returns: bool = False  # it always raises: a handler that calls it leaves as a ``raise`` does
    drives: str = ""  # a decorator: "coroutine" runs a generator as a coroutine, never closing it; "thread" has
    # the library call the function in a worker thread of its own (a web framework's request threads)
    ended_before_atexit: bool = False  # the work it waits for is ended before atexit hooks run: none is left there

    @property
    def prompt_afters(self) -> tuple[str, ...]:
        """The calls after which the wait is prompt, as paths from its receiver (``drain``, ``transport.abort``)."""
        return tuple(p.strip() for p in self.prompt_after.split(",") if p.strip())

    @property
    def bounds(self) -> tuple[str, ...]:
        """The keywords that bound the wait (``bound`` may name several, comma-separated)."""
        return tuple(b.strip() for b in self.bound.split(",") if b.strip())

    @property
    def waits_for_peer(self) -> bool:
        return self.waits in ("reconnect", "peer")

    @property
    def blocks(self) -> bool:
        return self.waits != "nothing"

    @property
    def default_is_forever(self) -> bool:
        return self.default in self.forever or self.default == ""


@dataclass(frozen=True)
class LibType:
    name: str
    same: tuple[str, ...] = ()
    bases: tuple[str, ...] = ()
    attributes: tuple[tuple[str, str], ...] = ()
    source: str = ""
    fixture: str = ""


@dataclass(frozen=True)
class Scope:
    name: str
    bound: str = "timeout"
    bound_position: int = 0
    unit: str = "s"
    source: str = ""
    fixture: str = ""


@dataclass(frozen=True)
class Constant:
    """A library value with a meaning for a bound: ``threading.TIMEOUT_MAX`` waits for ever."""

    name: str
    means: str = "forever"
    source: str = ""
    fixture: str = ""


@dataclass
class LibraryModel:
    """The table, indexed: ``api("aio_pika.RobustQueue.cancel")``, ``type_of``, ``scope``."""

    apis: dict[str, Api] = field(default_factory=dict)
    types: dict[str, LibType] = field(default_factory=dict)
    scopes: dict[str, Scope] = field(default_factory=dict)
    _aliases: dict[str, str] = field(default_factory=dict)
    constants: dict[str, Constant] = field(default_factory=dict)

    @classmethod
    def from_entries(cls, data: Mapping[str, Any], origin: str) -> "LibraryModel":
        model = cls()
        model.add(data, origin)
        return model

    def add(self, data: Mapping[str, Any], origin: str) -> None:
        """Add the ``api``, ``type`` and ``scope`` entries of ``data``; a later entry replaces an earlier one."""
        unknown = set(data) - {"api", "type", "scope", "constant"}
        if unknown:
            raise LibraryTableError(f"{origin}: unknown table {sorted(unknown)[0]!r} "
                                    f"(expected api, type, scope or constant)")
        for index, raw in enumerate(data.get("type", ())):
            entry = LibType(**_fields(raw, _TYPE_FIELDS, f"{origin}: type #{index + 1}"))
            entry = LibType(entry.name, tuple(entry.same), tuple(entry.bases),
                            tuple(sorted(dict(entry.attributes).items())), entry.source, entry.fixture)
            self.types[entry.name] = entry
            for other in entry.same:
                self._aliases[other] = entry.name
        for index, raw in enumerate(data.get("api", ())):
            where = f"{origin}: api #{index + 1}"
            values = _fields(raw, _API_FIELDS, where)
            where = f"{origin}: api {values['name']!r}"
            if values.get("waits", "nothing") not in WAIT_KINDS:
                close = difflib.get_close_matches(values["waits"], WAIT_KINDS, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise LibraryTableError(f"{where}: waits = {values['waits']!r} is not one of "
                                        f"{', '.join(WAIT_KINDS)}{hint}")
            if values.get("unit", "s") not in UNITS:
                raise LibraryTableError(f"{where}: unit = {values['unit']!r} is not one of {', '.join(UNITS)}")
            if values.get("starts", "") not in ("",) + START_KINDS:
                raise LibraryTableError(f"{where}: starts = {values['starts']!r} is not one of {', '.join(START_KINDS)}")
            if values.get("drives", "") not in ("", "coroutine", "thread"):
                raise LibraryTableError(f"{where}: drives = {values['drives']!r} is not 'coroutine' or 'thread'")
            if values.get("covers", "all") not in ("all", "rpc"):
                raise LibraryTableError(f"{where}: covers = {values['covers']!r} is not 'all' or 'rpc'")
            for name in ("forever", "guard"):
                if name in values:
                    values[name] = tuple(str(v) for v in values[name])
            for name in ("no_wait", "when", "running_only"):
                if name in values:
                    values[name] = tuple(sorted(values[name].items()))
            self.apis[values["name"]] = Api(**values)
        for index, raw in enumerate(data.get("scope", ())):
            entry = Scope(**_fields(raw, _SCOPE_FIELDS, f"{origin}: scope #{index + 1}"))
            self.scopes[entry.name] = entry
        for index, raw in enumerate(data.get("constant", ())):
            entry = Constant(**_fields(raw, _CONSTANT_FIELDS, f"{origin}: constant #{index + 1}"))
            if entry.means != "forever":
                raise LibraryTableError(f"{origin}: constant {entry.name!r}: means = {entry.means!r} is not 'forever'")
            self.constants[entry.name] = entry

    # -- questions -------------------------------------------------------------------------------

    def canonical(self, name: str) -> str:
        """The name the table files a type under: ``aio_pika.robust_queue.RobustQueue`` -> ``aio_pika.RobustQueue``.

        A method of an aliased type follows it (``aio_pika.robust_queue.RobustQueue.cancel``)."""
        if name in self._aliases:
            return self._aliases[name]
        head, _, last = name.rpartition(".")
        if head and head in self._aliases:
            return f"{self._aliases[head]}.{last}"
        return name

    def type_of(self, name: str) -> LibType | None:
        return self.types.get(self.canonical(name))

    def is_type(self, name: str) -> bool:
        return self.canonical(name) in self.types

    def lineage(self, type_name: str) -> list[str]:
        """The type and its bases in the table, nearest first."""
        found: list[str] = []
        queue = [self.canonical(type_name)]
        while queue:
            current = queue.pop(0)
            if current in found:
                continue
            found.append(current)
            entry = self.types.get(current)
            if entry is not None:
                queue.extend(self.canonical(b) for b in entry.bases)
        return found

    def method(self, type_name: str, method: str) -> Api | None:
        """The entry for ``method`` on a value of ``type_name``, looked up through the type's bases."""
        for name in self.lineage(type_name):
            entry = self.apis.get(f"{name}.{method}")
            if entry is not None:
                return entry
        return None

    def api(self, name: str) -> Api | None:
        """The entry of a function (``asyncio.gather``) or a ``Type.method`` written out in full."""
        canonical = self.canonical(name)
        entry = self.apis.get(canonical)
        if entry is not None:
            return entry
        head, _, last = canonical.rpartition(".")
        if head and self.is_type(head):
            return self.method(head, last)
        return None

    def attribute_type(self, type_name: str, attribute: str) -> str | None:
        for name in self.lineage(type_name):
            entry = self.types.get(name)
            if entry is not None:
                found = dict(entry.attributes).get(attribute)
                if found:
                    return self.canonical(found)
        return None

    def scope(self, name: str) -> Scope | None:
        return self.scopes.get(self.canonical(name))

    def means_forever(self, name: str) -> bool:
        return self.canonical(name) in self.constants

    def entries(self) -> Iterable[Api | LibType | Scope | Constant]:
        yield from self.types.values()
        yield from self.apis.values()
        yield from self.scopes.values()
        yield from self.constants.values()


def _fields(raw: Any, allowed: dict[str, type], where: str) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise LibraryTableError(f"{where}: expected a table of keys, got {type(raw).__name__}")
    values = dict(raw)
    if "name" not in values or not isinstance(values["name"], str) or not values["name"]:
        raise LibraryTableError(f"{where}: needs a name (the dotted name of the API)")
    for key, value in values.items():
        expected = allowed.get(key)
        if expected is None:
            raise LibraryTableError(f"{where} ({values['name']}): unknown key {key!r}; "
                                    f"known keys: {', '.join(sorted(allowed))}")
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise LibraryTableError(f"{where} ({values['name']}): {key} must be "
                                    f"{ {str: 'a string', int: 'an integer', list: 'a list', dict: 'a table', bool: 'true or false'}[expected]}, "
                                    f"got {value!r}")
    return values


@lru_cache(maxsize=4)
def builtin_table(cache_root: str = "") -> LibraryModel:
    """The table that ships with fs-lint. ``cache_root``: a project whose ``.fs-lint-cache`` may keep the
    table as parsed (see ``_parsed_table``); "" reads the TOML."""
    source = TABLE.read_bytes()
    if cache_root:
        cached = _parsed_table(Path(cache_root), source)
        if cached is not None:
            try:
                return LibraryModel.from_entries(cached, str(TABLE.name))
            except LibraryTableError:
                pass  # not what this fs-lint wrote: the TOML decides
    if sys.version_info >= (3, 11):  # imported here: a process that reads the kept table does not need it
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    entries = tomllib.loads(source.decode("utf-8"))
    if cache_root:
        _keep_parsed_table(Path(cache_root), source, entries)
    return LibraryModel.from_entries(entries, str(TABLE.name))


def _table_entry(root: Path, source: bytes) -> Path:
    from ..cache_folder import CACHE_FOLDER
    import hashlib

    return root / CACHE_FOLDER / "library" / f"{hashlib.sha256(source).hexdigest()}.json"


def _parsed_table(root: Path, source: bytes) -> dict | None:
    """The table as this TOML parses, kept as JSON in the project's cache folder: reading it costs a
    tenth of parsing the TOML again (about 12 ms) in every process that asks the program model, which
    a one-file front end (pre-commit, flake8 on one file) pays per file. Keyed by the TOML's bytes;
    an entry that is missing, unreadable or not a table is not used, and one that does not validate
    is not trusted (``builtin_table``)."""
    try:
        data = json.loads(_table_entry(root, source).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _keep_parsed_table(root: Path, source: bytes, entries: dict) -> None:
    from ..cache_folder import write_entry

    try:
        write_entry(root, _table_entry(root, source), entries)
    except (OSError, ValueError):
        pass  # a read-only checkout: parse the TOML each time, say nothing


@lru_cache(maxsize=16)
def library_model(project_entries: str = "", cache_root: str = "") -> LibraryModel:
    """The shipped table with a project's own entries on top.

    ``project_entries`` is the ``[tool.fs-lint.library]`` table as canonical JSON (what
    ``Settings.library`` holds: hashable, so the indexed table is built once per distinct value).
    ``cache_root``: see ``builtin_table``.
    """
    base = builtin_table(cache_root)
    if not project_entries:
        return base
    model = LibraryModel(dict(base.apis), dict(base.types), dict(base.scopes), dict(base._aliases),
                         dict(base.constants))
    model.add(json.loads(project_entries), "[tool.fs-lint.library]")
    return model
