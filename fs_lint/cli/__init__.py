"""The ``fs-lint`` command line: ``check``, ``fix``, ``rule`` and ``rules``.

Only ``fix`` imports the codemods (and so libcst), so checking stays fast to start.
"""
