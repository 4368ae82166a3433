"""The loop most tests start from: a retry loop whose ``except BaseException`` swallows Ctrl-C.

``SWALLOWING_LOOP`` has FSR001 at 5:5 (the loop, which retries what ``close()`` shut) and
FSR002 at 8:9 (the handler, whose fix is safe); ``numbered_project`` writes many such modules for runs that
must last long enough to be stopped or killed half-way.
"""

from __future__ import annotations

from pathlib import Path

SWALLOWING_LOOP = """\
import time


def serve():
    while True:
        try:
            connect()
        except BaseException:
            time.sleep(1)


def close():
    connect.close()
"""
_NUMBERED = SWALLOWING_LOOP.replace("def serve():", "def serve_{index}():").replace("connect()", "connect({index})")


def numbered_project(root: Path, count: int) -> dict[str, bytes]:
    """``m000.py`` ... in ``root`` (created), each a swallowing loop of its own; their bytes by name."""
    root.mkdir()
    files = {}
    for index in range(count):
        name = f"m{index:03}.py"
        files[name] = _NUMBERED.format(index=index).encode()
        (root / name).write_bytes(files[name])
    return files
