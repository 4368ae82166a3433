"""fs-lint: find the loops that keep a service alive after it was told to stop."""

__version__ = "0.1.0"
