"""Parse a module the way every part of fs-lint does."""

from __future__ import annotations

import ast
import warnings


def parse_module(source: bytes, filename: str = "<unknown>") -> ast.Module:
    """``ast.parse``, deaf to the warnings the compiler raises about the code it reads.

    An invalid escape such as ``"\\d"`` makes the parser warn; under ``-W error`` or
    ``PYTHONWARNINGS=error`` (common in CI) that warning would turn a valid file into a
    "syntax error", and otherwise it would be printed in the middle of the output.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(source, filename=filename)
