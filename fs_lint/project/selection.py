"""Which rules run on which file.

``select``, ``extend-select`` and ``ignore`` come in layers (defaults, config
file, command line), applied in that order as ruff does: a layer with
``select`` starts afresh, one without only adjusts what came before. Within a
layer the longest matching prefix decides, and ``ignore`` wins a tie. The
default-off rules and the ``FSR9`` range stay off unless a user ``select``
names them at least as specifically. ``per-file-ignores`` then removes codes
file by file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from ..rules import RULES
from .path_patterns import PathPattern

DEFAULT_SELECT = ("FSR",)
RESERVED_RANGE = "FSR9"  # off by default: rules under trial, each selected explicitly
_CODE_PREFIX = re.compile(r"F(?:S(?:R\d{0,3})?)?")


def default_ignores() -> tuple[str, ...]:
    return (RESERVED_RANGE, *sorted(code for code, rule in RULES.items() if not rule.default_enabled))


def parse_codes(values: Iterable[str]) -> tuple[str, ...]:
    """Normalised codes or prefixes; ValueError names the first that cannot be an fs-lint code.

    A prefix must start at least one rule's code: ``FSR008`` or ``FSR01`` would select
    nothing and let CI pass having checked nothing, so they are errors with a suggestion.
    """
    codes = []
    for value in values:
        code = value.strip().upper()
        if not code:
            continue
        if not _CODE_PREFIX.fullmatch(code):
            raise ValueError(f"{value.strip()!r} is not an fs-lint code or prefix (they look like FSR001 or FSR0)")
        if len(code) > len("FSR") and not any(known.startswith(code) for known in RULES):
            import difflib  # an unknown code only

            close = difflib.get_close_matches(code, sorted(RULES), n=1, cutoff=0.5)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"{value.strip()!r} is not a known fs-lint code{hint}; `fs-lint rules` lists them")
        codes.append(code)
    return tuple(codes)


def split_codes(text: str) -> tuple[str, ...]:
    """A comma-separated command-line list of codes."""
    return parse_codes(text.split(","))


def split_selection(text: str) -> tuple[str, ...]:
    """``--select``'s list: at least one code. ``--select ''`` (an unset variable in a script) or
    ``--select ,`` would select nothing, and a run that checks nothing passes."""
    codes = split_codes(text)
    if not codes:
        raise ValueError(f"expected at least one code or prefix (such as FSR or FSR001), got {text!r}")
    return codes


@dataclass(frozen=True)
class Layer:
    select: tuple[str, ...] | None = None  # None: keep what the layers below decided
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    def decide(self, code: str, vetoes: Sequence[str]) -> bool | None:
        """True/False, or None when this layer says nothing about ``code``."""
        matches = [(len(p), 1, False) for p in self.ignore if code.startswith(p)]
        matches += [(len(p), 0, True) for p in (*(self.select or ()), *self.extend_select) if code.startswith(p)]
        if not matches:
            return False if self.select is not None else None
        length, _, enabled = max(matches)
        if enabled and any(code.startswith(v) and len(v) > length for v in vetoes):
            return False if self.select is not None else None
        return enabled


def enabled_codes(layers: Sequence[Layer], codes: Iterable[str] | None = None) -> frozenset[str]:
    vetoes = default_ignores()
    enabled = set()
    for code in RULES if codes is None else codes:
        on = False
        for layer in (Layer(select=DEFAULT_SELECT), *layers):
            decision = layer.decide(code, vetoes)
            if decision is not None:
                on = decision
        if on:
            enabled.add(code)
    return frozenset(enabled)


@dataclass(frozen=True)
class PerFileIgnore:
    pattern: PathPattern
    codes: tuple[str, ...]


class Selection:
    """The enabled codes, and the ones each file drops through ``per-file-ignores``."""

    def __init__(self, layers: Sequence[Layer], per_file_ignores: Sequence[PerFileIgnore] = ()) -> None:
        self.enabled = enabled_codes(layers)
        self._per_file_ignores = tuple(per_file_ignores)

    def codes_for(self, path: str) -> tuple[str, ...]:
        """The codes to run on ``path`` (absolute), sorted."""
        dropped = [p for entry in self._per_file_ignores if entry.pattern.matches(path) for p in entry.codes]
        return tuple(sorted(code for code in self.enabled if not code.startswith(tuple(dropped))))


_PFI_TOKENS = re.compile(
    r"(?P<code>[A-Z]+[0-9]*(?=$|\s|,))|(?P<file>[^\s:,]+)|(?P<colon>\s*:\s*)|(?P<sep>[\s,]+)")


def parse_per_file_ignores(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """flake8's syntax: ``pattern:CODE,CODE pattern2 pattern3:CODE`` (newlines allowed)."""
    pairs: list[tuple[str, tuple[str, ...]]] = []
    files: list[str] = []
    codes: list[str] = []
    seen_colon = False

    def flush() -> None:
        if not codes:
            raise ValueError(f"no codes after {' '.join(files)!r}: expected PATTERN:CODE,CODE")
        pairs.extend((name, parse_codes(codes)) for name in files)
        files.clear()
        codes.clear()

    position = 0
    while position < len(text):
        token = _PFI_TOKENS.match(text, position)
        assert token is not None  # the four alternatives cover every character
        position = token.end()
        kind, value = token.lastgroup, token.group()
        if kind == "sep":
            continue
        if kind == "colon":
            if seen_colon or not files:
                raise ValueError(f"unexpected ':' at column {token.start() + 1}: expected PATTERN:CODE,CODE")
            seen_colon = True
        elif not seen_colon:
            files.append(value)
        elif kind == "code":
            codes.append(value)
        else:  # a pattern after codes starts the next pair
            flush()
            seen_colon = False
            files.append(value)
    if files:
        if not seen_colon:
            raise ValueError(f"no ':' after {' '.join(files)!r}: expected PATTERN:CODE,CODE")
        flush()
    return pairs
