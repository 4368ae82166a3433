"""Reading Python source: what a name refers to, and which nodes run in the same frame.

The lowest layer: the program and library models (``fs_lint.model``) and the analysis
(``fs_lint.analysis``) both read code through these helpers; it imports nothing of fs-lint.
"""
