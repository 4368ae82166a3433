"""The program model on its own: module facts, names across modules, types, calls, work, and its cache.

These tests ask ``fs_lint.model`` directly, without any rule: what a term evaluates to, where a
method is found, what a thread runs, what a call reaches. The rules' behaviour on top of it is in
the FSR901 fixtures and ``tests/test_fsr901.py``.
"""

from __future__ import annotations

import ast
import json
import os
import textwrap
from pathlib import Path

import pytest

from fs_lint.model.facts_cache import CACHE_FOLDER, FactsCache
from fs_lint.model.layout import ProjectLayout, module_name, project_root
from fs_lint.model.program import Program
from fs_lint.model.summaries import ModuleFacts, resolve_relative, summarize
from fs_lint.model.waits import WaitModel, arguments_given


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write(tmp_path, {
        "pyproject.toml": "[project]\nname = 'svc'\n",
        "src/svc/__init__.py": "",
        "src/svc/broker.py": """\
            import asyncio
            import threading
            import time
            from typing import Optional

            import aio_pika


            class Base:
                def __init__(self):
                    self._stopping = threading.Event()

                def close(self):
                    self._stopping.set()


            class Link(Base):
                queue: Optional[aio_pika.RobustQueue]

                async def open(self, url):
                    self.connection = await aio_pika.connect_robust(url)
                    self.channel = await self.connection.channel()
                    self.queue = await self.channel.declare_queue("jobs")
                    self.reader, self.writer = await asyncio.open_connection("db", 5432)
                    self.worker = threading.Thread(target=self._pump, daemon=True)
                    self.task = asyncio.create_task(self._read())

                def _pump(self):
                    while True:
                        self._retry()

                def _retry(self):
                    while not self._connected():
                        time.sleep(5)

                def _connected(self):
                    return False

                async def _read(self):
                    while True:
                        try:
                            await self.reader.read(100)
                        except asyncio.CancelledError:
                            continue
            """,
        "src/svc/service.py": """\
            from .broker import Link


            class Service:
                def __init__(self):
                    self.link = Link()

                async def stop(self):
                    await self.link.queue.cancel("tag")
                    self.link.close()
            """,
    })
    return tmp_path


def program_of(project: Path) -> Program:
    return Program(ProjectLayout.for_file(project / "src/svc/service.py"))


def test_the_project_is_found_from_any_file_and_modules_are_named_as_python_imports_them(project: Path) -> None:
    assert project_root(project / "src/svc/broker.py") == project
    assert module_name(project / "src/svc/broker.py") == ("svc.broker", False)
    assert module_name(project / "src/svc/__init__.py") == ("svc", True)
    layout = ProjectLayout.for_file(project / "src/svc/service.py")
    assert layout.file_of("svc.service") == project / "src/svc/service.py"
    assert layout.split("svc.broker.Link.close") == ("svc.broker", ("Link", "close"))
    assert layout.split("aio_pika.RobustQueue") is None


def test_the_index_names_every_module_as_module_name_does(tmp_path: Path) -> None:
    """The index works out each folder's packages once; each file's name is still what ``module_name``
    (which climbs from the file) gives: nested packages, a folder that is no package inside one, a
    package at the root, scripts beside it, a top-level ``__init__.py``."""
    root = tmp_path / "repo"
    files = ["setup.py", "__init__.py", "run.py", "app/__init__.py", "app/main.py", "app/sub/__init__.py",
             "app/sub/deep.py", "app/data/loose.py", "app/data/pkg/__init__.py", "app/data/pkg/m.py",
             "src/lib/__init__.py", "src/lib/core.py", "scripts/tool.py"]
    for name in files:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("")
    names = {"setup.py": "repo.setup", "__init__.py": "repo", "run.py": "repo.run",  # the root is a package too
             "app/__init__.py": "repo.app", "app/main.py": "repo.app.main", "app/sub/__init__.py": "repo.app.sub",
             "app/sub/deep.py": "repo.app.sub.deep", "app/data/loose.py": "loose",  # not a package: a source root
             "app/data/pkg/__init__.py": "pkg", "app/data/pkg/m.py": "pkg.m", "src/lib/__init__.py": "lib",
             "src/lib/core.py": "lib.core", "scripts/tool.py": "tool"}
    assert ProjectLayout(root).modules == {name: root / file for file, name in names.items()}
    assert {module_name(root / file)[0] for file in files} == set(names.values())
    assert module_name(root / "app/sub/__init__.py") == ("repo.app.sub", True)


def test_relative_imports_resolve_against_the_module() -> None:
    assert resolve_relative("a.b.c", False, 1, "d") == "a.b.d"
    assert resolve_relative("a.b", True, 1, "d") == "a.b.d"
    assert resolve_relative("a.b.c", False, 2, None) == "a"
    assert resolve_relative("a", False, 3, "x") is None


def test_an_attribute_is_typed_across_modules_through_annotations_factories_and_the_library_table(
        project: Path) -> None:
    program = program_of(project)
    stop = program.function("svc.service.Service.stop")
    assert stop is not None
    cancel = next(c for c in stop.calls if c.method == "cancel")
    assert {(v.kind, v.name, v.bound) for v in program.evaluate(cancel.function, stop.qualname)} == {
        ("libfunc", "aio_pika.RobustQueue.cancel", "aio_pika.RobustQueue")}
    opened = "svc.broker.Link.open"
    channel = program.evaluate(("attr", ("self",), "channel"), opened)
    assert {v.name for v in channel} == {"aio_pika.RobustChannel"}, "connect_robust() -> channel() returns"
    writer = program.evaluate(("attr", ("self",), "writer"), opened)
    assert {v.name for v in writer} == {"asyncio.StreamWriter"}, "the second item of open_connection()"


def test_methods_are_found_through_base_classes_of_other_modules(project: Path) -> None:
    program = program_of(project)
    stop = program.function("svc.service.Service.stop")
    close = next(c for c in stop.calls if c.method == "close")
    assert {v.name for v in program.evaluate(close.function, stop.qualname)} == {"svc.broker.Base.close"}
    assert program.lineage("svc.broker.Link") == ("svc.broker.Link", "svc.broker.Base")


def test_a_library_wait_is_bounded_guarded_or_not_as_its_entry_says(tmp_path: Path) -> None:
    source = textwrap.dedent("""\
        import asyncio
        import aio_pika

        class C:
            queue: aio_pika.RobustQueue

            async def plain(self):
                await self.queue.cancel("t")

            async def rpc_timeout(self):
                await self.queue.cancel("t", timeout=5)

            async def nowait(self):
                await self.queue.cancel("t", nowait=True)

            async def guarded(self):
                if not self.queue.channel.is_closed:
                    await self.queue.cancel("t")

            async def scoped(self):
                async with asyncio.timeout(5):
                    await self.queue.cancel("t")
    """)
    program = Program(None)
    facts = program.add(summarize(ast.parse(source), "m"))
    waits = WaitModel(program)

    def wait_in(name: str):
        function = facts.functions[f"m.C.{name}"]
        call = next(c for c in function.calls if c.method == "cancel")
        return waits.library_wait(function, call)

    plain = wait_in("plain")
    assert plain is not None and plain.kind == "reconnect" and plain.guard == "self.queue.channel.is_closed"
    assert "bounds only the round trip" in wait_in("rpc_timeout").note
    assert wait_in("nowait") is not None, "nowait=True skips the reply, not the wait for the reconnect"
    assert wait_in("guarded") is None
    assert wait_in("scoped") is None


def test_what_a_thread_or_task_runs_and_what_it_reaches(project: Path) -> None:
    program = program_of(project)
    waits = WaitModel(program)
    worker = program.evaluate(("attr", ("self",), "worker"), "svc.broker.Link.open")
    (runs,) = waits.work_of(worker)
    assert runs.qualname == "svc.broker.Link._pump"
    (reached,) = waits.reached(runs)
    assert reached.kind == "loop" and "time.sleep(5)" in reached.says
    assert [step.title for step in reached.steps] == ["`Link._pump()`", "`Link._retry()`"]
    assert str(reached.steps[-1].where).endswith("src/svc/broker.py:33")
    task = program.evaluate(("attr", ("self",), "task"), "svc.broker.Link.open")
    (read,) = waits.work_of(task)
    swallowed = waits.swallows_cancellation(read)
    assert swallowed is not None and "asyncio.CancelledError" in swallowed.says


def test_who_calls_a_name_is_answered_across_the_project(project: Path) -> None:
    """The question that looks backwards (who may run ``close()``?), by the called name alone: every
    module is loaded for it, and a call through an attribute counts as a call of that name."""
    program = program_of(project)
    assert sorted(f.qualname for f in program.callers_named("close")) == ["svc.service.Service.stop"]
    assert sorted(f.qualname for f in program.callers_named("_retry")) == ["svc.broker.Link._pump"]
    assert program.callers_named("no_such_function") == []


def test_a_loop_that_tests_the_flag_the_stop_sets_is_not_endless(tmp_path: Path) -> None:
    source = textwrap.dedent("""\
        import time

        class W:
            def run(self):
                while not self._stopping:
                    time.sleep(1)

            def stop(self):
                self._stopping = True
    """)
    program = Program(None)
    facts = program.add(summarize(ast.parse(source), "m"))
    waits = WaitModel(program)
    run, stop = facts.functions["m.W.run"], facts.functions["m.W.stop"]
    assert waits.reached(run, waits.sets(stop)) == ()
    assert waits.reached(run) != (), "with nothing set, it is a loop with no deadline"


def test_a_loop_that_reads_the_clock_each_round_has_a_deadline() -> None:
    """``left = end - time.time()`` each round, compared in the condition: the loop ends when the time is up."""
    source = textwrap.dedent("""\
        import asyncio
        import time

        async def drain(session, timeout):
            end = time.time() + timeout
            left = end - time.time()
            while not session.drained() and left > 0:
                await asyncio.sleep(1)
                left = end - time.time()

        async def forever(session, timeout):
            left = timeout
            while not session.drained() and left > 0:
                await asyncio.sleep(1)
    """)
    program = Program(None)
    facts = program.add(summarize(ast.parse(source), "m"))
    waits = WaitModel(program)
    assert facts.functions["m.drain"].loops[0].deadline
    assert waits.reached(facts.functions["m.drain"]) == ()
    assert not facts.functions["m.forever"].loops[0].deadline
    assert waits.reached(facts.functions["m.forever"]) != (), "left never moves: no deadline"


def test_a_call_under_a_condition_the_callers_literal_makes_false_is_not_reached() -> None:
    """``if namespace != "admin": await kick()`` reached with "admin", ``if wait: join()`` with ``wait=False``:
    the literal arguments of the call that runs a function rule out the calls under such an ``if``."""
    source = textwrap.dedent("""\
        import asyncio

        class Events:
            async def kick(self):
                while self.pending is None:
                    await asyncio.sleep(1)

            async def process(self, namespace, data, wait=True):
                if self.ready and namespace != "admin":
                    await self.kick()
                if not wait:
                    return
                if wait:
                    await self.kick()

            async def stop_quietly(self):
                await self.process("admin", {}, wait=False)

            async def stop_loudly(self):
                await self.process("admin", {})
    """)
    program = Program(None)
    facts = program.add(summarize(ast.parse(source), "m"))
    waits = WaitModel(program)
    process = facts.functions["m.Events.process"]
    quiet = facts.functions["m.Events.stop_quietly"].calls[0]
    loud = facts.functions["m.Events.stop_loudly"].calls[0]
    assert arguments_given(quiet, process) == {("namespace", "'admin'"), ("wait", "False")}
    assert waits.reached(process, given=arguments_given(quiet, process)) == ()
    assert waits.reached(process, given=arguments_given(loud, process)) != (), "wait defaults to True"
    assert waits.reached(process) != ()


def test_a_timeout_parameter_replaced_before_the_wait_is_a_bound() -> None:
    """``def f(timeout=None): if timeout is None: timeout = 5``: the default None is not what it waits with,
    unless what replaces it waits for ever too (``threading.TIMEOUT_MAX``)."""
    source = textwrap.dedent("""\
        import threading

        class C:
            def replaced(self, timeout=None):
                if timeout is None:
                    timeout = self.idle
                self.thread.join(timeout)

            def kept(self, timeout=None):
                self.thread.join(timeout)

            def for_ever(self, timeout=None):
                if timeout is None:
                    timeout = threading.TIMEOUT_MAX
                self.thread.join(timeout)
    """)
    program = Program(None)
    facts = program.add(summarize(ast.parse(source), "m"))
    waits = WaitModel(program)
    bound = ("local", "timeout")
    assert not waits.forever_by_default(facts.functions["m.C.replaced"], bound)
    assert waits.forever_by_default(facts.functions["m.C.kept"], bound)
    assert waits.forever_by_default(facts.functions["m.C.for_ever"], bound)


def test_what_a_path_sets_before_a_line() -> None:
    source = textwrap.dedent("""\
        class D:
            def close(self):
                self.stop.set()
                self.thread.join()
                self.ping.set()
    """)
    program = Program(None)
    facts = program.add(summarize(ast.parse(source), "m"))
    waits = WaitModel(program)
    close = facts.functions["m.D.close"]
    assert waits.sets(close) == {"self.stop", "self.ping"}
    assert waits.sets(close, before=4) == {"self.stop"}


def test_facts_survive_json_unchanged(project: Path) -> None:
    path = project / "src/svc/broker.py"
    facts = summarize(ast.parse(path.read_text()), "svc.broker", str(path))
    assert ModuleFacts.from_json(json.loads(json.dumps(facts.to_json()))) == facts


def test_the_cache_is_written_once_read_back_and_ignored_by_git(project: Path) -> None:
    path = project / "src/svc/broker.py"
    cache = FactsCache(project)
    first = cache.load(path, "svc.broker", False)
    assert (cache.hits, cache.misses) == (0, 1)
    assert (project / CACHE_FOLDER / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (project / CACHE_FOLDER / "CACHEDIR.TAG").is_file()
    again = FactsCache(project).load(path, "svc.broker", False)
    assert again == first
    changed = FactsCache(project)
    path.write_text(path.read_text() + "\nX = 1\n")
    assert "X" in changed.load(path, "svc.broker", False).globals and changed.misses == 1


def test_a_corrupt_or_foreign_entry_is_rebuilt_never_trusted(project: Path) -> None:
    path = project / "src/svc/broker.py"
    cache = FactsCache(project)
    facts = cache.load(path, "svc.broker", False)
    entries = list((project / CACHE_FOLDER / "facts").rglob("*.json"))
    assert len(entries) == 1
    entries[0].write_text('{"schema": ')  # half an entry: a killed run
    again = FactsCache(project)
    assert again.load(path, "svc.broker", False) == facts and again.misses == 1
    entries[0].write_text(json.dumps({"schema": 0, "facts": {}}))
    assert FactsCache(project).load(path, "svc.broker", False) == facts


def test_an_unwritable_cache_folder_is_skipped(project: Path) -> None:
    """A file where the cache folder should be: nothing can be written (as for any user, root too)."""
    (project / CACHE_FOLDER).write_text("a file where the folder should be")
    cache = FactsCache(project)
    facts = cache.load(project / "src/svc/broker.py", "svc.broker", False)
    assert facts is not None and cache.misses == 1
    assert FactsCache(project).load(project / "src/svc/broker.py", "svc.broker", False) == facts


def test_a_module_that_does_not_parse_adds_no_facts_and_its_neighbours_still_answer(project: Path) -> None:
    (project / "src/svc/broken.py").write_text("def (:\n")
    write(project, {"src/svc/user.py": """\
        from .broken import Thing
        from .broker import Link

        def f():
            Link().close()
            Thing().go()
        """})
    program = program_of(project)
    assert program.module("svc.broken") is None
    f = program.function("svc.user.f")
    names = [{v.name for v in program.evaluate(c.function, f.qualname)} for c in f.calls if c.method]
    assert {"svc.broker.Base.close"} in names
    assert set() in names, "a name from a module that does not parse resolves to nothing"


def test_a_file_changed_on_disk_is_read_again_by_a_long_lived_program(project: Path) -> None:
    program = program_of(project)
    assert program.function("svc.broker.Link._connected") is not None
    path = project / "src/svc/broker.py"
    path.write_text(path.read_text().replace("def _connected(self)", "def _is_connected(self)"))
    os.utime(path, ns=(os.stat(path).st_atime_ns, os.stat(path).st_mtime_ns + 10_000_000))
    program.refresh()
    assert program.function("svc.broker.Link._connected") is None
    assert program.function("svc.broker.Link._is_connected") is not None


def test_an_empty_subscript_in_an_annotation_is_read_as_the_bare_type() -> None:
    """``tuple[()]``, ``list[()] | None``: nothing to read an element type from, and no IndexError (found on
    filelock 3.x by the whole-corpus run once FSR002 asked the program model)."""
    from fs_lint.model.summaries import summarize

    tree = ast.parse("class Slot:\n    empty: tuple[()]\n    maybe: list[()] | None\n")
    facts = summarize(tree, "slots", "slots.py", False)
    assert set(facts.classes["slots.Slot"].attributes) == {"empty", "maybe"}


def test_a_dataclass_field_s_factory_is_what_the_attribute_holds() -> None:
    """``field(default_factory=Queue)`` makes ``Queue()`` for each instance: the attribute is typed by the
    call (its size too), as an assignment in ``__init__`` would be; ``default=`` is the value itself."""
    tree = ast.parse(textwrap.dedent("""\
        import queue
        from dataclasses import dataclass, field


        @dataclass
        class Mapper:
            _requests: queue.Queue = field(default_factory=queue.Queue)
            _retries: int = field(default=3)
            _name: str = "upnp"
    """))
    facts = summarize(tree, "svc.upnp", "svc/upnp.py", False)
    attributes = facts.classes["svc.upnp.Mapper"].attributes
    assert ("call", ("name", "queue.Queue"), (), ()) in attributes["_requests"]
    assert any(term[0] == "const" for term in attributes["_retries"])
    assert any(term[0] == "const" for term in attributes["_name"])


def test_who_awaits_a_function_inside_a_loop_that_goes_on() -> None:
    """Awaited in a worker's ``while True:`` (or through an awaiting caller), a function runs in that task;
    handed to ``create_task`` it runs in a task of its own; a ``for`` over items ends."""
    program = Program(None)
    program.add(summarize(ast.parse(textwrap.dedent("""\
        import asyncio


        async def handle(event):
            pass


        async def process(event):
            await handle(event)


        async def worker(queue):
            while True:
                await process(await queue.get())


        async def dispatcher(queue):
            while True:
                asyncio.create_task(on_event(await queue.get()))


        async def on_event(event):
            pass


        async def replay(events):
            for event in events:
                await on_batch_event(event)


        async def on_batch_event(event):
            pass
    """)), "m"))
    assert program.awaited_in_a_going_loop("process")  # awaited in the while loop itself
    assert program.awaited_in_a_going_loop("handle")  # through process(), awaited there
    assert not program.awaited_in_a_going_loop("on_event")  # a task of its own
    assert not program.awaited_in_a_going_loop("on_batch_event")  # a for over items ends
    assert not program.awaited_in_a_going_loop("nobody_calls_this")


OFFLOADING = {
    "pyproject.toml": "[project]\nname = 'bot'\n",
    "bot/__init__.py": "",
    "bot/offload.py": """\
        import asyncio
        from functools import partial


        async def run_blocking(func, *args):
            return await asyncio.get_running_loop().run_in_executor(None, partial(func, *args))
    """,
    "bot/scrape.py": """\
        def resolve(url):
            return url


        def listing(url):
            return [url]


        def share(url):
            return url
    """,
    "bot/commands.py": """\
        import asyncio

        from .offload import run_blocking
        from .scrape import listing, resolve, share


        async def command(text):
            links = await run_blocking(resolve, text)
            rows = await asyncio.to_thread(listing, text)
            handlers = {"share": share}
            return links, rows, handlers
    """,
    "bot/cli.py": """\
        from .scrape import listing


        def main(url):
            print(listing(url))
    """,
}


def test_a_function_handed_only_to_threads_is_known_from_every_mention_of_its_name(tmp_path: Path) -> None:
    from fs_lint.model.thread_hand_offs import handed_only_to_threads

    files = dict(OFFLOADING)
    files["bot/cli.py"] = "print('no scraper here')\n"
    write(tmp_path, files)
    program = program_of(tmp_path)
    where = handed_only_to_threads(program, "bot.scrape.resolve")
    assert where is not None and where.path.endswith("commands.py") and "run_blocking(resolve" in where.text
    assert handed_only_to_threads(program, "bot.scrape.share") is None  # stored in a dict: may run anywhere


def test_a_function_also_called_directly_or_named_in_a_file_that_does_not_parse_is_not_thread_only(
        tmp_path: Path) -> None:
    from fs_lint.model.thread_hand_offs import handed_only_to_threads

    write(tmp_path, OFFLOADING)
    assert handed_only_to_threads(program_of(tmp_path), "bot.scrape.listing") is None  # cli.py calls it
    files = dict(OFFLOADING)
    files["bot/cli.py"] = "from .scrape import resolve\nprint(resolve(\n"
    write(tmp_path / "broken", files)
    assert handed_only_to_threads(program_of(tmp_path / "broken"), "bot.scrape.resolve") is None


QUEUE_THREADS = {
    "pyproject.toml": "[project]\nname = 'svc'\n",
    "svc/__init__.py": "",
    "svc/helpers.py": """\
        def postprocess_main(queue):
            while True:
                item = queue.get()
                try:
                    item.run()
                except:
                    continue


        def search_main(queue):
            while True:
                queue.get().run()
    """,
    "svc/queues.py": """\
        import queue
        import threading

        from svc import helpers

        PP_QUEUE = queue.Queue()


        def queue_schedule(kind):
            def start(target, arg, name):
                thread = threading.Thread(target=target, args=(arg,), name=name)
                thread.start()

            if kind == "pp":
                start(helpers.postprocess_main, PP_QUEUE, "PP")
            else:
                helpers.search_main(PP_QUEUE)
    """,
}


def test_a_function_handed_to_a_thread_as_an_attribute_of_its_module_is_thread_only(tmp_path: Path) -> None:
    """``start(helpers.postprocess_main, q, name)``, where ``start`` (nested in the function that calls it)
    runs its ``target`` in a ``Thread``: the function is named as an attribute of its module, not imported
    by its own name. Called directly the same way (``helpers.search_main(q)``), it runs where its caller does."""
    from fs_lint.model.thread_hand_offs import handed_only_to_threads

    write(tmp_path, QUEUE_THREADS)
    program = program_of(tmp_path)
    where = handed_only_to_threads(program, "svc.helpers.postprocess_main")
    assert where is not None and where.path.endswith("queues.py") and "start(helpers.postprocess_main" in where.text
    assert handed_only_to_threads(program, "svc.helpers.search_main") is None


WEB_HANDLERS = {
    "pyproject.toml": "[project]\nname = 'web'\n",
    "web/__init__.py": "",
    "web/lookup.py": """\
        def find_series(name):
            return name


        def series_details(name):
            return {"name": name}


        def warm(names):
            return [find_series(n) for n in names]
    """,
    "web/pages.py": """\
        import cherrypy

        from web import lookup


        class Pages:
            @cherrypy.expose
            def series_page(self, name):
                return lookup.find_series(name), lookup.series_details(name)

            @cherrypy.expose
            def prefetch_page(self, names):
                return lookup.warm(names)


        def main():
            print(lookup.warm(["a"]))
    """,
}


def test_a_handler_a_library_runs_in_its_threads_and_what_only_handlers_call_are_thread_only(tmp_path: Path) -> None:
    """``@cherrypy.expose`` (the table's ``drives = "thread"``): the server calls the handler in a request
    thread; a function that only such handlers call runs there too. ``warm`` is also called by ``main``, and
    ``find_series`` by ``warm``: they may run on the main thread."""
    from fs_lint.model.thread_hand_offs import handed_only_to_threads

    write(tmp_path, WEB_HANDLERS)
    program = program_of(tmp_path)
    handler = handed_only_to_threads(program, "web.pages.Pages.series_page")
    assert handler is not None and handler.text == "@cherrypy.expose"
    details = handed_only_to_threads(program, "web.lookup.series_details")
    assert details is not None and details.text == "@cherrypy.expose"
    assert handed_only_to_threads(program, "web.lookup.warm") is None  # main() calls it on the main thread
    assert handed_only_to_threads(program, "web.lookup.find_series") is None  # so does warm()


def test_the_layout_lists_regular_files_only(tmp_path: Path) -> None:
    """A pipe named like a module would block whoever reads it (a name scan, a parse): it is no module."""
    write(tmp_path, {"pyproject.toml": "[project]\nname = 'svc'\n", "svc/__init__.py": "", "svc/app.py": "x = 1\n"})
    os.mkfifo(tmp_path / "svc" / "pipe.py")
    layout = ProjectLayout.for_file(tmp_path / "svc" / "app.py")
    assert set(layout.modules) == {"svc", "svc.app"}
    assert Program(layout).files_holding("x") == ["svc.app"]
