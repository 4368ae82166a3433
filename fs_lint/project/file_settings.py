"""Which ``[tool.fs-lint]`` governs each file: the nearest one above *it*, as in ruff.

This is the one place every front end asks (``ProjectSettings.rules_for``):
the CLI for each file it finds, and for the folders it walks; the language
server for each buffer; the flake8 plugin and the codemods for each file they
are handed. A file with no ``[tool.fs-lint]`` above it (one outside the
project, named on the command line) gets the one above the working directory,
else the defaults. ``--config FILE`` names one for every file; ``--isolated``
reads none.

A pyproject.toml is read once per run, however many files lie below it; a
misspelt table in it (``[tool.fs_lint]``, ``[tool.fslint]``) is not read, and
the run is told so in ``warnings``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .config_file import Config, PyProject, inferred_config, load_config, read_pyproject
from .errors import UsageError
from .file_rules import FileRules, Overrides

__all__ = ["Overrides", "ProjectSettings"]


@dataclass
class ProjectSettings:
    """The configuration of every file of one run, read as it is needed and kept."""

    cwd: Path
    explicit: str | None = None  # --config FILE
    isolated: bool = False
    overrides: Overrides = field(default_factory=Overrides)
    warnings: list[str] = field(default_factory=list)  # each said once, in the order found
    _pyprojects: dict[Path, PyProject | None] = field(default_factory=dict, repr=False)
    _nearest: dict[Path, Config | None] = field(default_factory=dict, repr=False)
    _rules: dict[Any, FileRules] = field(default_factory=dict, repr=False)
    _configs: dict[str, Config] = field(default_factory=dict, repr=False)  # by folder: a run asks once per file
    _only: Config | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.cwd = Path(os.path.abspath(self.cwd))
        if self.isolated:
            self._only = Config(root=self.cwd)
        elif self.explicit is not None:
            path = self.cwd / self.explicit
            if not path.is_file():
                raise UsageError(f"{self.explicit}: config file not found")
            self._only = load_config(path)
        self.config_for(self.cwd)  # the working directory's own configuration is read at once: errors first

    def rules_for(self, path: str | os.PathLike[str]) -> FileRules:
        """The settings, codes and exclusions of the file at ``path`` (absolute, or relative to ``cwd``).

        Raises UsageError when the configuration that governs it is wrong.
        """
        return self._rules_of(self.config_for(os.path.dirname(os.path.join(self.cwd, path))))

    def rules_for_directory(self, directory: str | os.PathLike[str]) -> FileRules:
        """What governs the files directly in ``directory``."""
        return self._rules_of(self.config_for(os.path.join(self.cwd, directory)))

    def config_for(self, directory: str | os.PathLike[str]) -> Config:
        """The configuration that governs the files in ``directory``."""
        if self._only is not None:
            return self._only
        folder = os.path.abspath(directory)
        known = self._configs.get(folder)
        if known is not None:
            return known
        here = Path(folder)
        found = self._nearest_above(here)
        if found is None:
            found = self._nearest_above(self.cwd)
        if found is None:  # the defaults, aimed at the Python the nearest pyproject.toml requires, as ruff does
            found = inferred_config(self.cwd, self._nearest_pyproject(here) or self._nearest_pyproject(self.cwd))
        self._configs[folder] = found
        return found

    def warnings_as_comments(self) -> list[str]:
        return [f"# warning: {warning}" for warning in self.warnings]

    def _rules_of(self, config: Config) -> FileRules:
        key = (config.path, config.options.get("target-version")) if config.path is None else config.path
        rules = self._rules.get(key)
        if rules is None:
            rules = self._rules[key] = FileRules.build(config, self.overrides, str(self.cwd))
        return rules

    def _nearest_pyproject(self, directory: Path) -> PyProject | None:
        """The nearest pyproject.toml at or above ``directory``, with or without ``[tool.fs-lint]``."""
        for candidate in (directory, *directory.parents):
            pyproject = self._read(candidate / "pyproject.toml")
            if pyproject is not None:
                return pyproject
        return None

    def _nearest_above(self, directory: Path) -> Config | None:
        """The config of the nearest pyproject.toml with the table at or above ``directory``."""
        passed: list[Path] = []
        found: Config | None = None
        for candidate in (directory, *directory.parents):
            if candidate in self._nearest:
                found = self._nearest[candidate]
                break
            passed.append(candidate)
            pyproject = self._read(candidate / "pyproject.toml")
            if pyproject is not None and pyproject.table is not None:
                found = load_config(pyproject.path, pyproject)
                break
        for candidate in passed:
            self._nearest[candidate] = found
        return found

    def _read(self, path: Path) -> PyProject | None:
        if path not in self._pyprojects:
            pyproject = read_pyproject(path) if path.is_file() else None
            self._pyprojects[path] = pyproject
            if pyproject is not None:
                self.warnings.extend(pyproject.warnings)
        return self._pyprojects[path]


def option_overrides(values: Mapping[str, Any]) -> Overrides:
    """Overrides of analysis options only (flake8's ``--fsr-*``)."""
    return Overrides(options=dict(values))
