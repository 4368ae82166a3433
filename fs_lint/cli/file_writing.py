"""Replace a file's content so that a crash or a full disk never leaves half a file.

The new content goes to a temporary file in the same directory, which then
replaces the original in one ``os.replace``. The original's permission bits
(and owner, where allowed) are kept; a symbolic link is written through, not
replaced. A file without any write bit is left alone even where the user
could write it anyway (root): read-only is taken as the owner's wish.

A process killed outright (SIGKILL, the OOM killer, a power cut) between
creating the temporary file and the rename leaves that temporary file
behind, and nothing else: the target is whole, old or new. It is hidden and
named ``.NAME.RANDOM.fs-lint-tmp``, never ``*.py``, so no tool (fs-lint
included) reads it as code; ``tests/test_bad_input_killed.py`` kills real
runs to hold this.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile


class ReadOnlyFile(PermissionError):
    pass


class ChangedOnDisk(OSError):
    """The file is not what was fixed any more: someone edited it meanwhile."""


def write_atomically(path: str, content: bytes, expected: bytes | None = None) -> None:
    """Write ``content`` to ``path``; with ``expected``, only if the file still holds exactly that."""
    target = os.path.realpath(path)
    status = os.stat(target)
    if not status.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise ReadOnlyFile(errno.EACCES, "file is read-only", path)
    if expected is not None:
        with open(target, "rb") as file:
            if file.read() != expected:
                raise ChangedOnDisk(errno.EAGAIN, "file changed on disk while it was being fixed", path)
    directory, name = os.path.split(target)
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".fs-lint-tmp")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, stat.S_IMODE(status.st_mode))
        _keep_owner(temporary, status)
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def _keep_owner(path: str, status: os.stat_result) -> None:
    if not hasattr(os, "chown") or (status.st_uid, status.st_gid) == (os.getuid(), os.getgid()):
        return
    try:
        os.chown(path, status.st_uid, status.st_gid)
    except PermissionError:  # only root may give a file away; the content matters more than the owner
        pass


def describe_write_error(error: OSError) -> str:
    if isinstance(error, ReadOnlyFile):
        return "not fixed: the file is read-only"
    if isinstance(error, ChangedOnDisk):
        return "not fixed: the file changed on disk while it was being fixed"
    return f"not fixed: cannot write: {(error.strerror or str(error)).lower()}"
