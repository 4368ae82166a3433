"""Reading a source file, and why one could not be read or parsed, in the words of an error line."""

from __future__ import annotations

import errno
import os
import stat


class NotRegularFile(OSError):
    """A FIFO, socket or device named like a Python file: reading it could block for ever."""


def read_source(path: str) -> bytes:
    """The file's bytes; OSError (NotRegularFile included) when it cannot be read."""
    mode = os.stat(path).st_mode
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "is a directory", path)
    if not stat.S_ISREG(mode):
        raise NotRegularFile(errno.EINVAL, "not a regular file", path)
    with open(path, "rb") as file:
        return file.read()


def describe_read_error(error: OSError) -> str:
    if isinstance(error, IsADirectoryError):
        return "is a directory"
    if isinstance(error, NotRegularFile):
        return "not a regular file"
    if error.errno == errno.ELOOP:
        return "cannot read: too many levels of symbolic links (a link loop?)"
    if isinstance(error, FileNotFoundError):
        return "cannot read: no such file (a dangling symbolic link?)"
    return f"cannot read: {(error.strerror or str(error)).lower()}"


def describe_source_error(error: BaseException) -> str:
    """The reason for an error that ``check_source`` or ``fix_source`` raised on bad input."""
    if isinstance(error, SyntaxError):
        message = error.msg or "invalid syntax"
        if "null bytes" in message:
            return "contains a null byte"
        if message.startswith("(unicode error)"):
            where = f" (line {error.lineno})" if error.lineno else ""
            return f"not valid text in its encoding: {message.removeprefix('(unicode error)').strip()}{where}"
        if message.startswith(("unknown encoding", "encoding problem")):
            return f"bad coding cookie: {message}"
        where = f" at line {error.lineno}" if error.lineno else ""
        return f"syntax error{where}: {message}"
    if isinstance(error, ValueError) and "null byte" in str(error):
        return "contains a null byte"
    if isinstance(error, UnicodeError):
        return f"not valid text in its encoding: {error}"
    if isinstance(error, RecursionError):
        return "too deeply nested to analyse (hit the recursion limit)"
    if isinstance(error, MemoryError):
        return "ran out of memory while analysing it"
    return f"internal error: {type(error).__name__}: {error} (please report this with the file)"


def error_line(error: BaseException) -> int | None:
    """The line a syntax or decoding error is on, when Python says (for the formats that place errors)."""
    line = getattr(error, "lineno", None) if isinstance(error, SyntaxError) else None
    return line if isinstance(line, int) and line > 0 else None
