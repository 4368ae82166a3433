"""A second set of documented shutdown hangs: are they what the data says, and does FSR901 catch them?

``benchmarks/shutdown_cases_fresh.tsv`` holds shutdown hangs collected from public issues and their
fixes, none of them among the 16 of ``shutdown_cases.py`` nor from the projects kept apart for an
independent measurement. Each row names the fix commit, the file, the function (``Class.method``)
and the statement that hung. For each row this script

1. checks that the statement is in the fix's first parent (``git show FIX^:PATH`` in the bare
   mirror ``<mirrors>/<owner+name>/repo``), inside the named function and not in a function nested
   in it, and says how the fix changed it (the statement gone, changed or still there);
2. runs this checkout's FSR901 on that pre-fix file, in a layout of the repository's Python files at
   that commit (``shutdown_cases.checkout``, so that the program model sees the file's package, as
   ``shutdown_cases.py --set fresh`` does), and says whether a finding lands on the statement
   ("caught"), elsewhere in the function, elsewhere in the file, or nowhere ("missed"), and for a
   caught case whether the fix cleared it.

It ends with ``N of M caught on the statement that hung: ...``. Exit status: 0; 1 when a row does
not match its mirror (a data error, named on stderr); 2 when no mirror could be read at all::

    python benchmarks/check_shutdown_cases_fresh.py
    python benchmarks/check_shutdown_cases_fresh.py --markdown
"""

from __future__ import annotations

import argparse
import ast
import csv
import sys
from dataclasses import dataclass
from pathlib import Path

from shutdown_cases import (  # the first set's benchmark, beside this one
    _COMPOUND, DEFAULT_MIRRORS, DEFAULT_WORKDIR, Case, _functions, _squash, checkout, fsr901_lines, git_show)

CASES_FILE = Path(__file__).resolve().with_name("shutdown_cases_fresh.tsv")
COLUMNS = ("id", "repo", "fix", "path", "function", "statement", "what", "issue", "fix_shape")


@dataclass(frozen=True)
class FreshCase:
    case: Case  # the fields shutdown_cases.py knows
    issue: str
    fix_shape: str


@dataclass
class Checked:
    fresh: FreshCase
    problem: str = ""  # why the row does not match its mirror, or why it could not be read
    lines: tuple[int, ...] = ()  # first lines of the statement in the pre-fix file
    function: range | None = None
    findings: tuple[int, ...] = ()  # FSR901 lines in the pre-fix file
    status: str = ""  # caught, in the function, elsewhere in the file, missed
    after: str = ""  # how the fix changed the statement; for a caught case, whether it cleared it


def read_cases(path: Path) -> list[FreshCase]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    cases = []
    for number, row in enumerate(rows, start=2):
        if any(not (row.get(column) or "").strip() for column in COLUMNS):
            raise SystemExit(f"{path}:{number}: every row needs {', '.join(COLUMNS)}")
        case = Case(*(row[column].strip() for column in COLUMNS[:7]))
        cases.append(FreshCase(case, row["issue"].strip(), row["fix_shape"].strip()))
    return cases


def own_statements(function: ast.AST):
    """The statements of ``function`` itself: not those of functions or classes defined in it."""
    stack = list(ast.iter_child_nodes(function))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, ast.stmt):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def locate(source: bytes, case: Case) -> tuple[range | None, list[range]]:
    """The function's lines, and the lines of each of its own statements that reads like the one that hung."""
    text = source.decode("utf-8", "replace").splitlines()
    wanted = _squash(case.statement)
    for title, function in _functions(ast.parse(source)):
        if title != case.function:
            continue
        spans = []
        for node in own_statements(function):
            if isinstance(node, _COMPOUND):  # its first line only, not the statements inside it
                if _squash(text[node.lineno - 1]) == wanted:
                    spans.append(range(node.lineno, node.lineno + 1))
            elif wanted in _squash("\n".join(text[node.lineno - 1:node.end_lineno])):
                spans.append(range(node.lineno, node.end_lineno + 1))
        return range(function.lineno, function.end_lineno + 1), sorted(spans, key=lambda span: span.start)
    return None, []


def check(fresh: FreshCase, mirrors: Path, workdir: Path = DEFAULT_WORKDIR) -> Checked:
    case = fresh.case
    result = Checked(fresh)
    mirror = mirrors / case.repo / "repo"
    if not mirror.is_dir():
        result.problem = f"no mirror at {mirror} (fetch github:{case.repo.replace('+', '/', 1)})"
        return result
    before = git_show(mirror, f"{case.fix}^:{case.path}")
    if before is None:
        result.problem = f"{case.fix}^:{case.path} is not in the mirror"
        return result
    result.function, spans = locate(before, case)
    if result.function is None:
        result.problem = f"no function {case.function} in {case.fix[:10]}^:{case.path}"
        return result
    if not spans:
        result.problem = f"`{case.statement}` is not in {case.function} at {case.fix[:10]}^:{case.path}"
        return result
    statement_lines = {line for span in spans for line in span}
    result.lines = tuple(span.start for span in spans)
    tree = checkout(mirror, f"{case.fix}^", workdir)
    result.findings = fsr901_lines(before, str(tree / case.path) if tree is not None else case.path)
    if statement_lines & set(result.findings):
        result.status = "caught"
    elif any(line in result.function for line in result.findings):
        result.status = "in the function"
    else:
        result.status = "elsewhere in the file" if result.findings else "missed"
    result.after = after_the_fix(mirror, case, result.status == "caught", workdir)
    return result


def after_the_fix(mirror: Path, case: Case, caught: bool, workdir: Path = DEFAULT_WORKDIR) -> str:
    after = git_show(mirror, f"{case.fix}:{case.path}")
    if after is None:
        return "file gone"
    function, spans = locate(after, case)
    if function is None:
        return "function gone"
    if not spans:
        return "statement changed"
    if not caught:
        return "statement kept"
    lines = {line for span in spans for line in span}
    tree = checkout(mirror, case.fix, workdir)
    found = fsr901_lines(after, str(tree / case.path) if tree is not None else case.path)
    return "statement kept, still flagged" if lines & set(found) else "statement kept, cleared"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mirrors", type=Path, default=DEFAULT_MIRRORS,
                        help="the folder of the <owner+name>/repo bare mirrors (default: %(default)s)")
    parser.add_argument("--cases", type=Path, default=CASES_FILE, help="the cases file (default: %(default)s)")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)
    results = [check(fresh, args.mirrors) for fresh in read_cases(args.cases)]
    if all(r.problem.startswith("no mirror") for r in results):
        print(f"no mirror could be read under {args.mirrors}", file=sys.stderr)
        return 2
    if args.markdown:
        print("| case | issue | file : function | statement (pre-fix line) | FSR901 | the fix |")
        print("| --- | --- | --- | --- | --- | --- |")
    for r in results:
        case = r.fresh.case
        where = f"{case.path} : {case.function}"
        at = ",".join(map(str, r.lines)) or "-"
        flagged = ",".join(map(str, r.findings)) or "none"
        status = r.status or f"not checked: {r.problem}"
        if args.markdown:
            status = "**caught**" if r.status == "caught" else status
            print(f"| {case.id} | {r.fresh.issue} | `{where}` | `{case.statement}` "
                  f"({at}) | {status} (FSR901 at {flagged}) | {r.after or '-'}: {r.fresh.fix_shape} |")
        else:
            print(f"{case.id} {status:22} {where}:{at}  FSR901 at {flagged}  after the fix: {r.after or '-'}")
    caught = [r.fresh.case.id for r in results if r.status == "caught"]
    print(f"\n{len(caught)} of {len(results)} caught on the statement that hung: {', '.join(caught)}")
    bad = [r for r in results if r.problem]
    for r in bad:
        print(f"check_shutdown_cases_fresh: {r.fresh.case.id}: {r.problem}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
