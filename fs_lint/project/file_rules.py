"""One ``[tool.fs-lint]`` with a front end's overrides on top: the settings, codes and exclusions it gives.

``file_settings.ProjectSettings`` decides which configuration governs a file
and hands out these; a front end asks ``codes_for(path)`` and ``excludes(path)``
and reads ``settings``, so that it answers as ``fs-lint check PATH`` does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from ..settings import Settings
from .config_file import Config
from .option_values import layered_settings
from .path_patterns import PathPattern
from .selection import Layer, PerFileIgnore, Selection


@dataclass(frozen=True)
class Overrides:
    """What a front end says over every configuration file: the CLI's flags, flake8's ``--fsr-*``.

    Patterns given here are relative to the working directory.
    """

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] | None = None  # replaces the configured table
    exclude: tuple[str, ...] | None = None  # replaces the configured ``exclude``
    extend_exclude: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)  # option name -> value of its kind


@dataclass(frozen=True)
class FileRules:
    config: Config
    settings: Settings
    selection: Selection
    exclude: tuple[PathPattern, ...]
    overrides: Overrides = Overrides()

    @classmethod
    def build(cls, config: Config, overrides: Overrides, cwd: str) -> "FileRules":
        """``config`` with ``overrides`` on top; the overrides' patterns start at ``cwd``."""
        base = str(config.root)
        if overrides.per_file_ignores is not None:
            ignores = [PerFileIgnore(PathPattern(p, cwd), codes) for p, codes in overrides.per_file_ignores]
        else:
            ignores = [PerFileIgnore(PathPattern(p, base), codes) for p, codes in config.per_file_ignores]
        selection = Selection(
            [Layer(config.select, config.extend_select, config.ignore),
             Layer(overrides.select, overrides.extend_select, overrides.ignore)],
            ignores,
        )
        if overrides.exclude is not None:
            exclude = [PathPattern(p, cwd) for p in overrides.exclude]
        else:
            exclude = [PathPattern(p, base) for p in config.exclude]
        exclude += [PathPattern(p, base) for p in config.extend_exclude]
        exclude += [PathPattern(p, cwd) for p in overrides.extend_exclude]
        settings = layered_settings([config.options, overrides.options])
        return cls(config, settings, selection, tuple(exclude), overrides)

    def excludes(self, path: str) -> bool:
        """Whether ``path`` (absolute) is excluded, as ``--force-exclude`` applies it to named files."""
        return any(pattern.matches(path) for pattern in self.exclude)

    def excludes_exactly(self, path: str) -> bool:
        """Whether ``path`` itself is excluded, whatever its folders: for a walk that prunes as it goes."""
        return any(pattern.matches_exactly(path) for pattern in self.exclude)

    def codes_for(self, path: str) -> tuple[str, ...]:
        """The codes to run on ``path`` (absolute): none when it is excluded."""
        return () if self.excludes(path) else self.selection.codes_for(path)
