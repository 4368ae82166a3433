"""Real code at scale: the standard library and site-packages of the interpreter running the tests.

``tests/test_scale.py`` runs the CLI over all of it (``-m scale``) or over a
fixed, seeded sample of it (the default run); this module finds the files,
picks the sample, links the files into a scratch folder and reads what the
CLI printed.

The files are linked, not named on the command line: tens of thousands of
paths would not fit in one, and a folder is what users give. The link names
keep the real layout, except that folders fs-lint skips by name (``build``,
``dist``, ``venv``…) get a ``~`` so that every file is checked.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import sysconfig
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from fs_lint.cli.discovery import SKIPPED_DIRECTORIES

SEED = 20240611  # changing it changes the sample: keep it fixed, so that a failure can be replayed
# A file can only hold a finding if it has a loop and a handler; one that also names a pause, a connect,
# a retry or a shutdown exception is a likely one. Every file with a finding in the full corpus has them.
_LIKELY = (b"sleep", b"connect", b"retry", b"CancelledError", b"BaseException", b"KeyboardInterrupt",
           b"SystemExit", b"except:")

# Under the standard library's folder, but not the standard library: in a virtual environment they are the
# base interpreter's packages, not the test environment's.
_NOT_STDLIB = frozenset({"site-packages", "dist-packages"})

_ERROR = re.compile(r"^fs-lint: error: (?P<path>.+?): (?P<reason>.+)$")
_REFUSAL = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+\d+) not fixed: (?P<reason>.+)$")
_FINDING = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+\d+) .+$")
_SUMMARY = re.compile(r"^fs-lint: \d+ files? (would change|changed), \d+ fix(es)? (would be )?applied, "
                      r"\d+ findings? left$"
                      r"|^(would fix|fixed) .+ \(\d+ fix(es)?\)$"  # fix: each file it changes
                      r"|^(Found \d+ findings?.*|All checks passed!|\d+ files? could not be checked)\.?$")  # check
_DIFF_TARGET = re.compile(r"^\+\+\+ b/(?P<path>.+)$", re.MULTILINE)


@dataclass(frozen=True, order=True)
class CorpusFile:
    name: str  # where it is linked, relative to the corpus folder: ``stdlib/asyncio/tasks.py``
    source: Path  # the real file


def _roots() -> list[tuple[str, Path]]:
    paths = sysconfig.get_paths()
    roots = [("stdlib", Path(paths["stdlib"])), ("site", Path(paths["purelib"]))]
    if paths["platlib"] != paths["purelib"]:
        roots.append(("platsite", Path(paths["platlib"])))
    return roots


def _link_part(part: str) -> str:
    skipped = part in SKIPPED_DIRECTORIES or part.endswith(".egg-info")
    return part + "~" if skipped else part


def all_files() -> list[CorpusFile]:
    """Every ``*.py`` of the standard library (the packages installed beside it left out) and of site-packages."""
    roots = _roots()
    found = []
    for label, root in roots:
        for directory, subdirectories, filenames in os.walk(root):
            here = Path(directory)
            subdirectories[:] = [name for name in subdirectories if name != "__pycache__"
                                 and not (here == roots[0][1] and name in _NOT_STDLIB)
                                 and not any(here / name == other for _, other in roots)]
            for name in filenames:
                if name.endswith(".py"):
                    path = here / name
                    relative = path.relative_to(root).parts
                    found.append(CorpusFile("/".join([label, *map(_link_part, relative[:-1]), relative[-1]]), path))
    return sorted(found)


def is_likely(source: bytes) -> bool:
    """A cheap look at the bytes: could this file hold a retry loop?"""
    return b"except" in source and (b"while" in source or b"for " in source) and any(m in source for m in _LIKELY)


def sample(files: list[CorpusFile], likely: int, others: int, seed: int = SEED) -> list[CorpusFile]:
    """``likely`` files that could hold a finding and ``others`` that almost surely do not, chosen by ``seed``.

    Drawn from the sorted list, so the same interpreter and packages give the same sample.
    """
    rng = random.Random(seed)
    flagged, rest = [], []
    for file in files:
        try:
            (flagged if is_likely(file.source.read_bytes()) else rest).append(file)
        except OSError:
            rest.append(file)
    chosen = rng.sample(flagged, min(likely, len(flagged))) + rng.sample(rest, min(others, len(rest)))
    return sorted(chosen)


def link(files: list[CorpusFile], folder: Path) -> None:
    """Symbolic links to the real files: nothing may write through them (only ``check`` and ``--diff`` run here)."""
    for file in files:
        target = folder / file.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(file.source)


def copy(files: list[CorpusFile], folder: Path) -> None:
    """Real copies, for the runs that write."""
    for file in files:
        target = folder / file.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(file.source.read_bytes())


def fs_lint(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fs_lint", *argv], cwd=cwd, capture_output=True, text=True,
                          errors="replace", stdin=subprocess.DEVNULL)


@dataclass
class Streams:
    """What one run printed, sorted out line by line; ``unexpected`` holds any line of no known form."""

    errors: dict[str, str] = field(default_factory=dict)  # path -> reason
    refusals: list[tuple[str, str, str]] = field(default_factory=list)  # (path, code, reason)
    findings: dict[str, Counter[str]] = field(default_factory=dict)  # path -> codes
    changed: list[str] = field(default_factory=list)  # paths a diff rewrites
    unexpected: list[str] = field(default_factory=list)

    @property
    def internal_errors(self) -> list[str]:
        """File errors and refused fixes that are fs-lint's own bugs, not bad input."""
        return ([f"{path}: {reason}" for path, reason in self.errors.items() if reason.startswith("internal error")]
                + [f"{path}: {code}: {reason}" for path, code, reason in self.refusals if "internal error" in reason])


def read_check(result: subprocess.CompletedProcess[str]) -> Streams:
    streams = Streams()
    for line in result.stdout.splitlines():
        match = _FINDING.match(line)
        if match is None:
            streams.unexpected.append(f"stdout: {line}")
        else:
            streams.findings.setdefault(match["path"], Counter())[match["code"]] += 1
    _read_stderr(result.stderr, streams)
    return streams


def read_fix_diff(result: subprocess.CompletedProcess[str]) -> Streams:
    """``fix --diff``: stdout is the patch, stderr the errors, the refusals and the summary."""
    streams = Streams(changed=_DIFF_TARGET.findall(result.stdout))
    _read_stderr(result.stderr, streams)
    return streams


def _read_stderr(text: str, streams: Streams) -> None:
    for line in text.splitlines():
        error, refusal = _ERROR.match(line), _REFUSAL.match(line)
        if error is not None:
            streams.errors[error["path"]] = error["reason"]
        elif refusal is not None:
            streams.refusals.append((refusal["path"], refusal["code"], refusal["reason"]))
        elif not _SUMMARY.match(line):
            streams.unexpected.append(f"stderr: {line}")
