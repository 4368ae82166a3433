"""What FSR002's fix makes of a broad handler, for tests that spell the expected file by hand.

The fix leaves ``except BaseException:`` (or ``except:``) as it is and puts a clause before it
that re-raises the stop requests at stake (``docs/fix-safety.md``): in the tests' sync loops,
which neither exit nor handle a signal that exits, a Ctrl-C.
"""

from __future__ import annotations

import re
from typing import TypeVar

Text = TypeVar("Text", str, bytes)

INTERRUPTS = "KeyboardInterrupt"


def let_stop_through(source: Text, handler: str = "except BaseException:", caught: str = INTERRUPTS) -> Text:
    """``source`` with ``except <caught>: raise`` before every ``handler`` line, at its indentation."""
    as_text = source.decode("latin-1") if isinstance(source, bytes) else source
    pattern = re.compile(rf"^([ \t]*){re.escape(handler)}", re.MULTILINE)
    newline = "\r\n" if "\r\n" in as_text else "\n"
    result = pattern.sub(lambda m: f"{m[1]}except {caught}:{newline}{m[1]}    raise{newline}{m[0]}", as_text)
    return result.encode("latin-1") if isinstance(source, bytes) else result  # type: ignore[return-value]
