"""Reading a source file, and why one could not be read, in the words of an error line.

Why bytes that were read could not be parsed is ``fs_lint.file_check.describe_source_error``.
"""

from __future__ import annotations

import errno
import os
import stat


class NotRegularFile(OSError):
    """A FIFO, socket or device named like a Python file: reading it could block for ever."""


class Notebook(OSError):
    """A Jupyter notebook: JSON, which Python parses as one dict literal, so it would pass unread."""


NOTEBOOK = ("a Jupyter notebook, which fs-lint does not check (it checks Python source files): "
            "export its code with `jupyter nbconvert --to script` to check it")


def is_notebook(path: str) -> bool:
    return path.lower().endswith(".ipynb")


def read_source(path: str) -> bytes:
    """The file's bytes; OSError (NotRegularFile and Notebook included) when it cannot be read."""
    if is_notebook(path):
        raise Notebook(errno.EINVAL, "a Jupyter notebook", path)
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
    if isinstance(error, Notebook):
        return NOTEBOOK
    if error.errno == errno.ELOOP:
        return "cannot read: too many levels of symbolic links (a link loop?)"
    if isinstance(error, FileNotFoundError):
        return "cannot read: no such file (a dangling symbolic link?)"
    return f"cannot read: {(error.strerror or str(error)).lower()}"
