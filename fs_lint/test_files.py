"""Which files are test code, by pytest's conventions, and which are examples: fs-lint leaves
them out unless asked.

Tests are not the service that must stop: a fixture that retries forever on purpose, a poll with
no deadline in a conftest, a policy built only to check its ``repr`` are deliberate there. Nor are
examples: a sample client that loops until Ctrl-C shows an API, and nobody deploys it.
"""

from __future__ import annotations

from pathlib import PurePath

_TEST_DIRECTORIES = frozenset({"tests", "test", "testing"})
_EXAMPLE_DIRECTORIES = frozenset({"examples", "example", "samples", "sample", "demos", "demo"})


_TEST_MODULES = frozenset({"conftest.py", "tests.py", "test.py"})  # ``tests.py``: the module Django's startapp makes


def is_test_path(path: str) -> bool:
    """``tests/…``, ``…/test/…``, ``integration_tests/…``, ``test_*.py``, ``*_test.py``, ``conftest.py``, and
    ``tests.py``/``test.py`` (a Django app's tests: its runner finds ``test*.py``).

    Only the path as the user gave it is read (relative to where fs-lint runs), so a checkout that
    happens to sit below a folder named ``test`` is not all test code.
    """
    parts = PurePath(path).parts
    if not parts:
        return False
    name = parts[-1]
    if name in _TEST_MODULES or (name.startswith("test_") and name.endswith(".py")) or name.endswith("_test.py"):
        return True
    return any(part in _TEST_DIRECTORIES or part.endswith("_tests") for part in parts[:-1])


def is_example_path(path: str) -> bool:
    """``examples/…``, ``docs/samples/…``, ``demo/…``, ``conf/example_apps/…``, ``usage-examples/…``: a folder
    of the path as the user gave it names examples, alone or as the first or last word of its name (a
    checkout that sits below such a folder is not all examples; ``exampleservice/`` is one word)."""
    return any(_names_examples(part) for part in PurePath(path).parts[:-1])


def _names_examples(folder: str) -> bool:
    if folder in _EXAMPLE_DIRECTORIES:
        return True
    words = folder.lower().replace("-", "_").split("_")
    return len(words) > 1 and (words[0] in _EXAMPLE_DIRECTORIES or words[-1] in _EXAMPLE_DIRECTORIES)
