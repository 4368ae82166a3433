"""How much fs-lint costs next to reading and parsing the code it checks.

Every figure is a whole process, the median of ``--runs`` runs, printed as a
ratio to the floor measured in the same run: a script that reads and
``ast.parse``s every file of the corpus in one process. Peak memory is each
process's own maximum resident set size (from ``wait4``).

    python benchmarks/bench.py                 # stdlib Lib/ (no tests) + site-packages
    python benchmarks/bench.py --corpus stdlib --runs 5

The corpus is linked into a temporary folder first, so that every tool sees
exactly the same files (test folders and folders that tools skip by default,
such as build/ or venvs, are left out).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SKIPPED_DIRS = {"test", "tests", "build", "dist", "venv", ".venv", "__pycache__", "node_modules", ".git", ".tox",
                "site-packages"}

FLOOR = r"""
import ast, sys
from pathlib import Path
for path in Path(sys.argv[1]).read_text().splitlines():
    data = Path(path).read_bytes()
    try:
        ast.parse(data)
    except (SyntaxError, ValueError, RecursionError):
        pass
"""


@dataclass
class Measure:
    name: str
    seconds: float
    peak_mb: float
    note: str = ""


def build_corpus(kind: str, target: Path) -> list[Path]:
    roots = [("stdlib", Path(sysconfig.get_paths()["stdlib"]))]
    if kind == "full":
        roots.append(("site", Path(sysconfig.get_paths()["purelib"])))
    files = []
    for label, root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS and not d.endswith(".egg-info")
                                 and not (Path(dirpath) / d / "pyvenv.cfg").exists())
            for name in sorted(filenames):
                if name.endswith(".py"):
                    source = Path(dirpath) / name
                    dest = target / label / source.relative_to(root)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    try:
                        os.link(source, dest)
                    except OSError:
                        shutil.copyfile(source, dest)
                    files.append(dest)
    return files


def run(cmd: list[str], cwd: Path) -> tuple[float, float, int]:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    proc.stderr and proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(cmd[:4])}… exited {code}:\n{stderr[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024, code


def measure(name: str, cmd: list[str], cwd: Path, runs: int) -> Measure:
    times, peaks = [], []
    for _ in range(runs):
        elapsed, peak, _ = run(cmd, cwd)
        times.append(elapsed)
        peaks.append(peak)
    return Measure(name, statistics.median(times), max(peaks))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", choices=["stdlib", "full"], default="full")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="fs-lint-bench-") as tmp:
        corpus = Path(tmp) / "corpus"
        files = build_corpus(args.corpus, corpus)
        manifest = Path(tmp) / "files.txt"
        manifest.write_text("\n".join(map(str, files)))
        lines = sum(p.read_bytes().count(b"\n") for p in files)
        print(f"corpus: {len(files)} files, {lines} lines ({args.corpus}); median of {args.runs} runs; "
              f"{os.cpu_count()} cores")

        floor_script = Path(tmp) / "floor.py"
        floor_script.write_text(FLOOR)
        jobs = str(os.cpu_count() or 1)
        commands = [
            ("floor: read + ast.parse", [py, str(floor_script), str(manifest)]),
            ("fs-lint check -j 1", [py, "-m", "fs_lint", "check", "--isolated", "-j", "1", "corpus"]),
            (f"fs-lint check -j {jobs}", [py, "-m", "fs_lint", "check", "--isolated", "-j", jobs, "corpus"]),
            ("fs-lint fix --diff -j 1", [py, "-m", "fs_lint", "fix", "--isolated", "--diff", "-j", "1", "corpus"]),
            ("flake8 --select F -j 1", [py, "-m", "flake8", "--isolated", "--select", "F", "-j", "1", "corpus"]),
            ("flake8 --select F,FSR -j 1",
             [py, "-m", "flake8", "--isolated", "--select", "F,FSR", "-j", "1", "corpus"]),
            ("flake8 --select FSR -j 1", [py, "-m", "flake8", "--isolated", "--select", "FSR", "-j", "1", "corpus"]),
            ("flake8 --select ASYNC -j 1 (flake8-async)",
             [py, "-m", "flake8", "--isolated", "--select", "ASYNC", "-j", "1", "corpus"]),
        ]
        results = []
        for name, cmd in commands:
            if "ASYNC" in name and subprocess.run([py, "-c", "import flake8_async"], capture_output=True).returncode:
                print(f"  skipped {name}: flake8-async is not installed (pip install flake8-async)")
                continue
            result = measure(name, cmd, Path(tmp), args.runs)
            results.append(result)
            print(f"  {name}: {result.seconds:.2f} s, {result.peak_mb:.0f} MB", flush=True)

    floor = results[0].seconds
    by_name = {r.name: r for r in results}
    print()
    print("| command | seconds | × floor | peak MB |")
    print("| --- | ---: | ---: | ---: |")
    for r in results:
        print(f"| {r.name} | {r.seconds:.2f} | {r.seconds / floor:.2f} | {r.peak_mb:.0f} |")
    plain, with_plugin = by_name.get("flake8 --select F -j 1"), by_name.get("flake8 --select F,FSR -j 1")
    if plain and with_plugin:
        print(f"\nthe FSR plugin adds {100 * (with_plugin.seconds / plain.seconds - 1):+.1f}% to a flake8 --select F run")
    print("targets: check -j 1 <= 2.0x floor; fix on a corpus with few findings <= 2.5x floor; "
          "plugin adds <= 10% to flake8 --select F; peak memory < 200 MB")


if __name__ == "__main__":
    main()
