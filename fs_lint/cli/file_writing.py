"""Replace a file's content so that a crash, a full disk or an editor's save never loses anything.

The new content goes to a temporary file in the same directory, which then
replaces the original in one ``os.replace``. The original's permission bits
(and owner, where allowed) are kept; a symbolic link is written through, not
replaced. A file without any write bit is left alone even where the user
could write it anyway (root): read-only is taken as the owner's wish.

The file is compared with what was fixed as late as can be: after the
temporary copy is written and synced, right before the rename. A save that
lands while fs-lint reads, fixes, writes or syncs is therefore seen and the
file refused ("changed on disk"), not overwritten. The comparison looks at
the file's identity and size and then its bytes, so an edit that keeps the
size and the mtime's second is seen too. What no check in user space can
close is the instant between that comparison and the rename itself; POSIX
has no "rename if unchanged".

A process killed outright (SIGKILL, the OOM killer, a power cut) between
creating the temporary file and the rename leaves that temporary file
behind, and nothing else: the target is whole, old or new. It is hidden and
named ``.NAME.PID_RANDOM.fs-lint-tmp``, never ``*.py``, so no tool (fs-lint
included) reads it as code; ``tests/test_bad_input_killed.py`` kills real
runs to hold this. The next time that file is written, the leftovers of
runs that are no longer alive (the PID in the name) are removed, and the
caller says so.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import tempfile
from typing import Callable

TEMPORARY_SUFFIX = ".fs-lint-tmp"


class ReadOnlyFile(PermissionError):
    pass


class ChangedOnDisk(OSError):
    """The file is not what was fixed any more: someone edited it meanwhile."""


def write_atomically(path: str, content: bytes, expected: bytes | None = None) -> list[str]:
    """Write ``content`` to ``path``; with ``expected``, only if the file still holds exactly that.

    Returns the stale temporary files of earlier, killed runs that were removed beside it.
    """
    target = os.path.realpath(path)
    before = os.stat(target)
    if not before.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise ReadOnlyFile(errno.EACCES, "file is read-only", path)
    if expected is not None:
        _refuse_if_changed(target, before, expected, path)  # early: no temporary file for a lost cause
    directory, name = os.path.split(target)
    removed = remove_stale_temporaries(directory, name)
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.{os.getpid()}_",
                                             suffix=TEMPORARY_SUFFIX)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, stat.S_IMODE(before.st_mode))
        _keep_owner(temporary, before)
        if expected is not None:
            _refuse_if_changed(target, before, expected, path)  # late: right before the rename
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    return removed


def _refuse_if_changed(target: str, before: os.stat_result, expected: bytes, path: str) -> None:
    """ChangedOnDisk unless ``target`` is the same file as at ``before`` and holds ``expected``."""
    now = os.stat(target)
    same_file = (now.st_ino, now.st_dev) == (before.st_ino, before.st_dev)
    if not same_file or now.st_size != len(expected) or now.st_mtime_ns != before.st_mtime_ns:
        raise ChangedOnDisk(errno.EAGAIN, "file changed on disk while it was being fixed", path)
    with open(target, "rb") as file:
        if file.read() != expected:
            raise ChangedOnDisk(errno.EAGAIN, "file changed on disk while it was being fixed", path)


def _temporary_name(name: str) -> re.Pattern[str]:
    """``.NAME.PID_RANDOM.fs-lint-tmp`` (and ``.NAME.RANDOM.fs-lint-tmp``, from before the PID was in it)."""
    return re.compile(rf"\.{re.escape(name)}\.(?:(?P<pid>\d+)_)?[A-Za-z0-9_]+{re.escape(TEMPORARY_SUFFIX)}")


def remove_stale_temporaries(directory: str, name: str,
                             alive: Callable[[int], bool] | None = None) -> list[str]:
    """Remove the temporary files an earlier run left beside ``name`` when it was killed; their paths.

    A file whose PID is a process still running is another run's write in progress and stays.
    """
    alive = alive or _process_alive
    pattern = _temporary_name(name)
    removed = []
    try:
        entries = os.listdir(directory)
    except OSError:
        return []
    for entry in entries:
        match = pattern.fullmatch(entry)
        if match is None:
            continue
        pid = match.group("pid")
        if pid is not None and alive(int(pid)):
            continue
        try:
            os.unlink(os.path.join(directory, entry))
        except OSError:
            continue
        removed.append(os.path.join(directory, entry))
    return removed


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True  # ours: a write under way in this process (a thread's), not a leftover
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


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
