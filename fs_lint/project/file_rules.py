"""``[tool.fs-lint]`` resolved for a front end that is handed one file at a time.

flake8, the LibCST codemods and the language server do not discover files:
they are given one and must know which codes run on it, with which settings,
and whether the project excludes it. They ask this, so that they answer as
``fs-lint check PATH`` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ..settings import Settings
from .config_file import Config, resolve_config
from .option_values import layered_settings
from .path_patterns import PathPattern
from .selection import Layer, PerFileIgnore, Selection


@dataclass(frozen=True)
class FileRules:
    config: Config
    settings: Settings
    selection: Selection
    exclude: tuple[PathPattern, ...]

    @classmethod
    def load(cls, start: Path, explicit: str | None = None, isolated: bool = False,
             overrides: Mapping[str, Any] | None = None, extend_select: tuple[str, ...] = ()) -> "FileRules":
        """The nearest config at or above ``start`` (``explicit`` instead, none when ``isolated``).

        ``overrides`` are option values (name -> value of its kind) that win over the
        file's, such as flake8's ``--fsr-*``; ``extend_select`` codes to enable on top of the
        file's selection (the off-by-default codes flake8's own selection names). Raises
        UsageError when the config is wrong.
        """
        config = resolve_config(explicit, isolated, start)
        base = str(config.root)
        selection = Selection(
            [Layer(config.select, config.extend_select, config.ignore), Layer(extend_select=extend_select)],
            [PerFileIgnore(PathPattern(pattern, base), codes) for pattern, codes in config.per_file_ignores],
        )
        settings = layered_settings([config.options, overrides or {}])
        exclude = tuple(PathPattern(p, base) for p in (*config.exclude, *config.extend_exclude))
        return cls(config, settings, selection, exclude)

    def excludes(self, path: str) -> bool:
        """Whether ``path`` (absolute) is excluded, as ``--force-exclude`` applies it to named files."""
        return any(pattern.matches(path) for pattern in self.exclude)

    def codes_for(self, path: str) -> tuple[str, ...]:
        """The codes to run on ``path`` (absolute): none when it is excluded."""
        return () if self.excludes(path) else self.selection.codes_for(path)
