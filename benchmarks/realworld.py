"""How useful fs-lint's findings are on real code: the reviewed 40-repository corpus.

The shared folder ``../shared/realworld/`` (beside the checkout) holds a corpus of 40 public
repositories where every finding of fs-lint as of 2026-12-01 was judged by hand
(``findings-reviewed.tsv``: 160 findings, each useful y / ? / n) and 617 loops and retry decorators
were labelled with the codes the rule pages call for (``candidates-labelled.tsv``). This script runs
the fs-lint of this checkout over that corpus and scores what it reports now against those verdicts:

* useful precision per code, ``(y + 0.5 * ?) / findings``, in three scopes (all findings, outside
  tests, outside tests and examples), next to the same figures for 2026-12-01 ("before"). A finding
  nobody has judged yet counts as not useful and is listed for review;
* the useful (and arguable) findings that are no longer reported;
* the labelled hazards found now against those found before, per code, and what was lost or gained;
* the findings that are new since 2026-12-01, and whether ``benchmarks/realworld_verdicts.tsv``
  (same columns as ``findings-reviewed.tsv``; optional) judges them. Its verdicts override and add
  to the shared ones.

It is a benchmark, not a test: it exits 0 whatever the figures are, and 2 only when fs-lint itself
failed (exit status 2, no JSON, or an internal error on some file).

First lay out the corpus (see ``../shared/realworld/README.md``)::

    ../shared/realworld/materialize.sh ../corpus <folder of the fetched <owner+name>/repo mirrors>

then, from the checkout::

    python benchmarks/realworld.py                       # corpus ../corpus, plain text
    python benchmarks/realworld.py --markdown            # GitHub tables, for docs/realworld.md
    python benchmarks/realworld.py --only jd+tenacity    # one repository
    python benchmarks/realworld.py --json scored.json -- --select FSR001,FSR002
    python benchmarks/realworld.py --compare "--extend-select FSR9"   # a second configuration

Arguments after ``--`` go to ``fs-lint check`` unchanged. fs-lint runs as
``PYTHON -m fs_lint check --isolated --format json -j N .`` from the corpus root, as the reviewers
ran it, so paths are ``<owner+name>/<path in the repository>``. Standard library only.
"""

from __future__ import annotations

import argparse
import ast
import csv
import json
import os
import shlex
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Sequence

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO_ROOT.parent / "corpus"
DEFAULT_SHARED = REPO_ROOT.parent / "shared" / "realworld"
PROJECT_VERDICTS = REPO_ROOT / "benchmarks" / "realworld_verdicts.tsv"
REVIEWED = "findings-reviewed.tsv"
CANDIDATES = "candidates-labelled.tsv"
BASE_CODES = tuple(f"FSR00{n}" for n in range(1, 8))
USEFUL_VALUES = ("y", "?", "n")
UNREVIEWED = "unreviewed"

TEST_DIRS = {"tests", "test", "t", "testing", "integration_tests", "obsolete", "benchmarks"}
EXAMPLE_DIRS = {"examples", "example", "samples", "sample", "docs", "doc"}
KIND_NAMES = {"P": "product", "S": "scripts", "L": "retry-library engine", "T": "tests", "E": "examples"}


@dataclass(frozen=True)
class Scope:
    name: str
    keeps: Callable[[str], bool]


SCOPES = (
    Scope("all findings", lambda kind: True),
    Scope("outside tests (kind != T)", lambda kind: kind != "T"),
    Scope("outside tests and examples (kind not T or E)", lambda kind: kind not in {"T", "E"}),
)


# ---------------------------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Verdict:
    """One row of a verdict file: what a reviewer said about a finding at ``location`` (path:line)."""

    location: str
    code: str
    kind: str
    spec_ok: str
    useful: str
    pattern: str
    reason: str
    source: str  # "shared" or "project"

    @property
    def key(self) -> tuple[str, str]:
        return self.location, self.code


@dataclass(frozen=True)
class Finding:
    location: str  # <owner+name>/<path>:<line>, relative to the corpus root
    code: str
    message: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return self.location, self.code

    @property
    def path(self) -> str:
        return self.location.rpartition(":")[0]

    @property
    def line(self) -> int:
        return int(self.location.rpartition(":")[2])


@dataclass(frozen=True)
class Scored:
    """A finding with its verdict: ``useful`` is y, ?, n or unreviewed."""

    location: str
    code: str
    message: str
    kind: str
    kind_guessed: bool
    useful: str
    verdict_source: str | None
    reason: str
    candidate: str | None  # <owner+name>/<path>:<line> of the labelled candidate it falls on


@dataclass
class Tally:
    findings: int = 0
    y: int = 0
    arguable: int = 0
    n: int = 0
    unreviewed: int = 0

    def add(self, useful: str) -> None:
        self.findings += 1
        if useful == "y":
            self.y += 1
        elif useful == "?":
            self.arguable += 1
        elif useful == "n":
            self.n += 1
        else:
            self.unreviewed += 1

    @property
    def precision(self) -> float | None:
        """(y + 0.5 * ?) / findings; unreviewed findings count as not useful."""
        return (self.y + 0.5 * self.arguable) / self.findings if self.findings else None


@dataclass(frozen=True)
class Candidate:
    repo: str
    path: str
    function: str
    line: int
    expected: frozenset[str]
    before: frozenset[str]  # fs-lint's codes on 2026-12-01
    borderline: frozenset[str]
    subset: str
    reason: str

    @property
    def file(self) -> str:
        return f"{self.repo}/{self.path}"

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def is_loop(self) -> bool:
        return self.subset != "deco"


@dataclass
class Run:
    """One fs-lint run over the corpus and what it gave."""

    label: str
    command: list[str]
    exit_code: int
    seconds: float
    findings: list[Finding]
    file_errors: list[str]
    scored: list[Scored] = field(default_factory=list)
    candidate_codes: dict[str, set[str]] = field(default_factory=dict)  # candidate location -> codes now


# ------------------------------------------------------------------------------------------- reading


def read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def read_verdicts(path: Path, source: str) -> list[Verdict]:
    verdicts = []
    for row in read_tsv(path):
        useful = (row.get("useful") or "").strip()
        verdicts.append(Verdict(
            location=row["path:line"].strip(), code=row["code"].strip(), kind=(row.get("kind") or "").strip(),
            spec_ok=(row.get("spec-ok") or "").strip(), useful=useful if useful in USEFUL_VALUES else UNREVIEWED,
            pattern=(row.get("pattern") or "").strip(), reason=(row.get("reason") or "").strip(), source=source))
    return verdicts


def codes_of(text: str) -> frozenset[str]:
    text = text.strip()
    if text in {"", "-", "none"}:
        return frozenset()
    return frozenset(code.strip() for code in text.split(",") if code.strip())


def read_candidates(path: Path) -> list[Candidate]:
    return [Candidate(repo=row["repo"], path=row["path"], function=row["function"], line=int(row["line"]),
                      expected=codes_of(row["expected_codes"]), before=codes_of(row["fs_lint_codes"]),
                      borderline=codes_of(row.get("borderline_codes") or ""), subset=row["subset"],
                      reason=row["reason"])
            for row in read_tsv(path)]


def in_repo(location: str, only: str | None) -> bool:
    return only is None or location.startswith(only + "/")


# ------------------------------------------------------------------------------------------ running


def run_fs_lint(label: str, python: str, corpus: Path, jobs: int, extra: Sequence[str], only: str | None) -> Run:
    command = [python, "-m", "fs_lint", "check", "--isolated", "--format", "json", "-j", str(jobs),
               *extra, only or "."]
    print(f"running: (cd {corpus} && {shlex.join(command)})", file=sys.stderr)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=corpus, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        fail(f"fs-lint exited {done.returncode}:\n{done.stderr.strip()}")
    try:
        items = json.loads(done.stdout)
    except json.JSONDecodeError as error:
        fail(f"fs-lint printed no JSON ({error}):\n{done.stderr.strip()}")
    # A file that could not be checked is an entry with no code (it is also named on stderr).
    findings = [Finding(f"{normal_path(item['filename'])}:{item['line']}", item["code"], item.get("message", ""))
                for item in items if item.get("code")]
    errors = [line.removeprefix("fs-lint: error: ") for line in done.stderr.splitlines()
              if line.startswith("fs-lint: error: ")]
    return Run(label, command, done.returncode, seconds, findings, errors)


def normal_path(path: str) -> str:
    path = path.replace(os.sep, "/")
    while path.startswith("./"):
        path = path[2:]
    return path


def fail(message: str) -> None:
    """Say why, named after the script that runs (``fresh_corpus.py`` uses this too), and exit 2."""
    print(f"{Path(sys.argv[0]).stem or 'realworld'}: {message}", file=sys.stderr)
    raise SystemExit(2)


# ------------------------------------------------------------------------------------------ scoring


def guess_kind(path: str) -> str:
    """T for test paths, E for examples and docs, else P (the reviewers' S and L cannot be guessed)."""
    parts = path.split("/")[1:]  # the first component is <owner+name>
    directories, name = parts[:-1], parts[-1] if parts else ""
    if (any(part in TEST_DIRS or part.endswith(("_tests", "_test")) for part in directories)
            or name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"):
        return "T"
    if any(part in EXAMPLE_DIRS for part in directories):
        return "E"
    return "P"


def score(findings: Iterable[Finding], verdicts: dict[tuple[str, str], Verdict],
          matcher: CandidateMatcher) -> list[Scored]:
    scored = []
    for finding in findings:
        verdict = verdicts.get(finding.key)
        kind = verdict.kind if verdict and verdict.kind else guess_kind(finding.path)
        candidate = matcher.match(finding)
        scored.append(Scored(
            location=finding.location, code=finding.code, message=finding.message, kind=kind,
            kind_guessed=not (verdict and verdict.kind), useful=verdict.useful if verdict else UNREVIEWED,
            verdict_source=verdict.source if verdict else None, reason=verdict.reason if verdict else "",
            candidate=candidate.location if candidate else None))
    return scored


def tallies(scored: Iterable[Scored], scope: Scope) -> dict[str, Tally]:
    """Per code, plus "all"."""
    table: dict[str, Tally] = defaultdict(Tally)
    for item in scored:
        if scope.keeps(item.kind):
            table[item.code].add(item.useful)
            table["all"].add(item.useful)
    return table


class CandidateMatcher:
    """Which labelled candidate a finding falls on, the way the reviewers matched them.

    A decorator or ``Retrying`` candidate matches a finding on its line; a loop candidate matches
    the findings whose innermost enclosing loop (``while``/``for``/``async for``) starts on its line.
    """

    def __init__(self, corpus: Path, candidates: Sequence[Candidate]) -> None:
        self.corpus = corpus
        self.by_line: dict[tuple[str, int], list[Candidate]] = defaultdict(list)
        for candidate in candidates:
            self.by_line[candidate.file, candidate.line].append(candidate)
        self.files = {candidate.file for candidate in candidates}

    def match(self, finding: Finding) -> Candidate | None:
        if finding.path not in self.files:
            return None
        for candidate in self.by_line.get((finding.path, finding.line), ()):
            if not candidate.is_loop:
                return candidate
        loop_line = self.innermost_loop(finding.path, finding.line)
        if loop_line is None:
            return None
        return next((c for c in self.by_line.get((finding.path, loop_line), ()) if c.is_loop), None)

    def innermost_loop(self, path: str, line: int) -> int | None:
        starts = [start for start, end in self.loops(path) if start <= line <= end]
        return max(starts) if starts else None

    @lru_cache(maxsize=None)
    def loops(self, path: str) -> tuple[tuple[int, int], ...]:
        try:
            tree = ast.parse((self.corpus / path).read_bytes())
        except (OSError, SyntaxError, ValueError, RecursionError):
            return ()
        return tuple((node.lineno, node.end_lineno or node.lineno) for node in ast.walk(tree)
                     if isinstance(node, (ast.While, ast.For, ast.AsyncFor)))


def codes_on_candidates(scored: Iterable[Scored]) -> dict[str, set[str]]:
    codes: dict[str, set[str]] = defaultdict(set)
    for item in scored:
        if item.candidate:
            codes[item.candidate].add(item.code)
    return dict(codes)


# -------------------------------------------------------------------------------------------- report


class Report:
    """Plain text, or GitHub markdown with ``markdown=True``."""

    def __init__(self, markdown: bool) -> None:
        self.markdown = markdown
        self.lines: list[str] = []

    def heading(self, text: str, level: int = 2) -> None:
        if self.markdown:
            self.lines += ["#" * level + " " + text, ""]
        else:
            self.lines += [text, ("=" if level <= 2 else "-") * len(text), ""]

    def text(self, text: str = "") -> None:
        self.lines += [text, ""] if text else [""]

    def items(self, items: Sequence[str], empty: str = "none") -> None:
        if not items:
            self.text(f"({empty})")
            return
        bullet = "- " if self.markdown else "  "
        self.lines += [bullet + (item.replace("|", "\\|") if self.markdown else item) for item in items]
        self.lines.append("")

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        cells = [[str(cell) for cell in row] for row in rows]
        if self.markdown:
            self.lines.append("| " + " | ".join(headers) + " |")
            self.lines.append("|" + "|".join("---" if i == 0 else "---:" for i in range(len(headers))) + "|")
            self.lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in cells]
        else:
            widths = [max(len(str(h)), *(len(row[i]) for row in cells)) for i, h in enumerate(headers)]
            self.lines += [aligned(row, widths) for row in [headers, ["-" * w for w in widths], *cells]]
        self.lines.append("")

    def render(self) -> str:
        return "\n".join(self.lines).rstrip() + "\n"


def aligned(row: Sequence[str], widths: Sequence[int]) -> str:
    """A plain-text table row: the first column left-aligned, the figures right-aligned."""
    return "  ".join(cell.ljust(width) if index == 0 else cell.rjust(width)
                     for index, (cell, width) in enumerate(zip(row, widths)))


def percent(tally: Tally) -> str:
    if tally.precision is None:
        return "–"
    if not tally.arguable:
        return f"{tally.precision:.0%}"
    low, high = tally.y / tally.findings, (tally.y + tally.arguable) / tally.findings
    return f"{tally.precision:.0%} ({100 * low:.0f}–{100 * high:.0f})"


def verdict_counts(tally: Tally, with_unreviewed: bool) -> str:
    counts = f"{tally.y} / {tally.arguable} / {tally.n}"
    return counts + f" / {tally.unreviewed}" if with_unreviewed else counts


def precision_tables(report: Report, before: list[Scored], runs: Sequence[Run]) -> None:
    codes = sorted(set(BASE_CODES) | {s.code for s in before} | {s.code for run in runs for s in run.scored})
    headers = ["code", "before: findings", "y / ? / n", "useful"]
    for run in runs:
        headers += [f"{run.label}: findings", "y / ? / n / unrev.", "useful"]
    for scope in SCOPES:
        report.heading(f"Useful precision: {scope.name}", 3)
        columns = [tallies(before, scope)] + [tallies(run.scored, scope) for run in runs]
        rows = []
        for code in [*codes, "all"]:
            row: list[object] = ["**all**" if code == "all" and report.markdown else code]
            for index, table in enumerate(columns):
                tally = table.get(code, Tally())
                row += [tally.findings, verdict_counts(tally, index > 0), percent(tally)]
            rows.append(row)
        report.table(headers, rows)
    report.text("useful = (y + 0.5 * ?) / findings, unreviewed findings counted as not useful; "
                "in brackets ? counted as n, then as y.")


def lost_useful(report: Report, verdicts: dict[tuple[str, str], Verdict], run: Run, only: str | None) -> None:
    now = {(s.location, s.code) for s in run.scored}
    report.heading(f"Useful findings lost ({run.label})", 3)
    for value, name in (("y", "useful (y)"), ("?", "arguable (?)")):
        lost = [v for v in verdicts.values() if v.useful == value and v.key not in now and in_repo(v.location, only)]
        report.text(f"{name}: {len(lost)} no longer reported")
        report.items([f"{v.location} {v.code} [{v.kind or guess_kind(v.location.rpartition(':')[0])}] "
                      f"{shorten(v.reason)}" for v in sorted(lost, key=lambda v: v.key)])


def check_matching(report: Report, candidates: Sequence[Candidate], before: list[Scored]) -> None:
    """The 2026-12-01 findings, matched to candidates here, must give back the ``fs_lint_codes`` column."""
    matched = codes_on_candidates(before)
    wrong = [c for c in candidates if set(c.before) != matched.get(c.location, set())]
    if wrong:
        report.text(f"Warning: matching the {REVIEWED} findings to candidates does not give back "
                    f"fs_lint_codes on {len(wrong)} candidates, so the \"now\" column may be off there:")
        report.items([f"{c.location}: column {','.join(sorted(c.before)) or '-'}, matched "
                      f"{','.join(sorted(matched.get(c.location, ()))) or '-'}" for c in wrong])


def hazard_section(report: Report, candidates: Sequence[Candidate], run: Run) -> None:
    now = run.candidate_codes
    codes = sorted(set(BASE_CODES) | {code for c in candidates for code in c.expected | c.before}
                   | {code for found in now.values() for code in found})
    rows, lost, gained = [], [], []
    for code in codes:
        hazards = [c for c in candidates if code in c.expected]
        borderline = [c for c in candidates if code in c.borderline]
        elsewhere_before = sum(code in c.before for c in candidates if code not in c.expected | c.borderline)
        elsewhere_now = sum(code in now.get(c.location, ()) for c in candidates
                            if code not in c.expected | c.borderline)
        found_before = sum(code in c.before for c in hazards)
        found_now = sum(code in now.get(c.location, ()) for c in hazards)
        lost += [(code, c) for c in hazards if code in c.before and code not in now.get(c.location, ())]
        gained += [(code, c) for c in hazards if code not in c.before and code in now.get(c.location, ())]
        borderline_before = sum(code in c.before for c in borderline)
        borderline_now = sum(code in now.get(c.location, ()) for c in borderline)
        rows.append([code, len(hazards), found_before, found_now, rate(found_now, len(hazards)),
                     f"{borderline_before} → {borderline_now} of {len(borderline)}",
                     f"{elsewhere_before} → {elsewhere_now}"])
    report.heading(f"Labelled hazards ({run.label})", 3)
    report.table(["code", "hazards", "found before", "found now", "recall now", "borderline found",
                  "reported where not called for"], rows)
    labelled_none = [c for c in candidates if not c.expected]
    none_before = [c for c in labelled_none if c.before]
    none_now = [c for c in labelled_none if now.get(c.location)]
    report.text(f"Candidates labelled `none` (no hazard at the rule pages' level) that fs-lint reports: "
                f"{len(none_before)} before, {len(none_now)} now (of {len(labelled_none)}).")
    report.text(f"Hazards lost (found before, not now): {len(lost)}")
    report.items([describe_candidate(code, c) for code, c in lost])
    report.text(f"Hazards gained (not found before, found now): {len(gained)}")
    report.items([describe_candidate(code, c) for code, c in gained])
    newly = [c for c in none_now if not now[c.location] <= c.before]
    report.text(f"Candidates labelled `none` reported with a code they were not reported with before: {len(newly)}")
    report.items([describe_candidate(",".join(sorted(now[c.location] - c.before)), c) for c in newly])
    unmatched = [s for s in run.scored if s.candidate is None]
    report.text(f"Findings that fall on no labelled candidate: {len(unmatched)} of {len(run.scored)}.")


def describe_candidate(code: str, candidate: Candidate) -> str:
    return f"{code} {candidate.location} {candidate.function} ({candidate.subset}): {shorten(candidate.reason)}"


def new_findings(report: Report, run: Run, shared: dict[tuple[str, str], Verdict], project_name: str) -> None:
    new = [s for s in run.scored if (s.location, s.code) not in shared]
    judged = [s for s in new if s.useful != UNREVIEWED]
    report.heading(f"New findings ({run.label})", 3)
    report.text(f"{len(new)} findings not in {REVIEWED}; {len(judged)} judged in {project_name}, "
                f"{len(new) - len(judged)} unreviewed.")
    report.items([f"{s.location} {s.code} [{s.kind}] {s.useful}: {shorten(s.reason)}" for s in judged],
                 empty="no project verdicts apply")
    unreviewed = [s for s in run.scored if s.useful == UNREVIEWED]
    report.heading(f"Unreviewed findings, to review ({run.label})", 3)
    report.items([f"{s.location} {s.code} [{s.kind}{' guessed' if s.kind_guessed else ''}] {s.message}"
                  for s in unreviewed])


def rate(found: int, total: int) -> str:
    return f"{found / total:.0%}" if total else "–"


def shorten(text: str, width: int = 110) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def build_report(markdown: bool, corpus: Path, runs: Sequence[Run], before: list[Scored],
                 verdicts: dict[tuple[str, str], Verdict], shared: dict[tuple[str, str], Verdict],
                 candidates: Sequence[Candidate], only: str | None, project_file: Path | None) -> str:
    report = Report(markdown)
    report.heading("fs-lint on the reviewed corpus" + (f" ({only})" if only else ""), 2)
    project = [v for v in verdicts.values() if v.source == "project"]
    overriding = sum(v.key in shared for v in project)
    report.text(f"Corpus {corpus}; before = {REVIEWED} (fs-lint of 2026-12-01, {len(before)} findings); "
                + (f"project verdicts: {project_file}, {len(project)} rows ({overriding} override shared ones)."
                   if project_file else "no project verdicts."))
    report.items([f"{run.label}: `{shlex.join(['fs-lint', *run.command[3:]])}`: {len(run.findings)} findings, "
                  f"exit {run.exit_code}, {run.seconds:.0f} s, {len(run.file_errors)} files not checked"
                  for run in runs])
    precision_tables(report, before, runs)
    check_matching(report, candidates, before)
    for run in runs:
        lost_useful(report, verdicts, run, only)
        hazard_section(report, candidates, run)
        new_findings(report, run, shared, project_file.name if project_file else PROJECT_VERDICTS.name)
        report.heading(f"Files fs-lint could not check ({run.label})", 3)
        report.items(run.file_errors)
    return report.render()


# ---------------------------------------------------------------------------------------------- main


def split_at_double_dash(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """The script's own arguments, and those after ``--`` that go to ``fs-lint check`` unchanged."""
    argv = list(argv)
    if "--" not in argv:
        return argv, []
    return argv[:argv.index("--")], argv[argv.index("--") + 1:]


def add_fs_lint_options(parser: argparse.ArgumentParser) -> None:
    """``--python`` and ``-j``: which interpreter runs fs-lint, with how many worker processes."""
    parser.add_argument("--python", default=sys.executable, metavar="PATH",
                        help="the interpreter that runs fs-lint (default: this one)")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                        help="fs-lint's worker processes (default: %(default)s)")


def parse_args(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    own, extra = split_at_double_dash(argv)
    parser = argparse.ArgumentParser(
        description="Score fs-lint's findings on the reviewed 40-repository corpus against the reviewers' "
                    "verdicts, next to fs-lint of 2026-12-01.",
        epilog="Arguments after -- go to `fs-lint check` unchanged, e.g. `-- --extend-select FSR9`. "
               "Exit status: 0, or 2 when fs-lint failed.")
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS,
                        help=f"the corpus root, laid out by materialize.sh (default: {DEFAULT_CORPUS})")
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, metavar="DIR",
                        help=f"the shared review folder (default: {DEFAULT_SHARED})")
    parser.add_argument("--verdicts", type=Path, default=PROJECT_VERDICTS, metavar="FILE",
                        help="the project's own verdicts, overriding the shared ones (default: %(default)s; "
                             "skipped when missing)")
    add_fs_lint_options(parser)
    parser.add_argument("--only", metavar="OWNER+NAME", help="check one repository (paths stay corpus-relative)")
    parser.add_argument("--compare", action="append", default=[], metavar="ARGS",
                        help="also run fs-lint with these arguments (one string, e.g. \"--extend-select FSR9\") "
                             "and show it beside the main run; repeatable")
    parser.add_argument("--markdown", action="store_true", help="GitHub markdown tables (for docs/realworld.md)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the scored data as JSON")
    return parser.parse_args(own), extra


def main(argv: Sequence[str]) -> int:
    args, extra = parse_args(argv)
    corpus = args.corpus.resolve()
    if not corpus.is_dir():
        fail(f"no corpus at {corpus}: lay it out with {args.shared / 'materialize.sh'} first")
    if args.only and not (corpus / args.only).is_dir():
        fail(f"no repository {args.only} in {corpus}")
    shared_rows = [v for v in read_verdicts(args.shared / REVIEWED, "shared") if in_repo(v.location, args.only)]
    project_file = args.verdicts if args.verdicts.is_file() else None
    project_rows = read_verdicts(project_file, "project") if project_file else []
    shared = {v.key: v for v in shared_rows}
    verdicts = {**shared, **{v.key: v for v in project_rows}}
    candidates = [c for c in read_candidates(args.shared / CANDIDATES) if in_repo(c.location, args.only)]
    matcher = CandidateMatcher(corpus, candidates)

    before = score([Finding(v.location, v.code) for v in shared_rows], shared, matcher)
    configurations = [("now" + (" " + shlex.join(extra) if extra else ""), extra)]
    configurations += [(f"now {text}", shlex.split(text)) for text in args.compare]
    runs = []
    for label, options in configurations:
        run = run_fs_lint(label, args.python, corpus, args.jobs, options, args.only)
        run.scored = score(run.findings, verdicts, matcher)
        run.candidate_codes = codes_on_candidates(run.scored)
        runs.append(run)

    sys.stdout.write(build_report(args.markdown, corpus, runs, before, verdicts, shared, candidates,
                                  args.only, project_file))
    if args.json:
        write_json(args.json, corpus, before, runs, candidates)
    crashed = [error for run in runs for error in run.file_errors if "internal error" in error]
    if crashed:
        print(f"realworld: fs-lint had an internal error on {len(crashed)} files:", *crashed, sep="\n  ",
              file=sys.stderr)
        return 2
    return 0


def write_json(path: Path, corpus: Path, before: list[Scored], runs: Sequence[Run],
               candidates: Sequence[Candidate]) -> None:
    def scope_tallies(scored: list[Scored]) -> dict[str, dict[str, dict[str, object]]]:
        return {scope.name: {code: {**asdict(tally), "precision": tally.precision}
                             for code, tally in tallies(scored, scope).items()}
                for scope in SCOPES}

    data = {
        "corpus": str(corpus),
        "before": {"findings": [asdict(s) for s in before], "tallies": scope_tallies(before)},
        "runs": [{"label": run.label, "command": run.command, "exit_code": run.exit_code, "seconds": run.seconds,
                  "file_errors": run.file_errors, "findings": [asdict(s) for s in run.scored],
                  "tallies": scope_tallies(run.scored),
                  "candidates": [{"location": c.location, "function": c.function, "subset": c.subset,
                                  "expected": sorted(c.expected), "borderline": sorted(c.borderline),
                                  "before": sorted(c.before), "now": sorted(run.candidate_codes.get(c.location, ()))}
                                 for c in candidates]}
                 for run in runs],
    }
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
