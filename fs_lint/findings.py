"""What a rule reports: a code at a place, with a message that says why it matters."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Finding:
    line: int
    col: int  # 0-based, as in ``ast``; front ends show it 1-based
    code: str
    message: str  # starts with the code, as flake8 expects
    # The facts behind the message, each with the file and line that prove it (``check --explain``).
    evidence: tuple[str, ...] = field(default=(), compare=False)
