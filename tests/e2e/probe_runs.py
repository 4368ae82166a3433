"""Running ``fs-lint probe`` as a user would (the command, in a process of its own) and reading its report."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional, Sequence

PROBE_TIMEOUT = 300.0


@dataclass
class ProbeRun:
    argv: list[str]
    code: int
    stdout: str
    stderr: str

    @property
    def report(self) -> dict:
        """The ``--format json`` report."""
        try:
            return json.loads(self.stdout)
        except ValueError:
            raise AssertionError(f"not a JSON report:\n{self.describe()}") from None

    def describe(self) -> str:
        return (f"$ {' '.join(self.argv)}\nexit {self.code}\n--- stdout\n{self.stdout}\n"
                f"--- stderr (last 6000 characters)\n{self.stderr[-6000:]}")

    def stacks(self) -> Iterator[tuple[dict, dict]]:
        """(process, stack) for every stack of the stuck report."""
        for process in self.report["stacks"]:
            for stack in process["stacks"]:
                yield process, stack

    def frames_in(self, path: Path) -> list[tuple[dict, dict]]:
        """(stack, frame) for every frame of the report in ``path``."""
        wanted = str(path.resolve())
        return [(stack, frame) for _, stack in self.stacks() for frame in stack["frames"]
                if str(Path(frame["path"]).resolve()) == wanted]


def probe_argv(args: Sequence[str], command: Sequence[str], *, json_format: bool = True) -> list[str]:
    return [sys.executable, "-m", "fs_lint", "probe", *(["--format", "json"] if json_format else []),
            *args, "--", *command]


def run_probe(args: Sequence[str], command: Sequence[str], *, cwd: Optional[Path] = None,
              json_format: bool = True, timeout: float = PROBE_TIMEOUT, env: Optional[dict] = None) -> ProbeRun:
    argv = probe_argv(args, command, json_format=json_format)
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, env=env)
    return ProbeRun(argv, done.returncode, done.stdout, done.stderr)
