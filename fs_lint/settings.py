"""The options every front end shares.

One table describes each option once; the flake8 plugin derives ``--fsr-NAME``
from it, the CLI ``--NAME``, and ``[tool.fs-lint]`` the key ``NAME``, so the
three can never drift apart.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

DEFAULT_SHUTDOWN_NAMES = (
    "stop", "stopped", "stopping", "shutdown", "shutting", "closing", "closed",
    "exit", "exiting", "cancel", "cancelled", "canceled", "cancelling",
    "terminate", "terminated", "terminating", "running", "alive", "quit",
    "quitting", "halt", "abort", "aborted", "kill", "killed",
)

DEFAULT_CONNECT_NAMES = (
    "connect", "reconnect", "connection", "dial", "login", "subscribe",
    "authenticate", "start_consuming", "ping",
)


@dataclass(frozen=True)
class Settings:
    shutdown_names: tuple[str, ...] = DEFAULT_SHUTDOWN_NAMES
    connect_names: tuple[str, ...] = DEFAULT_CONNECT_NAMES
    async_requires_check: bool = False
    max_blind_sleep: float = 10.0
    max_retry_time: float = 3600.0
    backoff_cap: float = 60.0
    retry_give_up_after: float = 300.0
    strict: bool = False
    include_tests: bool = False
    include_examples: bool = False
    include_vendored: bool = False
    include_backups: bool = False
    shutdown_timeout: float = 10.0
    shutdown_path_names: tuple[str, ...] = ()
    library: str = ""  # the project's own library entries, as canonical JSON (see fs_lint.model.library)
    cache: bool = True
    # The oldest Python the code must run on, (3, 11); None when neither the configuration nor the
    # project's requires-python says: the rewrites then use only what every Python has.
    target_version: tuple[int, int] | None = None

    def python_at_least(self, major: int, minor: int) -> bool:
        """Every Python the code targets has what ``major.minor`` brought (False when the target is unknown)."""
        return self.target_version is not None and self.target_version >= (major, minor)

    def replace(self, **changes: Any) -> "Settings":
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class Option:
    """One user-facing option: ``name`` is the config key; ``field`` the Settings attribute."""

    name: str
    field: str
    kind: str  # "words" | "bool" | "number" | "library" | "version"
    help: str
    extends: bool = False  # an ``extend-*`` option adds to ``field`` instead of replacing it
    flag: bool = True  # also a command-line flag (``--NAME``, ``--fsr-NAME``); False: config file only


OPTIONS = (
    Option("shutdown-names", "shutdown_names", "words",
           "words that make a flag, event or method a shutdown indicator "
           "(matched as words inside identifiers)"),
    Option("extend-shutdown-names", "shutdown_names", "words",
           "more shutdown words, added to the defaults", extends=True),
    Option("connect-names", "connect_names", "words",
           "words that make a call connection-like, so a loop around it is a retry loop"),
    Option("extend-connect-names", "connect_names", "words",
           "more connection words, added to the defaults", extends=True),
    Option("async-requires-check", "async_requires_check", "bool",
           "also require a shutdown check in async retry loops that cancellation can stop"),
    Option("max-retry-time", "max_retry_time", "number",
           "the longest deadline, in seconds, that counts as a retry loop's bound (FSR001): a loop that retries "
           "for a day is no more bounded than one that retries for ever"),
    Option("max-blind-sleep", "max_blind_sleep", "number",
           "the longest plain sleep, in seconds, that a loop checking for shutdown may take "
           "without watching its stop event"),
    Option("backoff-cap", "backoff_cap", "number",
           "the cap, in seconds, that fixes and messages put on a growing retry pause"),
    Option("retry-give-up-after", "retry_give_up_after", "number",
           "the seconds after which fixes and messages make a never-ending retry decorator give up"),
    Option("strict", "strict", "bool",
           "report every retry loop and handler the rule pages describe, not only those with evidence "
           "that a real stop is defeated"),
    Option("include-tests", "include_tests", "bool",
           "also report in test code (tests/, test_*.py, *_test.py, tests.py, conftest.py)"),
    Option("include-examples", "include_examples", "bool",
           "also report in examples (a folder named examples, example, samples, sample, demos or demo, "
           "alone or as the first or last word of its name: example_apps, usage-examples)"),
    Option("include-vendored", "include_vendored", "bool",
           "also report in copies of other people's libraries carried in the tree (a folder the project's "
           "code puts on sys.path, or one named vendor, _vendor, third_party, extern...)"),
    Option("include-backups", "include_backups", "bool",
           "also report in copies of the project's own modules kept aside, which nothing in the project imports "
           "(worker_old.py beside worker.py, a backup/ or old/ folder)"),
    Option("shutdown-timeout", "shutdown_timeout", "number",
           "the seconds that FSR901's fixes give a wait in a shutdown path before going on without it"),
    Option("shutdown-path-names", "shutdown_path_names", "words",
           "more words that make a function a shutdown path for FSR901 (matched as words inside its name), "
           "added to stop, close, shutdown, disconnect, terminate, teardown, aclose, …"),
    Option("cache", "cache", "bool",
           "keep each module's facts, and check's report of each file, in .fs-lint-cache/ at the project's root, "
           "so that one file is checked against the whole project without reading it all again and an "
           "unchanged tree is not checked twice"),
    Option("library", "library", "library",
           "the project's own library entries: what its wrappers of brokers and clients wait for "
           "([tool.fs-lint.library], in the form of fs_lint/model/library/apis.toml)", flag=False),
    Option("target-version", "target_version", "version",
           "the oldest Python the code must run on, as ruff writes it (py310, py311, …); by default the "
           "lowest that requires-python of the pyproject.toml allows: fixes use only what it has"),
)


def apply_option(settings: Settings, option: Option, value: Any) -> Settings:
    """Return settings with one option applied; ``value`` is already of the option's kind."""
    if option.kind == "words":
        value = tuple(value)
        if option.extends:
            value = getattr(settings, option.field) + value
    elif option.kind == "number":
        value = float(value)
    elif option.kind == "library":
        value = str(value)
    elif option.kind == "version":
        value = tuple(value)
    else:
        value = bool(value)
    return settings.replace(**{option.field: value})
