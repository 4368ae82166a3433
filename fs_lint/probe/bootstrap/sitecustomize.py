"""fs-lint probe's bootstrap: dump this process's stacks when the probe asks, with a signal.

``fs-lint probe`` puts this file's folder first on the service's ``PYTHONPATH`` and
names a folder in ``FS_LINT_PROBE_DUMPS`` and a reserved signal (a real-time one,
which services leave alone) in ``FS_LINT_PROBE_SIGNAL``. Python imports
``sitecustomize`` at start-up, in whatever environment and version the service runs,
so every Python process of the service, its children included, then:

- writes ``PID.hello``: which Python it is and where its standard library and
  site-packages are, so that the probe can tell project code from library code;
- registers ``faulthandler`` on the signal, writing to ``PID.threads``: the stacks of
  every thread, written from inside the signal handler, so they come even when the
  main thread is stuck in C code and never runs Python again;
- chains a Python handler to the same signal, which writes ``PID.json``: every
  thread's stack with its name, and every asyncio task's await chain, coroutine by
  coroutine down to the innermost await. It runs as soon as the main thread runs
  Python (a blocked ``join()``, ``recv()`` or ``select()`` is interrupted for it).

Then it imports the ``sitecustomize`` that this one hides, if there is one. Nothing
here may break the service: every step is guarded, and nothing is imported from
fs-lint (the service's Python may be another version, in another environment).
"""

import os
import sys

_state = {}


def _qualified_name(frame):
    """``Class.method`` as 3.11's ``co_qualname`` says it, found on older Pythons through ``self`` or ``cls``."""
    code = frame.f_code
    name = getattr(code, "co_qualname", None)
    if name is not None:
        return name
    try:
        locals_ = frame.f_locals
        owner = locals_.get("self", locals_.get("cls"))
        if owner is not None and code.co_varnames[:1] in (("self",), ("cls",)):
            for klass in (owner if isinstance(owner, type) else type(owner)).__mro__:
                member = klass.__dict__.get(code.co_name)
                if getattr(getattr(member, "__func__", member), "__code__", None) is code:
                    return "%s.%s" % (klass.__qualname__, code.co_name)
    except Exception:
        pass
    return code.co_name


def _frame_entry(frame):
    code = frame.f_code
    name = _qualified_name(frame)
    line = frame.f_lineno
    try:
        import linecache

        source = linecache.getline(code.co_filename, line, frame.f_globals).strip()
    except Exception:
        source = ""
    return [code.co_filename, line, name, source]


def _stack(frame, limit=400):
    """Outermost frame first, innermost last."""
    frames = []
    while frame is not None and len(frames) < limit:
        frames.append(_frame_entry(frame))
        frame = frame.f_back
    frames.reverse()
    return frames


def _threads(interrupted):
    threading = sys.modules.get("threading")
    known = dict(getattr(threading, "_active", {})) if threading is not None else {}
    here = _current_ident()  # Python runs signal handlers in the main thread
    threads = []
    for ident, frame in sys._current_frames().items():
        if ident == here:
            frame = interrupted  # not this handler's own frames
        thread = known.get(ident)
        threads.append({
            "ident": ident,
            "name": thread.name if thread is not None else ("MainThread" if ident == here else None),
            "daemon": thread.daemon if thread is not None else None,
            "main": ident == here,
            "frames": _stack(frame),
        })
    return threads


def _current_ident():
    try:
        import _thread

        return _thread.get_ident()
    except Exception:
        return None


def _live_tasks():
    module = sys.modules.get("asyncio.tasks")
    if module is None:
        return []
    found = {}
    # 3.8-3.11 keep every task in _all_tasks; 3.12 and 3.13 in _scheduled_tasks and _eager_tasks.
    for attribute in ("_all_tasks", "_scheduled_tasks", "_eager_tasks"):
        collection = getattr(module, attribute, None)
        if collection is None:
            continue
        for _attempt in range(100):
            try:
                items = list(collection)
                break
            except RuntimeError:  # the set changed while it was read
                items = []
        for task in items:
            found[id(task)] = task
    return [task for task in found.values() if not task.done()]


def _describe_awaited(future):
    if future is None:
        return None
    get_name = getattr(future, "get_name", None)
    if get_name is not None:
        return "task %r" % (get_name(),)
    children = getattr(future, "_children", None)
    if isinstance(children, (list, tuple)):
        return "gather of %d: %s" % (len(children), ", ".join(_describe_awaited(c) or "?" for c in children))
    text = repr(future)
    return text if len(text) <= 200 else text[:197] + "..."


def _awaited_generator(frame):
    """The async generator an ``await anext(gen)`` (or ``gen.asend()``) in ``frame`` waits on.

    The awaitable that ``asend`` returns does not say which generator it drives; the frame
    that awaits it holds the generator, as a local or as ``self.gen`` (contextlib's
    ``@asynccontextmanager``). The one suspended in an await is it.
    """
    values = list(frame.f_locals.values())
    values += [getattr(value, "gen", None) for value in values]
    for value in values:
        if type(value).__name__ == "async_generator" and getattr(value, "ag_await", None) is not None:
            return value
    return None


def _await_chain(task):
    """The task's coroutine, then what it awaits, and so on: outermost first, innermost last."""
    frames = []
    awaited = task.get_coro()
    last = None
    while awaited is not None and len(frames) < 400:
        frame = None
        for attribute in ("cr_frame", "gi_frame", "ag_frame"):
            frame = getattr(awaited, attribute, None)
            if frame is not None:
                break
        if frame is None:
            break
        frames.append(_frame_entry(frame))
        last = awaited
        awaited = None
        for attribute in ("cr_await", "gi_yieldfrom", "ag_await"):
            if hasattr(last, attribute):
                awaited = getattr(last, attribute)
                break
        if type(awaited).__name__ in ("async_generator_asend", "async_generator_athrow"):
            awaited = _awaited_generator(frame) or awaited
    waiting_on = _describe_awaited(getattr(task, "_fut_waiter", None))
    if waiting_on is None and awaited is not None:
        waiting_on = type(awaited).__name__
    cancelling = getattr(task, "cancelling", None)
    return {
        "name": task.get_name() if hasattr(task, "get_name") else repr(task),
        "frames": frames,
        "awaiting": waiting_on,
        "cancelling": cancelling() if callable(cancelling) else None,
    }


def _task_order(task):
    name = task["name"]
    digits = name.rpartition("-")[2]
    return (0, int(digits), name) if digits.isdigit() else (1, 0, name)


def _tasks():
    tasks = []
    for task in _live_tasks():
        try:
            tasks.append(_await_chain(task))
        except Exception as error:
            tasks.append({"name": repr(task)[:200], "frames": [], "awaiting": None, "error": repr(error)})
    return sorted(tasks, key=_task_order)


def _write(name, text):
    path = os.path.join(_state["directory"], name)
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as file:
        file.write(text)
    os.replace(temporary, path)  # the probe never reads half a file


def _on_signal(signum, frame):
    try:
        import json

        dump = {"pid": os.getpid(), "threads": [], "tasks": []}
        try:
            dump["threads"] = _threads(frame)
        except Exception as error:
            dump["threads_error"] = repr(error)
        try:
            dump["tasks"] = _tasks()
        except Exception as error:
            dump["tasks_error"] = repr(error)
        _write("%d.json" % os.getpid(), json.dumps(dump))
    except Exception:
        pass  # never an error in the service because of the probe


def _site_folders():
    folders = []
    try:
        import site

        folders.extend(site.getsitepackages())
        user = site.getusersitepackages()
        if isinstance(user, str):
            folders.append(user)
    except Exception:
        pass
    return folders


def _announce_and_register():
    """For this process (again in a forked child): say hello, and arm faulthandler on its own file."""
    import faulthandler

    pid = os.getpid()
    old = _state.pop("threads_file", None)
    if old is not None:
        old.close()  # the parent's, inherited through fork
    threads_file = open(os.path.join(_state["directory"], "%d.threads" % pid), "w")
    _state["threads_file"] = threads_file
    faulthandler.register(_state["signal"], file=threads_file, all_threads=True, chain=True)
    hello = {
        "pid": pid,
        "executable": sys.executable,
        "version": "%d.%d.%d" % sys.version_info[:3],
        "stdlib": os.path.dirname(os.__file__),
        "site": _site_folders(),
    }
    _write("%d.hello" % pid, repr(hello))


def _after_fork():
    try:
        _announce_and_register()
    except Exception:
        pass


def _install():
    directory = os.environ.get("FS_LINT_PROBE_DUMPS")
    number = os.environ.get("FS_LINT_PROBE_SIGNAL", "")
    if not directory or not number.isdigit() or not os.path.isdir(directory):
        return
    import signal

    _state["directory"] = directory
    _state["signal"] = int(number)
    # The Python handler first: faulthandler chains to it after its own dump.
    signal.signal(_state["signal"], _on_signal)
    _announce_and_register()
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_after_fork)


def _import_the_hidden_sitecustomize():
    """The environment's own ``sitecustomize`` (Debian has one), which this file hides on sys.path."""
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or os.curdir) != here]
    this = sys.modules.pop(__name__)
    try:
        import sitecustomize  # noqa: F401  (the next one on sys.path)
    except ImportError as error:
        sys.modules[__name__] = this  # the import system expects a module under this name
        if error.name != __name__:
            raise  # an error inside the hidden one: site reports it, as it would without the probe


try:
    _install()
except Exception:
    pass
_import_the_hidden_sitecustomize()
