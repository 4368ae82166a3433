"""Colour on a terminal, as ruff and flake8's own colours do it: ``--color`` and ``NO_COLOR``.

``auto`` (the default) colours a stream that is a terminal, unless ``NO_COLOR``
is set to anything but the empty string (https://no-color.org) or ``TERM`` is
``dumb``; ``always`` and ``never`` decide whatever the stream and the
environment say. Only what a person reads gets colour: the findings of the
default format, the summary, and the lines of ``fix``; a report written to a
file (``-o``) or in JSON, SARIF or GitHub's format never does.
"""

from __future__ import annotations

import os
from typing import TextIO

CHOICES = ("auto", "always", "never")

_RESET = "\x1b[0m"
_STYLES = {
    "path": "\x1b[1m",  # bold
    "place": "\x1b[2m",  # dim: line and column
    "code": "\x1b[1;31m",  # bold red
    "fixable": "\x1b[36m",  # cyan: [*]
    "good": "\x1b[1;32m",  # bold green: All checks passed!, fixed FILE
    "warning": "\x1b[1;33m",  # bold yellow
    "error": "\x1b[1;31m",  # bold red
}


def wants_colour(choice: str, stream: TextIO) -> bool:
    if choice == "always":
        return True
    if choice == "never":
        return False
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Palette:
    """Wraps text in one style, or leaves it as it is when colour is off."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, style: str, text: str) -> str:
        return f"{_STYLES[style]}{text}{_RESET}" if self.enabled and text else text


PLAIN = Palette(False)
