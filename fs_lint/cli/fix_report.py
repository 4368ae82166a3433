"""What ``fs-lint fix`` prints: unified diffs, the fixes it refused, and a one-line summary."""

from __future__ import annotations

import io
import tokenize

from .colour import PLAIN, Palette

_NO_NEWLINE = "\\ No newline at end of file\n"


def _decode(source: bytes) -> str:
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
        return source.decode(encoding)
    except (SyntaxError, UnicodeDecodeError, LookupError):
        return source.decode("latin-1")


def unified_diff(shown: str, before: bytes, after: bytes) -> str:
    """The change as ``git diff`` shows it, in the file's own encoding."""
    import difflib  # for ``--diff`` only: ``check`` needs this module's ``plural``

    lines = difflib.unified_diff(
        _decode(before).splitlines(keepends=True), _decode(after).splitlines(keepends=True),
        fromfile=f"a/{shown}", tofile=f"b/{shown}",
    )
    return "".join(line if line.endswith("\n") else f"{line}\n{_NO_NEWLINE}" for line in lines)


def plural(count: int, word: str, plural_word: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural_word or word + 's'}"


def refusal_line(shown: str, line: int, col: int, code: str, reason: str, paint: Palette = PLAIN) -> str:
    return (f"{paint('path', shown)}:{paint('place', f'{line}:{col + 1}')}: {paint('code', code)} "
            f"{paint('warning', 'not fixed')}: {reason}\n")


def summary(files: int, fixes: int, left: int, preview: bool) -> str:
    if preview:
        return (f"fs-lint: {plural(files, 'file')} would change, {plural(fixes, 'fix', 'fixes')} "
                f"would be applied, {plural(left, 'finding')} left\n")
    return (f"fs-lint: {plural(files, 'file')} changed, {plural(fixes, 'fix', 'fixes')} applied, "
            f"{plural(left, 'finding')} left\n")
