"""How much fs-lint costs next to reading and parsing the code it checks.

Every figure is a whole process, the median of ``--runs`` runs, printed as a
ratio to the floor measured in the same run: a script that reads and
``ast.parse``s every file of the corpus in one process. The runs go in rounds,
every command once per round. Peak memory is the maximum resident set size of
the largest single process of a command (``wait4``; with ``-j N``, the parent
or one worker, not their sum).

flake8 runs every installed plugin whatever ``--select`` says, so the plugin's
cost is measured against a ``flake8 --select F`` that does not load it.

    python benchmarks/bench.py                 # stdlib Lib/ (no tests) + site-packages
    python benchmarks/bench.py --corpus stdlib --runs 5

``check`` keeps each file's report in ``.fs-lint-cache/results`` and the module facts the program model
reads in ``.fs-lint-cache/facts`` (issue 21): its rows say which cache they run with. A first run is
measured with both cleared before it (outside the timing), the second run on the unchanged tree right
after it, with them. Every command runs with Python's bytecode cache, as an installed fs-lint does
(``PYTHONDONTWRITEBYTECODE``, set on some CI machines, is dropped and the bytecode written once first). The program model (issue 17) is measured
twice on the same corpus: ``check -j 1 --extend-select FSR901 --no-cache`` computes every module's
facts it needs in the process (the facts pass, cold), and the same without ``--no-cache`` after a
first run has filled the module facts, the reports cleared (facts warm). The
single-file front ends are measured on a project of 500 standard-library files (one folder with a
``pyproject.toml``): ``flake8 --select F,FSR --extend-select FSR901`` on one of its files whose stop
paths call into other modules, with the facts cache warm and then cleared before each run (cold),
next to ``flake8 --select F`` on the same file without the plugin.

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

# flake8 runs every installed plugin whatever --select says, and only filters what they report: to see
# what a plugin costs, run flake8 without it. ``python FLAKE8_WITHOUT ENTRY,... -- ARGS`` hides the plugins
# registered under those entry-point names (FSR, ASYNC) from flake8's plugin finder.
FLAKE8_WITHOUT = r"""
import sys
from flake8.main.cli import main
from flake8.plugins import finder

separator = sys.argv.index("--")
hidden = set(filter(None, sys.argv[1].split(",")))
found = finder.find_plugins
finder.find_plugins = lambda cfg, opts: [p for p in found(cfg, opts) if p.entry_point.name not in hidden]
sys.exit(main(sys.argv[separator + 1:]))
"""

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


def run(cmd: list[str], cwd: Path) -> tuple[float, float, str]:
    """Seconds, peak MB, and a note: empty, or why the command did not finish its work (it crashed)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # stderr is read after the process ends: a command that writes much of it there must not block on the pipe
    with tempfile.TemporaryFile() as sink:
        shutil.copyfileobj(proc.stderr, sink)
        _, status, usage = os.wait4(proc.pid, 0)
        sink.seek(0)
        stderr = sink.read().decode(errors="replace")
    elapsed = time.perf_counter() - start
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    note = "" if code in (0, 1) else f"crashed (exit {code}): {_last_line(stderr)}"
    return elapsed, usage.ru_maxrss / 1024, note


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1][:160] if lines else "no message"


def clear_caches(cwd: Path, parts: tuple[str, ...]) -> None:
    """Remove ``parts`` (``results``, ``facts``) of every ``.fs-lint-cache`` under ``cwd``: the next run is
    a first run for them."""
    for folder in cwd.rglob(".fs-lint-cache"):
        for part in parts:
            shutil.rmtree(folder / part, ignore_errors=True)


# What a first run has not got: the reports, and the module facts that FSR002 (a batch loop's wait) and
# FSR901 read through the program model.
FIRST_RUN = ("results", "facts")
# A run after another on a changed tree: the reports are stale, the facts of the modules that did not
# change are still there.
NO_RESULTS = ("results",)


def measure_all(commands: list[tuple], cwd: Path, runs: int) -> list[Measure]:
    """Each command ``runs`` times, in rounds (every command once per round), so that a machine that
    slows down or speeds up during the run (a shared one does) weighs on every figure alike. A command
    given a third element, the cache parts to clear, runs after they are cleared; one given a fourth, a
    command that fills the caches, runs after that command and then the clearing (both outside the timing)."""
    times: dict[str, list[float]] = {name: [] for name, *_ in commands}
    peaks: dict[str, list[float]] = {name: [] for name, *_ in commands}
    notes: dict[str, str] = {name: "" for name, *_ in commands}
    for round_number in range(1, runs + 1):
        for name, cmd, *before in commands:
            if len(before) > 1:  # a run that fills what this one reads, outside the timing
                subprocess.run(before[1], cwd=cwd, capture_output=True, check=False)
            if before:
                clear_caches(cwd, before[0])
            elapsed, peak, note = run(cmd, cwd)
            times[name].append(elapsed)
            peaks[name].append(peak)
            notes[name] = notes[name] or note
            print(f"  round {round_number}: {name}: {elapsed:.2f} s, {peak:.0f} MB {note}", flush=True)
    return [Measure(name, statistics.median(times[name]), max(peaks[name]), notes[name]) for name, *_ in commands]


ONE_FILE_PROJECT = ("asyncio", "concurrent", "multiprocessing", "logging", "email", "http", "json", "xml",
                    "urllib", "importlib", "unittest", "sqlite3", "xmlrpc", "dbm", "wsgiref", "html", "ctypes",
                    "collections", "encodings", "curses", "lib2to3", "tomllib", "zoneinfo", "pydoc_data")
ONE_FILE = "concurrent/futures/process.py"  # stop paths that call into the module's own classes and threading


def build_project(target: Path, size: int = 500) -> Path:
    """A project of ``size`` standard-library files under one ``pyproject.toml``, for the one-file front ends."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    (target / "pyproject.toml").parent.mkdir(parents=True, exist_ok=True)
    (target / "pyproject.toml").write_text("[project]\nname = 'bench'\n")
    count = 0
    for package in ONE_FILE_PROJECT:
        for source in sorted((stdlib / package).rglob("*.py")):
            if count >= size and source.relative_to(stdlib).as_posix() != ONE_FILE:
                continue
            if SKIPPED_DIRS & set(source.relative_to(stdlib).parts):
                continue
            dest = target / source.relative_to(stdlib)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, dest)
            count += 1
    return target


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", choices=["stdlib", "full"], default="full")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-flake8", action="store_true", help="only the floor and fs-lint's own commands")
    args = parser.parse_args()

    py = sys.executable
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # measure what an installed fs-lint costs: see the docstring
    subprocess.run([py, "-c", "import fs_lint.cli.main, fs_lint.cli.check_command, fs_lint.fixing, "
                    "fs_lint.codemods.splicing, fs_lint.model.program, libcst.codemod"], check=False)
    with tempfile.TemporaryDirectory(prefix="fs-lint-bench-") as tmp:
        corpus = Path(tmp) / "corpus"
        files = build_corpus(args.corpus, corpus)
        manifest = Path(tmp) / "files.txt"
        manifest.write_text("\n".join(map(str, files)))
        lines = sum(p.read_bytes().count(b"\n") for p in files)
        cpus = _cpus()
        print(f"corpus: {len(files)} files, {lines} lines ({args.corpus}); median of {args.runs} runs; "
              f"{cpus} cores; Python {sys.version.split()[0]}")

        floor_script = Path(tmp) / "floor.py"
        floor_script.write_text(FLOOR)
        without = Path(tmp) / "flake8_without.py"
        without.write_text(FLAKE8_WITHOUT)
        has_async = not subprocess.run([py, "-c", "import flake8_async"], capture_output=True).returncode
        others = "ASY" if has_async else ""  # flake8-async's entry-point name (its codes are ASYNCxxx)

        def flake8(select: str, hidden: str) -> list[str]:
            return [py, str(without), hidden, "--", "--isolated", "--select", select, "-j", "1", "corpus"]

        jobs = str(cpus)
        model = ["--extend-select", "FSR901"]
        fill_facts = [py, "-m", "fs_lint", "check", "--isolated", "-j", "1", *model, "corpus"]
        subprocess.run(fill_facts, cwd=tmp, capture_output=True, check=False)  # the bytecode of every module run
        check = [py, "-m", "fs_lint", "check", "--isolated"]
        commands = [
            ("floor: read + ast.parse", [py, str(floor_script), str(manifest)]),
            ("fs-lint check -j 1 (first run: no cache yet)", [*check, "-j", "1", "corpus"], FIRST_RUN),
            ("fs-lint check -j 1, second run on the unchanged tree (result cache)", [*check, "-j", "1", "corpus"]),
            ("fs-lint check -j 1 +FSR901, caches off",
             [*check, "-j", "1", "--no-cache", *model, "corpus"]),
            ("fs-lint check -j 1 +FSR901, facts cache warm, no results", [*check, "-j", "1", *model, "corpus"],
             NO_RESULTS, fill_facts),
            # what working out [*] costs: the same check, with a report that shows no fixability
            ("fs-lint check -j 1 -q --format github (no [*] to work out)",
             [*check, "-j", "1", "-q", "--format", "github", "corpus"], FIRST_RUN),
            (f"fs-lint check -j {jobs}", [*check, "-j", jobs, "corpus"], FIRST_RUN),
            ("fs-lint fix --diff -j 1", [py, "-m", "fs_lint", "fix", "--isolated", "--diff", "-j", "1", "corpus"],
             FIRST_RUN),
            (f"fs-lint fix --diff -j {jobs}",
             [py, "-m", "fs_lint", "fix", "--isolated", "--diff", "-j", jobs, "corpus"], FIRST_RUN),
        ]
        if not args.skip_flake8:
            commands += [
                ("flake8 --select F -j 1 (no FSR plugin)", flake8("F", ",".join(filter(None, ["FSR", others])))),
                ("flake8 --select F,FSR -j 1", flake8("F,FSR", others)),
                ("flake8 --select FSR -j 1", flake8("FSR", others)),
            ]
            if has_async:
                commands.append(("flake8 --select ASYNC -j 1 (flake8-async)", flake8("ASYNC", "FSR")))
            else:
                print("  skipped flake8-async: not installed (pip install flake8-async)")
        results = measure_all(commands, Path(tmp), args.runs)
        startup = measure_startup(Path(tmp), py, max(args.runs, 10))
        single = [] if args.skip_flake8 else measure_single_file(Path(tmp) / "project", py, without, others,
                                                                 args.runs)

    floor = results[0].seconds
    by_name = {r.name: r for r in results}
    print()
    print("| command | seconds | × floor | peak MB | note |")
    print("| --- | ---: | ---: | ---: | --- |")
    for r in results:
        print(f"| {r.name} | {r.seconds:.2f} | {r.seconds / floor:.2f} | {r.peak_mb:.0f} | {r.note} |")
    plain = by_name.get("flake8 --select F -j 1 (no FSR plugin)")
    with_plugin = by_name.get("flake8 --select F,FSR -j 1")
    if plain and with_plugin:
        print(f"\nthe FSR plugin adds {100 * (with_plugin.seconds / plain.seconds - 1):+.1f}% to a flake8 --select F run")
    print("\n| one small file (CPU, median) | seconds | above `python -c pass` |")
    print("| --- | ---: | ---: |")
    for name, seconds in startup:
        print(f"| {name} | {seconds:.3f} | {seconds - startup[0][1]:+.3f} |")
    if single:
        alone = single[0].seconds
        print("\n| one file of a 500-file project | seconds | × flake8 alone |")
        print("| --- | ---: | ---: |")
        for r in single:
            print(f"| {r.name} | {r.seconds:.3f} | {r.seconds / alone:.2f} |")
    print("targets: check -j 1 <= 2.0x floor (with the facts pass too); fix on a corpus with few findings <= 2.5x "
          "floor; plugin adds <= 10% to flake8 --select F; one file with a warm cache within 10% of flake8 alone; "
          "peak memory < 200 MB")


def cpu_seconds(cmd: list[str], cwd: Path) -> float:
    """The CPU time (user + system) of one run of ``cmd``: what pre-commit and editors pay per file."""
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(proc.pid, 0)
    return usage.ru_utime + usage.ru_stime


def measure_startup(tmp: Path, py: str, runs: int) -> list[tuple[str, float]]:
    """``fs-lint check`` of one small file next to ``python -c pass`` (issue 21: at most 0.06 s above it),
    without the result cache (a file just edited), and ``fs-lint --version``."""
    folder = tmp / "startup"
    folder.mkdir()
    (folder / "one.py").write_text("import logging\n\nlog = logging.getLogger(__name__)\n\n\n"
                                   "def handle(job):\n    try:\n        job.run()\n    except Exception:\n"
                                   "        log.exception(\"job failed\")\n")
    commands = [("python -c pass", [py, "-c", "pass"]),
                ("fs-lint check --no-cache one.py",
                 [py, "-m", "fs_lint", "check", "--isolated", "--no-cache", "one.py"]),
                ("fs-lint --version", [py, "-m", "fs_lint", "--version"])]
    times: dict[str, list[float]] = {name: [] for name, _ in commands}
    for _ in range(runs):
        for name, cmd in commands:
            times[name].append(cpu_seconds(cmd, folder))
    return [(name, statistics.median(times[name])) for name, _ in commands]


def measure_single_file(project: Path, py: str, without: Path, others: str, runs: int) -> list[Measure]:
    """flake8 on one file of a 500-file project: alone, with the plugin and a warm facts cache, and cold."""
    build_project(project)
    alone = [py, str(without), ",".join(filter(None, ["FSR", others])), "--", "--isolated", "--select", "F", ONE_FILE]
    plugin = [py, str(without), others, "--", "--isolated", "--select", "F,FSR", "--extend-select", "FSR901", ONE_FILE]
    cache = project / ".fs-lint-cache"
    subprocess.run(plugin, cwd=project, capture_output=True, check=False)  # warm the cache
    times: dict[str, list[float]] = {"flake8 --select F (no FSR plugin)": [], "+FSR, FSR901, facts cache warm": [],
                                     "+FSR, FSR901, facts cache cold": []}
    for round_number in range(1, runs + 1):
        times["flake8 --select F (no FSR plugin)"].append(run(alone, project)[0])
        times["+FSR, FSR901, facts cache warm"].append(run(plugin, project)[0])
        shutil.rmtree(cache, ignore_errors=True)
        times["+FSR, FSR901, facts cache cold"].append(run(plugin, project)[0])
        print(f"  round {round_number}: one file: " + ", ".join(f"{k}: {v[-1]:.3f} s" for k, v in times.items()),
              flush=True)
    return [Measure(name, statistics.median(values), 0.0) for name, values in times.items()]


if __name__ == "__main__":
    main()
