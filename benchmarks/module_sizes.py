"""Is fs-lint linear in the size of one module? (issue 21)

Builds single modules of about 1k, 5k, 20k and 80k lines out of the standard library's own modules
(concatenated whole, ``from __future__`` lines dropped, so that each is one valid module with the
threads, loops and handlers real code has: what each holds, not only its size, decides what the
models are asked) and measures, for each, as whole processes:

- the floor: read the file and ``ast.parse`` it;
- ``fs-lint check -j 1 --no-cache`` on it, and the same with ``-q --format github`` (no ``[*]`` to
  work out: the fixer's run on the file is left out);
- ``fs-lint fix --diff -j 1`` on it, with its peak memory next to the floor's.

CPU seconds (user + system) of each process, the median of ``--runs``, as ratios to the floor, and how
much the check's ratio moves from the smallest module to the largest (the target: less than 1.5 ×).
Start-up is part of every process, which weighs most on the smallest module.

    python benchmarks/module_sizes.py --runs 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

SIZES = (1_000, 5_000, 20_000, 80_000)
FLOOR = "import ast, sys\nast.parse(open(sys.argv[1], 'rb').read())\n"
SKIPPED = {"test", "tests", "idlelib", "lib2to3", "tkinter", "turtledemo", "site-packages", "ensurepip"}


def source_modules() -> list[Path]:
    root = Path(sysconfig.get_paths()["stdlib"])
    found = []
    for folder, directories, files in os.walk(root):
        directories[:] = sorted(d for d in directories if d not in SKIPPED and not d.startswith(("_", ".")))
        found += [Path(folder) / name for name in sorted(files) if name.endswith(".py")]
    return found


def build_module(lines: int, modules: list[Path], target: Path) -> int:
    """Whole modules, one after another, until ``lines`` is reached: what a generated or vendored
    single-file module looks like to the linter."""
    parts: list[str] = []
    count = 0
    for path in modules:
        try:
            text = path.read_text(encoding="utf-8")
            compile(text, str(path), "exec", dont_inherit=True)
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        kept = "\n".join(line for line in text.splitlines() if not line.startswith("from __future__"))
        size = kept.count("\n") + 1
        if count + size > lines * 1.1:
            continue  # a smaller module will do: stay near the size asked for
        parts.append(kept)
        count += size
        if count >= lines * 0.95:
            break
    target.write_text("\n\n".join(parts) + "\n", encoding="utf-8")
    return count


def cpu(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """CPU seconds and peak MB of one run."""
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(proc.pid, 0)
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def median_of(cmd: list[str], cwd: Path, runs: int) -> tuple[float, float]:
    samples = [cpu(cmd, cwd) for _ in range(runs)]
    return statistics.median(s for s, _ in samples), max(m for _, m in samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    py = sys.executable
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed fs-lint has its bytecode cached
    modules = source_modules()
    with tempfile.TemporaryDirectory(prefix="fs-lint-sizes-") as tmp:
        folder = Path(tmp)
        (folder / "floor.py").write_text(FLOOR)
        subprocess.run([py, "-m", "fs_lint", "check", "--isolated", "floor.py"], cwd=folder, capture_output=True,
                       check=False)  # bytecode for every module a check imports
        rows = []
        for size in SIZES:
            name = f"module_{size}.py"
            lines = build_module(size, modules, folder / name)
            check = [py, "-m", "fs_lint", "check", "--isolated", "--no-cache", "-j", "1", name]
            floor, floor_peak = median_of([py, "floor.py", name], folder, args.runs)
            checked, _ = median_of(check, folder, args.runs)
            quiet, _ = median_of([*check, "-q", "--format", "github"], folder, args.runs)
            fix, fix_peak = median_of([py, "-m", "fs_lint", "fix", "--isolated", "--diff", "-j", "1", name],
                                      folder, args.runs)
            rows.append((lines, floor, floor_peak, checked, quiet, fix, fix_peak))
            print(f"  {lines} lines: floor {floor:.2f} s, check {checked:.2f} s, fix {fix:.2f} s", flush=True)
    print("\n| lines | floor s | check s | × floor | check, no [*] | × floor | fix s | × floor | fix peak MB "
          "| floor peak MB |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for lines, floor, floor_peak, checked, quiet, fix, fix_peak in rows:
        print(f"| {lines} | {floor:.2f} | {checked:.2f} | {checked / floor:.2f} | {quiet:.2f} | {quiet / floor:.2f} | "
              f"{fix:.2f} | {fix / floor:.2f} | {fix_peak:.0f} | {floor_peak:.0f} |")
    first, last = rows[0], rows[-1]
    print(f"\ncheck × floor, largest module ÷ smallest: {(last[3] / last[1]) / (first[3] / first[1]):.2f}; "
          f"without [*]: {(last[4] / last[1]) / (first[4] / first[1]):.2f} (target < 1.5); "
          f"fix's peak on the largest, × the floor's: {last[6] / last[2]:.2f} (target <= 2)")


if __name__ == "__main__":
    main()
