"""A checked module's tree is freed by reference counting, not left for the cyclic collector.

The analysis's loops, handlers and cached answers point back at it; if the front ends did not
release it, every file's tree would wait in a reference cycle, and each young collection of a run
over many files would walk its nodes again (a fifth of a ``check -j 1`` over the standard library).
"""

from __future__ import annotations

import ast
import gc
import textwrap
from contextlib import contextmanager
from typing import Iterator

from fs_lint.checker import check_tree
from fs_lint.file_check import check_bytes, check_bytes_keeping
from fs_lint.fixing import fix_source
from fs_lint.settings import Settings

SERVICE = textwrap.dedent("""\
    import asyncio
    import threading
    import time


    class Consumer:
        def __init__(self):
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self.run)

        def run(self):
            while True:
                try:
                    self.poll()
                except BaseException:
                    time.sleep(1)

        def stop(self):
            self._stop.set()
            self._thread.join()


    async def consume(queue):
        while True:
            try:
                await queue.get()
            except asyncio.CancelledError:
                pass
""").encode()


@contextmanager
def cyclic_garbage() -> Iterator[list]:
    """What became unreachable only through reference cycles while the block ran."""
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    flags = gc.get_debug()
    found: list = []
    try:
        gc.set_debug(gc.DEBUG_SAVEALL)
        yield found
        gc.collect()
        found.extend(gc.garbage)
    finally:
        gc.garbage.clear()
        gc.set_debug(flags)
        if enabled:
            gc.enable()


def _syntax_nodes(objects: list) -> list:
    return [o for o in objects if isinstance(o, ast.AST)]


def test_the_checks_findings_are_what_they_were() -> None:
    codes = {f.code for f in check_bytes(SERVICE, Settings(), None, "service.py")}
    assert {"FSR001", "FSR003", "FSR901"} <= codes  # loops, handlers and a shutdown path to analyse


def test_check_bytes_leaves_no_tree_in_a_cycle() -> None:
    with cyclic_garbage() as garbage:
        assert check_bytes(SERVICE, Settings(), None, "service.py")
    assert _syntax_nodes(garbage) == []


def test_check_tree_leaves_no_tree_in_a_cycle() -> None:
    """The flake8 plugin's way in: flake8 keeps its own tree, fs-lint's analysis of it goes."""
    with cyclic_garbage() as garbage:
        tree = ast.parse(SERVICE)
        assert check_tree(tree, Settings(), None, "service.py")
        del tree
    assert _syntax_nodes(garbage) == []


def test_a_released_analysis_lets_its_tree_go() -> None:
    """``check_bytes_keeping`` hands the analysis on (for ``[*]``); the caller releases it."""
    with cyclic_garbage() as garbage:
        findings, checked = check_bytes_keeping(SERVICE, Settings(), None, "service.py")
        assert findings and checked is not None
        checked.analysis.release()
        del checked
    assert _syntax_nodes(garbage) == []


def test_fix_source_leaves_no_tree_in_a_cycle() -> None:
    """Neither the input's analysis nor those of the rewrites it checks."""
    with cyclic_garbage() as garbage:
        result = fix_source(SERVICE, Settings(target_version=(3, 11)), ["FSR003"], False, "service.py")
        assert result.applied
    assert _syntax_nodes(garbage) == []
