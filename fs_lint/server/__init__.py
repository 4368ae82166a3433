"""``fs-lint server``: a language server, so that editors show findings as you type and offer the fixes.

It is one more front end on the same pieces as ``fs-lint check -`` and
``fs-lint fix -``: the project's ``[tool.fs-lint]``, the same rules and the same
noqa dialect. ``buffer_lint`` decides what to say about a buffer (no LSP in
it); ``language_server`` wires that to pygls. pygls is an optional
dependency: ``pip install "fs-lint[server]"``.
"""
