"""Real code at scale: ``fs-lint check`` and ``fs-lint fix --unsafe-fixes`` over the standard library
and site-packages of the interpreter running the tests.

Whatever the corpus, fs-lint must finish without an internal error (a file it
cannot read or parse is bad input, named with its reason, not an internal
error), every file a fix rewrites must compile, a second ``fix`` must change
nothing, and no rewrite may add a finding.

The default run checks a fixed, seeded sample (``scale_corpus.sample``): files
likely to hold a retry loop, where the fixes run, and others, where the
checks must simply stay silent and fast. ``-m scale`` runs the whole corpus
(tens of thousands of files, minutes): ``python -m pytest -m scale -p no:randomly``.
"""

from __future__ import annotations

import ast
import shutil
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from fs_lint.cli.fix_report import unified_diff

from . import scale_corpus as corpus

# 150 likely files: at 100, the seeded draw's only findings were stop paths' cleanup loops (logging's
# shutdown), which FSR002 leaves alone since issue 18, and the sample tested nothing.
SAMPLE_LIKELY = 150
SAMPLE_OTHERS = 150
# Bad input that real trees hold too (lib2to3's test data, templates named .py): the parallel test needs errors.
# Each has a handler: a file without one is never parsed (it cannot hold a finding), so its flaws go unseen.
BAD_FILES = {
    "bad/syntax.py": b"try:\n    pass\nexcept (:\n    pass\n",
    "bad/null.py": b"try:\n    pass\nexcept OSError:\n    pass\n\x00\n",
    "bad/undecodable.py": b"try:\n    x = '\xff\xfe'\nexcept OSError:\n    pass\n",
}


@dataclass
class Outcome:
    """One corpus, checked and fixed: what each run printed."""

    root: Path  # holds corpus/ (links to the real files) and fixed/ (copies the real fix rewrote)
    files: list[corpus.CorpusFile]
    check: corpus.Streams
    check_output: tuple[int, str, str]
    diff: corpus.Streams
    diff_output: tuple[int, str, str]


def _outcome(root: Path, files: list[corpus.CorpusFile], jobs: tuple[str, ...]) -> Outcome:
    corpus.link(files, root / "corpus")
    check = corpus.fs_lint("check", "--isolated", *jobs, "corpus", cwd=root)
    diff = corpus.fs_lint("fix", "--isolated", "--unsafe-fixes", "--diff", *jobs, "corpus", cwd=root)
    return Outcome(root, files, corpus.read_check(check), (check.returncode, check.stdout, check.stderr),
                   corpus.read_fix_diff(diff), (diff.returncode, diff.stdout, diff.stderr))


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    root = tmp_path_factory.mktemp("sample")
    for name, content in BAD_FILES.items():
        (root / "corpus" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "corpus" / name).write_bytes(content)
    return _outcome(root, corpus.sample(corpus.all_files(), SAMPLE_LIKELY, SAMPLE_OTHERS), ("-j", "2"))


@pytest.fixture(scope="module")
def everything(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    if "scale" not in (request.config.option.markexpr or ""):  # minutes of work: only when asked for by name
        pytest.skip("the whole corpus runs with -m scale")
    return _outcome(tmp_path_factory.mktemp("everything"), corpus.all_files(), ())


def assert_runs_cleanly(outcome: Outcome) -> None:
    """Exit 0 or 1, every output line of a known form, no internal error, the same bad files for both."""
    for streams, (status, _, stderr) in ((outcome.check, outcome.check_output), (outcome.diff, outcome.diff_output)):
        assert status in (0, 1), stderr[-3000:]
        assert streams.unexpected == []
        assert streams.internal_errors == []
    assert outcome.diff.errors == outcome.check.errors


def assert_fixes_hold(outcome: Outcome) -> None:
    """Apply the fixes for real to copies of the files the diff changes, then prove what a fix promises."""
    by_name = {f"corpus/{file.name}": file for file in outcome.files}
    changed = [by_name[shown] for shown in outcome.diff.changed]
    fixed = outcome.root / "fixed"
    shutil.rmtree(fixed, ignore_errors=True)
    corpus.copy(changed, fixed)
    if not changed:
        return
    applied = corpus.fs_lint("fix", "--isolated", "--unsafe-fixes", "fixed", cwd=outcome.root)
    assert applied.returncode in (0, 1), applied.stderr[-3000:]
    assert "internal error" not in applied.stdout + applied.stderr
    assert applied.stderr == ""

    patch = []
    for file in changed:
        before, after = file.source.read_bytes(), (fixed / file.name).read_bytes()
        assert after != before, f"{file.name}: the diff showed a change that fix did not make"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(ast.parse(after, file.name), file.name, "exec", dont_inherit=True)  # the rewrite compiles
        patch.append(unified_diff(f"corpus/{file.name}", before, after))
    assert "".join(patch) == outcome.diff_output[1], "fix --diff and fix disagree"

    again = corpus.fs_lint("fix", "--isolated", "--unsafe-fixes", "--check", "fixed", cwd=outcome.root)
    assert (again.returncode, again.stdout) == (0, ""), "a second fix changes something:\n" + again.stdout[-3000:]

    after = corpus.read_check(corpus.fs_lint("check", "--isolated", "fixed", cwd=outcome.root))
    assert after.unexpected == [] and after.errors == {}
    for file in changed:
        was = outcome.check.findings.get(f"corpus/{file.name}", Counter())
        now = after.findings.get(f"fixed/{file.name}", Counter())
        assert now - was == Counter(), f"{file.name}: the rewrite added {now - was}"
        assert sum(now.values()) < sum(was.values()), f"{file.name}: rewritten, yet no finding went away"


def test_sample_runs_cleanly(sample: Outcome) -> None:
    assert_runs_cleanly(sample)
    assert set(BAD_FILES) <= {path.removeprefix("corpus/") for path in sample.check.errors}
    assert sample.check.findings, "a sample without any finding tests nothing: choose more likely files"
    assert sample.diff.changed, "a sample where nothing is fixed tests nothing: choose more likely files"


def test_sample_fixes_compile_are_idempotent_and_add_nothing(sample: Outcome) -> None:
    assert_fixes_hold(sample)


def test_parallel_runs_print_exactly_what_one_process_prints(sample: Outcome) -> None:
    """The sample ran with ``-j 2``: one process must print the same bytes, in the same order."""
    serial_check = corpus.fs_lint("check", "--isolated", "-j", "1", "corpus", cwd=sample.root)
    assert (serial_check.returncode, serial_check.stdout, serial_check.stderr) == sample.check_output
    serial_diff = corpus.fs_lint("fix", "--isolated", "--unsafe-fixes", "--diff", "-j", "1", "corpus",
                                 cwd=sample.root)
    assert (serial_diff.returncode, serial_diff.stdout, serial_diff.stderr) == sample.diff_output
    assert sample.check_output[1] and sample.check.errors and sample.diff.changed  # findings, errors and fixes


@pytest.mark.scale
def test_whole_corpus_runs_cleanly(everything: Outcome) -> None:
    assert len(everything.files) > 1000, "the corpus should be the whole standard library and site-packages"
    assert_runs_cleanly(everything)


@pytest.mark.scale
def test_whole_corpus_fixes_compile_are_idempotent_and_add_nothing(everything: Outcome) -> None:
    assert_fixes_hold(everything)
