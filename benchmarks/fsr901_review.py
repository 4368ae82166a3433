"""How many of FSR901's findings are real shutdown hazards, on the reviewed and the fresh corpus.

FSR901 (an unbounded wait in a shutdown path) was rebuilt on the program and library models
(``fs_lint/model/``). This benchmark runs it alone, with the fs-lint that imports in this Python::

    fs-lint check --isolated --select FSR901 --format json

on the reviewed corpus (``/work/corpus``, laid out by ``../shared/realworld/materialize.sh``) and on
the fresh corpus (``/work/fresh-corpus``, laid out by ``benchmarks/fresh_corpus.py``, which this
script calls to lay out what is missing), and scores every finding against
``benchmarks/fsr901_verdicts.tsv``: was it a real shutdown hazard its maintainer would fix (y), not
(n) or arguable (?). A verdict row has the columns ``corpus`` (reviewed / fresh), ``repo``
(``owner+name``), ``path``, ``line``, ``anchor``, ``useful``, ``kind`` (P product, S scripts, L a
library's engine, T tests, E examples), ``shape`` (the shape of a false alarm or of a hazard) and
``reason``. It finds its finding by the anchor of ``fresh_corpus.py`` (a hash of the enclosing
function's name and the flagged line's text, nearest line first), else by the line, so that
verdicts survive lines moving and small changes to the rule.

Per corpus it prints the findings outside tests, y / ? / n / unreviewed, the useful precision
(y / findings, then with ? counted as half; unreviewed findings count as not useful), false alarms
(n) per 1,000 files checked, the shapes of the n and ? verdicts with a count and an example each,
the hazards, the findings nobody has judged yet and the verdicts that no longer match a finding.
``--template`` prints verdict rows to fill in for the unreviewed findings instead.

It is a benchmark, not a test: it exits 0 whatever the figures are, and 2 when fs-lint failed or a
corpus is missing::

    python benchmarks/fsr901_review.py                    # both corpora, plain text
    python benchmarks/fsr901_review.py --markdown         # tables for docs/fsr901-review.md
    python benchmarks/fsr901_review.py --template >> benchmarks/fsr901_verdicts.tsv   # then fill them in
    python benchmarks/fsr901_review.py --corpus fresh

Arguments after ``--`` go to every ``fs-lint check`` run unchanged.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from fresh_corpus import (  # the fresh corpus's benchmark, beside this one
    DEFAULT_CORPUS as FRESH_ROOT, DEFAULT_MIRRORS, LAID_OUT, REPOSITORIES, Anchors, Scored, Verdict, VerdictIndex,
    files_checked, lay_out, outside_tests, per_thousand, read_repositories, score, tally)
from realworld import (  # the reviewed corpus's benchmark
    DEFAULT_CORPUS as REVIEWED_ROOT, UNREVIEWED, USEFUL_VALUES, Report, Tally, add_fs_lint_options, fail, read_tsv,
    run_fs_lint, shorten, split_at_double_dash, verdict_counts)

REPO_ROOT = Path(__file__).resolve().parents[1]
VERDICTS = REPO_ROOT / "benchmarks" / "fsr901_verdicts.tsv"
CODE = "FSR901"
CORPORA = ("reviewed", "fresh")
VERDICT_COLUMNS = ("corpus", "repo", "path", "line", "anchor", "useful", "kind", "shape", "reason")


@dataclass
class CorpusRun:
    """FSR901 over one corpus, its findings scored."""

    name: str
    root: Path
    command: list[str]
    seconds: float
    files: int  # Python files fs-lint found there
    targets: list[str]  # the paths fs-lint was given, relative to root
    scored: list[Scored] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    stale: list[Verdict] = field(default_factory=list)  # verdicts that match no finding now
    problems: list[str] = field(default_factory=list)  # what could not be laid out

    @property
    def files_checked(self) -> int:
        return self.files - len(self.file_errors)


# ------------------------------------------------------------------------------------------ reading


def read_verdicts(path: Path) -> dict[str, list[Verdict]]:
    """Per corpus, its verdict rows (as ``fresh_corpus.Verdict``, the shape in ``pattern``)."""
    verdicts: dict[str, list[Verdict]] = {name: [] for name in CORPORA}
    if not path.is_file():
        return verdicts
    for number, row in enumerate(read_tsv(path), start=2):
        missing = [column for column in VERDICT_COLUMNS if row.get(column) is None]
        corpus, useful = (row.get("corpus") or "").strip(), (row.get("useful") or "").strip()
        if missing or corpus not in CORPORA or useful not in USEFUL_VALUES or not row["line"].strip().isdigit():
            fail(f"{path}:{number}: a verdict row needs {', '.join(VERDICT_COLUMNS)}, corpus in "
                 f"{'/'.join(CORPORA)}, a line number and useful in {'/'.join(USEFUL_VALUES)}")
        verdicts[corpus].append(Verdict(row["repo"].strip(), row["path"].strip(), int(row["line"]), CODE,
                                        row["anchor"].strip(), useful, row["kind"].strip(), row["shape"].strip(),
                                        row["reason"].strip()))
    return verdicts


# ------------------------------------------------------------------------------------------ running


def reviewed_targets(root: Path) -> tuple[list[str], list[str]]:
    """The reviewed corpus is checked as its reviewers checked it: ``.`` from its root."""
    if not root.is_dir():
        fail(f"no reviewed corpus at {root}: lay it out with ../shared/realworld/materialize.sh")
    folders = sorted(child.name for child in root.iterdir() if child.is_dir() and "+" in child.name)
    return folders, ["."]


def fresh_targets(root: Path, mirrors: Path) -> tuple[list[str], list[str], list[str]]:
    """The fresh corpus's folders, laid out first where they are not (needs the mirrors)."""
    repositories = read_repositories(REPOSITORIES)
    problems = lay_out(repositories, mirrors, root)
    folders = [r.folder for r in repositories if (root / r.folder / LAID_OUT).is_file()]
    if not folders:
        fail(f"no fresh repository could be laid out in {root}:\n  " + "\n  ".join(problems))
    return folders, folders, problems


def run_corpus(name: str, root: Path, args: argparse.Namespace, extra: Sequence[str],
               verdicts: Sequence[Verdict]) -> CorpusRun:
    problems: list[str] = []
    if name == "reviewed":
        folders, targets = reviewed_targets(root)
    else:
        folders, targets, problems = fresh_targets(root, args.mirrors)
    run = run_fs_lint(name, args.python, root, args.jobs, ["--select", CODE, *extra, *targets[:-1]], targets[-1])
    findings = [finding for finding in run.findings if finding.code == CODE]
    scored = score(findings, VerdictIndex(verdicts), Anchors(root))
    files = sum(count for count, _ in files_checked(root, folders).values())
    return CorpusRun(name, root, run.command, run.seconds, files, targets, scored, run.file_errors,
                     stale_verdicts(verdicts, scored), problems)


def stale_verdicts(verdicts: Sequence[Verdict], scored: Iterable[Scored]) -> list[Verdict]:
    """The verdicts no finding took: their finding is gone, or moved past its anchor and line."""
    index = VerdictIndex(verdicts)
    taken = {id(index.find(item.repo, item.path, item.line, CODE, item.anchor)) for item in scored}
    return [verdict for verdict in verdicts if id(verdict) not in taken]


# ------------------------------------------------------------------------------------------ report


def useful_precision(total: Tally) -> str:
    """y / findings, then (y + ? / 2) / findings; an unreviewed finding counts as not useful."""
    if not total.findings:
        return "–"
    return f"{total.y / total.findings:.0%} / {(total.y + 0.5 * total.arguable) / total.findings:.0%}"


def summary(report: Report, runs: Sequence[CorpusRun]) -> None:
    report.heading("Summary: FSR901 findings outside tests (kind ≠ T)", 3)
    rows = []
    for run in runs:
        mine = outside_tests(run.scored)
        total = tally(mine)
        rows.append([run.name, total.findings, verdict_counts(total, True), useful_precision(total),
                     per_thousand(total.n, run.files_checked), run.files_checked, total.unreviewed,
                     len(run.scored) - len(mine)])
    report.table(["corpus", "findings", "y / ? / n / unrev.", "useful: y / all (? as half)",
                  "false alarms per 1,000 files", "files checked", "unreviewed", "in tests (not scored)"], rows)
    report.text("useful = y / findings outside tests, then (y + 0.5 * ?) / findings; false alarms = n; "
                "an unreviewed finding counts as not useful and as no false alarm.")


def shapes(report: Report, run: CorpusRun) -> None:
    """The shapes of the n and ? verdicts outside tests, most frequent first, with one example each."""
    groups: dict[tuple[str, str], list[Scored]] = defaultdict(list)
    for item in outside_tests(run.scored):
        if item.useful in {"n", "?"}:
            groups[item.useful, item.pattern or "-"].append(item)
    report.heading(f"Shapes of the n and ? verdicts ({run.name}, outside tests)", 3)
    if not groups:
        report.text("(none)")
        return
    order = sorted(groups.items(), key=lambda pair: (pair[0][0] != "n", -len(pair[1]), pair[0][1]))
    report.table(["shape", "verdict", "findings", "example"],
                 [[shape, useful, len(items), f"{items[0].repo}/{items[0].path}:{items[0].line}"]
                  for (useful, shape), items in order])


def hazards(report: Report, run: CorpusRun) -> None:
    found = sorted((item for item in run.scored if item.useful in {"y", "?"}),
                   key=lambda item: (item.useful != "y", item.repo, item.path, item.line))
    counts = Counter(item.pattern or "-" for item in found if item.useful == "y")
    report.heading(f"Real hazards (y) and arguable findings (?) ({run.name}): {len(found)}", 3)
    if counts:
        report.text("Shapes of the hazards: " + ", ".join(f"{shape} {count}" for shape, count in counts.most_common()))
    report.items([f"{item.useful} {item.repo}/{item.path}:{item.line} [{item.kind}] {item.pattern}: "
                  f"{shorten(item.reason, 200)}" for item in found])


def leftovers(report: Report, run: CorpusRun) -> None:
    unreviewed = [item for item in run.scored if item.useful == UNREVIEWED]
    report.heading(f"Unreviewed findings ({run.name}): {len(unreviewed)}", 3)
    report.items([f"{item.repo}/{item.path}:{item.line} [{item.kind}{' guessed' if item.kind_guessed else ''}] "
                  f"{item.message}" for item in unreviewed])
    report.heading(f"Verdicts that match no finding now ({run.name}): {len(run.stale)}", 3)
    report.items([f"{v.repo}/{v.path}:{v.line} {v.useful} {v.pattern}: {shorten(v.reason, 120)}" for v in run.stale])
    if run.file_errors:
        report.heading(f"Files fs-lint could not check ({run.name}): {len(run.file_errors)}", 3)
        report.items(run.file_errors)
    if run.problems:
        report.heading(f"Layout problems ({run.name})", 3)
        report.items(run.problems)


def build_report(markdown: bool, runs: Sequence[CorpusRun], verdicts_file: Path) -> str:
    report = Report(markdown)
    report.heading("FSR901's findings judged", 2)
    report.items([f"{run.name}: {run.root}, {run.files} Python files; `{shown_command(run)}`: "
                  f"{len(run.scored)} findings, {run.seconds:.0f} s, {len(run.file_errors)} files not checked"
                  for run in runs])
    report.text(f"Verdicts: {verdicts_file.name}.")
    summary(report, runs)
    for run in runs:
        shapes(report, run)
    for run in runs:
        hazards(report, run)
    for run in runs:
        leftovers(report, run)
    return report.render()


def shown_command(run: CorpusRun) -> str:
    """``fs-lint check ...`` as run from the corpus root, a long list of folders shortened."""
    words = run.command[3:len(run.command) - len(run.targets)]
    shown = run.targets if len(run.targets) <= 3 else [f"<the {len(run.targets)} repository folders>"]
    return " ".join(["fs-lint", *words, *shown])


def template_rows(runs: Sequence[CorpusRun]) -> str:
    """Verdict rows (TSV, no header) for the unreviewed findings: fill in useful, shape and reason."""
    return "".join("\t".join([run.name, item.repo, item.path, str(item.line), item.anchor, "", item.kind, "",
                              item.message]) + "\n"
                   for run in runs for item in run.scored if item.useful == UNREVIEWED)


# ------------------------------------------------------------------------------------------ main


def parse_args(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    own, extra = split_at_double_dash(argv)
    parser = argparse.ArgumentParser(
        description="Run FSR901 alone on the reviewed and the fresh corpus and score every finding against "
                    "benchmarks/fsr901_verdicts.tsv.",
        epilog="Arguments after -- go to every `fs-lint check` run. Exit status: 0, or 2 when fs-lint failed "
               "or a corpus is missing.")
    parser.add_argument("--corpus", action="append", choices=CORPORA,
                        help="score only this corpus (repeatable; default: both)")
    parser.add_argument("--reviewed-root", type=Path, default=REVIEWED_ROOT, metavar="DIR",
                        help="the reviewed corpus, laid out by materialize.sh (default: %(default)s)")
    parser.add_argument("--fresh-root", type=Path, default=FRESH_ROOT, metavar="DIR",
                        help="the fresh corpus, laid out by fresh_corpus.py (default: %(default)s)")
    parser.add_argument("--mirrors", type=Path, default=DEFAULT_MIRRORS,
                        help="the <owner+name>/repo bare mirrors, to lay out the fresh corpus (default: %(default)s)")
    parser.add_argument("--verdicts", type=Path, default=VERDICTS, metavar="FILE",
                        help="the verdicts to score against (default: %(default)s; none when missing)")
    add_fs_lint_options(parser)
    parser.add_argument("--markdown", action="store_true", help="GitHub markdown tables (for docs/fsr901-review.md)")
    parser.add_argument("--template", action="store_true",
                        help="print verdict rows (TSV, no header) for the unreviewed findings instead of the report")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the scored findings as JSON")
    return parser.parse_args(own), extra


def main(argv: Sequence[str]) -> int:
    args, extra = parse_args(argv)
    verdicts = read_verdicts(args.verdicts)
    roots = {"reviewed": args.reviewed_root.resolve(), "fresh": args.fresh_root.resolve()}
    runs = [run_corpus(name, roots[name], args, extra, verdicts[name])
            for name in CORPORA if not args.corpus or name in args.corpus]
    if args.template:
        sys.stdout.write(template_rows(runs))
    else:
        sys.stdout.write(build_report(args.markdown, runs, args.verdicts))
    if args.json:
        args.json.write_text(json.dumps([{
            "corpus": run.name, "root": str(run.root), "command": run.command, "seconds": run.seconds,
            "files": run.files, "file_errors": run.file_errors, "findings": [asdict(item) for item in run.scored],
            "stale_verdicts": [asdict(verdict) for verdict in run.stale]} for run in runs], indent=2) + "\n",
            encoding="utf-8")
    crashed = [error for run in runs for error in run.file_errors if "internal error" in error]
    if crashed:
        print(f"fsr901_review: fs-lint had an internal error on {len(crashed)} files:", *crashed, sep="\n  ",
              file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
