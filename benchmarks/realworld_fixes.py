"""Would a maintainer merge the fixes fs-lint makes on the reviewed corpus? Count them against verdicts.

Runs ``fs-lint fix --diff --show-fixes`` in each project of the corpus laid out by
``../shared/realworld/materialize.sh`` (from the project's folder, as its maintainer would: the
project's ``requires-python`` is the Python its fixes may target), once with the safe fixes only
and once with ``--unsafe-fixes``, and gives every fix the verdict a reviewer gave its hunk:

- the team's verdicts (``benchmarks/realworld_fix_verdicts.tsv``): each row names the fix
  (``file:line``, code) and the hunk it was judged on, by a hash of the hunk's changed lines, so
  a verdict goes stale, and the fix counts as unreviewed, as soon as the rewrite changes;
- otherwise the verdicts of ``fixes-reviewed.tsv`` (fs-lint of 2026-12-01), for a fix at the same
  place whose hunk was not judged again (reported as "shared, rewrite may differ").

Prints, for safe and unsafe fixes, how many would be merged as they are (accept), with edits,
or not at all, and lists every fix with its verdict. The fresh corpus (``/work/fresh-corpus``,
laid out by ``benchmarks/fresh_corpus.py``) has its own verdicts:
``python benchmarks/realworld_fixes.py ../fresh-corpus --verdicts benchmarks/fresh_fix_verdicts.tsv``.
``-- ARGS`` passes ARGS to fs-lint (``-- --strict --include-tests``). Needs the corpus, so it is a
benchmark, not a test.

    python benchmarks/realworld_fixes.py [corpus] [--markdown] [-- fs-lint args]
"""

from __future__ import annotations

import argparse
import hashlib
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from realworld import DEFAULT_CORPUS, DEFAULT_SHARED, read_tsv  # the findings' benchmark, beside this one

HERE = Path(__file__).resolve().parent
_FIX_LINE = re.compile(r"^    (?P<file>.+?):(?P<line>\d+):\d+: (?P<code>FSR\d+) ")
_HUNK = re.compile(r"^@@ -(?P<start>\d+)(?:,(?P<length>\d+))? \+\d+(?:,\d+)? @@")
VERDICTS = ("accept", "accept-with-edits", "reject")


@dataclass(frozen=True)
class Fix:
    file: str
    line: int
    code: str
    safety: str  # "safe" or "unsafe"
    hunk: str  # the changed lines of the hunk that holds it

    @property
    def place(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.hunk.encode()).hexdigest()[:12]


def _run(corpus: Path, extra: list[str], unsafe: bool) -> tuple[list[tuple[str, int, str]], dict[str, list]]:
    """Every project's fixes, as ``owner+name/path`` places, and the hunks of its diff."""
    argv = [sys.executable, "-m", "fs_lint", "fix", "--diff", "--show-fixes", *extra]
    if unsafe:
        argv.append("--unsafe-fixes")
    fixes: list[tuple[str, int, str]] = []
    hunks: dict[str, list] = {}
    for project in sorted(p for p in corpus.iterdir() if p.is_dir()):
        done = subprocess.run([*argv, "."], cwd=project, capture_output=True, text=True)
        fixes += [(f"{project.name}/{m['file']}", int(m["line"]), m["code"])
                  for m in map(_FIX_LINE.match, done.stderr.splitlines()) if m]
        hunks.update({f"{project.name}/{file}": found for file, found in _hunks(done.stdout).items()})
    return fixes, hunks


def _hunks(diff: str) -> dict[str, list[tuple[int, int, str]]]:
    """file -> [(first original line, last original line, changed lines)]."""
    found: dict[str, list[tuple[int, int, str]]] = {}
    current_file, current = None, None
    for line in diff.splitlines():
        if line.startswith("--- a/"):
            current_file = line[len("--- a/"):]
            found.setdefault(current_file, [])
            continue
        match = _HUNK.match(line)
        if match and current_file is not None:
            start, length = int(match["start"]), int(match["length"] or 1)
            current = [start, start + max(length, 1) - 1, []]
            found[current_file].append(current)
        elif current is not None and line[:1] in "+-" and not line.startswith(("+++", "---")):
            current[2].append(line)
    return {f: [(a, b, "\n".join(lines)) for a, b, lines in hunks] for f, hunks in found.items()}


def _hunk_of(hunks: dict[str, list[tuple[int, int, str]]], file: str, line: int) -> str:
    for start, end, changed in hunks.get(file, []):
        if start <= line <= end:
            return changed
    return ""


def collect(corpus: Path, extra: list[str]) -> list[Fix]:
    safe, _ = _run(corpus, extra, unsafe=False)
    every, hunks = _run(corpus, extra, unsafe=True)
    safe_places = set(safe)
    return [Fix(f, n, c, "safe" if (f, n, c) in safe_places else "unsafe", _hunk_of(hunks, f, n))
            for f, n, c in every]


def judge(fixes: list[Fix], team: list[dict[str, str]], shared: list[dict[str, str]]) -> list[tuple[Fix, str, str]]:
    by_team = {(r["file:line"], r["code"], r["hunk"]): r for r in team}
    by_shared = {(r["file:line"], r["code"]): r for r in shared}
    judged = []
    for fix in fixes:
        row = by_team.get((fix.place, fix.code, fix.digest))
        if row is not None:
            judged.append((fix, row["verdict"], "team: " + row["reason"]))
            continue
        old = by_shared.get((fix.place, fix.code))
        if old is not None:
            judged.append((fix, "unreviewed", f"shared verdict {old['verdict']} on an older rewrite"))
        else:
            judged.append((fix, "unreviewed", "no verdict"))
    return judged


def table(judged: list[tuple[Fix, str, str]], markdown: bool) -> str:
    rows = []
    for safety in ("safe", "unsafe"):
        counts = Counter(v for f, v, _ in judged if f.safety == safety)
        total = sum(counts.values())
        rate = f"{100 * counts['accept'] / total:.0f} %" if total else "–"
        rows.append((safety, total, counts["accept"], counts["accept-with-edits"], counts["reject"],
                     counts["unreviewed"], rate))
    header = ("fixes", "applied", "accept", "with edits", "reject", "unreviewed", "merged as they are")
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(row, widths)) for row in (header, *rows))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    extra = args[args.index("--") + 1:] if "--" in args else []
    own = args[:args.index("--")] if "--" in args else args
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--verdicts", type=Path, default=HERE / "realworld_fix_verdicts.tsv")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--tsv", action="store_true", help="print every fix as a verdict row to fill in")
    options = parser.parse_args(own)
    fixes = collect(options.corpus, extra)
    team = read_tsv(options.verdicts) if options.verdicts.exists() else []
    judged = judge(fixes, team, read_tsv(options.shared / "fixes-reviewed.tsv"))
    if options.tsv:
        print("file:line\tcode\tsafety\thunk\tverdict\treason")
        for fix, verdict, reason in judged:
            print(f"{fix.place}\t{fix.code}\t{fix.safety}\t{fix.digest}\t{verdict}\t{reason}")
        return 0
    mode = " ".join(extra) or "default"
    print(f"fs-lint fix on {options.corpus.name} ({mode}): {len(fixes)} fixes\n")
    print(table(judged, options.markdown))
    print()
    for fix, verdict, reason in judged:
        print(f"  {fix.place} {fix.code} {fix.safety}: {verdict} ({reason[:110]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
