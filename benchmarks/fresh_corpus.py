"""How useful fs-lint's findings are on a fresh corpus of public services nobody tuned it on.

The reviewed corpus (``benchmarks/realworld.py``) is what fs-lint was tuned on, so its figures
flatter it. This benchmark measures on other code: the service repositories of
``benchmarks/fresh_corpus.tsv`` (FastStream apps, kombu, pika and oslo.messaging consumers, Kafka,
NATS and MQTT workers, Redis task queues, bots, schedulers, daemons), none of them in the reviewed
corpus or in the repositories kept apart for an independent measurement. Each is pinned to a commit.

The script

1. lays the repositories out, from the bare mirrors that ``fetch github:<owner>/<name>`` brings
   (``/work/.mirror/<owner+name>/repo``), into ``<corpus>/<owner+name>/`` at the pinned commit
   (``git archive``; a blob missing from a mirror is left out and named), outside the project;
2. runs ``fs-lint check --isolated --format json`` from the corpus root with the fs-lint that
   imports in this Python, in three modes: the default, ``--strict``, and ``--extend-select FSR901``
   (of which only the FSR9xx findings are scored, the others being the default mode's);
3. scores the findings against ``benchmarks/fresh_verdicts.tsv``: for each, was it useful (y), not
   (n) or arguable (?), by a reader who looked at the code around it as its maintainer would.

A verdict names its finding by repository, path, code and an *anchor*: a hash of the enclosing
function's name and the text of the flagged line, so that verdicts survive lines moving; the line
breaks ties and is the fallback. For each mode it prints the findings outside tests, the useful
precision (y / (y + n + ?), and with ? counted as half), false alarms (n) per 1,000 files checked,
the files checked, and the findings that have no verdict yet ("unreviewed"), which ``--template``
prints as verdict rows to fill in.

It is a benchmark, not a test: it exits 0 whatever the figures are, and 2 only when fs-lint itself
failed or the corpus could not be laid out. Standard library, and fs-lint for counting files::

    python benchmarks/fresh_corpus.py                      # lay out (once), run, score
    python benchmarks/fresh_corpus.py --markdown           # tables for docs/fresh-corpus.md
    python benchmarks/fresh_corpus.py --mode default --template > rows.tsv   # verdict rows to fill in
    python benchmarks/fresh_corpus.py --only spotify+luigi --mode strict
    python benchmarks/fresh_corpus.py --layout-only        # just lay the repositories out

Arguments after ``--`` go to every ``fs-lint check`` run unchanged.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

from realworld import (  # the reviewed corpus's benchmark, beside this one
    UNREVIEWED, USEFUL_VALUES, Finding, Report, Tally, add_fs_lint_options, fail, guess_kind, percent, read_tsv,
    run_fs_lint, shorten, split_at_double_dash, verdict_counts)

REPO_ROOT = Path(__file__).resolve().parents[1]
REPOSITORIES = REPO_ROOT / "benchmarks" / "fresh_corpus.tsv"
VERDICTS = REPO_ROOT / "benchmarks" / "fresh_verdicts.tsv"
DEFAULT_MIRRORS = Path("/work/.mirror")
DEFAULT_CORPUS = Path("/work/fresh-corpus")
LAID_OUT = ".fresh-corpus-commit"  # in each laid-out folder: the commit, then the blobs the mirror lacked
VERDICT_COLUMNS = ("repo", "path", "line", "code", "anchor", "useful", "kind", "pattern", "reason")


@dataclass(frozen=True)
class Mode:
    name: str
    options: tuple[str, ...]
    scored_prefix: str  # the codes this mode is scored on; the others are another mode's


MODES = (
    Mode("default", (), "FSR0"),
    Mode("strict", ("--strict",), "FSR0"),
    Mode("FSR901", ("--extend-select", "FSR901"), "FSR9"),
)


@dataclass(frozen=True)
class Repository:
    repo: str  # owner/name
    commit: str
    kind: str
    what: str

    @property
    def folder(self) -> str:
        return self.repo.replace("/", "+", 1)


@dataclass(frozen=True)
class Verdict:
    repo: str  # owner+name, the corpus folder
    path: str  # inside the repository
    line: int
    code: str
    anchor: str
    useful: str  # y, n, ?
    kind: str  # P product, S scripts, L library engine, T tests, E examples
    pattern: str
    reason: str


@dataclass(frozen=True)
class Scored:
    repo: str
    path: str
    line: int
    code: str
    message: str
    anchor: str
    kind: str
    kind_guessed: bool
    useful: str
    pattern: str
    reason: str


@dataclass
class ModeRun:
    mode: Mode
    command: list[str]
    seconds: float
    scored: list[Scored] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------------------ reading


def read_repositories(path: Path) -> list[Repository]:
    return [Repository(row["repo"].strip(), row["commit"].strip(), row["kind"].strip(), row["what"].strip())
            for row in read_tsv(path)]


def read_verdicts(path: Path) -> list[Verdict]:
    verdicts = []
    for number, row in enumerate(read_tsv(path), start=2):
        missing = [column for column in VERDICT_COLUMNS if row.get(column) is None]
        useful = (row.get("useful") or "").strip()
        if missing or useful not in USEFUL_VALUES or not (row.get("line") or "").strip().isdigit():
            fail(f"{path}:{number}: a verdict row needs {', '.join(VERDICT_COLUMNS)}, a line number "
                 f"and useful in {'/'.join(USEFUL_VALUES)}")
        verdicts.append(Verdict(row["repo"].strip(), row["path"].strip(), int(row["line"]), row["code"].strip(),
                                row["anchor"].strip(), useful, row["kind"].strip(), row["pattern"].strip(),
                                row["reason"].strip()))
    return verdicts


# ------------------------------------------------------------------------------------------ layout


def lay_out(repositories: Sequence[Repository], mirrors: Path, corpus: Path) -> list[str]:
    """Each repository at its commit in ``corpus/<owner+name>``; what could not be done, as lines."""
    existing = next(folder for folder in (corpus, *corpus.parents) if folder.is_dir())
    inside = subprocess.run(["git", "-C", str(existing), "rev-parse", "--show-toplevel"], capture_output=True,
                            text=True, check=False)
    if inside.returncode == 0:
        fail(f"{corpus} is inside the git checkout {inside.stdout.strip()}: fs-lint would list its files "
             f"with git and find none there; choose a corpus folder outside any checkout")
    corpus.mkdir(parents=True, exist_ok=True)
    problems = []
    for repository in repositories:
        target = corpus / repository.folder
        marker = target / LAID_OUT
        if marker.is_file():
            commit, *absent = marker.read_text(encoding="utf-8").split()
            if commit == repository.commit:
                (target / ".git").mkdir(exist_ok=True)
                if absent:
                    problems.append(absent_files(repository, absent))
                continue
        mirror = mirrors / repository.folder / "repo"
        if (mirror / ".git").is_dir():
            mirror = mirror / ".git"  # some snapshots come as a clone's repository, not a bare one
        if not mirror.is_dir():
            problems.append(f"{repository.repo}: no mirror at {mirror} (fetch github:{repository.repo})")
            continue
        print(f"laying out {repository.repo} at {repository.commit[:12]}", file=sys.stderr)
        staging = Path(tempfile.mkdtemp(prefix=f".{repository.folder}.", dir=corpus))
        try:
            absent = extract(mirror, repository.commit, staging)
        except RuntimeError as error:
            shutil.rmtree(staging, ignore_errors=True)
            problems.append(f"{repository.repo}: {error}")
            continue
        (staging / LAID_OUT).write_text("\n".join([repository.commit, *absent]) + "\n", encoding="utf-8")
        # The root marker a clone has (an empty folder, no repository in it: git lists nothing, so fs-lint walks
        # the tree): fs-lint finds each repository's project root there, as it does in a checkout.
        (staging / ".git").mkdir(exist_ok=True)
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)  # whole or not at all: a half-extracted tree is never left under the name
        if absent:
            problems.append(absent_files(repository, absent))
    return problems


def absent_files(repository: Repository, absent: Sequence[str]) -> str:
    return (f"{repository.repo}: {len(absent)} files absent from the mirror, left out: "
            + ", ".join(absent[:5]) + (" ..." if len(absent) > 5 else ""))


def extract(mirror: Path, commit: str, into: Path) -> list[str]:
    """``git archive COMMIT | tar -x``; when the mirror lacks some blobs, the others one by one."""
    archive = subprocess.Popen(["git", "--git-dir", str(mirror), "archive", "--format=tar", commit],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    untar = subprocess.run(["tar", "-x", "-C", str(into)], stdin=archive.stdout, capture_output=True, check=False)
    archive.stdout.close()
    if archive.wait() == 0 and untar.returncode == 0:
        return []
    for child in into.iterdir():  # a partial archive: start again, file by file
        shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    listing = subprocess.run(["git", "--git-dir", str(mirror), "ls-tree", "-r", "-z", commit],
                             capture_output=True, check=False)
    if listing.returncode != 0:
        raise RuntimeError(f"commit {commit} is not in the mirror: {listing.stderr.decode(errors='replace').strip()}")
    absent = []
    for entry in listing.stdout.split(b"\0"):
        if not entry:
            continue
        meta, _, name = entry.partition(b"\t")
        mode, kind, blob = meta.decode().split()
        path = os.fsdecode(name)
        if kind != "blob" or mode == "120000":  # submodules and symbolic links are left out here
            continue
        content = subprocess.run(["git", "--git-dir", str(mirror), "cat-file", "blob", blob],
                                 capture_output=True, check=False)
        if content.returncode != 0:
            absent.append(path)
            continue
        destination = into / path
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(content.stdout)
    return absent


def files_checked(corpus: Path, folders: Iterable[str]) -> dict[str, tuple[int, int]]:
    """Per repository folder: the Python files ``fs-lint check`` finds there, and those not test code."""
    try:
        from fs_lint.cli.discovery import discover
        from fs_lint.test_files import is_test_path
    except ImportError:  # an fs-lint laid out otherwise: every *.py file, tests by their folder names
        discover = None
    counts = {}
    for folder in folders:
        if discover is not None:
            names = [candidate.shown for candidate in discover([folder], str(corpus)).files]
            tests = sum(is_test_path(os.path.relpath(name, folder)) for name in names)
        else:
            names = [str(path) for path in (corpus / folder).rglob("*.py")]
            tests = sum(guess_kind(f"{folder}/{os.path.relpath(name, corpus / folder)}") == "T" for name in names)
        counts[folder] = (len(names), len(names) - tests)
    return counts


# ------------------------------------------------------------------------------------------ anchors


class Anchors:
    """The anchor of a finding: a hash of its enclosing function's name and its line's text."""

    def __init__(self, corpus: Path) -> None:
        self.corpus = corpus

    def of(self, repo: str, path: str, line: int) -> str:
        lines, scopes = self._read(f"{repo}/{path}")
        text = "".join(lines[line - 1].split()) if 0 < line <= len(lines) else ""
        enclosing = [name for start, end, name in scopes if start <= line <= end]
        return hashlib.sha1(f"{enclosing[-1] if enclosing else ''}|{text}".encode()).hexdigest()[:10]

    @lru_cache(maxsize=None)
    def _read(self, relative: str) -> tuple[list[str], list[tuple[int, int, str]]]:
        try:
            source = (self.corpus / relative).read_bytes()
        except OSError:
            return [], []
        lines = source.decode("utf-8", "replace").splitlines()
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError):
            return lines, []
        scopes: list[tuple[int, int, str]] = []

        def visit(node: ast.AST, prefix: str) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    name = prefix + child.name
                    start = min([child.lineno, *(decorator.lineno for decorator in child.decorator_list)])
                    scopes.append((start, child.end_lineno or child.lineno, name))  # its decorators too
                    visit(child, name + ".")
                else:
                    visit(child, prefix)

        visit(tree, "")
        scopes.sort(key=lambda scope: (scope[0], -scope[1]))  # outer first, so the last match is innermost
        return lines, scopes


# ------------------------------------------------------------------------------------------ scoring


class VerdictIndex:
    """Finds the verdict of a finding: same anchor (nearest line), else the same line."""

    def __init__(self, verdicts: Iterable[Verdict]) -> None:
        self.by_anchor: dict[tuple[str, str, str, str], list[Verdict]] = defaultdict(list)
        self.by_line: dict[tuple[str, str, str, int], Verdict] = {}
        for verdict in verdicts:
            if verdict.anchor:
                self.by_anchor[verdict.repo, verdict.path, verdict.code, verdict.anchor].append(verdict)
            self.by_line[verdict.repo, verdict.path, verdict.code, verdict.line] = verdict

    def find(self, repo: str, path: str, line: int, code: str, anchor: str) -> Verdict | None:
        same = self.by_anchor.get((repo, path, code, anchor))
        if same:
            return min(same, key=lambda verdict: abs(verdict.line - line))
        return self.by_line.get((repo, path, code, line))


def score(findings: Iterable[Finding], index: VerdictIndex, anchors: Anchors) -> list[Scored]:
    scored = []
    for finding in findings:
        repo, _, path = finding.path.partition("/")
        anchor = anchors.of(repo, path, finding.line)
        verdict = index.find(repo, path, finding.line, finding.code, anchor)
        scored.append(Scored(
            repo=repo, path=path, line=finding.line, code=finding.code, message=finding.message, anchor=anchor,
            kind=verdict.kind if verdict and verdict.kind else guess_kind(finding.path),
            kind_guessed=not (verdict and verdict.kind), useful=verdict.useful if verdict else UNREVIEWED,
            pattern=verdict.pattern if verdict else "", reason=verdict.reason if verdict else ""))
    return scored


def outside_tests(scored: Iterable[Scored]) -> list[Scored]:
    return [item for item in scored if item.kind != "T"]


def tally(scored: Iterable[Scored]) -> Tally:
    total = Tally()
    for item in scored:
        total.add(item.useful)
    return total


def judged_precision(total: Tally) -> str:
    """y / (y + ? + n) over the judged findings, then with ? counted as half."""
    judged = total.y + total.arguable + total.n
    if not judged:
        return "–"
    return f"{total.y / judged:.0%} / {(total.y + 0.5 * total.arguable) / judged:.0%}"


def per_thousand(count: int, files: int) -> str:
    return f"{1000 * count / files:.2f}" if files else "–"


# ------------------------------------------------------------------------------------------ report


def build_report(markdown: bool, corpus: Path, repositories: Sequence[Repository], files: dict[str, tuple[int, int]],
                 runs: Sequence[ModeRun], verdicts: Sequence[Verdict], problems: Sequence[str],
                 verdicts_file: Path = VERDICTS) -> str:
    report = Report(markdown)
    total_files = sum(count for count, _ in files.values())
    product_files = sum(count for _, count in files.values())
    report.heading("fs-lint on the fresh corpus", 2)
    report.text(f"Corpus {corpus}: {len(repositories)} repositories ({REPOSITORIES.name}), {total_files} Python files "
                f"({product_files} outside test code); verdicts: {verdicts_file.name}, {len(verdicts)} rows. Files "
                f"checked = those files less the ones fs-lint could not parse (listed below).")
    report.items([f"{run.mode.name}: `{shown_command(run.command, repositories)}`, scored on "
                  f"{run.mode.scored_prefix}xx: {len(run.scored)} findings, {run.seconds:.0f} s, "
                  f"{len(run.file_errors)} files not checked" for run in runs])
    if problems:
        report.text("Layout problems:")
        report.items(list(problems))

    report.heading("Summary: findings outside tests (kind ≠ T)", 3)
    rows = []
    for run in runs:
        total = tally(outside_tests(run.scored))
        checked = total_files - len(run.file_errors)
        rows.append([run.mode.name, total.findings, verdict_counts(total, True), judged_precision(total),
                     per_thousand(total.n, checked), checked, total.unreviewed])
    report.table(["mode", "findings", "y / ? / n / unrev.", "useful: y / judged (? as half)",
                  "false alarms per 1,000 files", "files checked", "unreviewed"], rows)
    report.text("useful = y / (y + ? + n) over the judged findings, then with ? counted as half; "
                "false alarms = n; unreviewed findings (no verdict yet) are in neither.")

    for run in runs:
        by_code: dict[str, list[Scored]] = defaultdict(list)
        for item in outside_tests(run.scored):
            by_code[item.code].append(item)
        report.heading(f"Per code ({run.mode.name}, outside tests)", 3)
        report.table(["code", "findings", "y / ? / n / unrev.", "useful (? as half, unreviewed as n)"],
                     [[code, len(items), verdict_counts(tally(items), True), percent(tally(items))]
                      for code, items in sorted(by_code.items())])

    repository_table(report, repositories, files, runs)
    hazards_section(report, runs)
    for run in runs:
        unreviewed = [item for item in run.scored if item.useful == UNREVIEWED]
        report.heading(f"Unreviewed findings ({run.mode.name}): {len(unreviewed)}", 3)
        report.items([f"{item.repo}/{item.path}:{item.line} {item.code} [{item.kind}"
                      f"{' guessed' if item.kind_guessed else ''}] {item.message}" for item in unreviewed])
    for index, run in enumerate(runs):
        if run.file_errors and (index == 0 or run.file_errors != runs[0].file_errors):
            same = " (the same in every mode)" if all(r.file_errors == run.file_errors for r in runs) else ""
            report.heading(f"Files fs-lint could not check ({run.mode.name}){same}", 3)
            report.items(run.file_errors)
    return report.render()


def shown_command(command: Sequence[str], repositories: Sequence[Repository]) -> str:
    """``fs-lint check ...`` as run, with the repository folders at its end shortened."""
    words = list(command[3:])
    folders = [repository.folder for repository in repositories]
    if len(folders) > 1 and words[-len(folders):] == folders:
        words[-len(folders):] = [f"<the {len(folders)} repository folders>"]
    return shlex.join(["fs-lint", *words])


def repository_table(report: Report, repositories: Sequence[Repository], files: dict[str, tuple[int, int]],
                     runs: Sequence[ModeRun]) -> None:
    report.heading("Per repository (findings outside tests: all / useful / arguable)", 3)
    rows = []
    for repository in repositories:
        row: list[object] = [repository.repo, repository.kind, files.get(repository.folder, (0, 0))[0]]
        for run in runs:
            mine = tally(item for item in outside_tests(run.scored) if item.repo == repository.folder)
            row.append(f"{mine.findings} / {mine.y} / {mine.arguable}")
        rows.append(row)
    report.table(["repository", "kind", "files", *(run.mode.name for run in runs)], rows)


def hazards_section(report: Report, runs: Sequence[ModeRun]) -> None:
    """Every finding judged useful (y) or arguable (?), with the modes that report it."""
    found: dict[tuple[str, str, int, str], tuple[Scored, list[str]]] = {}
    for run in runs:
        for item in run.scored:
            if item.useful in {"y", "?"}:
                key = (item.repo, item.path, item.line, item.code)
                found.setdefault(key, (item, []))[1].append(run.mode.name)
    report.heading(f"Real hazards found (y), and arguable ones (?): {len(found)}", 3)
    report.items([f"{item.useful} {item.repo}/{item.path}:{item.line} {item.code} [{item.kind}] reported by "
                  f"{', '.join(modes)}: {shorten(item.reason, 160)}"
                  for item, modes in sorted(found.values(), key=lambda pair: (pair[0].useful != "y", pair[0].repo,
                                                                              pair[0].path, pair[0].line))])


def template_rows(runs: Sequence[ModeRun]) -> str:
    """Verdict rows for the unreviewed findings, to fill in (useful, pattern, reason)."""
    seen, lines = set(), []
    for run in runs:
        for item in run.scored:
            key = (item.repo, item.path, item.line, item.code)
            if item.useful == UNREVIEWED and key not in seen:
                seen.add(key)
                lines.append("\t".join([item.repo, item.path, str(item.line), item.code, item.anchor, "",
                                        item.kind, "", f"[{run.mode.name}] {item.message}"]))
    return "".join(line + "\n" for line in lines)


# ------------------------------------------------------------------------------------------ main


def parse_args(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    own, extra = split_at_double_dash(argv)
    parser = argparse.ArgumentParser(
        description="Lay out the fresh corpus of service repositories, run fs-lint over it in three modes and "
                    "score its findings against benchmarks/fresh_verdicts.tsv.",
        epilog="Arguments after -- go to every `fs-lint check` run. Exit status: 0, or 2 when fs-lint failed "
               "or the corpus could not be laid out.")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                        help="where the repositories are laid out, outside any git checkout (default: %(default)s)")
    parser.add_argument("--mirrors", type=Path, default=DEFAULT_MIRRORS,
                        help="the folder of the <owner+name>/repo bare mirrors (default: %(default)s)")
    parser.add_argument("--verdicts", type=Path, default=VERDICTS, metavar="FILE",
                        help="the verdicts to score against (default: %(default)s; none when missing)")
    add_fs_lint_options(parser)
    parser.add_argument("--mode", action="append", choices=[mode.name for mode in MODES],
                        help="run only this mode (repeatable; default: all three)")
    parser.add_argument("--only", metavar="OWNER+NAME", help="check one repository")
    parser.add_argument("--layout-only", action="store_true", help="lay the repositories out and stop")
    parser.add_argument("--markdown", action="store_true", help="GitHub markdown tables (for docs/fresh-corpus.md)")
    parser.add_argument("--template", action="store_true",
                        help="print verdict rows (TSV, no header) for the unreviewed findings instead of the report")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the scored findings as JSON")
    return parser.parse_args(own), extra


def main(argv: Sequence[str]) -> int:
    args, extra = parse_args(argv)
    corpus = args.corpus.resolve()
    repositories = read_repositories(REPOSITORIES)
    if args.only:
        repositories = [r for r in repositories if r.folder == args.only]
        if not repositories:
            fail(f"{args.only} is not in {REPOSITORIES.name}")
    problems = lay_out(repositories, args.mirrors, corpus)
    if args.layout_only:
        print("\n".join(problems) or f"laid out {len(repositories)} repositories in {corpus}")
        return 0
    present = [r for r in repositories if (corpus / r.folder / LAID_OUT).is_file()]
    if not present:
        fail(f"no repository could be laid out in {corpus}:\n  " + "\n  ".join(problems))
    verdicts = read_verdicts(args.verdicts) if args.verdicts.is_file() else []
    index, anchors = VerdictIndex(verdicts), Anchors(corpus)
    files = files_checked(corpus, [r.folder for r in present])
    targets = [r.folder for r in present]

    runs = []
    for mode in [m for m in MODES if not args.mode or m.name in args.mode]:
        # the laid-out folders by name (not "."), the last one in the place of realworld's --only
        run = run_fs_lint(mode.name, args.python, corpus, args.jobs, [*mode.options, *extra, *targets[:-1]],
                          targets[-1])
        findings = [f for f in run.findings if f.code.startswith(mode.scored_prefix)]
        runs.append(ModeRun(mode, run.command, run.seconds, score(findings, index, anchors), run.file_errors))

    if args.template:
        sys.stdout.write(template_rows(runs))
    else:
        sys.stdout.write(build_report(args.markdown, corpus, present, files, runs, verdicts, problems, args.verdicts))
    if args.json:
        args.json.write_text(json.dumps({"corpus": str(corpus), "files": files, "runs": [
            {"mode": run.mode.name, "command": run.command, "seconds": run.seconds, "file_errors": run.file_errors,
             "findings": [asdict(item) for item in run.scored]} for run in runs]}, indent=2) + "\n", encoding="utf-8")
    crashed = [error for run in runs for error in run.file_errors if "internal error" in error]
    if crashed:
        print(f"fresh_corpus: fs-lint had an internal error on {len(crashed)} files:", *crashed, sep="\n  ",
              file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
