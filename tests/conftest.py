"""Options shared by the whole suite."""


def pytest_addoption(parser):
    group = parser.getgroup("fs-lint")
    group.addoption("--regen-docs", action="store_true", default=False,
                    help="rewrite docs/rules/*.md and the README rules table from the rule classes")
    group.addoption("--regen-fixes", action="store_true", default=False,
                    help="rewrite the expected outputs (.fixed.py and .diff) of the fix fixtures")


