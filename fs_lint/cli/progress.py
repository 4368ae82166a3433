"""A one-line "fixing 12/240 files" counter, for a person watching a terminal only."""

from __future__ import annotations

from typing import TextIO


class TerminalProgress:
    def __init__(self, stream: TextIO, verb: str) -> None:
        self._stream = stream
        self._verb = verb
        self._shown = False

    @classmethod
    def for_stream(cls, stream: TextIO, verb: str) -> "TerminalProgress | None":
        """None unless ``stream`` is a terminal: logs and CI output stay clean."""
        isatty = getattr(stream, "isatty", None)
        return cls(stream, verb) if isatty is not None and isatty() else None

    def __call__(self, done: int, total: int) -> None:
        self._stream.write(f"\rfs-lint: {self._verb} {done}/{total} files")
        self._stream.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self._stream.write("\r\x1b[K")
            self._stream.flush()
