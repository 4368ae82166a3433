"""``--output-file``: the report goes to a file instead of stdout (errors and warnings stay on stderr)."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Iterator, TextIO

from .errors import UsageError


@contextlib.contextmanager
def open_output(path: str | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    try:
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        file = open(path, "w", encoding="utf-8", newline="\n")
    except OSError as error:
        raise UsageError(f"{path}: cannot write the output file: {(error.strerror or str(error)).lower()}") from None
    with file:
        yield file
