"""The search for the shutdown flag or event a retry loop should read (FSR001's fix)."""

from __future__ import annotations

import ast
import textwrap

import pytest

from fs_lint.analysis.retry_loops import ModuleAnalysis
from fs_lint.settings import Settings
from fs_lint.analysis.shutdown_indicators import Indicator, NoIndicator, find_indicator


def search(code: str, settings: Settings = Settings(), loop_line: int | None = None) -> Indicator:
    """The indicator for the loop at ``loop_line`` (the last loop of the module by default)."""
    tree = ast.parse(textwrap.dedent(code))
    analysis = ModuleAnalysis(tree, settings)
    loops = [loop for loop in analysis.loops if loop_line in (None, loop.node.lineno)]
    parents = {id(child): parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    return find_indicator(loops[-1], tree, parents)


RETRY = """
        while True:
            try:
                connect()
            except OSError:
                time.sleep(1)
"""


def method(init: str, others: str = "", receiver: str = "self") -> str:
    return (f"class Worker:\n    def __init__(self):\n{textwrap.indent(textwrap.dedent(init), ' ' * 8)}\n"
            f"{textwrap.indent(textwrap.dedent(others), ' ' * 4)}\n"
            f"    def run({receiver}):{textwrap.indent(textwrap.dedent(RETRY), ' ' * 8)}")


def test_a_flag_that_says_stop() -> None:
    found = search(method("self._closing = False", "def close(self):\n    self._closing = True\n"))
    assert (found.go_on_test, found.stop_test, found.caveat) == ("not self._closing", "self._closing", None)


def test_a_flag_that_says_go_on() -> None:
    found = search(method("self._running = True", "def stop(self):\n    self._running = False\n"))
    assert (found.go_on_test, found.stop_test, found.caveat) == ("self._running", "not self._running", None)


def test_the_receiver_keeps_its_name() -> None:
    found = search(method("self.alive = True", "def kill(self):\n    self.alive = False\n", receiver="this"))
    assert found.go_on_test == "this.alive"


def test_only_set_in_init_is_no_indicator() -> None:
    with pytest.raises(NoIndicator, match=r"`self._running` is never set to False outside __init__\(\) and run\(\)"):
        search(method("self._running = True"))


def test_set_in_a_callback_defined_in_init_counts() -> None:
    found = search(method("self._stopped = False\nsignals.on_term(lambda: setattr(self, 'x', 1) or self.stop())",
                          "def stop(self):\n    self._stopped = True\n"))
    assert found.go_on_test == "not self._stopped"


def test_an_event_attribute() -> None:
    # Whatever ``Event`` is here, the code calls ``set()`` on it: an event, of a class the code does not show.
    found = search(method("self._stop = Event()", "def stop(self):\n    self._stop.set()\n"))
    assert (found.go_on_test, found.event_type, found.can_wait) == ("not self._stop.is_set()", None, False)
    found = search("import threading\n" + method("self._stop = threading.Event()",
                                                 "def stop(self):\n    self._stop.set()\n"))
    assert (found.event_type, found.can_wait) == ("threading.Event", True)


def test_an_asyncio_event_cannot_stand_in_for_a_sleep() -> None:
    found = search("import asyncio\n" + method("self._shutdown = asyncio.Event()",
                                               "def close(self):\n    self._shutdown.set()\n"))
    assert (found.event_type, found.can_wait) == ("asyncio.Event", False)


def test_not_ready_when_the_loop_starts_is_a_caveat() -> None:
    found = search(method("self._running = False",
                          "def start(self):\n    self._running = True\n\ndef stop(self):\n    self._running = False\n"))
    assert found.caveat == "`self._running` is False when the loop starts, so the loop would not run"


def test_never_created_before_the_loop_is_a_caveat() -> None:
    found = search(method("pass", "def close(self):\n    self._closing = True\n"))
    assert found.caveat == "`self._closing` may not exist yet when the loop first reads it"


def test_a_method_is_not_a_flag() -> None:
    with pytest.raises(NoIndicator):
        search(method("self.stop = False", "def stop(self):\n    self.stop = True\n"))


def test_values_that_are_neither_bool_nor_event_are_ignored() -> None:
    with pytest.raises(NoIndicator, match=r"^no shutdown flag or event found for the loop at line \d+$"):
        search(method("self._exit_stack = ExitStack()\nself._cancel_scope = None",
                      "def close(self):\n    self._exit_stack.close()\n"))


def test_an_event_parameter_beats_a_class_attribute() -> None:
    code = method("self._closing = False", "def close(self):\n    self._closing = True\n")
    code = code.replace("def run(self):", "def run(self, stop_event: 'threading.Event'):")
    found = search("import threading\n" + code)
    assert (found.go_on_test, found.event_type) == ("not stop_event.is_set()", "threading.Event")


def test_a_local_flag_counts_only_with_nonlocal() -> None:
    code = """
        def serve():
            stopping = False

            def on_term(*_):
                {declaration}
                stopping = True

            signal.signal(signal.SIGTERM, on_term)
    """ + RETRY.replace("\n        ", "\n            ")
    assert search(code.format(declaration="nonlocal stopping")).go_on_test == "not stopping"
    with pytest.raises(NoIndicator, match="`stopping` is never set to True outside the loop's own function"):
        search(code.format(declaration="pass"))


def test_a_local_event_handed_to_other_code() -> None:
    code = """
        import threading

        def serve(pool):
            stop = threading.Event()
            pool.submit(watch_for_sigterm, stop)
    """ + RETRY.replace("\n        ", "\n            ")
    assert search(code).go_on_test == "not stop.is_set()"


def test_a_module_flag_needs_a_global_declaration() -> None:
    code = """
        shutdown_requested = False

        def request_shutdown():
            {declaration}
            shutdown_requested = True

        def run():
    """ + RETRY.replace("\n        ", "\n            ")
    assert search(code.format(declaration="global shutdown_requested")).go_on_test == "not shutdown_requested"
    with pytest.raises(NoIndicator):
        search(code.format(declaration="pass"))


def test_a_local_name_hides_the_module_one() -> None:
    code = """
        import threading
        STOP = threading.Event()

        def on_term(*_):
            STOP.set()

        def run(STOP=None):
    """ + RETRY.replace("\n        ", "\n            ")
    with pytest.raises(NoIndicator):
        search(code)


def test_the_shutdown_words_come_from_the_settings() -> None:
    code = method("self._finished = False", "def finish(self):\n    self._finished = True\n")
    with pytest.raises(NoIndicator):
        search(code)
    found = search(code, Settings(shutdown_names=("finished",)))
    assert found.go_on_test == "not self._finished"
