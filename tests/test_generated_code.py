"""Generated programs (hypothesmith) never make the analysis or the fixer raise.

On top of "no exception escapes", the fixer's promises are checked on every
generated program, as ``test_scale.py`` checks them on real code: the fixed
source compiles, a second fix changes nothing, and no rewrite adds a finding.
Most generated programs hold no retry loop, so one strategy wraps generated
statements in retry loops of every shape the fixes handle.
"""

from __future__ import annotations

import ast
import textwrap
import warnings
from collections import Counter

import hypothesmith
import libcst
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from fs_lint.checker import check_source, check_tree
from fs_lint.fixing import fix_source
from fs_lint.rules import RULES
from fs_lint.settings import Settings

SETTINGS = Settings()
ALL_ON = Settings(async_requires_check=True)
_RELAXED = settings(max_examples=80, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
_FIXING = settings(_RELAXED, max_examples=25)
_BAD_INPUT = (SyntaxError, ValueError, RecursionError, MemoryError)

_HANDLERS = ["BaseException", "Exception", "asyncio.CancelledError", "(OSError, BaseException)", "",
             "KeyboardInterrupt", "(asyncio.CancelledError, ConnectionError)", "SystemExit"]
_LOOPS = ["while True:", "while 1:", "for _ in itertools.count():", "while not self.closed:"]
_PAUSES = ["time.sleep(1)", "await asyncio.sleep(delay)", "continue", "pass", "delay = min(delay * 2, 30)"]


@st.composite
def retry_loops(draw: st.DrawFn) -> bytes:
    """A generated module, then a function whose retry loop runs generated statements and handles failure
    in one of the ways the rules know."""
    prefix = draw(hypothesmith.from_node(auto_target=False))
    attempt = draw(hypothesmith.from_node(libcst.SimpleStatementLine, auto_target=False))
    on_failure = draw(hypothesmith.from_node(libcst.SimpleStatementLine, auto_target=False))
    handler, loop, pause = draw(st.sampled_from(_HANDLERS)), draw(st.sampled_from(_LOOPS)), draw(st.sampled_from(_PAUSES))
    is_async = "await" in pause or draw(st.booleans())
    function = textwrap.dedent(f"""\
        import asyncio, itertools, time


        {"async " if is_async else ""}def serve(self, delay=1):
            {loop}
                try:
                    connect()
        {textwrap.indent(attempt, " " * 12)}
                except {handler}:
        {textwrap.indent(on_failure, " " * 12)}
                    {pause}
    """).replace("except :", "except:")
    return (prefix + "\n" + function).encode("utf-8", "surrogatepass")


def _compiles(source: bytes) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, "<generated>", "exec", dont_inherit=True)
    except _BAD_INPUT:
        return False
    return True


def _codes(source: bytes) -> Counter[str]:
    return Counter(finding.code for finding in check_source(source, ALL_ON))


def assert_fix_keeps_its_promises(source: bytes) -> None:
    """No exception but bad input; the result compiles, is a fixed point, and adds no finding."""
    try:
        result = fix_source(source, ALL_ON, None, True, "<generated>")
    except _BAD_INPUT:
        assert not _compiles(source) or b"\\" in source or b"\x0c" in source  # only what the parser refuses
        return
    if result.source == source:
        return
    assert _compiles(result.source), result.source.decode(errors="replace")
    assert fix_source(result.source, ALL_ON, None, True, "<generated>").source == result.source
    assert _codes(result.source) - _codes(source) == Counter()


def _parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


@_RELAXED
@given(hypothesmith.from_grammar())
def test_check_survives_grammatical_programs(source):
    tree = _parse(source)
    if tree is not None:
        for options in (SETTINGS, ALL_ON):
            for finding in check_tree(tree, options):
                assert finding.line >= 1 and finding.message.startswith(finding.code)


@_RELAXED
@given(hypothesmith.from_node())
def test_check_survives_valid_modules(source):
    tree = _parse(source)
    assert tree is not None
    for finding in check_tree(tree, ALL_ON):
        assert finding.line >= 1


@pytest.mark.parametrize("depth", [50, 99])
def test_deeply_nested_loops_and_handlers(depth):
    lines = []
    for level in range(depth):
        pad = "    " * level
        lines.append(f"{pad}while True:" if level % 2 == 0 else f"{pad}try:")
    pad = "    " * depth
    lines.append(f"{pad}pass")
    for level in reversed(range(depth)):
        if level % 2:
            lines.append("    " * level + "except BaseException:")
            lines.append("    " * (level + 1) + "pass")
    tree = _parse("\n".join(lines) + "\n")
    if tree is not None:
        check_tree(tree, SETTINGS)


@_RELAXED
@given(hypothesmith.from_node())
def test_checking_the_bytes_finds_what_checking_the_tree_finds(source):
    """The CLI skips rules whose needles a file lacks; flake8 runs them all on its tree: they must agree."""
    tree = _parse(source)
    assert tree is not None
    data = source.encode("utf-8", "surrogatepass")
    assert check_source(data, ALL_ON) == check_tree(tree, ALL_ON)


@_FIXING
@given(hypothesmith.from_grammar())
def test_fix_survives_grammatical_programs(source):
    assert_fix_keeps_its_promises(source.encode("utf-8", "surrogatepass"))


def _handler_leaves_the_loop(source: bytes) -> bool:
    """The generated handler raises, returns or breaks (on_failure can be ``raise``): the loop never goes round again.

    (The last ``serve`` is the generated one: the generated module before it may define its own.)
    """
    serve = [node for node in ast.walk(ast.parse(source)) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
             and node.name == "serve"][-1]
    handler = next(node for node in ast.walk(serve) if isinstance(node, ast.ExceptHandler))
    return any(isinstance(statement, (ast.Raise, ast.Return, ast.Break)) for statement in handler.body)


@_FIXING
@given(retry_loops())
def test_fix_keeps_its_promises_on_generated_retry_loops(source):
    assume(_compiles(source))
    findings = check_source(source, ALL_ON)
    assert (any(f.code in RULES for f in findings) or b"self.closed" in source or b"pass" in source
            or _handler_leaves_the_loop(source))
    assert_fix_keeps_its_promises(source)
